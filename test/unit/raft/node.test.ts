import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SeededRng } from '../../../src/lib/prng.js';
import { EntryType, type Entry, type Envelope } from '../../../src/raft/core/messages.js';
import { NotLeaderError } from '../../../src/raft/core/raft-core.js';
import { RaftNode } from '../../../src/raft/node.js';
import { MemRaftStorage, type RaftStorage } from '../../../src/raft/storage.js';
import { open } from 'lmdb';
import { LmdbRaftStorage } from '../../../src/platform/node/raft-lmdb.js';
import { LogHub } from '../../../src/runtime/log.js';
import { Scheduler } from '../../sim/scheduler.js';
import type { Metrics } from '../../../src/runtime/metrics.js';
import type { Clock } from '../../../src/runtime/clock.js';
import { MetricsRegistry } from '../../../src/runtime/metrics-registry.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
const flush = () => new Promise<void>((r) => setImmediate(r));

async function runFor(sched: Scheduler, ms: number): Promise<void> {
  const end = sched.now() + ms;
  for (;;) {
    await flush();
    const before = sched.pending;
    if (before === 0) break;
    sched.runUntil(Math.min(end, sched.now() + 1));
    if (sched.now() >= end) break;
  }
  await flush();
}

/** Advances virtual time until the promise settles (or `maxMs` passes). */
async function settle<T>(sched: Scheduler, p: Promise<T>, maxMs = 2000): Promise<T> {
  let done = false;
  const watched = p.finally(() => (done = true));
  watched.catch(() => {}); // the caller sees the rejection; do not report it as unhandled meanwhile
  const end = sched.now() + maxMs;
  while (!done && sched.now() < end) {
    sched.runUntil(sched.now() + 1);
    await flush();
  }
  return watched;
}

function cluster(n: number, storages: RaftStorage[] = [], metrics?: (id: string, clock: Clock) => Metrics) {
  const sched = new Scheduler();
  const ids = Array.from({ length: n }, (_, i) => `s${i + 1}`);
  const down = new Set<string>();
  const fsm = new Map<string, string[]>();
  const nodes = new Map<string, RaftNode>();
  const hub = new LogHub(sched.clock(), 'error');
  ids.forEach((id, i) => {
    fsm.set(id, []);
    const node = new RaftNode(
      id,
      ids,
      { heartbeatTimeoutMs: 50, electionTimeoutMs: 50, leaderLeaseTimeoutMs: 25, maxAppendEntries: 16 },
      {
        clock: sched.clock(),
        timers: sched.timers(),
        rng: new SeededRng(i + 1),
        storage: storages[i] ?? new MemRaftStorage(),
        send: (env: Envelope) => {
          if (down.has(env.from) || down.has(env.to)) return;
          sched.after(2, () => nodes.get(env.to)!.step(env));
        },
        apply: (e: Entry) => {
          const v = dec.decode(e.data);
          fsm.get(id)!.push(v);
          return `applied ${v} at ${e.index}`;
        },
        logger: hub.logger('raft'),
        metrics: metrics?.(id, sched.clock()),
      },
    );
    nodes.set(id, node);
  });
  const leader = () => [...nodes.values()].find((x) => !down.has(x.id) && x.core.role === 'leader');
  return { sched, nodes, fsm, down, leader };
}

test('a 3-server group elects a leader, commits proposals everywhere, and answers with the FSM result', async () => {
  const c = cluster(3);
  await runFor(c.sched, 1000);
  const l = c.leader();
  assert.ok(l, 'no leader');
  const results = await settle(
    c.sched,
    Promise.all(['a', 'b', 'c'].map((v) => l.propose(enc.encode(v)).then((r) => r as string))),
  );
  assert.deepEqual(results, ['applied a at 2', 'applied b at 3', 'applied c at 4']); // index 1 is the leader's no-op
  await runFor(c.sched, 300);
  for (const [, log] of c.fsm) assert.deepEqual(log, ['a', 'b', 'c']);
  const follower = [...c.nodes.values()].find((x) => x !== l)!;
  await assert.rejects(settle(c.sched, follower.propose(enc.encode('x'))), NotLeaderError);
});

