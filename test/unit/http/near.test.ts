import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nearNode, resolveNearAgent, sortByNear } from '../../../src/http/near.js';

const at = (x: number) => ({ Vec: [x, 0], Error: 0.1, Adjustment: 0, Height: 0.00001 });
const coords = new Map([
  ['src', at(0)],
  ['far', at(0.05)],
  ['near', at(0.001)],
  ['mid', at(0.01)],
]);

test('sortByNear: ascending RTT from the source; nodes without coordinates last, in their order', () => {
  const items = ['far', 'none-1', 'mid', 'none-2', 'near', 'src'];
  assert.deepEqual(
    sortByNear(
      items,
      (x) => x,
      'src',
      (n) => coords.get(n),
    ),
    ['src', 'near', 'mid', 'far', 'none-1', 'none-2'],
  );
});

test('sortByNear: no source, or a source without a coordinate, leaves the order alone', () => {
  const items = ['far', 'mid', 'near'];
  assert.deepEqual(
    sortByNear(
      items,
      (x) => x,
      '',
      (n) => coords.get(n),
    ),
    items,
  );
  assert.deepEqual(
    sortByNear(
      items,
      (x) => x,
      'unknown',
      (n) => coords.get(n),
    ),
    items,
  );
});

test('?near=_agent means this agent; a forwarded URL names the node', () => {
  assert.equal(nearNode(new URLSearchParams('near=_agent'), 'me'), 'me');
  assert.equal(nearNode(new URLSearchParams('near=other'), 'me'), 'other');
  assert.equal(nearNode(new URLSearchParams(''), 'me'), '');
  assert.equal(resolveNearAgent('/v1/catalog/nodes?near=_agent', 'me'), '/v1/catalog/nodes?near=me');
  assert.equal(resolveNearAgent('/v1/catalog/nodes?near=x&stale', 'me'), '/v1/catalog/nodes?near=x&stale');
});
