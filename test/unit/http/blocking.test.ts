import { test } from 'node:test';
import assert from 'node:assert/strict';
import { blockingParams } from '../../../src/http/blocking.js';

const S = 1e9;
const params = (q: string) => blockingParams(new URLSearchParams(q), 300 * S, 600 * S);

test('blockingParams: ?wait=0, a negative wait and no wait all mean the default (5 min)', () => {
  assert.deepEqual(params('index=5&wait=0'), { minIndex: 5, waitMs: 300_000 });
  assert.deepEqual(params('index=5&wait=-3s'), { minIndex: 5, waitMs: 300_000 });
  assert.deepEqual(params('index=5'), { minIndex: 5, waitMs: 300_000 });
});

test('blockingParams: a wait is capped at max_query_time; bad values carry Consul texts', () => {
  assert.deepEqual(params('index=1&wait=20m'), { minIndex: 1, waitMs: 600_000 });
  assert.deepEqual(params('index=1&wait=10s'), { minIndex: 1, waitMs: 10_000 });
  assert.equal((params('wait=xyz') as Error).message, 'Invalid wait time');
  assert.equal((params('index=-1') as Error).message, 'Invalid index');
});
