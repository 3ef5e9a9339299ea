// The server side of an agent, as far as it exists: this server's Raft group. A -bootstrap (or -dev, or
// bootstrap_expect = 1) server forms a group of one and leads it; a server waiting for
// bootstrap_expect peers has no group until gossip brings them (the cluster issue), so it knows no leader.

import type { RuntimeConfig } from '../config/runtime-config.js';
import { timingsFor, type ConfigServer, type RaftTimings } from '../raft/core/raft-core.js';
import { NotLeaderError } from '../raft/core/raft-core.js';
import { LeadershipLostError, RaftNode } from '../raft/node.js';
import { EntryType } from '../raft/core/messages.js';
import {
  DiskSnapshotStore,
  MemSnapshotStore,
  type SnapshotStore,
  type StoredSnapshot,
} from '../raft/snapshot-store.js';
import { restoreState, snapshotState, snapshotStateSliced } from '../fsm/snapshot.js';
import {
  encodeCommand,
  FSM,
  MessageTypes,
  StateStore,
  type KvRequest,
  type SessionRequest,
  type TombstoneRequest,
  type PreparedQueryRequest,
} from '../fsm/fsm.js';
import { validateQuery, type PreparedQuery } from '../state/prepared-queries.js';
import type { Session } from '../state/sessions.js';
import { TombstoneGC } from '../state/tombstone-gc.js';
import type { AutopilotConfig } from '../state/autopilot.js';
import { VERSION as CONSUL_VERSION } from '../structs/version.js';
import { isWriteOp, runTxn, type TxnOp, type TxnOutcome, type TxnResultItem } from '../fsm/txn.js';
import { uuidFrom } from '../runtime/rng.js';
import { formatGoDuration, parseGoDuration } from '../lib/duration.js';
import type { DeregisterRequest, RegisterRequest } from '../state/catalog.js';

export type {
  KvRequest,
  RegisterRequest,
  DeregisterRequest,
  TxnOp,
  TxnOutcome,
  TxnResultItem,
  AutopilotConfig,
};
import type { RaftStorage } from '../raft/storage.js';
import type { Clock } from '../runtime/clock.js';
import type { LogHub } from '../runtime/log.js';
import type { Rng } from '../runtime/rng.js';
import type { Timers } from '../runtime/timers.js';
import type { Disk } from '../runtime/disk.js';
import type { StreamTransport } from '../runtime/transport.js';
import { parseAddr, RaftTransport } from '../raft/transport.js';
import type { Coord } from '../state/coordinates.js';
import { guardRpcListener, type ConnLimits } from './rpc-conn-guard.js';
import {
  RPC_CONSUL,
  RPC_MULTIPLEX_V2,
  serveRpc,
  type HttpAnswer,
  type HttpCall,
  type RpcMethod,
} from './rpc.js';
import { RPC_SNAPSHOT, serveSnapshotRpc } from './snapshot-rpc.js';
import { formatAddr } from '../lib/host-port.js';
import { YamuxSession } from '../codec/yamux.js';
import {
  AUTOPILOT_RECONCILE_MS,
  AUTOPILOT_UPDATE_MS,
  promotions,
  removals,
  type AutopilotServer,
} from './autopilot.js';
import { MemberStatus, type Member, type SerfEvent } from '../gossip/serf/serf.js';
import type { Logger } from '../runtime/logger.js';
import { noMetrics, type Metrics } from '../runtime/metrics.js';

export interface ServerDeps {
  clock: Clock;
  timers: Timers;
  rng: Rng;
  hub: LogHub;
  /** Opens this server's Raft storage (lmdb under <data-dir>/raft, or memory in -dev). */
  raftStorage(config: RuntimeConfig): RaftStorage;
  disk: Disk;
  /** TCP for the server RPC port (Raft between servers). */
  streams: StreamTransport;
  metrics?: Metrics;
}

interface PeerEntry {
  id: string;
  address: string;
  non_voter?: boolean;
}

const dec = new TextDecoder();
/** Consul's pool.RPCTLS and pool.RPCTLSInsecure: TLS-wrapped RPC, refused here (no TLS support). */
const RPC_TLS = 0x03;
const RPC_TLS_INSECURE = 0x07;
/** Consul's structs.JitterFraction: retries while holding for a leader pause up to hold / 16. */
const HOLD_JITTER_FRACTION = 16;

/**
 * The Raft configuration this server starts with: <data-dir>/raft/peers.json when an operator wrote one
 * (Consul's outage recovery: ingested, then deleted), else the one ingested before, else a group of one
 * for -bootstrap / -dev, else none (waiting for bootstrap_expect peers).
 */
export async function startingConfiguration(
  config: RuntimeConfig,
  nodeId: string,
  disk: Disk,
  log: { info(m: string, ...kv: unknown[]): void },
): Promise<{ peers: PeerEntry[] | null; recovered: boolean } | Error> {
  const self = { id: nodeId, address: `${config.advertiseAddrLan}:${config.ports.server}` };
  if (config.devMode || config.dataDir === '')
    return { peers: config.devMode || config.bootstrap ? [self] : null, recovered: false };
  const dir = `${config.dataDir}/raft`;
  const peersJson = await disk.readFile(`${dir}/peers.json`);
  if (peersJson !== null) {
    log.info('found peers.json file, recovering Raft configuration...');
    let parsed: unknown;
    try {
      parsed = JSON.parse(dec.decode(peersJson));
    } catch (e) {
      return new Error(`recovery failed to parse peers.json: ${(e as Error).message}`);
    }
    if (!Array.isArray(parsed) || parsed.length === 0)
      return new Error('recovery failed to parse peers.json: no servers');
    const peers: PeerEntry[] = parsed.map((p: unknown) =>
      typeof p === 'string'
        ? { id: p, address: p }
        : {
            id: String((p as PeerEntry).id),
            address: String((p as PeerEntry).address),
            non_voter: (p as PeerEntry).non_voter === true,
          },
    );
    await disk.mkdirp(dir, 0o700);
    await disk.writeFileAtomic(`${dir}/configuration.json`, JSON.stringify(peers));
    await disk.remove(`${dir}/peers.json`);
    log.info('deleted peers.json file after successful recovery');
    return { peers, recovered: true };
  }
  const stored = await disk.readFile(`${dir}/configuration.json`);
  if (stored !== null) return { peers: JSON.parse(dec.decode(stored)) as PeerEntry[], recovered: false };
  return { peers: config.bootstrap ? [self] : null, recovered: false };
}

