// The FSM's sessions, locks and transactions applied as Raft entries, and the state stream that
// snapshots carry: a failed transaction leaves the store byte-for-byte as it was, and a snapshot
// restores into an identical store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeCommand, FSM, MessageTypes, StateStore } from '../../../src/fsm/fsm.js';
import { restoreState, snapshotState } from '../../../src/fsm/snapshot.js';
import type { Session } from '../../../src/state/sessions.js';
import type { TxnOutcome } from '../../../src/fsm/txn.js';
import { CATALOG_WATCH } from '../../../src/state/catalog.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

function setup() {
  let now = 1_000_000;
  const state = new StateStore();
  const fsm = new FSM(state, () => now);
  let idx = 0;
  const apply = (type: number, body: unknown) => fsm.apply(++idx, encodeCommand(type, body));
  const register = (status: string) =>
    apply(MessageTypes.Register, {
      Node: 'n1',
      Address: '10.0.0.1',
      Checks: [
        { CheckID: 'serfHealth', Name: 'Serf Health Status', Status: 'passing' },
        { CheckID: 'disk', Name: 'disk', Status: status },
      ],
    });
  register('passing');
  const session = (id: string, extra: Partial<Session> = {}): unknown =>
    apply(MessageTypes.Session, {
      Op: 'create',
      Session: {
        ID: id,
        Name: '',
        Node: 'n1',
        LockDelay: 5e9,
        Behavior: 'release',
        TTL: '',
        NodeChecks: ['serfHealth'],
        ServiceChecks: null,
        CreateIndex: 0,
        ModifyIndex: 0,
        ...extra,
      },
    });
  const kv = (Op: string, Key: string, Session?: string, Value = 'v') =>
    apply(MessageTypes.KVS, { Op, Key, Value: b64(Value), Flags: '0', ModifyIndex: 0, Session });
  return { state, apply, register, session, kv, advance: (ms: number) => (now += ms), now: () => now };
}

test('session creation checks the node and its checks', () => {
  const { session, register } = setup();
  assert.equal(session('s1'), 's1');
  assert.equal((session('s2', { Node: 'ghost' }) as Error).message, 'Missing node registration');
  assert.equal(
    (session('s3', { NodeChecks: ['nope'] }) as Error).message,
    "Missing check 'nope' registration",
  );
  register('critical');
  assert.equal(
    (session('s4', { NodeChecks: ['disk'] }) as Error).message,
    "Check 'disk' is in critical state",
  );
});

test('locks follow the session: acquire, contention, invalidation releases with lock-delay or deletes', () => {
  const { state, session, kv, register, apply, advance, now } = setup();
  session('a', { NodeChecks: ['serfHealth', 'disk'] });
  session('b', { Behavior: 'delete', LockDelay: 0 });
  assert.equal(kv('lock', 'k1', 'a'), true);
  assert.equal(kv('lock', 'k1', 'b'), false);
  assert.equal(kv('lock', 'k2', 'b'), true);
  assert.equal((kv('lock', 'k3', 'zzz') as Error).message, 'invalid session "zzz"');
  assert.equal(state.kv.get('k1').entry?.LockIndex, 1);
  // The disk check failing invalidates "a": k1 is released and under 5 s of lock-delay.
  register('critical');
  assert.equal(state.sessions.get('a'), undefined);
  const k1 = state.kv.get('k1').entry!;
  assert.equal(k1.Session, '');
  assert.equal(k1.LockIndex, 1);
  assert.equal(state.sessions.lockDelay('k1', now()), now() + 5000);
  advance(5001);
  assert.equal(state.sessions.lockDelay('k1', now()), 0);
  // Deregistering the node takes "b" with it, and "b" deletes what it held.
  apply(MessageTypes.Deregister, { Node: 'n1' });
  assert.equal(state.sessions.get('b'), undefined);
  assert.equal(state.kv.get('k2').entry, null);
});

test('a failed transaction changes nothing; a good one applies every op in order', () => {
  const { state, apply, kv } = setup();
  kv('set', 'x', undefined, 'old');
  const before = snapshotState(state, 0);
  const kvIndex = state.kv.index;
  const bad = apply(MessageTypes.Txn, [
    { KV: { Verb: 'set', Key: 'x', Value: b64('new'), Flags: '0', Index: 0, Session: '' } },
    { KV: { Verb: 'delete-tree', Key: '', Value: null, Flags: '0', Index: 0, Session: '' } },
    { Node: { Verb: 'set', Node: { Node: 'n9', Address: '10.9.9.9' } } },
    { KV: { Verb: 'check-index', Key: 'x', Value: null, Flags: '0', Index: 0, Session: '' } },
  ]) as TxnOutcome;
  // Later ops see earlier ones: the delete-tree removed x.
  assert.deepEqual(bad.Errors, [{ OpIndex: 3, What: 'failed to check index, key "x" doesn\'t exist' }]);
  assert.deepEqual(snapshotState(state, 0), before);
  assert.equal(state.kv.index, kvIndex);
  const good = apply(MessageTypes.Txn, [
    { KV: { Verb: 'cas', Key: 'y', Value: b64('1'), Flags: '0', Index: 0, Session: '' } },
    { KV: { Verb: 'check-index', Key: 'y', Value: null, Flags: '0', Index: 0, Session: '' } },
  ]) as TxnOutcome;
  assert.equal(
    good.Errors?.[0]?.What,
    // Entry 4 (after the registration, the set and the failed txn) wrote y before checking it.
    'failed index check for key "y", current modify index 4 != 0',
  );
  const ok = apply(MessageTypes.Txn, [
    { KV: { Verb: 'cas', Key: 'y', Value: b64('1'), Flags: '0', Index: 0, Session: '' } },
    { KV: { Verb: 'get', Key: 'y', Value: null, Flags: '0', Index: 0, Session: '' } },
  ]) as TxnOutcome;
  assert.equal(ok.Errors, null);
  assert.equal(Buffer.from((ok.Results![1] as { KV: { Value: Uint8Array } }).KV.Value).toString(), '1');
});

