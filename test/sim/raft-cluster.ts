// A Raft cluster on the simulator: N RaftCores driven as src/raft/node.ts drives one (a Ready's
// committed entries, durable already, are applied; its writes are persisted, and only once durable are
// its messages sent and advance() called),
// over a disk whose writes take seeded time and which a crash cuts short (the write in flight is lost or
// torn: a prefix of it survives), a faulty network, leadership transfers, membership changes (a server
// removed, then added back) and a client proposing writes. Invariants are checked after every event:
// one leader per term, terms and votes never regress, Log Matching, every server applies a prefix of
// one committed sequence (committed entries never change), and no acknowledged write is lost.

import { SeededRng } from '../../src/lib/prng.js';
import type { Entry, Envelope, ServerId, SnapshotMeta } from '../../src/raft/core/messages.js';
import { EntryType } from '../../src/raft/core/messages.js';
import {
  RaftCore,
  type ConfigServer,
  type HardState,
  type RaftTimings,
  type Ready,
} from '../../src/raft/core/raft-core.js';
import { checkLinearizable, type Op } from './linearizability.js';
import { Scheduler } from './scheduler.js';

export interface Faults {
  loss: number;
  duplicate: number;
  /** Max extra delivery delay (reordering comes from it). */
  jitterMs: number;
  /** Mean ms between partition changes (0 = never). */
  partitionEveryMs: number;
  /** Mean ms between crash-restarts of a random server (0 = never). */
  crashEveryMs: number;
  /** Mean ms between leadership transfers to a random voter (0 = never). */
  transferEveryMs?: number;
  /** Mean ms between membership changes: remove a random server, next time add it back (0 = never). */
  reconfigEveryMs?: number;
}

export const NO_FAULTS: Faults = { loss: 0, duplicate: 0, jitterMs: 0, partitionEveryMs: 0, crashEveryMs: 0 };

/** Chance that a crash tears the write in flight (a prefix of it survives) rather than losing it whole. */
const TEAR_PROBABILITY = 0.5;

export interface ClusterOptions {
  seed: number;
  servers: number;
  faults: Faults;
  /** Planted bug for checker tests: send acknowledgements before the log write is durable. */
  ackBeforePersist?: boolean;
  /** Planted bug for checker tests: a restart reads its last stored command back garbled (index and term intact). */
  corruptOnRestart?: boolean;
  /** Planted bug for checker tests: answer reads from whoever believes it leads, without the log. */
  localReads?: boolean;
  timings?: RaftTimings;
  /** Take a snapshot (and compact the log) once this many entries were applied since the last one. */
  snapshotThreshold?: number;
  /** Entries kept before a snapshot's index when compacting (hashicorp's TrailingLogs). */
  trailingLogs?: number;
  /**
   * Membership changes may remove the leader itself. Off by default: the core's tick() does nothing on
   * a server outside its latest configuration, so a leader whose self-removal cannot commit never checks
   * its lease and leads forever, and a removed follower never forgets its leader (stickiness) and refuses
   * every vote; see the todo test in raft.test.ts.
   */
  removeLeader?: boolean;
  /**
   * Drive as src/raft/node.ts does today: send the Ready's `messages` array as it is once the write is
   * durable. The core hands out its own array and keeps appending to it while the write is in flight,
   * so messages that depend on state this write does not hold (a vote, an acknowledged append) leave early.
   */
  aliasedMessages?: boolean;
  /** Longest a storage write takes to become durable (default 4 ms; each write draws 0.2 ms up to it). */
  diskLatencyMs?: number;
}

export class InvariantViolation extends Error {
  override name = 'InvariantViolation';
}

/** One storage write (a Ready's durable part), applied in this order: a torn write keeps a prefix. */
interface DiskWrite {
  hard: HardState | null;
  snapshot: { meta: SnapshotMeta; data: Uint8Array } | null;
  truncateAfter: number | null;
  compactTo: number | null;
  entries: Entry[];
  /** Runs once the write is durable (the driver's `await persist`); never after a crash. */
  done?: () => void;
}