/**
 * peers.json outage recovery over existing data, as hashicorp's RecoverCluster: the FSM is rebuilt from
 * the newest snapshot plus every stored command, saved as a snapshot at the last stored index whose
 * configuration is the recovered one, and the log is emptied behind it. The recovered configuration
 * thereby supersedes any configuration in the old log or snapshots. Returns the snapshot to start from.
 */
async function recoverCluster(
  storage: RaftStorage,
  store: SnapshotStore,
  initial: StoredSnapshot | null,
  peers: PeerEntry[],
  datacenter: string,
  wallMs: () => number,
): Promise<StoredSnapshot | null> {
  const durable = storage.load();
  const last = durable.entries.at(-1);
  if (!last && !initial) return null;
  const state = new StateStore(datacenter);
  const fsm = new FSM(state, wallMs);
  if (initial) {
    const r = restoreState(state, initial.data);
    if (r instanceof Error) throw r;
  }
  const from = initial?.meta.index ?? 0;
  for (const e of durable.entries)
    if (e.index > from && e.type === EntryType.Command) fsm.apply(e.index, e.data);
  const index = last && last.index > from ? last.index : from;
  const term = last && last.index > from ? last.term : (initial?.meta.term ?? 0);
  const snap: StoredSnapshot = {
    meta: {
      index,
      term,
      configuration: peers.map((p) => ({ id: p.id, address: p.address, voter: !p.non_voter })),
    },
    data: snapshotState(state, index),
  };
  await store.save(snap);
  await storage.persist({ hard: null, truncateAfter: null, compactTo: index, entries: [] });
  return snap;
}

/** An FSM refusal, worded as Consul's RPC endpoint wraps it ("apply failed: …"); HTTP answers 500 with it. */
export class ApplyError extends Error {
  override name = 'ApplyError';
}

/** Consul's SessionTTLMultiplier: the leader waits twice the TTL before invalidating. */
const SESSION_TTL_MULTIPLIER = 2;

export class NoLeaderError extends Error {
  override name = 'NoLeaderError';
  constructor() {
    super('No cluster leader');
  }
}

function connLimits(l: RuntimeConfig['limits']): ConnLimits {
  return { maxConnsPerClient: l.rpcMaxConnsPerClient, handshakeTimeoutMs: l.rpcHandshakeTimeoutNs / 1e6 };
}

export class Server {
  /** Called whenever this server learns of a (new) leader: the agent's anti-entropy can go through. */
  onLeaderKnown: (() => void) | null = null;
  readonly raft: RaftNode;
  readonly state: StateStore;
  private readonly fsm: FSM;
  /** Raft server ID (the node ID, as raft protocol 3) → RPC address. */
  readonly addresses = new Map<string, string>();
  /** Raft server ID → node name, learned from the LAN pool. */
  private readonly names = new Map<string, string>();
  private stopping = false;

  private transport: RaftTransport | null = null;
  private lanMembers: () => Member[] = () => [];
  /** Serf force-leave of a failed LAN member (autopilot's dead-server cleanup). */
  private forceLeave: (name: string) => void = () => {};
  /** Autopilot's timers while this server leads, and since when (wall ms) it has run. */
  private autopilotTimers: Array<{ cancel(): void }> = [];
  private autopilotSince = 0;
  private readonly log: Logger;
  private reconcileTimer: { cancel(): void } | null = null;
  private changing = false;
  /** Server reconcile was asked for while a configuration change was in progress. */
  private reconcileAgain = false;
  private readonly timings: RaftTimings;
  readonly tombstoneGC: TombstoneGC;
  /** This agent's HTTP API handler, in process (the snapshot RPC serves /v1/snapshot through it). */
  localHttp: ((call: HttpCall) => Promise<HttpAnswer>) | null = null;
  /** Server RPC methods by ServiceMethod name (the agent adds Proconsul.HTTP). */
  readonly rpcMethods = new Map<string, RpcMethod>();

  /** Builds the server: its Raft configuration, storage, and the Raft transport on the server port. */
  static async create(config: RuntimeConfig, nodeId: string, deps: ServerDeps): Promise<Server> {
    const log = deps.hub.logger('agent.server');
    const start = await startingConfiguration(config, nodeId, deps.disk, log);
    if (start instanceof Error) throw start;
    const peers = start.peers;
    const storage = deps.raftStorage(config);
    const store: SnapshotStore =
      config.devMode || config.dataDir === ''
        ? new MemSnapshotStore()
        : new DiskSnapshotStore(deps.disk, deps.clock, `${config.dataDir}/raft/snapshots`);
    let initial = await store.open((name, why) =>
      log.warn('failed to open snapshot, skipping', 'id', name, 'error', why),
    );
    if (start.recovered && peers) {
      const snap = await recoverCluster(storage, store, initial, peers, config.datacenter, () =>
        deps.clock.wallMs(),
      );
      if (snap) {
        initial = snap;
        log.info('recovered Raft configuration from peers.json', 'index', snap.meta.index);
      }
    }
    if (initial) log.info('restored from snapshot', 'index', initial.meta.index, 'term', initial.meta.term);
    const srv = new Server(config, nodeId, deps, peers, storage, store, initial);
    // Every server listens for RPC and Raft, -dev too: clients that join a dev agent forward to it.
    const me = {
      id: nodeId,
      addr: srv.addresses.get(nodeId) ?? `${config.advertiseAddrLan}:${config.ports.server}`,
    };
    const guarded = guardRpcListener(deps.streams, () => srv.rpcLimits, deps.timers, log.named('rpc'));
    const t = new RaftTransport(
      me,
      guarded,
      (id) => srv.addresses.get(id),
      (env) => srv.raft.step(env),
      log.named('raft'),
      (byte, conn, rest) => {
        const rlog = log.named('rpc');
        if (byte === RPC_CONSUL) serveRpc(conn, rest, srv.rpcMethods, rlog);
        // Consul's RPC pool: one yamux session per connection, one RPC stream per call.
        else if (byte === RPC_MULTIPLEX_V2)
          new YamuxSession(
            conn,
            'server',
            (st) => serveRpc(st, new Uint8Array(), srv.rpcMethods, rlog),
            rest,
          );
        else if (byte === RPC_SNAPSHOT && srv.localHttp) serveSnapshotRpc(conn, rest, srv.localHttp, rlog);
        else if (byte === RPC_TLS || byte === RPC_TLS_INSECURE) {
          // No TLS is configured: Consul's TLS handshake fails for want of a certificate and the
          // read of the inner protocol byte reports it.
          rlog.error(
            'failed to read byte',
            'conn',
            `from=${formatAddr(conn.remote)}`,
            'error',
            'tls: no certificates configured',
          );
          conn.destroy();
        } else {
          rlog.error('unrecognized RPC byte', 'byte', byte, 'conn', `from=${formatAddr(conn.remote)}`);
          conn.destroy();
        }
      },
      { clock: deps.clock, timers: deps.timers },
    );
    await t.listen({ ip: config.bindAddr, port: config.ports.server });
    srv.transport = t;
    return srv;
  }

