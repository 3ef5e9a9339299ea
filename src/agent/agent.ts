// One agent process: its data dir and identity, its listeners, reload, leave and shutdown, and the
// signal rules of `consul agent` (consul-surface.md §6.3). Cluster membership (gossip, Raft) plugs in
// here as later layers land; today a graceful leave has no peers to tell, so it is a clean shutdown.

import { RpcPool } from './rpc-pool.js';
import type { ProcessRunner } from '../runtime/process.js';
import type { Http2Client } from '../runtime/http2.js';
import type { LoadResult } from '../config/load.js';
import { RELOADABLE_FIELDS, type ListenAddr, type RuntimeConfig } from '../config/runtime-config.js';
import type { Clock } from '../runtime/clock.js';
import type { Disk } from '../runtime/disk.js';
import type { Host } from '../runtime/host.js';
import type { HttpClient, HttpHandler, HttpListener, HttpServerFactory } from '../runtime/http.js';
import type { LogHub } from '../runtime/log.js';
import type { Logger } from '../runtime/logger.js';
import type { Rng } from '../runtime/rng.js';
import type { Timers } from '../runtime/timers.js';
import type {
  Addr,
  PacketTransport,
  StreamListener,
  StreamTransport,
  PacketSocket,
} from '../runtime/transport.js';
import { bannerLines } from './banner.js';
import { lockDataDir, type DataDirLock } from './data-dir.js';
import { resolveNodeId } from './node-id.js';
import { Server } from './server.js';
import { TokenStore } from './tokens.js';
import { LocalState, type CatalogApi } from './local-state.js';
import { AgentGossip } from './gossip.js';
import { memberTags } from './self.js';
import {
  readHttpArgs,
  readHttpReply,
  writeHttpArgs,
  writeHttpReply,
  type HttpAnswer,
  type HttpCall,
} from './rpc.js';
import { parseAddr } from '../raft/transport.js';
import {
  Catalog,
  type CatalogDump,
  type CatalogNode,
  type HealthCheck,
  type NodeService,
} from '../state/catalog.js';
import { MemberStatus, type Member, type SerfEvent } from '../gossip/serf/serf.js';
import { distance } from '../gossip/coordinate/vivaldi.js';
import {
  accepts,
  decodeUserEvent,
  encodeUserEvent,
  EventBuffer,
  EVENT_PREFIX,
  type UserEvent,
} from './events.js';
import { consulRpcMethods } from './consul-rpc.js';
import { handleRemoteExec, REXEC_EVENT, type RemoteExecPorts } from './remote-exec.js';
import type { RaftStorage } from '../raft/storage.js';
import type { MetricsRegistry } from '../runtime/metrics-registry.js';
import { GAUGE_INTERVAL_MS, GaugeSampler, metricsRegistryFor } from './metrics.js';
import { TcpFramer, frame } from '../lib/dns-framing.js';
import { AgentWatches, planAgentWatches } from './watch.js';

export type AgentSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP' | 'SIGPIPE';

export interface AgentDeps {
  clock: Clock;
  timers: Timers;
  rng: Rng;
  disk: Disk;
  host: Host;
  hub: LogHub;
  httpServers: HttpServerFactory;
  /** Builds the HTTP API handler for this agent (the http/ layer, wired by main.ts). */
  httpHandler: (agent: Agent) => HttpHandler;
  isAlive: (pid: number) => boolean;
  /** Banner output (stdout). */
  out: (line: string) => void;
  /** Re-reads every config source exactly as at start (for SIGHUP and `consul reload`). */
  reloadConfig: () => Promise<LoadResult>;
  /** Called once the banner is out, so buffered log lines may flow (Consul's gated writer). */
  onBannerDone?: () => void;
  /** Opens a server's Raft storage (lmdb under <data-dir>/raft; memory in -dev). */
  raftStorage: (config: RuntimeConfig) => RaftStorage;
  /** TCP for the server RPC port and DNS over TCP. */
  streams: StreamTransport;
  /** UDP for DNS. */
  packets: PacketTransport;
  /** Outgoing HTTP (http checks). */
  httpClient: HttpClient;
  /** Child processes (script checks); without it script checks report critical. */
  processes?: ProcessRunner;
  /** The agent's $SHELL: `consul exec` commands run through it (else /bin/sh), as Consul's do. */
  shell?: string;
  /** HTTP/2 (grpc and h2ping checks). */
  http2?: Http2Client;
  /** Builds the DNS handler for this agent (the dns/ layer, wired by main.ts). */
  dnsHandler?: (
    agent: Agent,
  ) => (
    query: Uint8Array,
    transport: 'udp' | 'tcp',
    from?: string,
  ) => Uint8Array | null | Promise<Uint8Array>;
  /** This agent's metrics registry; by default one built from the config's `telemetry {}`. */
  metrics?: MetricsRegistry;
}

