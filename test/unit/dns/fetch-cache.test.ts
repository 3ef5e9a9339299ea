// dns_config.use_cache / cache_max_age: reads from servers cached as Consul's agent cache does it —
// the first lookup fetches, later ones are served while a blocking query keeps the entry current;
// cache_max_age forces a fetch only once the background refresh has been failing that long.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CACHE_IDLE_MS,
  FetchCache,
  REFRESH_RETRY_MS,
  type FetchAnswer,
} from '../../../src/dns/fetch-cache.js';

/** A fake server: each fetch waits until the test settles it; timers run when the test advances time. */
function harness() {
  let now = 0;
  const pending: Array<{ url: string; settle: (a: FetchAnswer) => void }> = [];
  const timers: Array<{ at: number; fn: () => void }> = [];
  let alive = true;
  const cache = new FetchCache({
    fetch: (url) => new Promise((settle) => pending.push({ url, settle })),
    nowMs: () => now,
    after: (ms, fn) => void timers.push({ at: now + ms, fn }),
    alive: () => alive,
  });
  const tick = () => new Promise<void>((r) => setImmediate(r));
  return {
    cache,
    pending,
    stop: () => (alive = false),
    async advance(ms: number) {
      now += ms;
      for (const t of timers.splice(0).filter((t) => t.at <= now || (timers.push(t), false))) t.fn();
      await tick();
    },
    /** Settles the oldest pending fetch and lets the cache react. */
    async answer(a: FetchAnswer) {
      const p = pending.shift();
      assert.ok(p, 'a fetch is pending');
      p.settle(a);
      await tick();
      return p.url;
    },
    tick,
  };
}

const ok = (text: string, index: number): FetchAnswer => ({ status: 200, index, text });

test('the first lookup fetches; later ones are served from the entry a blocking query keeps current', async () => {
  const h = harness();
  const first = h.cache.get('/v1/health/service/web?dc=dc2', 0);
  assert.equal(await h.answer(ok('v1', 5)), '/v1/health/service/web?dc=dc2');
  assert.deepEqual(await first, ok('v1', 5));
  // The background refresh is a blocking query from the entry's index.
  assert.equal(h.pending[0]?.url, '/v1/health/service/web?dc=dc2&index=5&wait=5m');
  assert.equal((await h.cache.get('/v1/health/service/web?dc=dc2', 0)).text, 'v1');
  assert.equal(h.pending.length, 1, 'served without another fetch');
  assert.equal(await h.answer(ok('v2', 9)), '/v1/health/service/web?dc=dc2&index=5&wait=5m');
  assert.equal((await h.cache.get('/v1/health/service/web?dc=dc2', 0)).text, 'v2');
  assert.equal(h.pending[0]?.url, '/v1/health/service/web?dc=dc2&index=9&wait=5m');
  // A different read is its own entry.
  const other = h.cache.get('/v1/health/service/api', 0);
  assert.equal(h.pending.length, 2);
  h.pending.splice(0, 1);
  await h.answer(ok('api', 3));
  assert.equal((await other).text, 'api');
  h.stop();
});

test('cache_max_age: a failing refresh ages the entry; past the max age the lookup fetches again', async () => {
  const h = harness();
  const first = h.cache.get('/x', 10_000);
  await h.answer(ok('v1', 2));
  await first;
  // The refresh fails: contact lost now; the entry is still served within the max age.
  await h.answer({ status: 500, index: 0, text: 'rpc error' });
  await h.advance(REFRESH_RETRY_MS);
  assert.equal(h.pending.length, 1, 'retrying');
  await h.advance(5_000);
  assert.equal((await h.cache.get('/x', 10_000)).text, 'v1');
  // Without a max age it would be served on; with one, past it the lookup fetches itself.
  await h.advance(6_000);
  assert.equal((await h.cache.get('/x', 0)).text, 'v1');
  const again = h.cache.get('/x', 10_000);
  await h.tick();
  assert.equal(h.pending.length, 2, 'a direct fetch besides the retrying refresh');
  const direct = h.pending.pop()!;
  direct.settle(ok('v3', 7));
  assert.equal((await again).text, 'v3');
  // The fetch made the entry healthy again: served within any max age.
  await h.advance(60_000);
  assert.equal((await h.cache.get('/x', 1)).text, 'v3');
  // A failed direct fetch is the lookup's failure, not cached.
  h.stop();
});

test('an entry nobody asks for stops refreshing and is dropped; failures are never cached', async () => {
  const h = harness();
  const bad = h.cache.get('/gone', 0);
  await h.answer({ status: 500, index: 0, text: 'No path to datacenter' });
  assert.equal((await bad).status, 500);
  assert.equal(h.cache.size, 0);
  const first = h.cache.get('/idle', 0);
  await h.answer(ok('v1', 2));
  await first;
  await h.advance(CACHE_IDLE_MS + 1);
  await h.answer(ok('v1', 2)); // the blocking query returns; nobody asked since
  assert.equal(h.cache.size, 0);
  assert.equal(h.pending.length, 0, 'no more refreshes');
});