  /** The RPC listener's per-client connection limit and handshake timeout (reloadable). */
  rpcLimits: ConnLimits;

  reloadLimits(l: RuntimeConfig['limits']): void {
    this.rpcLimits = connLimits(l);
  }

  private constructor(
    private readonly config: RuntimeConfig,
    readonly nodeId: string,
    private readonly deps: ServerDeps,
    peers: PeerEntry[] | null,
    storage: RaftStorage,
    snapshots: SnapshotStore,
    initialSnapshot: StoredSnapshot | null,
  ) {
    this.timings = timingsFor(config.devMode ? 0.05 : config.raftMultiplier);
    this.rpcLimits = connLimits(config.limits);
    this.state = new StateStore(config.datacenter);
    this.fsm = new FSM(this.state, () => deps.clock.wallMs());
    this.log = deps.hub.logger('agent.server');
    // KV tombstones are reaped by the leader, through Raft, once their TTL has passed.
    this.tombstoneGC = new TombstoneGC({ clock: deps.clock, timers: deps.timers }, (index) => {
      const req: TombstoneRequest = { Datacenter: config.datacenter, Op: 'reap', ReapIndex: index };
      this.apply(encodeCommand(MessageTypes.Tombstone, req)).catch((e: unknown) =>
        this.log.error('failed to reap tombstones', 'index', index, 'error', String(e)),
      );
    });
    this.state.kv.onTombstone = (index) => this.tombstoneGC.hint(index);
    this.state.deferWakeups((fn) => void deps.timers.after(0, fn));
    // The leader mirrors the LAN pool into the catalog on every member event and once a minute.
    this.reconcileTimer = deps.timers.every(60_000, () => void this.reconcileAll());
    const rpcAddr = `${config.advertiseAddrLan}:${config.ports.server}`;
    this.addresses.set(nodeId, rpcAddr);
    this.names.set(nodeId, config.nodeName);
    for (const p of peers ?? []) this.addresses.set(p.id, p.address);
    const log = this.log;
    const voters = (peers ?? []).filter((p) => !p.non_voter).map((p) => p.id);
    this.raft = new RaftNode(nodeId, voters, this.timings, {
      nonVoters: (peers ?? []).filter((p) => p.non_voter).map((p) => p.id),
      clock: deps.clock,
      timers: deps.timers,
      rng: deps.rng.fork('raft'),
      storage,
      send: (env) => this.transport?.send(env),
      apply: (e) => this.fsm.apply(e.index, e.data),
      logger: log.named('raft'),
      metrics: deps.metrics,
      selfAddress: rpcAddr,
      onLeaderChange: (leader) => {
        if (leader === nodeId) {
          log.info('cluster leadership acquired');
          this.startAutopilot();
          // The new leader starts the clock on every tombstone it finds (Consul hints its last index).
          this.tombstoneGC.setEnabled(true);
          this.tombstoneGC.hint(this.state.kv.maxTombstoneIndex);
          void this.reconcileAll();
          // The first leader seeds autopilot's configuration from this agent's `autopilot {}`.
          if (!this.state.autopilot.config)
            this.setAutopilot({ ...this.defaultAutopilot(), ModifyIndex: 0 }, true).catch(() => {});
          // Session TTL timers live on the leader and start afresh with each leadership.
          for (const sess of this.state.sessions.list()) this.resetSessionTimer(sess.ID);
        } else {
          this.clearSessionTimers();
          this.stopAutopilot();
          this.tombstoneGC.setEnabled(false);
        }
        if (leader !== '') this.onLeaderKnown?.();
        if (leader !== '')
          log.info(
            'New leader elected',
            'payload',
            leader === nodeId ? config.nodeName : (this.names.get(leader) ?? leader),
          );
      },
      onConfigurationChange: (servers) => {
        for (const sv of servers) if (sv.address) this.addresses.set(sv.id, sv.address);
      },
      snapshots: {
        store: snapshots,
        initial: initialSnapshot,
        fsm: {
          // Captured at once, written out in slices between which timers and requests run.
          snapshot: () =>
            snapshotStateSliced(
              this.state,
              this.raft.appliedIndex,
              () => new Promise<void>((r) => void deps.timers.after(0, r)),
            ),
          restore: (data) => {
            const r = restoreState(this.state, data);
            // Our own snapshots, checksummed on disk or sent by the leader: damage here is a bug.
            if (r instanceof Error) throw r;
          },
        },
        thresholdEntries: config.raftSnapshotThreshold,
        intervalMs: config.raftSnapshotIntervalNs / 1e6,
        trailingLogs: config.raftTrailingLogs,
      },
    });
    this.rpcMethods.set('Status.Ping', async () => (w) => void w.bool(true));
    this.rpcMethods.set('Status.Leader', async () => (w) => void w.str(this.leaderAddress()));
    this.rpcMethods.set('Status.Peers', async () => (w) => {
      const peers = this.peerAddresses();
      w.arrayHeader(peers.length);
      for (const p of peers) w.str(p);
    });
    if (peers === null && config.bootstrapExpect === 0 && !config.devMode)
      log.info('no known peers; waiting for the leader to add this server (consul join)');
  }