/** A plain-text API answer, as Consul writes its errors. */
function text(status: number, t: string): HttpAnswer {
  return {
    status,
    headers: new Map([['content-type', 'text/plain; charset=utf-8']]),
    body: new TextEncoder().encode(`${t}\n`),
  };
}

/** Serf's member counter per event: consul.serf.member.<name>. */
const MEMBER_COUNTERS = {
  'member-join': 'join',
  'member-leave': 'left',
  'member-failed': 'failed',
  'member-update': 'update',
  'member-reap': 'reap',
} as const;

/** How long a graceful leave may take before the agent gives up (Consul: 15 s). */
export const GRACEFUL_TIMEOUT_MS = 15_000;

export class Agent {
  private cfg: RuntimeConfig;
  readonly logger: Logger;
  nodeId = '';
  private lock: DataDirLock | null = null;
  /** Present on servers. */
  server: Server | null = null;
  /** This agent's services and checks (from config) and their sync to the catalog. */
  localState: LocalState | null = null;
  /** ACL tokens set in config or through /v1/agent/token (held for the ACL work). */
  tokens: TokenStore | null = null;
  /** The LAN pool (every agent) and the WAN pool (servers). */
  gossip: AgentGossip | null = null;
  private retryJoins: Array<{ cancel(): void }> = [];
  /** The HTTP API handler (also runs requests forwarded to this server over RPC). */
  private api: HttpHandler | null = null;
  /** On a client: a read-only copy of the servers' catalog, kept fresh by a blocking query (DNS). */
  catalogMirror: Catalog | null = null;
  /** When the mirror's current run of failed refreshes began (monotonic ms; null while it is current). */
  private mirrorFailingSince: number | null = null;
  private mirrorStop = false;
  private coordTimer: { cancel(): void } | null = null;
  private gaugeTimer: { cancel(): void } | null = null;
  /** This agent's metrics (/v1/agent/metrics); never shared with another agent in the process. */
  readonly metrics: MetricsRegistry;
  /** The last 256 user events this agent accepted (/v1/event/list). */
  readonly events = new EventBuffer();
  private listeners: HttpListener[] = [];
  /** The config's `watches`, run against this agent's HTTP API. */
  private watches: AgentWatches | null = null;
  private dnsSockets: Array<PacketSocket | StreamListener> = [];
  private pidWritten = false;
  private leaving = false;
  private stopped = false;

  /** Whether stop() has begun (background loops end). */
  get isStopped(): boolean {
    return this.stopped;
  }
  private resolveDone!: (code: number) => void;
  /** Resolves with the process exit code. */
  readonly done = new Promise<number>((r) => (this.resolveDone = r));
  readonly startedAtMs: number;
  private rpcPool: RpcPool | null = null;

  constructor(
    config: RuntimeConfig,
    private readonly warnings: readonly string[],
    private readonly deps: AgentDeps,
  ) {
    this.cfg = config;
    this.logger = deps.hub.logger('agent');
    this.startedAtMs = deps.clock.wallMs();
    this.metrics = deps.metrics ?? metricsRegistryFor(config, deps.clock, deps.host);
  }

  get config(): RuntimeConfig {
    return this.cfg;
  }

  get hub(): LogHub {
    return this.deps.hub;
  }

  get host(): Host {
    return this.deps.host;
  }

  get clock(): Clock {
    return this.deps.clock;
  }

  get timers(): Timers {
    return this.deps.timers;
  }

  get rng(): Rng {
    return this.deps.rng;
  }

  /** UDP sockets (DNS recursion opens its own). */
  get packets(): PacketTransport {
    return this.deps.packets;
  }

  /** TCP (DNS recursion over TCP). */
  get streams(): StreamTransport {
    return this.deps.streams;
  }