interface Server {
  id: ServerId;
  core: RaftCore;
  up: boolean;
  /** Bumped by a crash, so disk completions of the dead process never run. */
  incarnation: number;
  durable: { hard: HardState; entries: Entry[]; snapshot: { meta: SnapshotMeta; data: Uint8Array } | null };
  /** Writes issued but not yet durable, in order; the head is the one the disk is working on. */
  disk: DiskWrite[];
  /** A Ready is being persisted: the driver takes no other until it is done (node.ts's pump). */
  persisting: boolean;
  /** The (index, term) pairs of this server's current log registered for the Log Matching check. */
  shadow: Array<{ index: number; term: number }>;
  applied: Entry[];
  /** The replica's state machine: a tiny KV store. */
  kv: Map<string, string>;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

export class RaftCluster {
  readonly sched = new Scheduler();
  readonly rng: SeededRng;
  readonly servers: Server[];
  private readonly timings: RaftTimings;
  private blocked = new Set<string>();
  /** term → the one server that led it. */
  private readonly leaders = new Map<number, ServerId>();
  /** The committed sequence every server's applied log must be a prefix of. */
  readonly chain: Entry[] = [];
  readonly acked = new Set<string>();
  private readonly proposals = new Map<string, { server: ServerId; index: number; term: number; op: Op }>();
  /** Every client operation, for the linearizability check. */
  readonly history: Op[] = [];
  private writeSeq = 0;
  private chaos = true;
  events = 0;
  /** What ran, so tests can show each path was exercised. */
  readonly stats = {
    installed: 0,
    /** Crashes that cut a write short, and how many of those kept part of it. */
    lostWrites: 0,
    tornWrites: 0,
    transfers: 0,
    /** Transfers after which the target led the next term. */
    transfersDone: 0,
    /** Membership changes the leader accepted, and those that committed. */
    configChanges: 0,
    configsCommitted: 0,
  };
  /** The last transfer asked for, to tell whether it took effect. */
  private transfer: { to: ServerId; term: number } | null = null;
  /** (index/term) → the entry every log holding that pair must have, and the term before it. */
  private readonly logPairs = new Map<string, { data: string; prevTerm: number; holders: number }>();

  constructor(private readonly opts: ClusterOptions) {
    this.rng = new SeededRng(opts.seed);
    this.timings = opts.timings ?? {
      heartbeatTimeoutMs: 50,
      electionTimeoutMs: 50,
      leaderLeaseTimeoutMs: 25,
      maxAppendEntries: 16,
    };
    const ids = Array.from({ length: opts.servers }, (_, i) => `s${i + 1}`);
    this.servers = ids.map((id) => ({
      id,
      core: this.newCore(id, ids, undefined),
      up: true,
      durable: { hard: { term: 0, vote: '' }, entries: [], snapshot: null },
      incarnation: 0,
      disk: [],
      persisting: false,
      shadow: [],
      applied: [],
      kv: new Map(),
    }));
  }

  private newCore(id: ServerId, ids: ServerId[], durable: Server['durable'] | undefined): RaftCore {
    return new RaftCore(
      {
        id,
        voters: ids,
        timings: this.timings,
        rng: this.rng.fork(`${id}:${this.sched.now()}`),
        nowMs: this.sched.now(),
      },
      durable && { hard: durable.hard, snapshot: durable.snapshot?.meta ?? null, entries: durable.entries },
    );
  }

  /** The replica's state machine as snapshot bytes: the applied sequence (so the checks still see it) and the KV. */
  private fsmSnapshot(s: Server): Uint8Array {
    return enc.encode(
      JSON.stringify({
        applied: s.applied.map((e) => [e.term, dec.decode(e.data)]),
        kv: [...s.kv],
      }),
    );
  }

  private fsmRestore(s: Server, data: Uint8Array): void {
    const o = JSON.parse(dec.decode(data)) as {
      applied: Array<[number, string]>;
      kv: Array<[string, string]>;
    };
    s.applied = o.applied.map(([term, text], i) => ({ index: i + 1, term, type: 0, data: enc.encode(text) }));
    s.kv = new Map(o.kv);
    // A snapshot holds only committed entries: they must be a prefix of the one committed sequence.
    s.applied.forEach((e, i) => {
      const c = this.chain[i];
      if (c && (c.term !== e.term || dec.decode(c.data) !== dec.decode(e.data)))
        throw new InvariantViolation(
          `${s.id} restored a snapshot whose entry ${i + 1} differs from the committed one`,
        );
      if (!c) this.chain.push({ ...e });
    });
  }