  /** Servers of the configuration in force (empty before bootstrap). */
  private configured(): Array<{ id: string; address: string; voter: boolean }> {
    return this.raft.core
      .configuration()
      .map((sv) => ({ ...sv, address: sv.address || (this.addresses.get(sv.id) ?? '') }));
  }

  /** Commits a command through Raft and returns the FSM's result ("No cluster leader" without one). */
  async apply(data: Uint8Array): Promise<unknown> {
    try {
      return await this.raft.propose(data);
    } catch (e) {
      if (e instanceof NotLeaderError) throw new NoLeaderError();
      throw e;
    }
  }

  /** Waits until a barrier entry of this leader's term is applied (?consistent reads). */
  async barrier(): Promise<void> {
    try {
      await this.raft.barrier();
    } catch (e) {
      if (e instanceof NotLeaderError || e instanceof LeadershipLostError) throw new NoLeaderError();
      throw e;
    }
  }

  /** Times an endpoint as Consul's RPC endpoints do (consul.kvs.apply, consul.catalog.register, …). */
  private async timed<T>(key: string[], fn: () => Promise<T>): Promise<T> {
    const t0 = this.deps.clock.monotonicMs();
    try {
      return await fn();
    } finally {
      (this.deps.metrics ?? noMetrics).addSample(key, this.deps.clock.monotonicMs() - t0);
    }
  }

  /** Catalog registration through Raft. */
  async catalogRegister(req: RegisterRequest): Promise<void> {
    await this.timed(['catalog', 'register'], () => this.apply(encodeCommand(MessageTypes.Register, req)));
  }

  async catalogDeregister(req: DeregisterRequest): Promise<void> {
    await this.timed(['catalog', 'deregister'], () =>
      this.apply(encodeCommand(MessageTypes.Deregister, req)),
    );
  }

  /** Agents' coordinates through Raft (Consul's CoordinateBatchUpdate). */
  async coordinateUpdate(updates: Array<{ Node: string; Segment: string; Coord: Coord }>): Promise<void> {
    await this.apply(encodeCommand(MessageTypes.CoordinateBatchUpdate, updates));
  }

  /** A KV write through Raft; resolves with its result (false for a failed check-and-set). */
  async kvWrite(req: KvRequest): Promise<boolean> {
    // Lock-delay is wall time: only the leader's clock decides, before the entry is proposed.
    if (req.Op === 'lock' && this.state.sessions.lockDelay(req.Key, this.deps.clock.wallMs()) > 0) {
      this.log.warn('Rejecting lock of key due to lock-delay', 'key', req.Key);
      return false;
    }
    const r = await this.timed(['kvs', 'apply'], () => this.apply(encodeCommand(MessageTypes.KVS, req)));
    if (r instanceof Error) throw new ApplyError(`raft apply failed: ${r.message}`);
    return r === true;
  }

  /**
   * A transaction: read-only ones are answered here without Raft; writes go through the log. Lock ops
   * under lock-delay fail before anything is proposed, as Consul's pre-apply check does.
   */
  async txn(ops: TxnOp[]): Promise<TxnOutcome> {
    if (!ops.some(isWriteOp)) return runTxn(this.state, 0, ops);
    const now = this.deps.clock.wallMs();
    const errors = ops.flatMap((op, i) =>
      'KV' in op && op.KV.Verb === 'lock' && this.state.sessions.lockDelay(op.KV.Key, now) > 0
        ? [{ OpIndex: i, What: `failed to lock key ${JSON.stringify(op.KV.Key)} due to lock delay` }]
        : [],
    );
    if (errors.length > 0) return { Results: null, Errors: errors };
    return (await this.timed(['txn', 'apply'], () =>
      this.apply(encodeCommand(MessageTypes.Txn, ops)),
    )) as TxnOutcome;
  }

  /** The whole state as of the last applied entry, for GET /v1/snapshot. */
  stateSnapshot(): { index: number; term: number; configuration: ConfigServer[]; state: Uint8Array } {
    const index = this.raft.appliedIndex;
    return {
      index,
      term: Math.max(0, this.raft.core.termAt(index)),
      configuration: this.raft.core
        .configurationAt(index)
        .map((sv) => ({ ...sv, address: sv.address || (this.addresses.get(sv.id) ?? '') })),
      state: snapshotState(this.state, index),
    };
  }

  /** PUT /v1/snapshot: checks the state stream here, then replaces every replica's store through Raft. */
  async restoreSnapshot(state: Uint8Array): Promise<Error | null> {
    const check = restoreState(new StateStore(this.config.datacenter), state);
    if (check instanceof Error) return check;
    await this.apply(encodeCommand(MessageTypes.RestoreState, { State: new TextDecoder().decode(state) }));
    for (const sess of this.state.sessions.list()) this.resetSessionTimer(sess.ID);
    return null;
  }

  private defaultAutopilot(): AutopilotConfig {
    const a = this.config.autopilot;
    return {
      CleanupDeadServers: a.cleanupDeadServers,
      LastContactThreshold: formatGoDuration(a.lastContactThresholdNs),
      MaxTrailingLogs: a.maxTrailingLogs,
      MinQuorum: a.minQuorum,
      ServerStabilizationTime: formatGoDuration(a.serverStabilizationTimeNs),
      RedundancyZoneTag: '',
      DisableUpgradeMigration: false,
      UpgradeVersionTag: '',
      CreateIndex: 0,
      ModifyIndex: 0,
    };
  }

  /** The autopilot configuration in force (the agent's own until a leader stored one). */
  autopilotConfig(): AutopilotConfig {
    return this.state.autopilot.config ?? this.defaultAutopilot();
  }

  /** Stores a new autopilot configuration; with `cas`, only if its ModifyIndex is still current. */
  async setAutopilot(c: AutopilotConfig, cas: boolean): Promise<boolean> {
    return (await this.apply(encodeCommand(MessageTypes.Autopilot, { Config: c, CAS: cas }))) === true;
  }