test('catalog watchers wake only once a transaction commits, never for one rolled back', () => {
  const { state, apply } = setup();
  let woken = 0;
  const watch = () => state.catalog.watches.add({ key: CATALOG_WATCH, prefix: true, wake: () => woken++ });
  const unwatch = watch();
  const rolledBack = apply(MessageTypes.Txn, [
    { Node: { Verb: 'set', Node: { Node: 'ghost', Address: '10.9.9.9' } } },
    { KV: { Verb: 'get', Key: 'missing', Value: null, Flags: '0', Index: 0, Session: '' } },
  ]) as TxnOutcome;
  assert.ok(rolledBack.Errors);
  assert.equal(woken, 0, 'a watcher woke for a transaction that was rolled back');
  assert.equal(state.catalog.node('ghost'), null);
  const committed = apply(MessageTypes.Txn, [
    { Node: { Verb: 'set', Node: { Node: 'n2', Address: '10.0.0.2' } } },
    { Node: { Verb: 'set', Node: { Node: 'n3', Address: '10.0.0.3' } } },
  ]) as TxnOutcome;
  assert.equal(committed.Errors, null);
  assert.equal(woken, 1, 'woken once, at commit');
  unwatch();
});

test('a transaction that removes a node or check, or turns a check critical, invalidates its sessions', () => {
  const { state, apply, session } = setup();
  session('by-node');
  session('by-check', { NodeChecks: ['disk'] });
  session('by-delete', { NodeChecks: ['serfHealth'] });
  const check = (Verb: string, Status = 'passing') => ({
    Check: { Verb, Check: { Node: 'n1', CheckID: 'disk', Name: 'disk', Status } },
  });
  assert.equal((apply(MessageTypes.Txn, [check('set', 'critical')]) as TxnOutcome).Errors, null);
  assert.equal(state.sessions.get('by-check'), undefined);
  assert.ok(state.sessions.get('by-node'));
  // A failed transaction invalidates nothing.
  const failed = apply(MessageTypes.Txn, [
    { Node: { Verb: 'delete', Node: { Node: 'n1' } } },
    { KV: { Verb: 'get', Key: 'missing', Value: null, Flags: '0', Index: 0, Session: '' } },
  ]) as TxnOutcome;
  assert.ok(failed.Errors);
  assert.ok(state.sessions.get('by-node'));
  assert.equal(
    (apply(MessageTypes.Txn, [{ Node: { Verb: 'delete', Node: { Node: 'n1' } } }]) as TxnOutcome).Errors,
    null,
  );
  assert.equal(state.sessions.get('by-node'), undefined);
  assert.equal(state.sessions.get('by-delete'), undefined);
});

test('the state stream round-trips the whole store', () => {
  const { state, session, kv, apply } = setup();
  session('s1');
  kv('lock', 'held', 's1');
  kv('set', 'gone');
  kv('delete', 'gone');
  apply(MessageTypes.KVS, {
    Op: 'set',
    Key: 'big',
    Value: b64('x'),
    Flags: '18446744073709551615',
    ModifyIndex: 0,
  });
  apply(MessageTypes.CoordinateBatchUpdate, [
    { Node: 'n1', Coord: { Vec: [0.1, 0.2], Error: 1.5, Adjustment: 0, Height: 1e-5 } },
  ]);
  const data = snapshotState(state, 42);
  const copy = new StateStore();
  assert.equal(restoreState(copy, data), 42);
  assert.deepEqual(snapshotState(copy, 42), data);
  assert.equal(copy.kv.get('big').entry?.Flags, 2n ** 64n - 1n);
  assert.equal(copy.kv.get('held').entry?.Session, 's1');
  assert.equal(copy.sessions.get('s1')?.Node, 'n1');
  assert.ok(copy.kv.list('gone').index >= copy.kv.get('held').entry!.ModifyIndex, 'tombstone index kept');
  assert.ok(restoreState(new StateStore(), new TextEncoder().encode('{"Version":9}\n')) instanceof Error);
});
