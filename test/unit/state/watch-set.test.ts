import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WAKE_BATCH, WatchSet } from '../../../src/state/watch.js';

test('a write wakes the waiters of its key and the prefixes above it, nobody else', () => {
  const w = new WatchSet();
  const woke: string[] = [];
  const add = (key: string, prefix: boolean) =>
    w.add({ key, prefix, wake: () => woke.push(`${prefix ? 'p:' : ''}${key}`) });
  add('a/b', false);
  add('a/c', false);
  add('a/', true);
  add('b/', true);
  const cancel = add('a/b', false);
  cancel();
  assert.equal(w.size, 4);
  w.touch('a/b');
  assert.deepEqual(woke.sort(), ['a/b', 'p:a/']);
  assert.equal(w.size, 2);
  w.touchPrefix('');
  assert.deepEqual(woke.sort(), ['a/b', 'a/c', 'p:a/', 'p:b/']);
  assert.equal(w.size, 0);
});

test('with a defer, a large wake-up goes out WAKE_BATCH waiters per turn, each waiter once', () => {
  const w = new WatchSet();
  const turns: Array<() => void> = [];
  w.defer = (fn) => turns.push(fn);
  const n = WAKE_BATCH * 2 + 10;
  const woke: number[] = [];
  for (let i = 0; i < n; i++) w.add({ key: 'k', prefix: false, wake: () => woke.push(i) });
  // A waiter re-arming during the wake-up is not woken again by it.
  w.add({
    key: 'k',
    prefix: false,
    wake: () => w.add({ key: 'k', prefix: false, wake: () => woke.push(-1) }),
  });
  w.touch('k');
  assert.equal(woke.length, WAKE_BATCH);
  assert.equal(turns.length, 1);
  turns.shift()!();
  assert.equal(woke.length, 2 * WAKE_BATCH);
  turns.shift()!();
  assert.deepEqual(
    woke,
    Array.from({ length: n }, (_, i) => i),
  );
  assert.equal(turns.length, 0);
  assert.equal(w.size, 1); // the re-armed waiter
  // A small wake-up stays synchronous.
  w.touch('k');
  assert.equal(woke.at(-1), -1);
});