  /** Starts everything; an Error means the agent did not start and has released what it took. */
  async start(): Promise<Error | null> {
    const c = this.cfg;
    const d = this.deps;
    d.out('==> Starting Consul agent...');
    const fail = async (e: Error) => {
      this.logger.error('Error starting agent', 'error', e);
      d.onBannerDone?.();
      await this.cleanup();
      return new Error(`Error starting agent: ${e.message}`);
    };
    if (c.dataDir !== '' && !c.devMode) {
      const lock = await lockDataDir(d.disk, c.dataDir, d.host.pid(), d.isAlive);
      if (lock instanceof Error) return fail(lock);
      this.lock = lock;
    }
    const id = await resolveNodeId(
      {
        configured: c.nodeId,
        dataDir: c.devMode ? '' : c.dataDir,
        devMode: c.devMode,
        disableHostNodeId: c.disableHostNodeId,
      },
      { disk: d.disk, host: d.host, rng: d.rng, logger: this.logger },
    );
    if (id instanceof Error) return fail(id);
    this.nodeId = id;
    if (c.pidFile !== '') {
      try {
        await d.disk.writeFileAtomic(c.pidFile, String(d.host.pid()), 0o644);
        this.pidWritten = true;
      } catch (e) {
        return fail(new Error(`Could not write PID file: ${(e as Error).message}`));
      }
    }
    if (c.serverMode) {
      try {
        this.server = await Server.create(c, this.nodeId, { ...d, metrics: this.metrics });
      } catch (e) {
        return fail(e as Error);
      }
    }
    this.gossip = new AgentGossip(
      c,
      this.nodeId,
      (pool) => new Map(Object.entries(memberTags(this, pool === 'wan'))),
      d,
      (pool, e) => {
        this.countSerfEvent(e);
        this.server?.onSerfEvent(pool, e);
        if (pool === 'lan' && e.type === 'member-join') {
          for (const m of e.members) void this.floodJoin(m);
          // Consul's ServerUp: a server in our pool means anti-entropy can go through soon.
          if (e.members.some((m) => m.tags.get('role') === 'consul')) this.localState?.serverUp();
        }
        if (pool === 'lan' && e.type === 'user' && e.name.startsWith(EVENT_PREFIX))
          this.userEvent(e.payload, e.ltime);
      },
    );
    this.server?.attachGossip(
      () => this.gossip?.members('lan') ?? [],
      (name) => void this.gossip?.forceLeave(name, false, 'lan'),
    );
    const sampler = new GaugeSampler(this.metrics, d.host, d.clock);
    // As go-metrics' runtime collector: a sample at once, then every second, so even the interval the
    // agent started in carries the runtime gauges.
    sampler.sample(this.server, this.gossip);
    this.gaugeTimer = d.timers.every(GAUGE_INTERVAL_MS, () => sampler.sample(this.server, this.gossip));
    this.api = d.httpHandler(this);
    this.server?.rpcMethods.set('Proconsul.HTTP', async (args) => {
      this.metrics.incrCounter(['rpc', 'request']);
      const answer = await this.localHttp(readHttpArgs(args));
      return (w) => writeHttpReply(w, answer);
    });
    if (this.server) this.server.localHttp = (call) => this.localHttp(call);
    // Consul's own RPC methods (KVS, Catalog, Health, ...), served by this agent's HTTP handlers.
    for (const [name, fn] of consulRpcMethods((call) => this.localHttp(call)))
      this.server?.rpcMethods.set(name, fn);
    try {
      await this.gossip.start();
    } catch (e) {
      const what = c.serverMode ? 'Failed to start Consul server' : 'Failed to start Consul client';
      return fail(new Error(`${what}: Failed to start LAN Serf: ${(e as Error).message}`));
    }
    // Services and checks (config files, then API registrations from the data dir) before HTTP opens.
    this.localState = new LocalState(
      c,
      this.nodeId,
      this.catalogApi(),
      {
        timers: d.timers,
        clock: d.clock,
        http: d.httpClient,
        streams: d.streams,
        packets: d.packets,
        disk: d.disk,
        rng: d.rng.fork('checks'),
        aeRng: d.rng.fork('anti-entropy'),
        clusterSize: () => this.gossip?.members('lan').length ?? 1,
        ...(d.processes ? { processes: d.processes } : {}),
        ...(d.http2 ? { http2: d.http2 } : {}),
      },
      this.logger,
    );
    this.localState.start();
    if (this.server) this.server.onLeaderKnown = () => this.localState?.serverUp();
    await this.localState.restore();
    this.tokens = new TokenStore(
      c.acl,
      d.disk,
      c.acl.enableTokenPersistence && c.dataDir !== '' && !c.devMode ? `${c.dataDir}/acl-tokens.json` : '',
    );
    try {
      await this.tokens.load();
    } catch (e) {
      return fail(new Error(`Failed to load tokens file: ${(e as Error).message}`));
    }
    const watches = planAgentWatches(c.watches, c.httpAddrs);
    if (watches instanceof Error) return fail(watches);
    const err = await this.listen(c.httpAddrs);
    if (err) return fail(err);
    const dnsErr = await this.listenDns(c.dnsAddrs);
    if (dnsErr) return fail(dnsErr);

    for (const line of bannerLines(c, this.nodeId)) d.out(line);
    d.out('');
    d.out('==> Log data will now stream in as it occurs:');
    d.out('');
    d.onBannerDone?.();
    for (const w of this.warnings) this.logger.warn(w);
    this.logger.info('Consul agent running!');
    this.watches = new AgentWatches({
      http: d.httpClient,
      ...(d.processes ? { processes: d.processes } : {}),
      timers: d.timers,
      logger: this.logger.named('watch'),
    });
    this.watches.start(watches, c.httpAddrs);
    if (!c.serverMode) void this.mirrorCatalog();
    // Agents report their LAN coordinate to the servers (Consul: every sync_coordinate_interval_min).
    const every = c.devMode ? 1000 : 15_000;
    this.coordTimer = d.timers.after(Math.min(every, 3000), () => {
      void this.sendCoordinate();
      this.coordTimer = d.timers.every(every, () => void this.sendCoordinate());
    });
    this.startRetryJoin('lan', c.retryJoinLan, c.retryIntervalLanNs / 1e6, c.retryMaxLan);
    if (this.gossip.wan)
      this.startRetryJoin('wan', c.retryJoinWan, c.retryIntervalWanNs / 1e6, c.retryMaxWan);
    return null;
  }

