// Drives a RaftCore with real ports: one timer armed for the core's next deadline, storage written
// before any message leaves (a vote or an append is never acknowledged before it is durable), committed
// entries applied in order, and proposals answered when their entry is applied (ApplyFuture-style).

import type { Timers, TimerHandle } from '../runtime/timers.js';
import type { Clock } from '../runtime/clock.js';
import type { Rng } from '../runtime/rng.js';
import type { Logger } from '../runtime/logger.js';
import { noMetrics, type Metrics } from '../runtime/metrics.js';
import type { Entry, Envelope, ServerId } from './core/messages.js';
import { EntryType } from './core/messages.js';
import {
  ConfigChangeError,
  NotLeaderError,
  RaftCore,
  type ConfigServer,
  type RaftTimings,
  type Ready,
  type Role,
} from './core/raft-core.js';
import type { RaftStorage } from './storage.js';
import type { SnapshotStore, StoredSnapshot } from './snapshot-store.js';

/** When and how a server snapshots its FSM (hashicorp's SnapshotThreshold/Interval, TrailingLogs). */
export interface SnapshotPolicy {
  store: SnapshotStore;
  /** The newest snapshot on disk, opened before start (the driver restores the FSM from it). */
  initial: StoredSnapshot | null;
  /**
   * snapshot() captures the state as of the last applied entry when called; its bytes may follow
   * later (a promise), as hashicorp's FSMSnapshot.Persist runs after FSM.Snapshot returns.
   */
  fsm: { snapshot(): Uint8Array | Promise<Uint8Array>; restore(data: Uint8Array): void };
  thresholdEntries: number;
  intervalMs: number;
  trailingLogs: number;
}

export interface RaftNodePorts {
  clock: Clock;
  timers: Timers;
  rng: Rng;
  storage: RaftStorage;
  /** Sends a message to a peer; best effort (Raft retries). */
  send(env: Envelope): void;
  /** The FSM: applies a committed command and returns its result. */
  apply(e: Entry): unknown;
  logger: Logger;
  /** How log lines name this server ("127.0.0.1:8300", as hashicorp/raft's "Node at …"). */
  selfAddress?: string;
  /** Called when this server's view of the leader changes ('' = none). */
  onLeaderChange?(leader: ServerId): void;
  /** Called when the configuration in force changes (an entry appended, truncated or bootstrapped). */
  onConfigurationChange?(servers: ConfigServer[]): void;
  /** Nonvoters of the initial configuration (peers.json's non_voter entries). */
  nonVoters?: ServerId[];
  /** Without it the log is never compacted and followers catch up from entries only. */
  snapshots?: SnapshotPolicy;
  /** hashicorp/raft's metrics (raft.apply, raft.commitTime, raft.fsm.apply, raft.state.*). */
  metrics?: Metrics;
}

export class LeadershipLostError extends Error {
  override name = 'LeadershipLostError';
  constructor() {
    super('leadership lost while committing log');
  }
}

interface Waiter {
  term: number;
  /** When it was proposed (monotonic ms), for raft.commitTime. */
  atMs: number;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

export class RaftNode {
  readonly core: RaftCore;
  private timer: TimerHandle | null = null;
  private pumping = false;
  private again = false;
  private stopped = false;
  private readonly waiters = new Map<number, Waiter>();
  private lastRole: Role;
  private lastLeader: ServerId = '';
  private lastConfigVersion = -1;
  appliedIndex = 0;
  /** The snapshot the core's snapshot meta describes (what an InstallSnapshot sends). */
  private current: StoredSnapshot | null = null;
  private snapshotTimer: TimerHandle | null = null;
  private snapshotting: Promise<StoredSnapshot | null> | null = null;
  /** Callers of transferLeadership, answered when this server stops leading. */
  private transfers = new Set<() => void>();

  constructor(
    readonly id: ServerId,
    voters: ServerId[],
    timings: RaftTimings,
    private readonly p: RaftNodePorts,
  ) {
    const initial = p.snapshots?.initial ?? null;
    this.current = initial;
    if (initial) {
      p.snapshots!.fsm.restore(initial.data);
      this.appliedIndex = initial.meta.index;
    }
    this.core = new RaftCore(
      { id, voters, nonVoters: p.nonVoters, timings, rng: p.rng, nowMs: p.clock.monotonicMs() },
      { ...p.storage.load(), snapshot: initial?.meta ?? null },
    );
    for (const n of p.storage.loadNotes?.() ?? []) p.logger.warn(n);
    this.lastRole = this.core.role;
    this.arm();
    this.armSnapshot();
  }