  /** When each server was last seen turning healthy (autopilot's StableSince). */
  private readonly healthySince = new Map<string, number>();

  /**
   * Autopilot's view of the servers, from the leader's replication state and the LAN pool: a server is
   * healthy when Serf has it alive, it answered within LastContactThreshold and trails the leader by
   * at most MaxTrailingLogs entries.
   */
  autopilotHealth(nowMs: number, wallMs: number) {
    const ap = this.autopilotConfig();
    const threshold = parseGoDuration(ap.LastContactThreshold);
    const thresholdMs = threshold instanceof Error ? 200 : threshold / 1e6;
    const core = this.raft.core;
    const contact = core.peerContactAgo(nowMs);
    const matches = core.matchIndexes();
    const serf = new Map(this.lanServers().map((s) => [s.id, s.m.status]));
    const statusName = (st: number | undefined) =>
      st === MemberStatus.alive
        ? 'alive'
        : st === MemberStatus.leaving
          ? 'leaving'
          : st === MemberStatus.left
            ? 'left'
            : st === MemberStatus.failed
              ? 'failed'
              : 'none';
    const servers = this.configured().map((sv) => {
      const self = sv.id === this.nodeId;
      const lastContactMs = self ? 0 : (contact.get(sv.id) ?? Infinity);
      const lastIndex = self ? core.lastIndex : (matches.get(sv.id) ?? 0);
      const serfStatus = self ? 'alive' : statusName(serf.get(sv.id));
      // Contact is the leader's view: between heartbeats it grows by up to one heartbeat interval on a
      // healthy link (500 ms at raft_multiplier 5), which is not held against LastContactThreshold.
      const healthy =
        serfStatus === 'alive' &&
        lastContactMs <= thresholdMs + this.timings.heartbeatTimeoutMs / 10 &&
        core.lastIndex - lastIndex <= ap.MaxTrailingLogs;
      if (!healthy) this.healthySince.delete(sv.id);
      else if (!this.healthySince.has(sv.id)) this.healthySince.set(sv.id, wallMs);
      return {
        ID: sv.id,
        Name: self ? this.config.nodeName : (this.names.get(sv.id) ?? ''),
        Address: sv.address,
        SerfStatus: serfStatus,
        Version: CONSUL_VERSION,
        Leader: self && this.isLeader(),
        LastContact: Number.isFinite(lastContactMs) ? formatGoDuration(Math.round(lastContactMs * 1e6)) : '',
        LastTerm: Number.isFinite(lastContactMs) ? core.term : 0,
        LastIndex: lastIndex,
        Healthy: healthy,
        Voter: sv.voter,
        StableSince: new Date(this.healthySince.get(sv.id) ?? 0).toISOString().replace(/\.\d+Z$/, 'Z'),
      };
    });
    const voters = servers.filter((x) => x.Voter);
    const quorum = Math.floor(voters.length / 2) + 1;
    const healthyVoters = voters.filter((x) => x.Healthy).length;
    return {
      Healthy: servers.every((x) => x.Healthy),
      FailureTolerance: Math.max(0, healthyVoters - quorum),
      Servers: servers,
    };
  }

  private readonly sessionTimers = new Map<string, { cancel(): void }>();

  /** Session TTL timers this leader runs (consul.session_ttl.active). */
  get activeSessionTtls(): number {
    return this.sessionTimers.size;
  }

  /** Creates a session (its ID made here, before the entry exists, so replicas agree); returns the ID. */
  async sessionCreate(sess: Omit<Session, 'ID' | 'CreateIndex' | 'ModifyIndex'>): Promise<string> {
    let id = uuidFrom(this.deps.rng);
    while (this.state.sessions.get(id)) id = uuidFrom(this.deps.rng);
    const req: SessionRequest = {
      Op: 'create',
      Session: { ...sess, ID: id, CreateIndex: 0, ModifyIndex: 0 },
    };
    const r = await this.apply(encodeCommand(MessageTypes.Session, req));
    if (r instanceof Error) throw new ApplyError(`apply failed: ${r.message}`);
    this.resetSessionTimer(id);
    return id;
  }

  /**
   * A prepared query create, update or delete (Consul's PreparedQuery.Apply): a create gets its ID
   * here, before the entry exists; update and delete need the query to exist; creates and updates
   * are validated before anything is proposed. Resolves with the query's ID.
   */
  async preparedQueryApply(op: 'create' | 'update' | 'delete', q: PreparedQuery): Promise<string> {
    const t = this.state.queries;
    let id = q.ID;
    if (op === 'create') {
      if (id !== '') throw new ApplyError('ID must be empty when creating a new prepared query');
      do id = uuidFrom(this.deps.rng);
      while (t.get(id));
    } else if (!t.get(id)) throw new ApplyError(`Cannot modify non-existent prepared query: '${id}'`);
    const bad = op === 'delete' ? null : validateQuery(q);
    if (bad) throw new ApplyError(`Invalid prepared query: ${bad.message}`);
    const req: PreparedQueryRequest =
      op === 'delete' ? { Op: op, Query: { ID: id } } : { Op: op, Query: { ...q, ID: id } };
    const r = await this.apply(encodeCommand(MessageTypes.PreparedQuery, req));
    if (r instanceof Error) throw new ApplyError(`raft apply failed: ${r.message}`);
    return id;
  }

  /** Destroys a session (nothing to do when it does not exist). */
  async sessionDestroy(id: string): Promise<void> {
    if (!this.state.sessions.get(id)) return;
    await this.apply(encodeCommand(MessageTypes.Session, { Op: 'destroy', ID: id } satisfies SessionRequest));
    this.sessionTimers.get(id)?.cancel();
    this.sessionTimers.delete(id);
  }

  /** Renew: restarts the session's TTL timer on the leader; null when there is no such session. */
  sessionRenew(id: string): Session | null {
    const sess = this.state.sessions.get(id);
    if (!sess) return null;
    this.resetSessionTimer(id);
    return sess;
  }