  /** Consul's retry-join loop: every interval until one address answers, or retry_max attempts fail. */
  private startRetryJoin(
    pool: 'lan' | 'wan',
    addrs: readonly string[],
    intervalMs: number,
    max: number,
  ): void {
    if (addrs.length === 0) return;
    const cluster = pool.toUpperCase();
    const log = this.logger;
    log.info(
      `Retry join is supported for the following discovery methods`,
      'cluster',
      cluster,
      'discovery_methods',
      'os',
    );
    log.info('Joining cluster...', 'cluster', cluster);
    let attempt = 0;
    let cancelled = false;
    let timer: { cancel(): void } | null = null;
    const handle = {
      cancel: () => {
        cancelled = true;
        timer?.cancel();
      },
    };
    this.retryJoins.push(handle);
    const tryOnce = async () => {
      if (cancelled || !this.gossip) return;
      attempt++;
      log.info(`(${cluster}) joining`, `${pool}_addresses`, [...addrs]);
      const r = await this.gossip.join([...addrs], pool);
      if (cancelled) return;
      if (r.n > 0) {
        log.info(`(${cluster}) joined`, 'number_of_nodes', r.n);
        log.info('Join cluster completed. Synced with initial agents', 'cluster', cluster, 'num_agents', r.n);
        return;
      }
      log.warn(`(${cluster}) couldn't join`, 'number_of_nodes', 0, 'error', r.err ?? '');
      if (max > 0 && attempt >= max) {
        log.error('Join cluster failed, exceeded retry_max', 'cluster', cluster);
        void this.shutdown(1);
        return;
      }
      log.warn(
        'Join cluster failed, will retry',
        'cluster',
        cluster,
        'retry_interval',
        `${intervalMs / 1000}s`,
        'error',
        r.err ?? '',
      );
      timer = this.deps.timers.after(intervalMs, () => void tryOnce());
    };
    void tryOnce();
  }

  /** Runs one HTTP API request in-process (for requests forwarded here over RPC). */
  localHttp(call: HttpCall): Promise<HttpAnswer> {
    return new Promise((resolve) => {
      const chunks: Uint8Array[] = [];
      const enc = new TextEncoder();
      let status = 200;
      let headers: Record<string, string> = {};
      const done = () => {
        const total = chunks.reduce((n, c) => n + c.length, 0);
        const body = new Uint8Array(total);
        let o = 0;
        for (const c of chunks) {
          body.set(c, o);
          o += c.length;
        }
        resolve({ status, headers: new Map(Object.entries(headers)), body });
      };
      const hdrs = Object.fromEntries(call.headers);
      void this.api?.({
        method: call.method,
        url: call.url,
        headers: hdrs,
        remote: { ip: '', port: 0 },
        readBody: async (limit) => (call.body.length > limit ? null : call.body),
        respond: (st, h, body) => {
          status = st;
          headers = h;
          if (body !== undefined) chunks.push(typeof body === 'string' ? enc.encode(body) : body);
          done();
        },
        stream: (st, h) => {
          status = st;
          headers = h;
          return { write: (c) => chunks.push(typeof c === 'string' ? enc.encode(c) : c), end: done };
        },
        onClose: () => {},
      });
    });
  }

  /**
   * Sends an HTTP API request to the server that must answer it: the leader (from a follower), or any
   * known server (from a client), over the server RPC port. Consul's texts when there is none.
   */
  async forwardHttp(call: HttpCall): Promise<HttpAnswer> {
    const targets: string[] = [];
    if (this.server) {
      const leader = this.server.leaderAddress();
      if (leader === '' || this.server.isLeader()) return text(500, 'No cluster leader');
      targets.push(leader);
    } else {
      const servers = (this.gossip?.members('lan') ?? []).filter(
        (m) =>
          m.tags.get('role') === 'consul' &&
          m.status === MemberStatus.alive &&
          m.tags.get('dc') === this.cfg.datacenter,
      );
      for (let i = servers.length - 1; i > 0; i--) {
        const j = this.deps.rng.int(i + 1);
        [servers[i], servers[j]] = [servers[j]!, servers[i]!];
      }
      for (const m of servers) targets.push(`${m.addr}:${m.tags.get('port') ?? '8300'}`);
      if (targets.length === 0) return text(500, 'No known Consul servers');
    }
    const from = this.server ? 'server' : 'client';
    return this.rpcHttp(targets.map(parseAddr), call, from);
  }