  /** Saves a snapshot of the FSM (durably, atomically) and lets the core compact its log. */
  private maybeSnapshot(s: Server): void {
    const threshold = this.opts.snapshotThreshold;
    if (!threshold || s.applied.length - s.core.snapshotMeta.index < threshold) return;
    const index = s.applied.length;
    const meta: SnapshotMeta = {
      index,
      term: s.applied[index - 1]!.term,
      configuration: s.core.configurationAt(index),
    };
    s.durable.snapshot = { meta, data: this.fsmSnapshot(s) };
    s.core.compact(index, this.opts.trailingLogs ?? 0);
  }

  private get ids(): ServerId[] {
    return this.servers.map((s) => s.id);
  }

  private server(id: ServerId): Server {
    return this.servers.find((s) => s.id === id)!;
  }

  /**
   * The host side of Readies, as src/raft/node.ts does it: apply the committed entries (durable already),
   * persist, and only once that is durable send the messages and advance(); no other Ready is taken meanwhile, though
   * the core keeps being stepped and ticked. With the planted bug, the write is issued and everything
   * else goes ahead at once.
   */
  private pump(s: Server): void {
    while (s.up && !s.persisting && s.core.hasReady()) {
      const rd = s.core.ready();
      // The messages of this Ready only: the core's array keeps growing as it is stepped while the write is
      // in flight, and what it appends then may depend on state this write does not persist.
      const messages = this.opts.aliasedMessages ? rd.messages : rd.messages.slice();
      const { data, ...meta } = rd.snapshot ?? {};
      if (rd.snapshot && !data) throw new InvariantViolation(`${s.id} got a snapshot without data`);
      const w: DiskWrite = {
        hard: rd.hard && { ...rd.hard },
        snapshot: rd.snapshot && { meta: meta as SnapshotMeta, data: data! },
        truncateAfter: rd.truncateAfter,
        compactTo: rd.compactTo,
        entries: rd.entries.map((e) => ({ ...e })),
      };
      // As node.ts: a leader's AppendEntries leave before its own write is durable (the core counts
      // the leader's entries only once advance() reports them stored); everything else waits.
      const early = rd.hard === null ? messages.filter((m) => m.msg.type === 'append') : [];
      for (const m of early) {
        const env = this.withSnapshotData(s, m);
        if (env) this.deliver(env);
      }
      // As node.ts: committed entries are durable already and are applied before the write (after a
      // snapshot this Ready installs, which node.ts awaits first and this disk writes with the rest).
      const applyNow = !w.snapshot;
      if (applyNow) {
        for (const e of rd.committed) this.apply(s, e);
        const last = rd.committed.at(-1);
        if (last) s.core.appliedTo(last.index);
      }
      const finish = () => this.finish(s, rd, messages, early, applyNow);
      if (this.opts.ackBeforePersist) {
        // The bug: a snapshot is installed at once, but log and hard state land later; everything is
        // acknowledged and applied before they do, so a crash in between loses what was acknowledged.
        if (w.snapshot) {
          this.writeSnapshot(s, w.snapshot);
          this.restoreInstalled(s, w.snapshot.data);
          w.snapshot = null;
        }
        this.issue(s, w);
        finish();
      } else if (
        w.hard ||
        w.snapshot ||
        w.truncateAfter !== null ||
        w.compactTo !== null ||
        w.entries.length
      ) {
        s.persisting = true;
        w.done = () => {
          s.persisting = false;
          if (w.snapshot) this.restoreInstalled(s, w.snapshot.data);
          finish();
          this.pump(s);
        };
        this.issue(s, w);
      } else finish();
    }
    if (!s.up) return;
    if (s.core.role === 'leader') {
      const prev = this.leaders.get(s.core.term);
      if (prev !== undefined && prev !== s.id)
        throw new InvariantViolation(`two leaders in term ${s.core.term}: ${prev} and ${s.id}`);
      if (prev === undefined && this.transfer?.to === s.id && s.core.term > this.transfer.term)
        this.stats.transfersDone++;
      if (prev === undefined) this.transfer = null;
      this.leaders.set(s.core.term, s.id);
    }
    this.checkLogMatching(s);
  }

