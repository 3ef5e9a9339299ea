import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConsistency, withoutStale } from '../../../src/http/consistency.js';

const p = (q: string) => parseConsistency(new URLSearchParams(q));

test('parseConsistency: stale/consistent/leader flags, ?max_stale above zero implies stale', () => {
  assert.deepEqual(p(''), { mode: 'leader', maxStaleMs: 0 });
  assert.deepEqual(p('leader'), { mode: 'leader', maxStaleMs: 0 });
  assert.deepEqual(p('stale'), { mode: 'stale', maxStaleMs: 0 });
  assert.deepEqual(p('consistent'), { mode: 'consistent', maxStaleMs: 0 });
  assert.deepEqual(p('max_stale=2s'), { mode: 'stale', maxStaleMs: 2000 });
  assert.deepEqual(p('max_stale=0'), { mode: 'leader', maxStaleMs: 0 });
  assert.deepEqual(p('max_stale=0&consistent'), { mode: 'consistent', maxStaleMs: 0 });
});

test('parseConsistency: Consul texts for a bad ?max_stale and for stale with consistent', () => {
  assert.equal((p('max_stale=soon') as Error).message, 'Invalid max_stale value "soon"');
  const conflict = 'Cannot specify ?stale with ?consistent, conflicting semantics.';
  assert.equal((p('stale&consistent') as Error).message, conflict);
  assert.equal((p('max_stale=5s&consistent') as Error).message, conflict);
});

test('withoutStale drops ?stale and ?max_stale, keeping the rest', () => {
  assert.equal(withoutStale('/v1/kv/a?stale&max_stale=1s'), '/v1/kv/a');
  assert.equal(withoutStale('/v1/kv/a?max_stale=1s&recurse=&index=4'), '/v1/kv/a?recurse=&index=4');
  assert.equal(withoutStale('/v1/kv/a'), '/v1/kv/a');
});