test('each node records hashicorp/raft metrics in its own registry: apply, commitTime, fsm.apply, state', async () => {
  const regs = new Map<string, MetricsRegistry>();
  const c = cluster(3, [], (id, clock) => {
    const r = new MetricsRegistry({
      clock,
      prefix: 'consul',
      hostname: null,
      filterDefault: true,
      allowedPrefixes: [],
      blockedPrefixes: [],
      prometheusRetentionMs: 0,
    });
    regs.set(id, r);
    return r;
  });
  await runFor(c.sched, 1000);
  const l = c.leader()!;
  await settle(c.sched, Promise.all(['a', 'b', 'c'].map((v) => l.propose(enc.encode(v)))));
  await runFor(c.sched, 300);
  const count = (id: string, kind: 'Counters' | 'Samples', name: string) => {
    const summary = regs.get(id)!.summary();
    return summary[kind].find((x) => x.Name === name)?.Count ?? 0;
  };
  assert.equal(count(l.id, 'Counters', 'consul.raft.apply'), 3);
  assert.equal(count(l.id, 'Samples', 'consul.raft.commitTime'), 3);
  assert.equal(count(l.id, 'Counters', 'consul.raft.state.leader'), 1);
  assert.ok(count(l.id, 'Counters', 'consul.raft.state.candidate') >= 1);
  for (const id of regs.keys()) {
    assert.equal(count(id, 'Samples', 'consul.raft.fsm.apply'), 3, id);
    if (id !== l.id) assert.equal(count(id, 'Counters', 'consul.raft.apply'), 0, id);
  }
});

test('when the leader is cut off, the others elect a new one and keep committing', async () => {
  const c = cluster(3);
  await runFor(c.sched, 1000);
  const old = c.leader()!;
  await settle(c.sched, old.propose(enc.encode('before')));
  c.down.add(old.id);
  await runFor(c.sched, 1000);
  const next = c.leader();
  assert.ok(next && next !== old, 'no new leader');
  assert.ok(next.core.term > old.core.term || old.core.role !== 'leader');
  const idx = next.core.lastIndex + 1;
  assert.equal(await settle(c.sched, next.propose(enc.encode('after'))), `applied after at ${idx}`);
});