  /** hashicorp checks every SnapshotInterval, randomized up to twice it so servers do not snapshot together. */
  private armSnapshot(): void {
    const sp = this.p.snapshots;
    if (!sp || this.stopped) return;
    this.snapshotTimer = this.p.timers.after(sp.intervalMs + this.p.rng.float() * sp.intervalMs, () => {
      const behind = this.appliedIndex - this.core.snapshotMeta.index;
      const run = behind >= sp.thresholdEntries ? this.snapshot() : Promise.resolve(null);
      void run
        .catch((e: unknown) => this.p.logger.error('failed to take snapshot', 'error', e))
        .then(() => this.armSnapshot());
    });
  }

  /**
   * Saves a snapshot of the FSM as of the last applied entry and compacts the log behind it (keeping
   * TrailingLogs). Resolves with the snapshot (null when there is nothing applied or no store).
   */
  snapshot(): Promise<StoredSnapshot | null> {
    const sp = this.p.snapshots;
    if (!sp) return Promise.resolve(null);
    if (this.snapshotting) return this.snapshotting;
    const index = this.appliedIndex;
    if (index === 0) return Promise.resolve(null);
    const prev = this.core.snapshotMeta;
    // Nothing applied since the last snapshot: it is still current.
    if (index === prev.index) return Promise.resolve(sp.store.latest());
    const meta = { index, term: this.core.termAt(index), configuration: this.core.configurationAt(index) };
    const captured = sp.fsm.snapshot();
    this.p.logger.info('starting snapshot up to', 'index', index);
    let snap: StoredSnapshot;
    this.snapshotting = Promise.resolve(captured)
      .then((data) => {
        snap = { meta, data };
        return sp.store.save(snap);
      })
      .then(() => {
        if (this.stopped) return snap;
        this.core.compact(index, sp.trailingLogs);
        this.current = snap;
        this.p.logger.info('snapshot complete up to', 'index', index);
        this.kick();
        return snap;
      })
      .finally(() => {
        this.snapshotting = null;
      });
    return this.snapshotting;
  }

  /** The core names a snapshot to send; its bytes are the snapshot it describes (dropped if gone). */
  private send(env: Envelope): void {
    const msg = env.msg;
    if (msg.type !== 'installSnapshot') return this.p.send(env);
    // The snapshot the core named, not the store's newest: a newer one can be on disk before the
    // core has compacted to it, and a send dropped for that would wait out the resend timeout.
    const snap = [this.current, this.p.snapshots?.store.latest()].find(
      (x) => x?.meta.index === msg.meta.index,
    );
    if (!snap) return;
    this.p.send({ ...env, msg: { ...msg, data: snap.data } });
  }

  /** A message from a peer. */
  step(env: Envelope): void {
    if (this.stopped) return;
    this.core.setTime(this.p.clock.monotonicMs());
    this.core.step(env);
    this.kick();
  }

  /**
   * A barrier (hashicorp's Barrier, used for Consul's ?consistent reads): an empty entry of this term;
   * once it is applied here, everything committed before the read arrived is applied and this server
   * was still the leader when a quorum stored it.
   */
  barrier(): Promise<void> {
    return this.propose(new Uint8Array(), EntryType.Noop).then(() => undefined);
  }

  /** Proposes a command; resolves with the FSM's result once applied here, or rejects (not leader, lost). */
  propose(data: Uint8Array, type: EntryType = EntryType.Command): Promise<unknown> {
    this.core.setTime(this.p.clock.monotonicMs());
    const r = this.core.propose(data, type);
    if (r instanceof NotLeaderError) return Promise.reject(r);
    if (type === EntryType.Command) this.metrics.incrCounter(['raft', 'apply']);
    const atMs = this.p.clock.monotonicMs();
    const done = new Promise<unknown>((resolve, reject) =>
      this.waiters.set(r.index, { term: r.term, atMs, resolve, reject }),
    );
    this.kick();
    return done;
  }