  private resetSessionTimer(id: string): void {
    const sess = this.state.sessions.get(id);
    this.sessionTimers.get(id)?.cancel();
    this.sessionTimers.delete(id);
    if (!sess || !this.isLeader()) return;
    const ttl = parseGoDuration(sess.TTL);
    if (ttl instanceof Error || ttl === 0) return;
    const t = this.deps.timers.after((ttl / 1e6) * SESSION_TTL_MULTIPLIER, () => {
      this.sessionTimers.delete(id);
      if (!this.isLeader() || !this.state.sessions.get(id)) return;
      this.apply(
        encodeCommand(MessageTypes.Session, { Op: 'destroy', ID: id } satisfies SessionRequest),
      ).catch((e: unknown) => this.log.error('Session invalidation failed', 'session', id, 'error', e));
    });
    this.sessionTimers.set(id, t);
  }

  private clearSessionTimers(): void {
    for (const [, t] of this.sessionTimers) t.cancel();
    this.sessionTimers.clear();
  }

  /** What read responses report about this server's view of the leader (X-Consul-KnownLeader, -LastContact). */
  readMeta(nowMs: number): { knownLeader: boolean; lastContactMs: number } {
    const r = this.raft;
    if (r.core.votersList.length === 0) return { knownLeader: false, lastContactMs: 0 };
    return { knownLeader: r.leader !== '', lastContactMs: Math.round(r.core.lastContactAgo(nowMs)) };
  }

  /** The leader's server ID ('' when none is known). */
  leaderId(): string {
    return this.raft.leader;
  }

  /** The leader's RPC address, or "" when there is none (what /v1/status/leader answers). */
  leaderAddress(): string {
    const l = this.raft.leader;
    return l === '' ? '' : (this.addresses.get(l) ?? '');
  }

  /** RPC addresses of every server in the Raft configuration. */
  peerAddresses(): string[] {
    return this.configured().map((sv) => sv.address);
  }

  /** Parsed RPC address of a server (for tests and the RPC layer). */
  addressOf(id: string) {
    const a = this.addresses.get(id);
    return a ? parseAddr(a) : null;
  }

  /** GET /v1/operator/raft/configuration: every server of the configuration as this server sees it. */
  raftConfiguration(nodeName: string): { Servers: Array<Record<string, unknown>>; Index: number } {
    const r = this.raft;
    const c = r.core;
    const matches = c.matchIndexes();
    const servers = this.configured().map((sv) => ({
      ID: sv.id,
      Node: sv.id === this.nodeId ? nodeName : (this.names.get(sv.id) ?? '(unknown)'),
      Address: sv.address,
      Leader: r.leader === sv.id,
      Voter: sv.voter,
      ProtocolVersion: '3',
      LastIndex: sv.id === this.nodeId ? c.lastIndex : (matches.get(sv.id) ?? 0),
    }));
    return { Servers: servers, Index: servers.length > 0 ? Math.max(1, c.commitIndex) : 0 };
  }

  /** The `raft` section of `consul info`. */
  raftStats(): Record<string, string> {
    const r = this.raft;
    const c = r.core;
    const conf = this.configured();
    const cfg = conf
      .map((sv) => `{Suffrage:${sv.voter ? 'Voter' : 'Nonvoter'} ID:${sv.id} Address:${sv.address}}`)
      .join(' ');
    const state = {
      leader: 'Leader',
      follower: 'Follower',
      candidate: 'Candidate',
      precandidate: 'Candidate',
    }[c.role];
    // hashicorp's Stats: "0" on the leader, the time since the leader was heard from on a follower,
    // "never" before any leader.
    const lastContact =
      c.role === 'leader'
        ? '0'
        : r.leader === ''
          ? 'never'
          : formatGoDuration(Math.round(c.lastContactAgo(this.deps.clock.monotonicMs()) * 1e6));
    return {
      applied_index: String(r.appliedIndex),
      commit_index: String(c.commitIndex),
      fsm_pending: '0',
      last_contact: lastContact,
      last_log_index: String(c.lastIndex),
      last_log_term: String(c.lastTerm),
      last_snapshot_index: String(c.snapshotMeta.index),
      last_snapshot_term: String(c.snapshotMeta.term),
      latest_configuration: `[${cfg}]`,
      latest_configuration_index: String(c.configurationIndex),
      num_peers: String(Math.max(0, conf.filter((sv) => sv.voter && sv.id !== this.nodeId).length)),
      protocol_version: '3',
      protocol_version_max: '3',
      protocol_version_min: '0',
      snapshot_version_max: '1',
      snapshot_version_min: '0',
      state,
      term: String(c.term),
    };
  }

  /**
   * `operator raft transfer-leader` (Consul's attemptLeadershipTransfer): to the server named by ID, or
   * else to the voter whose log is furthest along; an error text when it fails.
   */
  async transferLeader(id: string): Promise<string | null> {
    const conf = this.configured();
    const matches = this.raft.core.matchIndexes();
    let target = '';
    if (id !== '') {
      if (!conf.some((s) => s.id === id)) return `Could not find address for server id ${id}`;
      target = id;
    } else {
      const others = conf.filter((s) => s.voter && s.id !== this.nodeId);
      others.sort((a, b) => (matches.get(b.id) ?? 0) - (matches.get(a.id) ?? 0));
      target = others[0]?.id ?? '';
      if (target === '') return 'cannot find peer';
    }
    try {
      this.log.info('transferring leadership', 'id', target);
      await this.raft.transferLeadership(target, this.timings.electionTimeoutMs * 2);
      return null;
    } catch (e) {
      return (e as Error).message;
    }
  }

  /** `operator raft remove-peer`: RemoveServer by ID or address; an error text as Consul's. */
  async removePeer(which: { id: string } | { address: string }): Promise<string | null> {
    const conf = this.configured();
    const target =
      'id' in which ? conf.find((s) => s.id === which.id) : conf.find((s) => s.address === which.address);
    if (!target)
      return 'id' in which
        ? `id "${which.id}" was not found in the Raft configuration`
        : `address "${which.address}" was not found in the Raft configuration`;
    try {
      this.log.info('removing server by ID', 'id', target.id);
      await this.raft.changeConfiguration(conf.filter((s) => s.id !== target.id));
      return null;
    } catch (e) {
      return e instanceof NotLeaderError ? 'No cluster leader' : (e as Error).message;
    }
  }