  /** After the Ready's write is durable (or, with the bug, at once). */
  private finish(
    s: Server,
    rd: Ready,
    messages: Ready['messages'],
    sent: Ready['messages'],
    applied: boolean,
  ): void {
    for (const m of messages) {
      if (sent.includes(m)) continue;
      const env = this.withSnapshotData(s, m);
      if (env) this.deliver(env);
    }
    if (!applied) for (const e of rd.committed) this.apply(s, e);
    s.core.advance({ ...rd, messages });
    this.maybeSnapshot(s);
  }

  /** Queues a write on the server's disk; each takes a seeded time after the one before it. */
  private issue(s: Server, w: DiskWrite): void {
    s.disk.push(w);
    if (s.disk.length === 1) this.spin(s);
  }

  private spin(s: Server): void {
    const inc = s.incarnation;
    const max = this.opts.diskLatencyMs ?? 4;
    this.sched.after(0.2 + this.rng.float() * (max - 0.2), () => {
      if (s.incarnation !== inc) return; // the process died; its disk was dealt with by crash()
      const w = s.disk.shift()!;
      this.persist(s, w, w.hard !== null, Infinity);
      if (s.disk.length > 0) this.spin(s);
      w.done?.();
      this.events++;
    });
  }

  /**
   * Makes a write (or, for a torn one, its first `ops` operations in order: snapshot, truncation,
   * compaction, then each entry) durable; the hard state is one small record that lands whole or not.
   */
  private persist(s: Server, w: DiskWrite, hard: boolean, ops: number): void {
    if (hard && w.hard) {
      const prev = s.durable.hard;
      if (
        w.hard.term < prev.term ||
        (w.hard.term === prev.term && prev.vote !== '' && w.hard.vote !== prev.vote)
      )
        throw new InvariantViolation(
          `${s.id}: term/vote regressed ${JSON.stringify(prev)} → ${JSON.stringify(w.hard)}`,
        );
      s.durable.hard = { ...w.hard };
    }
    let left = ops;
    const step = () => left-- > 0;
    if (w.snapshot) {
      if (!step()) return;
      this.writeSnapshot(s, w.snapshot);
    }
    if (w.truncateAfter !== null) {
      if (!step()) return;
      const after = w.truncateAfter;
      s.durable.entries = s.durable.entries.filter((x) => x.index <= after);
    }
    if (w.compactTo !== null) {
      if (!step()) return;
      const to = w.compactTo;
      s.durable.entries = s.durable.entries.filter((x) => x.index > to);
    }
    const kept = w.entries.slice(0, Math.max(0, left));
    // An append drops whatever was stored from its first index on (as the real stores do).
    if (kept.length > 0) {
      const from = kept[0]!.index;
      s.durable.entries = s.durable.entries.filter((x) => x.index < from);
      for (const e of kept) s.durable.entries.push({ ...e });
    }
  }

  private writeSnapshot(s: Server, snap: { meta: SnapshotMeta; data: Uint8Array }): void {
    s.durable.snapshot = snap;
  }

  /** A snapshot from the leader is durable: the FSM is restored from it before it is acknowledged. */
  private restoreInstalled(s: Server, data: Uint8Array): void {
    this.fsmRestore(s, data);
    this.stats.installed++;
  }

  /**
   * Log Matching: any two logs holding an entry with the same index and term are identical up to it.
   * Checked incrementally over the logs as they are now: every (index, term) held by any server maps to
   * one entry and one previous term, which by induction makes the prefixes equal.
   */
  private checkLogMatching(s: Server): void {
    const core = s.core;
    const sh = s.shadow;
    let drop = 0;
    while (drop < sh.length && sh[drop]!.index < core.firstIndex) this.unregister(sh[drop++]!);
    if (drop > 0) sh.splice(0, drop);
    for (let last = sh.at(-1); last && core.termAt(last.index) !== last.term; last = sh.at(-1))
      this.unregister(sh.pop()!);
    const from = (sh.at(-1)?.index ?? core.firstIndex - 1) + 1;
    if (from > core.lastIndex) return;
    for (const e of core.entriesFrom(from)) {
      const key = `${e.index}/${e.term}`;
      const data = `${e.type}:${dec.decode(e.data)}`;
      const prevTerm = core.termAt(e.index - 1);
      const known = this.logPairs.get(key);
      if (!known) this.logPairs.set(key, { data, prevTerm, holders: 1 });
      else {
        if (known.data !== data || (known.prevTerm >= 0 && prevTerm >= 0 && known.prevTerm !== prevTerm))
          throw new InvariantViolation(
            `log matching: ${s.id}'s entry ${key} (${data}, after term ${prevTerm}) differs from another log's (${known.data}, after term ${known.prevTerm})`,
          );
        known.holders++;
        if (known.prevTerm < 0) known.prevTerm = prevTerm;
      }
      sh.push({ index: e.index, term: e.term });
    }
  }