  /** Serf's counters: consul.serf.member.{join,left,failed,update,reap}, consul.serf.events[.<name>]. */
  private countSerfEvent(e: SerfEvent): void {
    if (e.type === 'user') {
      this.metrics.incrCounter(['serf', 'events']);
      this.metrics.incrCounter(['serf', 'events', e.name]);
      return;
    }
    if (e.type === 'query') return this.metrics.incrCounter(['serf', 'queries']);
    this.metrics.incrCounter(['serf', 'member', MEMBER_COUNTERS[e.type]], e.members.length);
  }

  /** A `consul:event:*` Serf event: kept if this agent passes its filters (Consul's shouldProcessUserEvent). */
  private userEvent(payload: Uint8Array, ltime: number): void {
    const ev = decodeUserEvent(payload);
    if (!ev) return this.logger.warn('Failed to decode event');
    if (!accepts(ev, this.cfg.nodeName, this.localState?.serviceTags() ?? [])) return;
    // Remote exec requests are handled, never buffered for /v1/event/list (as Consul does).
    if (ev.Name === REXEC_EVENT) {
      if (!this.cfg.enableRemoteExec)
        return this.logger.info(
          'ignoring remote exec event, disabled.',
          'event_name',
          ev.Name,
          'event_id',
          ev.ID,
        );
      void handleRemoteExec(ev, this.remoteExecPorts()).catch((e: Error) =>
        this.logger.error('remote exec failed', 'error', e.message),
      );
      return;
    }
    if (this.events.add({ ...ev, LTime: ltime }))
      this.logger.debug('new event', 'event_name', ev.Name, 'event_id', ev.ID);
  }

  /** KV access for remote exec jobs, through this agent's own API with the agent token. */
  private remoteExecPorts(): RemoteExecPorts {
    const headers = () => {
      const h = new Map<string, string>();
      if (this.cfg.acl.tokens.agent !== '') h.set('x-consul-token', this.cfg.acl.tokens.agent);
      return h;
    };
    const url = (key: string, q: string) => `/v1/kv/${key.split('/').map(encodeURIComponent).join('/')}${q}`;
    return {
      node: this.cfg.nodeName,
      kvGet: async (key, stale) => {
        const a = await this.localHttp({
          method: 'GET',
          url: url(key, stale ? '?stale' : ''),
          headers: headers(),
          body: new Uint8Array(),
        });
        if (a.status === 404) return null;
        const body = new TextDecoder().decode(a.body);
        if (a.status !== 200) throw new Error(body.trim());
        const [e] = JSON.parse(body) as Array<{ Value: string | null }>;
        return e ? new Uint8Array(Buffer.from(e.Value ?? '', 'base64')) : null;
      },
      kvAcquire: async (key, value, session) => {
        const a = await this.localHttp({
          method: 'PUT',
          url: url(key, `?acquire=${encodeURIComponent(session)}`),
          headers: headers(),
          body: value,
        });
        const body = new TextDecoder().decode(a.body).trim();
        if (a.status !== 200) throw new Error(body);
        return body === 'true';
      },
      processes: this.deps.processes,
      timers: this.deps.timers,
      logger: this.logger,
      ...(this.deps.shell ? { shell: this.deps.shell } : {}),
    };
  }

  /** Fires a user event into the LAN pool; an error text (Serf's size limits) or null. */
  fireEvent(ev: UserEvent): string | null {
    const lan = this.gossip?.pool('lan');
    if (!lan) return 'agent not started';
    return lan.driver.run(() => lan.serf.userEvent(`${EVENT_PREFIX}${ev.Name}`, encodeUserEvent(ev), false));
  }

  /** PUT /v1/coordinate/update with this node's LAN coordinate, through the local API (forwarded). */
  private async sendCoordinate(): Promise<void> {
    const lan = this.gossip?.pool('lan');
    const c = lan?.serf.coordinateOf(this.cfg.nodeName);
    if (!c || this.leaving) return;
    const body = JSON.stringify({
      Node: this.cfg.nodeName,
      Segment: '',
      Coord: { Vec: c.vec, Error: c.error, Adjustment: c.adjustment, Height: c.height },
    });
    await this.localHttp({
      method: 'PUT',
      url: '/v1/coordinate/update',
      headers: new Map(),
      body: new TextEncoder().encode(body),
    });
  }

  /**
   * Consul's WAN flood-join: every server of our datacenter that appears in the LAN pool is joined to
   * our WAN pool too (at its wan_join_port), so the datacenter's servers federate together.
   */
  private async floodJoin(m: Member): Promise<void> {
    const wan = this.gossip?.pool('wan');
    if (!wan || m.tags.get('role') !== 'consul' || m.tags.get('dc') !== this.cfg.datacenter) return;
    if (m.name === this.cfg.nodeName || !m.tags.get('wan_join_port')) return;
    if (
      wan.serf
        .allMembers()
        .some((x) => x.name === `${m.name}.${this.cfg.datacenter}` && x.status === MemberStatus.alive)
    )
      return;
    const addr = `${m.addr}:${m.tags.get('wan_join_port')}`;
    const r = await this.gossip!.join([addr], 'wan');
    if (r.n > 0)
      this.logger
        .named('server')
        .info('Successfully performed flood-join for server at address', 'server', m.name, 'address', addr);
    else
      this.logger
        .named('server')
        .debug('Failed to flood-join server', 'server', m.name, 'address', addr, 'error', r.err ?? '');
  }