  /**
   * LeadershipTransferToServer: brings `to` up to date and tells it to campaign now (TimeoutNow).
   * Resolves once this server has stepped down; rejects when it is not the leader, `to` is not a
   * voter of the configuration, or no other server took over within `timeoutMs`.
   */
  transferLeadership(to: ServerId, timeoutMs: number): Promise<void> {
    this.core.setTime(this.p.clock.monotonicMs());
    if (this.core.role !== 'leader') return Promise.reject(new NotLeaderError(this.core.leader));
    if (to === this.id) return Promise.reject(new Error('cannot transfer leadership to itself'));
    if (this.core.transferInProgress) return Promise.reject(new Error('leadership transfer in progress'));
    if (!this.core.transferLeadership(to)) return Promise.reject(new Error(`cannot find peer ${to}`));
    const done = new Promise<void>((resolve, reject) => {
      const finish = () => {
        timer.cancel();
        resolve();
      };
      const timer = this.p.timers.after(timeoutMs, () => {
        this.transfers.delete(finish);
        reject(new Error('leadership transfer timeout'));
      });
      this.transfers.add(finish);
    });
    this.kick();
    return done;
  }

  /** Takes `voters` as the first configuration if this server has no Raft state yet. */
  bootstrap(voters: ServerId[]): boolean {
    const ok = this.core.bootstrap(voters);
    this.kick();
    return ok;
  }

  /** Commits a new configuration; resolves once it is applied here. */
  changeConfiguration(servers: ConfigServer[]): Promise<void> {
    return this.configChange((c) => c.changeConfiguration(servers));
  }

  /** hashicorp's AddVoter (promotes an existing nonvoter). */
  addVoter(id: ServerId, address: string): Promise<void> {
    return this.configChange((c) => c.addVoter(id, address));
  }

  /** hashicorp's AddNonvoter. */
  addNonvoter(id: ServerId, address: string): Promise<void> {
    return this.configChange((c) => c.addNonvoter(id, address));
  }

  /** hashicorp's DemoteVoter. */
  demoteVoter(id: ServerId): Promise<void> {
    return this.configChange((c) => c.demoteVoter(id));
  }

  /** hashicorp's RemoveServer. */
  removeServer(id: ServerId): Promise<void> {
    return this.configChange((c) => c.removeServer(id));
  }

  private configChange(change: (c: RaftCore) => ReturnType<RaftCore['changeConfiguration']>): Promise<void> {
    this.core.setTime(this.p.clock.monotonicMs());
    const r = change(this.core);
    if (r instanceof NotLeaderError || r instanceof ConfigChangeError) return Promise.reject(r);
    const done = new Promise<void>((resolve, reject) =>
      this.waiters.set(r.index, {
        term: r.term,
        atMs: this.p.clock.monotonicMs(),
        resolve: () => resolve(),
        reject,
      }),
    );
    this.kick();
    return done;
  }

  private arm(): void {
    this.timer?.cancel();
    if (this.stopped) return;
    const deadline = this.core.nextDeadline();
    if (deadline === Infinity) return;
    const wait = Math.max(1, deadline - this.p.clock.monotonicMs());
    this.timer = this.p.timers.after(wait, () => {
      // The timer keeps whole milliseconds of a coarser clock and can fire a fraction before the
      // deadline: it stands for the deadline, or the tick would find nothing due and re-arm for 1 ms.
      this.core.tick(Math.max(this.p.clock.monotonicMs(), deadline));
      this.kick();
    });
  }