  /** LAN members that are servers of our datacenter, with their Raft ID and RPC address. */
  private lanServers(): Array<{ m: Member; id: string; address: string; expect: number }> {
    const out = [];
    for (const m of this.lanMembers()) {
      if (m.tags.get('role') !== 'consul' || m.tags.get('dc') !== this.config.datacenter) continue;
      const id = m.tags.get('id') ?? '';
      if (id === '') continue;
      this.names.set(id, m.name);
      out.push({
        m,
        id,
        address: `${m.addr}:${m.tags.get('port') ?? '8300'}`,
        expect: Number(m.tags.get('expect') ?? 0),
      });
    }
    return out;
  }

  /**
   * bootstrap_expect: once that many servers of our datacenter (with the same expect) are alive in the
   * LAN pool, every one of them bootstraps Raft with all of them, as Consul's maybeBootstrap does.
   */
  private maybeBootstrap(): void {
    const expect = this.config.bootstrapExpect;
    if (expect === 0 || this.raft.core.votersList.length > 0 || this.raft.core.lastIndex > 0) return;
    const servers = this.lanServers().filter((s) => s.m.status === MemberStatus.alive);
    for (const s of servers)
      if (s.expect !== 0 && s.expect !== expect) {
        this.log.error(
          'Member has a conflicting expect value. All nodes should expect the same number.',
          'member',
          s.m.name,
        );
        return;
      }
    if (servers.length < expect) return;
    const chosen = servers.sort((a, b) => (a.id < b.id ? -1 : 1));
    this.log.info(
      'Found expected number of peers, attempting bootstrap',
      'peers',
      chosen.map((s) => s.address).join(','),
    );
    for (const s of chosen) this.addresses.set(s.id, s.address);
    const peers = chosen.map((s) => ({ id: s.id, address: s.address }));
    if (this.raft.bootstrap(peers.map((p) => p.id)) && this.config.dataDir !== '' && !this.config.devMode) {
      const dir = `${this.config.dataDir}/raft`;
      void this.deps.disk
        .mkdirp(dir, 0o700)
        .then(() => this.deps.disk.writeFileAtomic(`${dir}/configuration.json`, JSON.stringify(peers)))
        .catch((e: Error) => this.log.error('failed to persist the bootstrap configuration', 'error', e));
    }
  }

  /**
   * The leader's server reconcile: alive servers of our datacenter that Raft does not know are added as
   * voters; servers that left are removed. One change at a time, as Raft allows.
   */
  private async reconcileServers(): Promise<void> {
    if (!this.isLeader()) return;
    if (this.changing) {
      // One change at a time: run again once the one in progress is done.
      this.reconcileAgain = true;
      return;
    }
    this.changing = true;
    this.reconcileAgain = false;
    try {
      for (;;) {
        const conf = this.configured();
        const known = new Set(conf.map((sv) => sv.id));
        const servers = this.lanServers();
        const add = servers.find((s) => s.m.status === MemberStatus.alive && !known.has(s.id));
        const gone = servers.find(
          (s) => s.m.status === MemberStatus.left && known.has(s.id) && s.id !== this.nodeId,
        );
        if (add) {
          this.addresses.set(add.id, add.address);
          this.log.info(
            'Adding LAN server',
            'server',
            `${add.m.name} (Addr: tcp/${add.address}) (DC: ${this.config.datacenter})`,
          );
          // As Consul with autopilot: a new server joins without a vote; autopilot promotes it once stable.
          await this.raft.changeConfiguration([...conf, { id: add.id, address: add.address, voter: false }]);
        } else if (gone) {
          this.log.info('removing server by ID', 'id', gone.id);
          await this.raft.changeConfiguration(conf.filter((sv) => sv.id !== gone.id));
        } else return;
        if (!this.isLeader()) return;
      }
    } catch (e) {
      this.log.error('failed to reconcile servers', 'error', e);
    } finally {
      this.changing = false;
      if (this.reconcileAgain) void this.reconcileServers();
    }
  }

  /** Where the LAN members come from (the agent's gossip pool). */
  attachGossip(lanMembers: () => Member[], forceLeave?: (name: string) => void): void {
    this.lanMembers = lanMembers;
    if (forceLeave) this.forceLeave = forceLeave;
  }

  /** Autopilot runs on the leader: health every 2 s, promotions and dead-server cleanup every 10 s. */
  private startAutopilot(): void {
    this.stopAutopilot();
    this.autopilotSince = this.deps.clock.wallMs();
    this.healthySince.clear();
    const now = () => [this.deps.clock.monotonicMs(), this.deps.clock.wallMs()] as const;
    this.autopilotTimers = [
      this.deps.timers.every(AUTOPILOT_UPDATE_MS, () => void this.autopilotHealth(...now())),
      this.deps.timers.every(AUTOPILOT_RECONCILE_MS, () => void this.autopilotReconcile()),
    ];
  }

  private stopAutopilot(): void {
    for (const t of this.autopilotTimers) t.cancel();
    this.autopilotTimers = [];
  }