  /** Datacenters known from the WAN pool, ours first, then by estimated RTT (Consul's order). */
  datacenters(): string[] {
    const wan = this.gossip?.pool('wan');
    if (!wan) return [this.cfg.datacenter];
    const me = wan.serf.coordinateOf(wan.serf.localMember().name);
    const best = new Map<string, number>();
    for (const m of wan.serf.allMembers()) {
      const dc = m.tags.get('dc');
      if (!dc || m.tags.get('role') !== 'consul' || m.status !== MemberStatus.alive) continue;
      const c = wan.serf.coordinateOf(m.name);
      const rtt = dc === this.cfg.datacenter ? -1 : me && c ? distance(me, c) : Number.MAX_SAFE_INTEGER;
      best.set(dc, Math.min(best.get(dc) ?? Infinity, rtt));
    }
    best.set(this.cfg.datacenter, -1);
    return [...best].sort(([a, x], [b, y]) => x - y || (a < b ? -1 : 1)).map(([dc]) => dc);
  }

  /** A request for another datacenter, sent to one of its servers over the WAN pool's addresses. */
  async forwardToDatacenter(dc: string, call: HttpCall): Promise<HttpAnswer> {
    const wan = this.gossip?.pool('wan');
    const servers = (wan?.serf.allMembers() ?? []).filter(
      (m) => m.tags.get('dc') === dc && m.tags.get('role') === 'consul' && m.status === MemberStatus.alive,
    );
    if (servers.length === 0) return text(500, 'No path to datacenter');
    this.metrics.incrCounter(['rpc', 'cross-dc'], 1, { datacenter: dc });
    for (let i = servers.length - 1; i > 0; i--) {
      const j = this.deps.rng.int(i + 1);
      [servers[i], servers[j]] = [servers[j]!, servers[i]!];
    }
    return this.rpcHttp(
      servers.map((m) => ({ ip: m.addr, port: Number(m.tags.get('port') ?? 8300) })),
      call,
      'dc',
    );
  }

  /**
   * Proconsul.HTTP to the first of up to three servers that accepts a connection; `from` marks how far
   * the request may still be forwarded on the other side.
   */
  private async rpcHttp(
    targets: Addr[],
    call: HttpCall,
    from: 'client' | 'server' | 'dc',
  ): Promise<HttpAnswer> {
    const fwd: HttpCall = { ...call, headers: new Map([...call.headers, ['x-proconsul-forwarded', from]]) };
    let last = '';
    const client = from === 'client';
    for (const to of targets.slice(0, 3)) {
      if (client) this.metrics.incrCounter(['client', 'rpc']);
      // Blocking queries may wait up to 10 minutes plus jitter on the server.
      const r = await this.rpc().call(to, 'Proconsul.HTTP', (w) => writeHttpArgs(w, fwd), 11 * 60_000);
      if (r.ok) return readHttpReply(r.reply);
      if (client) this.metrics.incrCounter(['client', 'rpc', 'failed']);
      last = r.error;
      if (!r.connect) break;
    }
    return text(500, last);
  }

  /** The connection pool for calls to servers, made on first use. */
  private rpc(): RpcPool {
    this.rpcPool ??= new RpcPool(this.deps.streams, this.deps.timers, this.deps.clock);
    return this.rpcPool;
  }

  /** The catalog for anti-entropy: this server's own when it leads, else through the leader. */
  private catalogApi(): CatalogApi {
    const leading = () => this.server !== null && this.server.isLeader();
    const call = async (method: string, url: string, body?: unknown) => {
      const a = await this.forwardHttp({
        method,
        url,
        headers: new Map(),
        body: new TextEncoder().encode(body === undefined ? '' : JSON.stringify(body)),
      });
      const text = new TextDecoder().decode(a.body);
      if (a.status !== 200) throw new Error(text.trim());
      return text;
    };
    return {
      nodeView: async (name) => {
        if (leading()) {
          const cat = this.server!.state.catalog;
          const n = cat.node(name);
          return { node: n?.node ?? null, services: n?.services ?? [], checks: cat.nodeChecks(name) };
        }
        // A failure throws the server's text ("No cluster leader", "No known Consul servers"), which
        // anti-entropy logs as Consul does.
        const node = JSON.parse(await call('GET', `/v1/catalog/node/${encodeURIComponent(name)}`)) as {
          Node: CatalogNode;
          Services: Record<string, NodeService>;
        } | null;
        const checks = JSON.parse(
          await call('GET', `/v1/health/node/${encodeURIComponent(name)}`),
        ) as HealthCheck[];
        return { node: node?.Node ?? null, services: Object.values(node?.Services ?? {}), checks };
      },
      register: async (req) => {
        if (leading()) return this.server!.catalogRegister(req);
        await call('PUT', '/v1/catalog/register', req);
      },
      deregister: async (req) => {
        if (leading()) return this.server!.catalogDeregister(req);
        await call('PUT', '/v1/catalog/deregister', req);
      },
    };
  }

