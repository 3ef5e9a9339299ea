import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MinHeap, type HeapHandle } from '../../src/lib/min-heap.js';
import { SeededRng } from '../../src/lib/prng.js';

test('remove and update keep order; stale handles report gone', () => {
  const h = new MinHeap<number>((a, b) => a < b);
  const handles = [5, 3, 9, 1, 7].map((v) => h.push(v));
  assert.equal(h.peek(), 1);
  assert.equal(h.remove(handles[3]!), true); // 1
  assert.equal(h.update(handles[2]!, 0), true); // 9 → 0
  assert.equal(h.has(handles[3]!), false);
  const out: number[] = [];
  while (h.size) out.push(h.pop()!);
  assert.deepEqual(out, [0, 3, 5, 7]);
  assert.equal(h.remove(handles[0]!), false);
  assert.equal(h.update(handles[0]!, 100), false);
  assert.equal(h.size, 0);
  assert.equal(h.pop(), undefined);
});

test('a handle of another heap cannot touch this one', () => {
  const a = new MinHeap<number>((x, y) => x < y);
  const b = new MinHeap<number>((x, y) => x < y);
  a.push(1);
  const hb = b.push(2);
  assert.equal(a.remove(hb), false);
  assert.equal(a.size, 1);
  assert.equal(b.size, 1);
});

test('random push/pop/remove/update agree with a sorted-array model', () => {
  const rng = new SeededRng(17);
  type V = { k: number; id: number };
  const heap = new MinHeap<V>((a, b) => a.k < b.k || (a.k === b.k && a.id < b.id));
  const live: Array<{ h: HeapHandle<V>; v: V }> = [];
  let id = 0;
  for (let step = 0; step < 20_000; step++) {
    const op = rng.int(4);
    if (op === 0 || live.length === 0) {
      const v = { k: rng.int(50), id: id++ };
      live.push({ h: heap.push(v), v });
    } else if (op === 1) {
      const min = live.reduce((m, e) => (e.v.k < m.v.k || (e.v.k === m.v.k && e.v.id < m.v.id) ? e : m));
      assert.equal(heap.pop(), min.v);
      live.splice(live.indexOf(min), 1);
    } else if (op === 2) {
      const e = live.splice(rng.int(live.length), 1)[0]!;
      assert.equal(heap.remove(e.h), true);
    } else {
      const e = live[rng.int(live.length)]!;
      e.v = { k: rng.int(50), id: e.v.id };
      assert.equal(heap.update(e.h, e.v), true);
    }
    assert.equal(heap.size, live.length);
  }
  heap.clear();
  assert.equal(heap.size, 0);
  assert.equal(live.length === 0 || !heap.has(live[0]!.h), true);
});