  private unregister(p: { index: number; term: number }): void {
    const key = `${p.index}/${p.term}`;
    const known = this.logPairs.get(key)!;
    if (--known.holders === 0) this.logPairs.delete(key);
  }

  private apply(s: Server, e: Entry): void {
    if (e.index !== s.applied.length + 1)
      throw new InvariantViolation(`${s.id} applied ${e.index} after ${s.applied.length}`);
    s.applied.push(e);
    const c = this.chain[e.index - 1];
    if (c === undefined) {
      this.chain.push({ ...e });
      if (e.type === EntryType.Configuration) this.stats.configsCommitted++;
    } else if (c.term !== e.term || dec.decode(c.data) !== dec.decode(e.data))
      throw new InvariantViolation(
        `committed entry ${e.index} changed: ${c.term}/${dec.decode(c.data)} vs ${s.id}'s ${e.term}/${dec.decode(e.data)}`,
      );
    if (e.type !== EntryType.Command) return; // a leader's no-op, a configuration
    const text = dec.decode(e.data);
    const [cmd, key, id] = text.split('|') as [string, string, string];
    if (cmd === 'set') s.kv.set(key, id);
    const p = this.proposals.get(id);
    if (p && p.server === s.id && p.index === e.index && p.term === e.term && !Number.isFinite(p.op.ret)) {
      p.op.ret = this.sched.now();
      if (cmd === 'get') p.op.value = s.kv.get(key) ?? null;
      else this.acked.add(id);
    }
  }

  /**
   * The core names the snapshot to send; the host attaches its bytes, or drops the message when it has
   * taken a newer snapshot since (the core asked before the host compacted again; it resends later).
   */
  private withSnapshotData(s: Server, env: Envelope): Envelope | null {
    if (env.msg.type !== 'installSnapshot') return env;
    const snap = s.durable.snapshot;
    if (snap && snap.meta.index > env.msg.meta.index) return null;
    if (!snap || snap.meta.index !== env.msg.meta.index)
      throw new InvariantViolation(`${s.id} asked to send snapshot ${env.msg.meta.index} it does not have`);
    return { ...env, msg: { ...env.msg, data: snap.data } };
  }

  private deliver(env: Envelope): void {
    const f = this.opts.faults;
    if (this.chaos && this.rng.float() < f.loss) return;
    const copies = this.chaos && this.rng.float() < f.duplicate ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      this.sched.after(1 + (this.chaos ? this.rng.float() * f.jitterMs : 0), () => {
        const to = this.server(env.to);
        if (!to.up || this.blocked.has(`${env.from}>${env.to}`)) return;
        to.core.setTime(this.sched.now());
        to.core.step(env);
        this.pump(to);
        this.events++;
      });
    }
  }

  private crash(s: Server): void {
    s.up = false;
    s.incarnation++;
    s.persisting = false;
    // The disk was working on the first pending write: it is lost, or torn (a prefix survives). Writes
    // queued behind it (only the buggy driver has those) never started.
    const w = s.disk[0];
    s.disk = [];
    if (w) {
      this.stats.lostWrites++;
      if (this.rng.float() < TEAR_PROBABILITY) {
        const ops =
          (w.snapshot ? 1 : 0) +
          (w.truncateAfter !== null ? 1 : 0) +
          (w.compactTo !== null ? 1 : 0) +
          w.entries.length;
        const keep = this.rng.int(ops + 1);
        if (keep > 0) this.stats.tornWrites++;
        this.persist(s, w, this.rng.float() < 0.5, keep);
      }
    }
    for (const p of s.shadow) this.unregister(p);
    s.shadow = [];
  }

