// KV tombstone GC on simulated time: the leader's collector bins deletes by expiry (15 min TTL, 30 s
// bins), reaps through a replicated entry that every server applies alike, and list indexes never go
// backwards after a reap.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Scheduler } from './scheduler.js';
import { TombstoneGC, TOMBSTONE_TTL_MS } from '../../src/state/tombstone-gc.js';
import { encodeCommand, FSM, MessageTypes, StateStore, type KvRequest } from '../../src/fsm/fsm.js';
import { restoreState, snapshotState } from '../../src/fsm/snapshot.js';

test('hints are binned by expiry rounded up to 30 s, and each bin expires its highest index once', () => {
  const sched = new Scheduler();
  const expired: Array<[number, number]> = [];
  const gc = new TombstoneGC({ clock: sched.clock(), timers: sched.timers() }, (i) =>
    expired.push([sched.now(), i]),
  );
  gc.hint(4); // disabled (not the leader): ignored
  gc.setEnabled(true);
  sched.runUntil(1_000);
  gc.hint(5);
  sched.runUntil(20_000);
  gc.hint(9);
  gc.hint(7);
  sched.runUntil(31_000);
  gc.hint(12); // expires at 31 s + 15 min, rounded up to 15 min 60 s
  sched.runUntil(TOMBSTONE_TTL_MS + 29_999);
  assert.deepEqual(expired, []); // nothing before its TTL
  sched.runUntil(TOMBSTONE_TTL_MS + 30_000);
  assert.deepEqual(expired, [[TOMBSTONE_TTL_MS + 30_000, 9]]);
  sched.runUntil(TOMBSTONE_TTL_MS + 60_000);
  assert.deepEqual(expired.at(-1), [TOMBSTONE_TTL_MS + 60_000, 12]);
  // Losing leadership forgets what is pending.
  gc.hint(20);
  assert.equal(gc.pending, true);
  gc.setEnabled(false);
  assert.equal(gc.pending, false);
  sched.runUntil(3 * TOMBSTONE_TTL_MS);
  assert.equal(expired.length, 2);
});

const kvCmd = (Op: KvRequest['Op'], Key: string): Uint8Array =>
  encodeCommand(MessageTypes.KVS, {
    Op,
    Key,
    Value: Op === 'set' ? 'eA==' : null,
    Flags: '0',
    ModifyIndex: 0,
  });

test('the leader reaps through a Raft entry: every server drops the same tombstones, list indexes hold', () => {
  const sched = new Scheduler();
  const leader = new StateStore();
  const follower = new StateStore();
  const fsms = [new FSM(leader), new FSM(follower)];
  // The replicated log: each entry is applied on both servers at the same index.
  let index = 0;
  const commit = (data: Uint8Array) => {
    index++;
    for (const f of fsms) f.apply(index, data);
  };
  const gc = new TombstoneGC({ clock: sched.clock(), timers: sched.timers() }, (reapIndex) =>
    commit(encodeCommand(MessageTypes.Tombstone, { Op: 'reap', ReapIndex: reapIndex })),
  );
  leader.kv.onTombstone = (i) => gc.hint(i);
  // The follower's collector is off (not the leader): its hints never expire anything.
  const idle = new TombstoneGC({ clock: sched.clock(), timers: sched.timers() }, () =>
    assert.fail('only the leader reaps'),
  );
  follower.kv.onTombstone = (i) => idle.hint(i);
  gc.setEnabled(true);

  commit(kvCmd('set', 'app/a')); // 1
  commit(kvCmd('set', 'app/b')); // 2
  commit(kvCmd('set', 'app/c')); // 3
  commit(kvCmd('delete', 'app/c')); // 4: a tombstone at 4, app/ lists at 4
  sched.runUntil(10 * 60_000);
  commit(kvCmd('delete', 'app/b')); // 5, deleted 10 minutes later
  commit(kvCmd('set', 'other/x')); // 6
  const before = leader.kv.list('app/').index;
  assert.equal(before, 5);

  // After the first tombstone's TTL: only it is reaped, on both servers alike.
  sched.runUntil(TOMBSTONE_TTL_MS + 30_000);
  assert.equal(index, 7); // the reap entry
  for (const s of [leader, follower]) {
    assert.deepEqual(
      s.kv.dump().tombstones.map(([k]) => k),
      ['app/b'],
    );
    assert.equal(s.kv.list('app/').index, 5);
  }

  // After the second: none left, and the list index of app/ does not fall back to app/a's 1.
  sched.runUntil(10 * 60_000 + TOMBSTONE_TTL_MS + 30_000);
  assert.equal(index, 8);
  for (const s of [leader, follower]) {
    assert.equal(s.kv.tombstoneCount, 0);
    assert.equal(s.kv.list('app/').index, 5);
    assert.equal(s.kv.list('app/c').index, 6); // nothing under it: the table index, as Consul's
    assert.deepEqual(
      s.kv.list('app/').entries.map((e) => e.Key),
      ['app/a'],
    );
  }
  // A snapshot carries what was reaped, so a restored server's lists agree.
  const restored = new StateStore();
  assert.equal(restoreState(restored, snapshotState(follower, index)), index);
  assert.equal(restored.kv.list('app/').index, 5);
  assert.deepEqual(restored.kv.dump(), follower.kv.dump());
});

test('a reap entry with another op is refused loudly, as Consul', () => {
  const f = new FSM(new StateStore());
  assert.throws(
    () => f.apply(1, encodeCommand(MessageTypes.Tombstone, { Op: 'nope', ReapIndex: 1 })),
    /Invalid Tombstone operation 'nope'/,
  );
});
