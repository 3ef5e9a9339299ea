import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeRaw, splitSlices } from '../../../src/config/merge.js';

test('later scalars replace, slices append, maps and nested objects merge key by key', () => {
  const a = {
    node_name: 'a',
    retry_join: ['1'],
    node_meta: { x: 'a', y: 'a' },
    ports: { dns: 1, http: 2 },
    services: [{ name: 's1' }],
  };
  const b = {
    node_name: 'b',
    retry_join: ['2', '3'],
    node_meta: { x: 'b' },
    ports: { http: 20 },
    services: [{ name: 's2' }],
    server: false,
  };
  assert.deepEqual(mergeRaw(a, b), {
    node_name: 'b',
    retry_join: ['1', '2', '3'],
    node_meta: { x: 'b', y: 'a' },
    ports: { dns: 1, http: 20 },
    services: [{ name: 's1' }, { name: 's2' }],
    server: false,
  });
  // inputs untouched
  assert.deepEqual(a.retry_join, ['1']);
  assert.deepEqual(a.ports, { dns: 1, http: 2 });
});

test('a later false, 0 or "" still replaces (only an absent value leaves the earlier one)', () => {
  assert.deepEqual(
    mergeRaw({ server: true, retry_max: 3, domain: 'x' }, { server: false, retry_max: 0, domain: '' }),
    {
      server: false,
      retry_max: 0,
      domain: '',
    },
  );
  assert.deepEqual(mergeRaw({ server: true }, { server: undefined }), { server: true });
});

test('splitSlices separates repeatable (slice) flags from scalar ones', () => {
  assert.deepEqual(splitSlices({ retry_join: ['a'], node_name: 'n', ports: { dns: 1 } }), {
    slices: { retry_join: ['a'] },
    values: { node_name: 'n', ports: { dns: 1 } },
  });
});
