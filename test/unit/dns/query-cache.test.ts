import { test } from 'node:test';
import assert from 'node:assert/strict';
import { QueryResultCache } from '../../../src/dns/query-cache.js';
import { CACHE_IDLE_MS, MAX_CACHE_ENTRIES } from '../../../src/dns/fetch-cache.js';

function setup() {
  let now = 0;
  let runs = 0;
  let next: string | null = 'r1';
  const cache = new QueryResultCache<string>(() => now);
  const load = () => {
    runs++;
    return Promise.resolve(next);
  };
  return {
    cache,
    load,
    advance: (ms: number) => (now += ms),
    runs: () => runs,
    answer: (v: string | null) => (next = v),
  };
}

test('use_cache: a prepared query runs once, then answers from its result until cache_max_age', async () => {
  const s = setup();
  assert.equal(await s.cache.get('web', 2000, s.load), 'r1');
  s.answer('r2');
  s.advance(2000);
  assert.equal(await s.cache.get('web', 2000, s.load), 'r1');
  assert.equal(s.runs(), 1);
  s.advance(1);
  assert.equal(await s.cache.get('web', 2000, s.load), 'r2');
  assert.equal(s.runs(), 2);
  // Another key (another query, datacenter or requester) is its own entry.
  assert.equal(await s.cache.get('web\0dc2', 2000, s.load), 'r2');
  assert.equal(s.runs(), 3);
});

test('cache_max_age 0 keeps a result while it is asked for; an idle one is run again', async () => {
  const s = setup();
  await s.cache.get('web', 0, s.load);
  s.answer('r2');
  for (let i = 0; i < 5; i++) {
    s.advance(CACHE_IDLE_MS - 1);
    assert.equal(await s.cache.get('web', 0, s.load), 'r1');
  }
  s.advance(CACHE_IDLE_MS + 1);
  assert.equal(await s.cache.get('web', 0, s.load), 'r2');
  assert.equal(s.runs(), 2);
});

test('an unknown query and a failure are not kept', async () => {
  const s = setup();
  s.answer(null);
  assert.equal(await s.cache.get('nope', 0, s.load), null);
  assert.equal(await s.cache.get('nope', 0, s.load), null);
  assert.equal(s.runs(), 2);
  assert.equal(s.cache.size, 0);
  await assert.rejects(
    s.cache.get('bad', 0, () => Promise.reject(new Error('No cluster leader'))),
    /leader/,
  );
  assert.equal(s.cache.size, 0);
});

test('at most MAX_CACHE_ENTRIES results; the least recently used goes first', async () => {
  const s = setup();
  for (let i = 0; i < MAX_CACHE_ENTRIES; i++) await s.cache.get(`q${i}`, 0, s.load);
  await s.cache.get('q0', 0, s.load); // q0 is now the most recent
  await s.cache.get('extra', 0, s.load);
  assert.equal(s.cache.size, MAX_CACHE_ENTRIES);
  const before = s.runs();
  await s.cache.get('q0', 0, s.load);
  assert.equal(s.runs(), before);
  await s.cache.get('q1', 0, s.load);
  assert.equal(s.runs(), before + 1);
});