  /**
   * How far the client's catalog mirror may be behind the servers (ms): 0 while its blocking query is
   * answered, else the time since the first refresh that failed (what max_stale is held against).
   */
  mirrorLagMs(): number {
    const since = this.mirrorFailingSince;
    return since === null ? 0 : Math.max(0, this.deps.clock.monotonicMs() - since);
  }

  /** Client agents answer DNS from a copy of the catalog that a blocking query keeps current. */
  private async mirrorCatalog(): Promise<void> {
    const mirror = new Catalog();
    let index = 0;
    let first = true;
    while (!this.mirrorStop && !this.stopped) {
      const sentAt = this.deps.clock.monotonicMs();
      const a = await this.forwardHttp({
        method: 'GET',
        url: `/v1/internal/proconsul/catalog?index=${index}&wait=5m`,
        headers: new Map(),
        body: new Uint8Array(),
      });
      if (this.mirrorStop || this.stopped) return;
      if (a.status !== 200) {
        // The mirror was current when the first failing refresh was sent; it ages from then.
        if (!first) this.mirrorFailingSince ??= sentAt;
        await new Promise<void>((r) => this.deps.timers.after(first ? 250 : 1000, r));
        continue;
      }
      first = false;
      this.mirrorFailingSince = null;
      const dump = JSON.parse(new TextDecoder().decode(a.body)) as CatalogDump;
      mirror.replaceAll(dump);
      this.catalogMirror = mirror;
      index = dump.index;
    }
  }

