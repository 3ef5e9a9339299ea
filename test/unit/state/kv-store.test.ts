import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KVStore } from '../../../src/state/kv-store.js';

const v = (s: string) => new TextEncoder().encode(s);

test('indexes: create/modify per entry, list index includes tombstones under the prefix, never 0', () => {
  const kv = new KVStore();
  assert.deepEqual(kv.get('a'), { index: 1, entry: null });
  kv.set(5, 'a/1', v('x'), 0n);
  kv.set(6, 'a/2', v('y'), 7n);
  kv.set(7, 'a/1', v('z'), 0n);
  const e = kv.get('a/1').entry!;
  assert.equal(e.CreateIndex, 5);
  assert.equal(e.ModifyIndex, 7);
  assert.equal(kv.get('a/1').index, 7);
  assert.equal(kv.get('missing').index, 7); // the table index
  kv.set(8, 'b', v('other'), 0n);
  assert.equal(kv.list('a/').index, 7);
  kv.delete(9, 'a/2');
  assert.equal(kv.list('a/').index, 9); // the tombstone moves the list index
  assert.deepEqual(
    kv.list('a/').entries.map((x) => x.Key),
    ['a/1'],
  );
  assert.equal(kv.list('').index, 9);
});

test('check-and-set and delete-cas follow ModifyIndex; cas 0 means create-only', () => {
  const kv = new KVStore();
  assert.equal(kv.cas(1, 'k', v('a'), 0n, 0), true);
  assert.equal(kv.cas(2, 'k', v('b'), 0n, 0), false);
  assert.equal(kv.cas(3, 'k', v('c'), 0n, 99), false);
  assert.equal(kv.cas(4, 'k', v('d'), 0n, 1), true);
  assert.equal(kv.deleteCas(5, 'k', 1), false);
  assert.equal(kv.deleteCas(6, 'k', 4), true);
  assert.equal(kv.get('k').entry, null);
});

test('keys with a separator fold at the first separator after the prefix; delete-tree removes a subtree', () => {
  const kv = new KVStore();
  for (const [i, k] of ['web/a', 'web/b/1', 'web/b/2', 'webx', 'api/c'].entries()) kv.set(i + 1, k, v(k), 0n);
  assert.deepEqual(kv.keys('web/', '/').keys, ['web/a', 'web/b/']);
  assert.deepEqual(kv.keys('', '/').keys, ['api/', 'web/', 'webx']);
  assert.deepEqual(kv.keys('web', '').keys, ['web/a', 'web/b/1', 'web/b/2', 'webx']);
  kv.deleteTree(10, 'web/');
  assert.deepEqual(kv.keys('', '').keys, ['api/c', 'webx']);
});

test('watches: a write wakes only waiters on that key or a covering prefix', () => {
  const kv = new KVStore();
  const woke: string[] = [];
  kv.watches.add({ key: 'a', prefix: false, wake: () => woke.push('a') });
  kv.watches.add({ key: 'missing', prefix: false, wake: () => woke.push('missing') });
  kv.watches.add({ key: 'a/', prefix: true, wake: () => woke.push('a/*') });
  kv.set(1, 'a', v('1'), 0n);
  kv.set(2, 'a/x', v('1'), 0n);
  kv.set(3, 'b', v('1'), 0n);
  assert.deepEqual(woke, ['a', 'a/*']);
  assert.equal(kv.watches.size, 1);
  kv.set(4, 'missing', v('now'), 0n);
  assert.deepEqual(woke, ['a', 'a/*', 'missing']);
});
