// A Raft snapshot of the store is captured when it is asked for and written out in slices: the bytes
// equal the all-at-once stream of that moment, writes made while it is written out do not leak in,
// and the writing-out pauses (lets timers and requests run) every so many records.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StateStore } from '../../../src/fsm/fsm.js';
import { restoreState, snapshotState, snapshotStateSliced } from '../../../src/fsm/snapshot.js';

test('a sliced snapshot is the state at the call, whatever is written while it is serialized', async () => {
  const s = new StateStore('dc1');
  const v = new TextEncoder().encode('value');
  for (let i = 1; i <= 5000; i++) s.kv.set(i, `k/${i}`, v, BigInt(i));
  const expected = snapshotState(s, 5000);
  let pauses = 0;
  const sliced = snapshotStateSliced(s, 5000, async () => {
    pauses++;
    // The state machine goes on between slices: changed, added and deleted keys.
    s.kv.set(5000 + pauses, `k/${pauses}`, new TextEncoder().encode('changed'), 0n);
    s.kv.set(6000 + pauses, `new/${pauses}`, v, 0n);
    s.kv.delete(7000 + pauses, `k/${4000 + pauses}`);
  });
  const got = await sliced;
  assert.ok(pauses >= 4, `paused ${pauses} times`);
  assert.deepEqual(got, expected);
  // And it restores to exactly the captured store.
  const t = new StateStore('dc1');
  assert.equal(restoreState(t, got), 5000);
  assert.equal(t.kv.get('k/1').entry?.Value?.length, v.length);
  assert.equal(t.kv.get('new/1').entry, null);
  assert.notEqual(t.kv.get('k/4001').entry, null);
});