  /** One autopilot round: promote stable nonvoters, then remove dead servers if so configured. */
  private async autopilotReconcile(): Promise<void> {
    if (!this.isLeader() || this.changing) return;
    const ap = this.autopilotConfig();
    const stab = parseGoDuration(ap.ServerStabilizationTime);
    const rules = {
      cleanupDeadServers: ap.CleanupDeadServers,
      stabilizationMs: stab instanceof Error ? 10_000 : stab / 1e6,
      minQuorum: ap.MinQuorum,
    };
    const wall = this.deps.clock.wallMs();
    const health = this.autopilotHealth(this.deps.clock.monotonicMs(), wall);
    const known = new Map(this.lanServers().map((x) => [x.id, x.m]));
    const servers: AutopilotServer[] = health.Servers.map((h) => ({
      id: h.ID,
      name: known.get(h.ID)?.name ?? h.Name,
      voter: h.Voter,
      known: h.ID === this.nodeId || known.has(h.ID),
      alive: h.ID === this.nodeId || known.get(h.ID)?.status === MemberStatus.alive,
      healthy: h.Healthy,
      ...(this.healthySince.has(h.ID) ? { healthySinceMs: this.healthySince.get(h.ID)! } : {}),
    }));
    const alog = this.deps.hub.logger('agent.server.autopilot');
    this.changing = true;
    try {
      for (const id of promotions(rules, servers, wall, this.autopilotSince)) {
        const address = this.configured().find((x) => x.id === id)?.address ?? '';
        alog.info('Promoting server', 'id', id, 'address', address, 'name', this.names.get(id) ?? '');
        await this.raft.addVoter(id, address);
        if (!this.isLeader()) return;
      }
      const dead = removals(rules, servers);
      for (const id of dead.stale) {
        alog.debug('removing server by ID', 'id', id);
        await this.raft.removeServer(id);
        alog.info('removed server', 'id', id);
        if (!this.isLeader()) return;
      }
      // A failed server is force-left; the member reconcile then takes it out of Raft.
      for (const name of dead.failed) {
        alog.info('Attempting removal of failed server node', 'name', name);
        this.forceLeave(name);
      }
    } catch (e) {
      alog.error('Failed to reconcile current state with the desired state', 'error', e);
    } finally {
      this.changing = false;
      if (this.reconcileAgain) void this.reconcileServers();
    }
  }

  isLeader(): boolean {
    return this.raft.leader === this.nodeId;
  }

  /**
   * Consul's forwardRequestToLeader hold: while no leader is known, a request that needs one is retried
   * after a jittered pause (up to rpc_hold_timeout / 16) until a leader appears or rpc_hold_timeout has
   * passed since it arrived. Resolves whether a leader (perhaps this server) is known.
   */
  async holdForLeader(): Promise<boolean> {
    const holdMs = this.config.rpcHoldTimeoutNs / 1e6;
    const start = this.deps.clock.monotonicMs();
    while (this.raft.leader === '' && !this.stopping) {
      const left = holdMs - (this.deps.clock.monotonicMs() - start);
      if (left <= 0) return false;
      const pause = Math.min(
        left,
        1 + this.deps.rng.int(Math.max(1, Math.floor(holdMs / HOLD_JITTER_FRACTION))),
      );
      await new Promise<void>((r) => this.deps.timers.after(pause, r));
    }
    return this.raft.leader !== '';
  }

  onSerfEvent(pool: 'lan' | 'wan', e: SerfEvent): void {
    if (pool !== 'lan' || !('members' in e)) return;
    for (const m of e.members) {
      const id = m.tags.get('id');
      if (id && m.tags.get('role') === 'consul') this.names.set(id, m.name);
    }
    this.maybeBootstrap();
    if (!this.isLeader()) return;
    for (const m of e.members) void this.reconcileMember(m, e.type === 'member-reap');
    void this.reconcileServers();
  }

  private async reconcileAll(): Promise<void> {
    this.maybeBootstrap();
    if (!this.isLeader()) return;
    void this.reconcileServers();
    const members = this.lanMembers();
    for (const m of members) await this.reconcileMember(m, false);
    // Nodes in the catalog that no member backs any more were reaped while we were not leading.
    const known = new Set(members.map((m) => m.name));
    for (const n of this.state.catalog.listNodes()) {
      if (known.has(n.Node) || n.Node === this.config.nodeName) continue;
      const checks = this.state.catalog.nodeChecks(n.Node);
      if (!checks.some((c) => c.CheckID === 'serfHealth')) continue;
      this.log.info('deregistering member', 'member', n.Node, 'partition', 'default', 'reason', 'reaped');
      await this.catalogDeregister({ Node: n.Node }).catch(() => {});
    }
  }

  /** Consul's reconcileMember: alive → registered with serfHealth passing, failed → critical, left/reaped → gone. */
  private async reconcileMember(m: Member, reaped: boolean): Promise<void> {
    if (!this.isLeader() || m.tags.get('dc') !== this.config.datacenter) return;
    if (m.tags.get('role') !== 'node' && m.tags.get('role') !== 'consul') return;
    try {
      const node = this.state.catalog.node(m.name)?.node;
      const serf = this.state.catalog.nodeChecks(m.name).find((c) => c.CheckID === 'serfHealth');
      if (reaped || m.status === MemberStatus.left) {
        if (!node || m.name === this.config.nodeName) return;
        this.log.info(
          'deregistering member',
          'member',
          m.name,
          'partition',
          'default',
          'reason',
          reaped ? 'reaped' : 'left',
        );
        await this.catalogDeregister({ Node: m.name });
        return;
      }
      if (m.status === MemberStatus.alive) {
        if (node && node.Address === m.addr && serf?.Status === 'passing') return;
        this.log.info('member joined, marking health alive', 'member', m.name, 'partition', 'default');
        const server = m.tags.get('role') === 'consul';
        await this.catalogRegister({
          ID: m.tags.get('id') ?? '',
          Node: m.name,
          Address: m.addr,
          ...(server && m.name !== this.config.nodeName
            ? { Service: { ID: 'consul', Service: 'consul', Port: Number(m.tags.get('port') ?? 8300) } }
            : {}),
          Check: {
            CheckID: 'serfHealth',
            Name: 'Serf Health Status',
            Status: 'passing',
            Output: 'Agent alive and reachable',
          },
        });
        return;
      }
      if (m.status === MemberStatus.failed) {
        if (!node || serf?.Status === 'critical') return;
        this.log.info('member failed, marking health critical', 'member', m.name, 'partition', 'default');
        await this.catalogRegister({
          ID: m.tags.get('id') ?? '',
          Node: m.name,
          Address: m.addr,
          SkipNodeUpdate: true,
          Check: {
            CheckID: 'serfHealth',
            Name: 'Serf Health Status',
            Status: 'critical',
            Output: 'Agent not live or unreachable',
          },
        });
      }
    } catch (e) {
      this.log.error('failed to reconcile member', 'member', m.name, 'error', e);
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.reconcileTimer?.cancel();
    this.stopAutopilot();
    this.tombstoneGC.setEnabled(false);
    this.clearSessionTimers();
    await this.transport?.close();
    await this.raft.stop();
  }
}