  private kick(): void {
    if (this.pumping) {
      this.again = true;
      return;
    }
    void this.pump();
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      do {
        this.again = false;
        while (!this.stopped && this.core.hasReady()) {
          const rd = this.core.ready();
          if (rd.snapshot) await this.install(rd.snapshot);
          // A leader's AppendEntries may leave before its own write is durable (Raft thesis §10.2.1):
          // the core counts the leader's entries toward a commit only once advance() reports them
          // stored, so the disk write and the followers' writes overlap. Everything else (votes,
          // acknowledgements, anything after a term change) waits for the disk.
          const early = rd.hard === null ? rd.messages.filter((m) => m.msg.type === 'append') : [];
          for (const m of early) this.send(m);
          // Committed entries are durable here already (the core hands out only those): apply them
          // before this Ready's new entries are written, so a batch's answers do not wait out the next
          // batch's fsync.
          for (const e of rd.committed) this.applyOne(e);
          const lastApplied = rd.committed.at(-1);
          if (lastApplied) this.core.appliedTo(lastApplied.index);
          if (rd.hard || rd.truncateAfter !== null || rd.compactTo !== null || rd.entries.length > 0)
            await this.p.storage.persist({ ...rd, commit: this.core.commitIndex });
          if (this.stopped) return;
          for (const m of rd.messages) if (!early.includes(m)) this.send(m);
          this.core.advance(rd);
        }
        this.observe();
      } while (this.again && !this.stopped);
    } finally {
      this.pumping = false;
      this.arm();
    }
  }

  /** A snapshot from the leader: durable first, then the FSM restored from it, before it is acknowledged. */
  private async install(s: NonNullable<Ready['snapshot']>): Promise<void> {
    const sp = this.p.snapshots;
    const { data, ...meta } = s;
    if (!sp || !data) throw new Error(`received snapshot ${meta.index} with nowhere to put it`);
    await sp.store.save({ meta, data });
    sp.fsm.restore(data);
    this.appliedIndex = meta.index;
    this.current = { meta, data };
    this.p.logger.info('Installed remote snapshot', 'index', meta.index, 'term', meta.term);
  }

  private applyOne(e: Entry): void {
    const clock = this.p.clock;
    let result: unknown;
    if (e.type === EntryType.Command) {
      const t0 = clock.monotonicMs();
      result = this.p.apply(e);
      this.metrics.addSample(['raft', 'fsm', 'apply'], clock.monotonicMs() - t0);
    }
    this.appliedIndex = e.index;
    const w = this.waiters.get(e.index);
    if (!w) return;
    this.waiters.delete(e.index);
    if (w.term === e.term) this.metrics.addSample(['raft', 'commitTime'], clock.monotonicMs() - w.atMs);
    if (w.term === e.term) w.resolve(result);
    else w.reject(new LeadershipLostError());
  }

  private observe(): void {
    for (const r of this.core.refusals.splice(0)) this.p.logger.error(r);
    const { role, leader, term } = this.core;
    if (role !== this.lastRole) {
      // hashicorp/raft has no pre-candidate state: a pre-vote round already counts as a candidacy.
      if (role !== 'candidate' || this.lastRole !== 'precandidate')
        this.metrics.incrCounter(['raft', 'state', role === 'precandidate' ? 'candidate' : role]);
      const log = this.p.logger;
      const me = this.p.selfAddress ?? this.id;
      if (role === 'leader') log.info('entering leader state', 'leader', `Node at ${me} [Leader]`);
      else if (role === 'candidate')
        log.info('entering candidate state', 'node', `Node at ${me} [Candidate]`, 'term', term);
      else if (role === 'follower')
        log.info('entering follower state', 'follower', `Node at ${me} [Follower]`, 'leader-id', leader);
      if (this.lastRole === 'leader') for (const [, w] of this.waiters) w.reject(new LeadershipLostError());
      if (this.lastRole === 'leader') this.waiters.clear();
      if (this.lastRole === 'leader') for (const t of this.transfers) t();
      if (this.lastRole === 'leader') this.transfers.clear();
      this.lastRole = role;
    }
    if (this.core.configVersion !== this.lastConfigVersion) {
      this.lastConfigVersion = this.core.configVersion;
      this.p.onConfigurationChange?.(this.core.configuration());
    }
    if (leader !== this.lastLeader) {
      this.lastLeader = leader;
      this.p.onLeaderChange?.(leader);
    }
  }

  private get metrics(): Metrics {
    return this.p.metrics ?? noMetrics;
  }

  get leader(): ServerId {
    return this.lastLeader;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    this.snapshotTimer?.cancel();
    for (const [, w] of this.waiters) w.reject(new LeadershipLostError());
    this.waiters.clear();
    await this.p.storage.close();
  }
}