  private restart(s: Server): void {
    if (s.up) return; // already restarted by the heal
    const last = s.durable.entries.at(-1);
    if (this.opts.corruptOnRestart && last?.type === EntryType.Command)
      s.durable.entries[s.durable.entries.length - 1] = { ...last, data: enc.encode('set|k0|garbled') };
    s.core = this.newCore(s.id, this.ids, s.durable);
    // The FSM comes back from the latest snapshot, then committed entries after it are replayed.
    s.applied = [];
    s.kv = new Map();
    if (s.durable.snapshot) this.fsmRestore(s, s.durable.snapshot.data);
    s.up = true;
    this.checkLogMatching(s);
  }

  /** How many snapshots were installed from a leader and logs compacted, for tests to see the path ran. */
  snapshotStats(): { compacted: number; installed: number } {
    let compacted = 0;
    for (const s of this.servers) if (s.core.firstIndex > 1) compacted++;
    return { compacted, installed: this.stats.installed };
  }

  private partitionRandomly(): void {
    this.blocked.clear();
    const ids = this.ids;
    const mode = this.rng.int(3);
    if (mode === 0) return; // healed
    if (mode === 1) {
      // isolate one server (often the leader)
      const leader = this.servers.find((s) => s.up && s.core.role === 'leader');
      const x = leader && this.rng.float() < 0.6 ? leader.id : ids[this.rng.int(ids.length)]!;
      for (const o of ids) if (o !== x) this.blocked.add(`${x}>${o}`).add(`${o}>${x}`);
    } else {
      // split in two, sometimes only one way
      const oneWay = this.rng.float() < 0.3;
      const a = ids.filter(() => this.rng.float() < 0.5);
      for (const x of a)
        for (const y of ids)
          if (!a.includes(y)) {
            this.blocked.add(`${x}>${y}`);
            if (!oneWay) this.blocked.add(`${y}>${x}`);
          }
    }
  }

  private propose(): void {
    const leader = this.servers.find((s) => s.up && s.core.role === 'leader');
    if (!leader) return;
    const read = this.rng.float() < 0.3;
    const id = `${read ? 'r' : 'w'}${++this.writeSeq}`;
    const key = `k${this.rng.int(3)}`;
    if (read && this.opts.localReads) {
      // Any server that thinks it leads answers at once, a deposed one included.
      const believer = this.servers.filter((s) => s.up && s.core.role === 'leader');
      const s = believer[this.rng.int(believer.length)]!;
      const now = this.sched.now();
      this.history.push({ call: now, ret: now, kind: 'read', key, value: s.kv.get(key) ?? null });
      return;
    }
    // Reads go through the log too: that is what makes them linearizable (Consul's ?consistent barrier).
    const r = leader.core.propose(enc.encode(`${read ? 'get' : 'set'}|${key}|${id}`));
    if (!(r instanceof Error)) {
      const op: Op = {
        call: this.sched.now(),
        ret: Infinity,
        kind: read ? 'read' : 'write',
        key,
        value: read ? null : id,
      };
      this.history.push(op);
      this.proposals.set(id, { server: leader.id, index: r.index, term: r.term, op });
    }
    this.pump(leader);
  }