test('lmdb storage keeps term, vote and log across reopen; conflicting suffixes are dropped', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'raft-'));
  try {
    const s1 = new LmdbRaftStorage(path.join(dir, 'raft'));
    assert.deepEqual(s1.load(), { hard: { term: 0, vote: '' }, entries: [] });
    const e = (index: number, term: number, v: string) => ({
      index,
      term,
      type: EntryType.Command,
      data: enc.encode(v),
    });
    await s1.persist({
      hard: { term: 2, vote: 's2' },
      truncateAfter: null,
      compactTo: null,
      entries: [e(1, 1, 'a'), e(2, 1, 'b'), e(3, 2, 'c')],
    });
    await s1.persist({ hard: null, truncateAfter: 1, compactTo: null, entries: [e(2, 3, 'B')] });
    await s1.close();
    const s2 = new LmdbRaftStorage(path.join(dir, 'raft'));
    const d = s2.load();
    assert.deepEqual(d.hard, { term: 2, vote: 's2' });
    assert.deepEqual(
      d.entries.map((x) => [x.index, x.term, dec.decode(x.data)]),
      [
        [1, 1, 'a'],
        [2, 3, 'B'],
      ],
    );
    await s2.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('lmdb storage: compaction drops a prefix, an emptied log restarts where the snapshot ends', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'raft-'));
  const e = (index: number, term: number) => ({
    index,
    term,
    type: EntryType.Command,
    data: enc.encode(`v${index}`),
  });
  const indexes = (d: { entries: readonly { index: number }[] }) => d.entries.map((x) => x.index);
  try {
    const s1 = new LmdbRaftStorage(path.join(dir, 'raft'));
    s1.load();
    await s1.persist({
      hard: null,
      truncateAfter: null,
      compactTo: null,
      entries: [1, 2, 3, 4, 5].map((i) => e(i, 1)),
    });
    await s1.persist({ hard: null, truncateAfter: null, compactTo: 3, entries: [e(6, 1)] });
    await s1.close();
    const s2 = new LmdbRaftStorage(path.join(dir, 'raft'));
    assert.deepEqual(indexes(s2.load()), [4, 5, 6]);
    // A snapshot install at 10 empties the log; the next entries start at 11.
    await s2.persist({ hard: null, truncateAfter: 0, compactTo: 10, entries: [] });
    await s2.persist({ hard: null, truncateAfter: null, compactTo: null, entries: [e(11, 2), e(12, 2)] });
    await s2.close();
    const s3 = new LmdbRaftStorage(path.join(dir, 'raft'));
    assert.deepEqual(indexes(s3.load()), [11, 12]);
    await s3.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('lmdb storage: a damaged entry past the commit index drops the tail; inside the committed prefix it refuses to start', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'raft-'));
  const e = (index: number) => ({ index, term: 1, type: EntryType.Command, data: enc.encode(`v${index}`) });
  const damage = async (index: number) => {
    const db = open({ path: path.join(dir, 'raft', 'raft.db'), compression: false });
    const logs = db.openDB<{ term: number; type: number; data: Uint8Array; crc: number }, number>({
      name: 'logs',
    });
    const v = logs.get(index)!;
    await logs.put(index, { ...v, data: enc.encode('bit rot') });
    await db.close();
  };
  try {
    const s1 = new LmdbRaftStorage(path.join(dir, 'raft'));
    s1.load();
    await s1.persist({
      hard: null,
      truncateAfter: null,
      compactTo: null,
      commit: 2,
      entries: [1, 2, 3, 4, 5].map(e),
    });
    await s1.close();
    await damage(4);
    const s2 = new LmdbRaftStorage(path.join(dir, 'raft'));
    assert.deepEqual(
      s2.load().entries.map((x) => x.index),
      [1, 2, 3],
    );
    assert.deepEqual(s2.loadNotes(), [
      'raft log: dropped entries 4..5 after a damaged entry past the commit index 2',
    ]);
    await s2.close();
    // The drop is durable: a second start finds a clean log.
    const s3 = new LmdbRaftStorage(path.join(dir, 'raft'));
    assert.deepEqual(
      s3.load().entries.map((x) => x.index),
      [1, 2, 3],
    );
    assert.deepEqual(s3.loadNotes(), []);
    await s3.close();
    await damage(2);
    const s4 = new LmdbRaftStorage(path.join(dir, 'raft'));
    assert.throws(
      () => s4.load(),
      /^Error: raft log entry 2 is damaged \(checksum mismatch\) inside the committed prefix \(commit index 2\); refusing to start/,
    );
    await s4.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a RaftNode on lmdb restarts with its log and keeps serving', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'raft-'));
  try {
    const c1 = cluster(1, [new LmdbRaftStorage(dir)]);
    await runFor(c1.sched, 500);
    const l = c1.leader()!;
    for (const v of ['x', 'y']) await settle(c1.sched, l.propose(enc.encode(v)));
    await l.stop();
    const c2 = cluster(1, [new LmdbRaftStorage(dir)]);
    await runFor(c2.sched, 500);
    const l2 = c2.leader()!;
    assert.ok(l2.core.term > 1, 'a restarted server starts a new term');
    await settle(c2.sched, l2.propose(enc.encode('z')));
    assert.deepEqual(c2.fsm.get('s1'), ['x', 'y', 'z']); // replayed from its own log, then the new write
    await l2.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
