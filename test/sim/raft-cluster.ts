// A Raft cluster on the simulator: N RaftCores with durable storage that survives crashes (and loses
// what was not persisted), a faulty network, a client proposing writes, and invariant checks after
// every event: one leader per term, terms and votes never regress, every server applies a prefix of
// one committed sequence (committed entries never change), and no acknowledged write is lost.

import { SeededRng } from '../../src/lib/prng.js';
import type { Entry, Envelope, ServerId, SnapshotMeta } from '../../src/raft/core/messages.js';
import { RaftCore, type HardState, type RaftTimings } from '../../src/raft/core/raft-core.js';
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
}

export const NO_FAULTS: Faults = { loss: 0, duplicate: 0, jitterMs: 0, partitionEveryMs: 0, crashEveryMs: 0 };

export interface ClusterOptions {
  seed: number;
  servers: number;
  faults: Faults;
  /** Planted bug for checker tests: send acknowledgements before the log write is durable. */
  ackBeforePersist?: boolean;
  /** Planted bug for checker tests: answer reads from whoever believes it leads, without the log. */
  localReads?: boolean;
  timings?: RaftTimings;
  /** Take a snapshot (and compact the log) once this many entries were applied since the last one. */
  snapshotThreshold?: number;
  /** Entries kept before a snapshot's index when compacting (hashicorp's TrailingLogs). */
  trailingLogs?: number;
}

export class InvariantViolation extends Error {
  override name = 'InvariantViolation';
}

interface Server {
  id: ServerId;
  core: RaftCore;
  up: boolean;
  durable: { hard: HardState; entries: Entry[]; snapshot: { meta: SnapshotMeta; data: Uint8Array } | null };
  /** Writes the buggy driver has acknowledged but not yet made durable. */
  pending: Array<() => void>;
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
  installed = 0;

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
      pending: [],
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

  /** Runs the host side of one Ready: persist (or, with the planted bug, not yet), send, apply, advance. */
  private pump(s: Server): void {
    while (s.up && s.core.hasReady()) {
      const rd = s.core.ready();
      const write = () => {
        if (rd.hard) {
          const prev = s.durable.hard;
          if (
            rd.hard.term < prev.term ||
            (rd.hard.term === prev.term && prev.vote !== '' && rd.hard.vote !== prev.vote)
          )
            throw new InvariantViolation(
              `${s.id}: term/vote regressed ${JSON.stringify(prev)} → ${JSON.stringify(rd.hard)}`,
            );
          s.durable.hard = { ...rd.hard };
        }
        if (rd.truncateAfter !== null) {
          const after = rd.truncateAfter;
          s.durable.entries = s.durable.entries.filter((x) => x.index <= after);
        }
        if (rd.compactTo !== null) {
          const to = rd.compactTo;
          s.durable.entries = s.durable.entries.filter((x) => x.index > to);
        }
        for (const e of rd.entries) {
          s.durable.entries = s.durable.entries.filter((x) => x.index < e.index);
          s.durable.entries.push({ ...e });
        }
      };
      if (rd.snapshot) {
        // An installed snapshot is durable and restored before its acknowledgement leaves.
        const { data, ...meta } = rd.snapshot;
        if (!data) throw new InvariantViolation(`${s.id} got a snapshot without data`);
        s.durable.snapshot = { meta, data };
        this.fsmRestore(s, data);
        this.installed++;
      }
      if (this.opts.ackBeforePersist && rd.entries.length > 0) {
        // The bug: the durable write lands later; a crash in between loses what was acknowledged.
        s.pending.push(write);
        this.sched.after(1 + this.rng.int(20), () => {
          const w = s.pending.shift();
          w?.();
        });
      } else write();
      for (const m of rd.messages) this.deliver(this.withSnapshotData(s, m));
      for (const e of rd.committed) this.apply(s, e);
      s.core.advance(rd);
      this.maybeSnapshot(s);
    }
    if (s.core.role === 'leader') {
      const prev = this.leaders.get(s.core.term);
      if (prev !== undefined && prev !== s.id)
        throw new InvariantViolation(`two leaders in term ${s.core.term}: ${prev} and ${s.id}`);
      this.leaders.set(s.core.term, s.id);
    }
  }

  private apply(s: Server, e: Entry): void {
    if (e.index !== s.applied.length + 1)
      throw new InvariantViolation(`${s.id} applied ${e.index} after ${s.applied.length}`);
    s.applied.push(e);
    const c = this.chain[e.index - 1];
    if (c === undefined) this.chain.push({ ...e });
    else if (c.term !== e.term || dec.decode(c.data) !== dec.decode(e.data))
      throw new InvariantViolation(
        `committed entry ${e.index} changed: ${c.term}/${dec.decode(c.data)} vs ${s.id}'s ${e.term}/${dec.decode(e.data)}`,
      );
    const text = dec.decode(e.data);
    if (text === '') return; // a leader's no-op
    const [cmd, key, id] = text.split('|') as [string, string, string];
    if (cmd === 'set') s.kv.set(key, id);
    const p = this.proposals.get(id);
    if (p && p.server === s.id && p.index === e.index && p.term === e.term && !Number.isFinite(p.op.ret)) {
      p.op.ret = this.sched.now();
      if (cmd === 'get') p.op.value = s.kv.get(key) ?? null;
      else this.acked.add(id);
    }
  }

  /** The core names the snapshot to send; the host attaches its bytes (or drops it if it has moved on). */
  private withSnapshotData(s: Server, env: Envelope): Envelope {
    if (env.msg.type !== 'installSnapshot') return env;
    const snap = s.durable.snapshot;
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
    s.pending = []; // unsynced writes vanish with the process
  }

  private restart(s: Server): void {
    s.core = this.newCore(s.id, this.ids, s.durable);
    // The FSM comes back from the latest snapshot, then committed entries after it are replayed.
    s.applied = [];
    s.kv = new Map();
    if (s.durable.snapshot) this.fsmRestore(s, s.durable.snapshot.data);
    s.up = true;
  }

  /** How many snapshots were installed from a leader and logs compacted, for tests to see the path ran. */
  snapshotStats(): { compacted: number; installed: number } {
    let compacted = 0;
    for (const s of this.servers) if (s.core.firstIndex > 1) compacted++;
    return { compacted, installed: this.installed };
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
    this.sched.runUntil(chaosMs);
    // Heal: every server up, network whole, no more faults; then everything must converge.
    this.chaos = false;
    this.blocked.clear();
    for (const s of this.servers) if (!s.up) this.restart(s);
    this.sched.runUntil(chaosMs + settleMs);
    this.finalCheck();
  }

  private finalCheck(): void {
    const committed = new Set(this.chain.map((e) => dec.decode(e.data).split('|')[2]));
    for (const v of this.acked)
      if (!committed.has(v)) throw new InvariantViolation(`acknowledged write ${v} was lost`);
    const lin = checkLinearizable(this.history);
    if (!lin.ok) throw new InvariantViolation(`the client history of key ${lin.key} is not linearizable`);
    const leaders = this.servers.filter((s) => s.core.role === 'leader');
    if (leaders.length !== 1) throw new InvariantViolation(`${leaders.length} leaders after healing`);
    const commit = leaders[0]!.core.commitIndex;
    for (const s of this.servers)
      if (s.applied.length < commit)
        throw new InvariantViolation(`${s.id} applied ${s.applied.length} of ${commit} after healing`);
  }
}