  /** Runs `chaosMs` of faults and writes, then heals everything and runs `settleMs` more. */
  run(chaosMs: number, settleMs: number): void {
    const f = this.opts.faults;
    const tick = () => {
      for (const s of this.servers)
        if (s.up) {
          s.core.tick(this.sched.now());
          this.pump(s);
        }
      this.events++;
      this.sched.after(5, tick);
    };
    this.sched.after(5, tick);
    const write = () => {
      this.propose();
      if (this.sched.now() < chaosMs) this.sched.after(3 + this.rng.int(10), write);
    };
    this.sched.after(20, write);
    if (f.partitionEveryMs > 0) {
      const part = () => {
        if (this.sched.now() >= chaosMs) return;
        this.partitionRandomly();
        this.sched.after(this.rng.float() * 2 * f.partitionEveryMs, part);
      };
      this.sched.after(this.rng.float() * f.partitionEveryMs, part);
    }
    if (f.crashEveryMs > 0) {
      const crash = () => {
        if (this.sched.now() >= chaosMs) return;
        const s = this.servers[this.rng.int(this.servers.length)]!;
        if (s.up) {
          this.crash(s);
          this.sched.after(10 + this.rng.int(200), () => this.restart(s));
        }
        this.sched.after(this.rng.float() * 2 * f.crashEveryMs, crash);
      };
      this.sched.after(this.rng.float() * f.crashEveryMs, crash);
    }
    this.every(f.transferEveryMs ?? 0, chaosMs, () => this.transferRandomly());
    if (this.servers.length >= 3) this.every(f.reconfigEveryMs ?? 0, chaosMs, () => this.reconfigure());
    this.sched.runUntil(chaosMs);
    // Heal: every server up, network whole, no more faults; then everything must converge.
    this.chaos = false;
    this.blocked.clear();
    for (const s of this.servers) if (!s.up) this.restart(s);
    // A server still removed is added back (retried: the change needs a leader that is not busy).
    const rejoin = () => {
      this.reconfigure(true);
      this.sched.after(20, rejoin);
    };
    if (f.reconfigEveryMs) this.sched.after(1, rejoin);
    this.sched.runUntil(chaosMs + settleMs);
    this.finalCheck();
  }

  /** Runs fn at random intervals averaging `meanMs` until `untilMs`. */
  private every(meanMs: number, untilMs: number, fn: () => void): void {
    if (meanMs <= 0) return;
    const go = () => {
      if (this.sched.now() >= untilMs) return;
      fn();
      this.sched.after(this.rng.float() * 2 * meanMs, go);
    };
    this.sched.after(this.rng.float() * meanMs, go);
  }

  private upLeader(): Server | undefined {
    return this.servers.find((s) => s.up && s.core.role === 'leader');
  }

  /** The leader hands leadership to a random voter (hashicorp's LeadershipTransferToServer). */
  private transferRandomly(): void {
    const leader = this.upLeader();
    if (!leader) return;
    const peers = [...leader.core.matchIndexes().keys()];
    if (peers.length === 0) return;
    const to = peers[this.rng.int(peers.length)]!;
    leader.core.setTime(this.sched.now());
    if (leader.core.transferLeadership(to)) {
      this.stats.transfers++;
      this.transfer = { to, term: leader.core.term };
    }
    this.pump(leader);
  }

  /**
   * A membership change through the leader: adds back a server that is out of the configuration, else
   * (unless only adding) removes a random one — sometimes the leader itself.
   */
  private reconfigure(onlyAdd = false): void {
    const leader = this.upLeader();
    if (!leader) return;
    const cfg = leader.core.configuration();
    const missing = this.ids.filter((id) => !cfg.some((x) => x.id === id));
    let next: ConfigServer[];
    if (missing.length > 0) next = [...cfg, { id: missing[0]!, address: missing[0]!, voter: true }];
    else if (onlyAdd) return;
    else {
      const candidates = cfg.filter((x) => this.opts.removeLeader || x.id !== leader.id);
      const out = candidates[this.rng.int(candidates.length)]!.id;
      next = cfg.filter((x) => x.id !== out);
    }
    leader.core.setTime(this.sched.now());
    const r = leader.core.changeConfiguration(next);
    if (!(r instanceof Error)) this.stats.configChanges++;
    this.pump(leader);
  }

  private finalCheck(): void {
    const committed = new Set(this.chain.map((e) => dec.decode(e.data).split('|')[2]));
    for (const v of this.acked)
      if (!committed.has(v)) throw new InvariantViolation(`acknowledged write ${v} was lost`);
    const lin = checkLinearizable(this.history);
    if (!lin.ok) throw new InvariantViolation(`the client history of key ${lin.key} is not linearizable`);
    const leaders = this.servers.filter((s) => s.core.role === 'leader');
    if (leaders.length !== 1) throw new InvariantViolation(`${leaders.length} leaders after healing`);
    const cfg = leaders[0]!.core.configuration();
    if (cfg.length !== this.servers.length || !cfg.every((x) => x.voter))
      throw new InvariantViolation(`configuration after healing is ${JSON.stringify(cfg)}`);
    const commit = leaders[0]!.core.commitIndex;
    for (const s of this.servers)
      if (s.applied.length < commit)
        throw new InvariantViolation(`${s.id} applied ${s.applied.length} of ${commit} after healing`);
  }
}