  private async listen(addrs: readonly ListenAddr[]): Promise<Error | null> {
    const handler = this.api ?? this.deps.httpHandler(this);
    for (const a of addrs) {
      const at = a.kind === 'tcp' ? { ip: a.ip, port: a.port } : { socketPath: a.path };
      try {
        this.listeners.push(await this.deps.httpServers.listen(at, handler));
        const shown =
          a.kind === 'tcp'
            ? `tcp://${a.ip.includes(':') ? `[${a.ip}]` : a.ip}:${a.port}`
            : `unix://${a.path}`;
        this.logger
          .named('http')
          .info('Started HTTP server', 'address', shown.replace(/^tcp:\/\//, ''), 'network', a.kind);
      } catch (e) {
        const shown = a.kind === 'tcp' ? `${a.ip}:${a.port}` : a.path;
        return new Error(`error starting HTTP server on ${shown}: ${(e as Error).message}`);
      }
    }
    return null;
  }

  /** DNS on every dns address, UDP and TCP (two-byte length framing on TCP). */
  private async listenDns(addrs: readonly ListenAddr[]): Promise<Error | null> {
    const make = this.deps.dnsHandler;
    if (!make) return null;
    const handle = make(this);
    const log = this.logger.named('dns');
    for (const a of addrs) {
      if (a.kind !== 'tcp') continue;
      try {
        const udp = await this.deps.packets.bind({ ip: a.ip, port: a.port });
        udp.onPacket((from, q) => {
          const r = handle(q, 'udp', from.ip);
          // Most answers are ready at once; only recursion waits.
          if (r instanceof Uint8Array) udp.send(from, r);
          else if (r)
            r.then(
              (x) => udp.send(from, x),
              (e: unknown) => log.error('failed to answer DNS query', 'error', e),
            );
        });
        this.dnsSockets.push(udp);
        const tcp = await this.deps.streams.listen({ ip: a.ip, port: a.port }, (conn) => {
          const framer = new TcpFramer();
          conn.onData((chunk) => {
            for (const msg of framer.push(chunk)) {
              const pending = handle(msg, 'tcp', conn.remote.ip);
              void Promise.resolve(pending).then(
                (r) => {
                  if (r) conn.write(frame(r));
                },
                (e: unknown) => log.error('failed to answer DNS query', 'error', e),
              );
            }
          });
        });
        this.dnsSockets.push(tcp);
        log.info('DNS server started', 'address', `${a.ip}:${a.port}`);
      } catch (e) {
        return new Error(`error starting DNS server on ${a.ip}:${a.port}: ${(e as Error).message}`);
      }
    }
    return null;
  }

  /** SIGHUP, `consul reload`, PUT /v1/agent/reload: re-read sources, apply what may change (§5.5). */
  async reload(): Promise<Error | null> {
    const r = await this.deps.reloadConfig();
    if (!r.ok) return new Error(r.error);
    const watches = planAgentWatches(r.config.watches, r.config.httpAddrs);
    if (watches instanceof Error) return new Error(`Failed reloading watches: ${watches.message}`);
    const next: Record<string, unknown> = { ...this.cfg };
    for (const k of RELOADABLE_FIELDS) next[k] = r.config[k];
    const prev = this.cfg;
    this.cfg = Object.freeze(next) as unknown as RuntimeConfig;
    if (prev.logLevel !== this.cfg.logLevel) this.deps.hub.setLevel(this.cfg.logLevel);
    this.localState?.reload(this.cfg);
    this.server?.reloadLimits(this.cfg.limits);
    if (JSON.stringify(prev.httpAddrs) !== JSON.stringify(this.cfg.httpAddrs)) {
      const old = this.listeners;
      this.listeners = [];
      await Promise.all(old.map((l) => l.close()));
      const err = await this.listen(this.cfg.httpAddrs);
      if (err) return err;
    }
    // Consul stops every watch and starts the new set, changed or not.
    this.watches?.stopAll();
    this.watches?.start(watches, this.cfg.httpAddrs);
    for (const w of r.warnings) this.logger.warn(w);
    return null;
  }

  handleSignal(sig: AgentSignal): void {
    if (sig === 'SIGPIPE') return;
    const name = { SIGINT: 'interrupt', SIGTERM: 'terminated', SIGHUP: 'hangup' }[sig];
    if (this.leaving) {
      this.logger.info('Caught second signal, Exiting', 'signal', name);
      void this.shutdown(1);
      return;
    }
    this.logger.info('Caught', 'signal', name);
    if (sig === 'SIGHUP') {
      void this.reload().then((e) => e && this.logger.error('Reload config failed', 'error', e));
      return;
    }
    const graceful =
      (sig === 'SIGINT' && !this.cfg.skipLeaveOnInterrupt) ||
      (sig === 'SIGTERM' && this.cfg.leaveOnTerminate);
    if (!graceful) {
      this.logger.info('Graceful shutdown disabled. Exiting');
      void this.shutdown(1);
      return;
    }
    this.logger.info('Gracefully shutting down agent...');
    this.leaving = true;
    const timer = this.deps.timers.after(GRACEFUL_TIMEOUT_MS, () => {
      this.logger.info('Timeout on graceful leave. Exiting');
      void this.shutdown(1);
    });
    void this.leave().then(
      () => {
        timer.cancel();
        this.logger.info('Graceful exit completed');
        return this.shutdown(0);
      },
      (e: Error) => {
        timer.cancel();
        this.logger.error('Error on leave', 'error', e);
        return this.shutdown(1);
      },
    );
  }

  /** Graceful leave: Serf leave intents go out (WAN, then LAN) before the process stops. */
  async leave(): Promise<void> {
    this.leaving = true;
    for (const r of this.retryJoins) r.cancel();
    // Anti-entropy stops first, and its writes in flight land, so that it cannot re-register this
    // node after the leader removed it.
    this.localState?.stop();
    let drainTimer: { cancel(): void } | null = null;
    await Promise.race([
      this.localState?.drained(),
      new Promise<void>((r) => (drainTimer = this.deps.timers.after(5000, r))),
    ]);
    (drainTimer as { cancel(): void } | null)?.cancel();
    await this.gossip?.leave();
  }

  /** `consul leave` / PUT /v1/agent/leave: leave, then the process exits 0. */
  async leaveAndExit(): Promise<void> {
    await this.leave();
    this.logger.info('Graceful exit completed');
    // Let the HTTP response go out before the listeners close.
    this.deps.timers.after(0, () => void this.shutdown(0));
  }

  async shutdown(code: number): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.logger.info('Requesting shutdown');
    await this.cleanup();
    this.logger.info('shutdown complete');
    this.resolveDone(code);
  }

  private async cleanup(): Promise<void> {
    this.mirrorStop = true;
    this.watches?.stopAll();
    this.watches = null;
    this.coordTimer?.cancel();
    this.gaugeTimer?.cancel();
    for (const r of this.retryJoins) r.cancel();
    const g = this.gossip;
    this.gossip = null;
    await g?.shutdown().catch(() => {});
    this.localState?.stop();
    this.localState = null;
    const srv = this.server;
    this.server = null;
    await srv?.stop().catch(() => {});
    this.rpcPool?.close();
    this.rpcPool = null;
    const dns = this.dnsSockets;
    this.dnsSockets = [];
    await Promise.all(dns.map((d) => d.close().catch(() => {})));
    const ls = this.listeners;
    this.listeners = [];
    await Promise.all(ls.map((l) => l.close().catch(() => {})));
    if (this.pidWritten) {
      await this.deps.disk.remove(this.cfg.pidFile).catch(() => {});
      this.pidWritten = false;
    }
    if (this.lock) {
      await this.lock.release().catch(() => {});
      this.lock = null;
    }
  }
}
