// The agent's gossip pools: the LAN pool every agent is in, and the WAN pool of servers. Builds the
// Serf/memberlist configuration from the RuntimeConfig as Consul does (names, tags, timings, keyring),
// applies Consul's merge filter (datacenter, node-ID conflicts), and offers join/leave/members.

import type { RuntimeConfig, GossipConfig } from '../config/runtime-config.js';
import type { Clock } from '../runtime/clock.js';
import type { Disk } from '../runtime/disk.js';
import type { LogHub } from '../runtime/log.js';
import type { Logger } from '../runtime/logger.js';
import type { Rng } from '../runtime/rng.js';
import type { Timers } from '../runtime/timers.js';
import type { Addr, PacketTransport, StreamTransport } from '../runtime/transport.js';
import { GossipDriver } from '../gossip/driver.js';
import { LAN_PROFILE, WAN_PROFILE, memberlistConfig } from '../gossip/memberlist/config.js';
import { MemberStatus, Serf, SERF_DEFAULTS, type Member, type SerfEvent } from '../gossip/serf/serf.js';
import { decodeSerf, encodeSerf } from '../gossip/serf/messages.js';
import { replaySnapshot, SnapshotWriter } from '../gossip/serf/snapshot.js';

export interface GossipDeps {
  clock: Clock;
  timers: Timers;
  rng: Rng;
  hub: LogHub;
  disk: Disk;
  packets: PacketTransport;
  streams: StreamTransport;
}

export type Pool = 'lan' | 'wan';

export interface PoolHandle {
  serf: Serf;
  driver: GossipDriver;
  /** Writes the pool's snapshot file (absent in -dev / without a data dir). */
  snapshot: SnapshotWriter | null;
  flush: () => Promise<void>;
  stopFlush: () => void;
}

const dec = new TextDecoder();
const enc = new TextEncoder();

/** Consul's LAN merge filter: refuses other datacenters and node-ID clashes, in Consul's words. */
export function lanMergeFilter(dc: string, nodeName: string, nodeId: string) {
  return (members: Member[]): string | null => {
    const seen = new Map<string, string>();
    for (const m of members) {
      const id = m.tags.get('id') ?? '';
      if (id !== '') {
        if (id === nodeId && m.name.toLowerCase() !== nodeName.toLowerCase())
          return `Member '${m.name}' has conflicting node ID '${id}' with this agent's ID`;
        const other = seen.get(id);
        if (other !== undefined)
          return `Member '${m.name}' has conflicting node ID '${id}' with member '${other}'`;
        seen.set(id, m.name);
      }
      const role = m.tags.get('role');
      if ((role === 'node' || role === 'consul') && m.tags.get('dc') !== dc)
        return `Member '${m.name}' part of wrong datacenter '${m.tags.get('dc') ?? ''}'`;
    }
    return null;
  };
}

/** Consul's WAN merge filter: only servers, named `<node>.<dc>`. */
export function wanMergeFilter() {
  return (members: Member[]): string | null => {
    for (const m of members) {
      if (m.tags.get('role') !== 'consul') return `Member '${m.name}' is not a server`;
      if (!m.name.includes('.')) return `Member '${m.name}' has an invalid WAN name`;
    }
    return null;
  };
}

function timings(g: GossipConfig) {
  return {
    gossipNodes: g.gossipNodes,
    gossipIntervalMs: g.gossipIntervalNs / 1e6,
    probeIntervalMs: g.probeIntervalNs / 1e6,
    probeTimeoutMs: g.probeTimeoutNs / 1e6,
    retransmitMult: g.retransmitMult,
    suspicionMult: g.suspicionMult,
  };
}

/** "ip", "ip:port", "[v6]:port" → Addr with the pool's default port; null when not an address. */
export function parseJoinAddr(s: string, defaultPort: number): Addr | null {
  const v6 = /^\[([0-9a-fA-F:.]+)\](?::(\d+))?$/.exec(s);
  if (v6) return { ip: v6[1]!, port: v6[2] ? Number(v6[2]) : defaultPort };
  const m = /^([^:]+)(?::(\d+))?$/.exec(s);
  if (m) {
    const host = m[1] === 'localhost' ? '127.0.0.1' : m[1]!;
    return { ip: host, port: m[2] ? Number(m[2]) : defaultPort };
  }
  if (/^[0-9a-fA-F:]+$/.test(s)) return { ip: s, port: defaultPort };
  return null;
}

export class AgentGossip {
  lan: PoolHandle | null = null;
  wan: PoolHandle | null = null;
  private readonly log: Logger;
  private stopped = false;

  constructor(
    private readonly cfg: RuntimeConfig,
    private readonly nodeId: string,
    private readonly tags: (pool: Pool) => Map<string, string>,
    private readonly deps: GossipDeps,
    private readonly onEvent: (pool: Pool, e: SerfEvent) => void,
  ) {
    this.log = deps.hub.logger('agent');
  }

  private keyringPath(pool: Pool): string {
    return `${this.cfg.dataDir}/serf/${pool === 'lan' ? 'local' : 'remote'}.keyring`;
  }

  /** Keyring files live in the data dir unless disable_keyring_file (and -dev, which sets it) says not. */
  private persistKeys(): boolean {
    return this.cfg.dataDir !== '' && !this.cfg.devMode && !this.cfg.disableKeyringFile;
  }

  /** The keyring: the persisted file wins over `encrypt` (Consul warns and uses the file). */
  private async loadKeys(pool: Pool): Promise<Uint8Array[]> {
    const persist = this.persistKeys();
    const fromKey = this.cfg.encryptKey ? [new Uint8Array(Buffer.from(this.cfg.encryptKey, 'base64'))] : [];
    if (!persist) return fromKey;
    const raw = await this.deps.disk.readFile(this.keyringPath(pool));
    if (raw !== null) {
      try {
        const keys = (JSON.parse(dec.decode(raw)) as string[]).map(
          (k) => new Uint8Array(Buffer.from(k, 'base64')),
        );
        // Consul warns only when the file lacks the -encrypt key, and uses the file either way.
        const given = fromKey[0];
        if (given && !keys.some((k) => Buffer.from(k).equals(Buffer.from(given))))
          this.log.warn(
            "keyring doesn't include key provided with -encrypt, using keyring",
            'keyring',
            pool.toUpperCase(),
          );
        return keys;
      } catch (e) {
        throw new Error(`Failed to load keyring: ${(e as Error).message}`);
      }
    }
    if (fromKey.length > 0) await this.saveKeys(pool, fromKey);
    return fromKey;
  }

  private async saveKeys(pool: Pool, keys: Uint8Array[]): Promise<void> {
    if (!this.persistKeys()) return;
    await this.deps.disk.mkdirp(`${this.cfg.dataDir}/serf`, 0o755);
    const body = JSON.stringify(keys.map((k) => Buffer.from(k).toString('base64')));
    await this.deps.disk.writeFileAtomic(this.keyringPath(pool), enc.encode(body), 0o600);
  }

  async start(): Promise<void> {
    this.lan = await this.startPool('lan');
    if (this.cfg.serverMode && this.cfg.ports.serfWan > 0 && this.cfg.serfBindAddrWan !== '')
      this.wan = await this.startPool('wan');
  }

  private async startPool(pool: Pool): Promise<PoolHandle> {
    const c = this.cfg;
    const lan = pool === 'lan';
    const name = lan ? c.nodeName : `${c.nodeName}.${c.datacenter}`;
    const port = lan ? c.ports.serfLan : c.ports.serfWan;
    const bindIp = lan ? c.serfBindAddrLan : c.serfBindAddrWan;
    const advertise = lan ? c.advertiseAddrLan : c.advertiseAddrWan;
    const keys = await this.loadKeys(pool);
    const snapPath =
      this.cfg.dataDir !== '' && !this.cfg.devMode
        ? `${this.cfg.dataDir}/serf/${lan ? 'local' : 'remote'}.snapshot`
        : '';
    const prevText = snapPath ? await this.deps.disk.readFile(snapPath) : null;
    const prev = prevText ? replaySnapshot(dec.decode(prevText), c.rejoinAfterLeave) : null;
    const writer = snapPath ? new SnapshotWriter(prevText?.length ?? 0) : null;
    const d = this.deps;
    const logger = d.hub.logger(
      lan ? `agent.${c.serverMode ? 'server' : 'client'}.serf.lan` : 'agent.server.serf.wan',
    );
    const serf = new Serf(
      {
        ...SERF_DEFAULTS,
        nodeName: name,
        tags: this.tags(pool),
        leavePropagateDelayMs: 3000,
        reconnectTimeoutMs: (lan ? c.reconnectTimeoutLanNs : c.reconnectTimeoutWanNs) / 1e6,
        memberlist: memberlistConfig(lan ? LAN_PROFILE : WAN_PROFILE, {
          name,
          advertiseAddr: advertise,
          advertisePort: port,
          ...timings(lan ? c.gossipLan : c.gossipWan),
          deadNodeReclaimMs: 30_000,
          keys,
          gossipVerifyIncoming: c.encryptVerifyIncoming,
          gossipVerifyOutgoing: c.encryptVerifyOutgoing,
        }),
        mergeFilter: lan ? lanMergeFilter(c.datacenter, c.nodeName, this.nodeId) : wanMergeFilter(),
        onKeyringChange: (k) => void this.saveKeys(pool, k),
      },
      d.rng.fork(`serf-${pool}`),
      logger,
      d.clock.monotonicMs(),
      (e) => {
        if (writer && 'members' in e)
          for (const m of e.members) {
            if (e.type === 'member-join') writer.alive(m.name, `${m.addr}:${m.port}`);
            else if (e.type !== 'member-update') writer.notAlive(m.name);
          }
        this.onEvent(pool, e);
      },
    );
    if (prev) {
      for (const line of prev.bad) logger.warn(`serf: Unrecognized snapshot line: ${line}`);
      serf.clock.witness(prev.state.clock);
      serf.eventClock.witness(prev.state.eventClock);
      serf.queryClock.witness(prev.state.queryClock);
    }
    const driver = new GossipDriver(
      serf,
      { packets: d.packets, streams: d.streams, clock: d.clock, timers: d.timers, log: logger },
      // The label memberlist puts on what it sends is the one it expects on what it receives.
      () => ({
        keys: serf.keys(),
        label: serf.config.memberlist.label,
        verifyIncoming: c.encryptVerifyIncoming,
      }),
    );
    serf.start();
    await driver.start({ ip: bindIp, port });
    const flush = async () => {
      if (!writer || !snapPath) return;
      writer.clocks(serf.clock.time(), serf.eventClock.time(), serf.queryClock.time());
      try {
        await d.disk.mkdirp(`${this.cfg.dataDir}/serf`, 0o755);
        const alive = serf.allMembers().filter((m) => m.status === MemberStatus.alive);
        if (writer.needsCompaction(alive.length)) {
          writer.take();
          const live = new Map(alive.map((m) => [m.name, `${m.addr}:${m.port}`]));
          await d.disk.writeFileAtomic(
            snapPath,
            writer.compacted(live, serf.clock.time(), serf.eventClock.time(), serf.queryClock.time()),
          );
        } else {
          const text = writer.take();
          if (text) await d.disk.appendFile(snapPath, text);
        }
      } catch (e) {
        logger.error('serf: Failed to write to snapshot', 'error', e);
      }
    };
    // Serf flushes its snapshot buffer every 500 ms.
    const flushTimer = d.timers.every(500, () => void flush());
    const handle: PoolHandle = {
      serf,
      driver,
      snapshot: writer,
      flush,
      stopFlush: () => flushTimer.cancel(),
    };
    // A restarted agent rejoins what it knew, unless it left gracefully (and rejoin_after_leave is off).
    if (prev?.ignoredLeave) logger.info('serf: Ignoring previous leave in snapshot');
    if (prev && prev.state.alive.size > 0) void this.rejoin(handle, prev.state.alive, name, logger);
    return handle;
  }

  /** Serf's handleRejoin: try the previously alive nodes in random order until one answers. */
  private async rejoin(h: PoolHandle, alive: Map<string, string>, self: string, log: Logger): Promise<void> {
    const nodes = [...alive].filter(([n]) => n !== self);
    for (let i = nodes.length - 1; i > 0; i--) {
      const j = this.deps.rng.int(i + 1);
      [nodes[i], nodes[j]] = [nodes[j]!, nodes[i]!];
    }
    for (const [name, addr] of nodes) {
      const at = parseJoinAddr(addr, 0);
      if (!at) continue;
      log.info(`serf: Attempting re-join to previously known node: ${name}: ${addr}`);
      const ok = await new Promise<boolean>((resolve) =>
        h.driver.run(() => h.serf.join([at], true, (n) => resolve(n > 0))),
      );
      if (ok) {
        log.info(`serf: Re-joined to previously known node: ${name}: ${addr}`);
        return;
      }
    }
    if (nodes.length > 0) log.warn('serf: Failed to re-join any previously known node');
  }

  pool(p: Pool): PoolHandle | null {
    return p === 'lan' ? this.lan : this.wan;
  }

  /** Joins the pool through the given addresses; resolves with how many answered or Consul's error. */
  join(addrs: string[], pool: Pool): Promise<{ n: number; err: string | null }> {
    const h = this.pool(pool);
    if (!h)
      return Promise.resolve({
        n: 0,
        err: pool === 'wan' ? 'Must be a server to join WAN cluster' : 'agent not started',
      });
    const defaultPort = pool === 'lan' ? this.cfg.ports.serfLan : this.cfg.ports.serfWan;
    const parsed: Addr[] = [];
    const errs: string[] = [];
    for (const a of addrs) {
      const p = parseJoinAddr(a, defaultPort);
      if (p) parsed.push(p);
      else errs.push(`Failed to resolve ${a}: address ${a}: missing port in address`);
    }
    return new Promise((resolve) => {
      if (parsed.length === 0) return resolve({ n: 0, err: multiError(errs) });
      h.driver.run(() =>
        h.serf.join(parsed, true, (n, err, all) => {
          const list = [...errs, ...(all ?? (err ? [err] : []))];
          resolve({ n, err: list.length > 0 ? multiError(list) : null });
        }),
      );
    });
  }

  members(pool: Pool): Member[] {
    return this.pool(pool)?.serf.allMembers() ?? [];
  }

  /**
   * A keyring operation on every pool this agent is in (WAN first, as Consul lists it), through Serf's
   * internal `_serf_*-key` queries; one response per pool with per-key counts and per-node errors.
   */
  async keyring(
    op: 'list' | 'install' | 'use' | 'remove',
    keyB64 = '',
    opts: { relayFactor?: number; localOnly?: boolean } = {},
  ): Promise<KeyringResponse[]> {
    const out: KeyringResponse[] = [];
    const name = {
      list: '_serf_list-keys',
      install: '_serf_install-key',
      use: '_serf_use-key',
      remove: '_serf_remove-key',
    }[op];
    const key = keyB64 === '' ? new Uint8Array() : new Uint8Array(Buffer.from(keyB64, 'base64'));
    // local-only (list only, checked by the caller) keeps to this datacenter's LAN pool: no WAN query.
    for (const pool of opts.localOnly ? (['lan'] as const) : (['wan', 'lan'] as const)) {
      const h = this.pool(pool);
      if (!h) continue;
      const payload = encodeSerf('keyRequest', { Key: key });
      const numNodes = h.serf.allMembers().filter((m) => m.status === MemberStatus.alive).length;
      const r: KeyringResponse = {
        WAN: pool === 'wan',
        Datacenter: this.cfg.datacenter,
        Segment: '',
        Partition: pool === 'lan' ? 'default' : '',
        Keys: {},
        PrimaryKeys: {},
        NumNodes: numNodes,
        NumResp: 0,
        NumErr: 0,
        Messages: {},
      };
      const q = h.driver.run(() => h.serf.query(name, payload, { relayFactor: opts.relayFactor ?? 0 }));
      if (typeof q === 'string') {
        r.NumErr = numNodes;
        r.Messages[this.cfg.nodeName] = q;
        out.push(r);
        continue;
      }
      await new Promise<void>((resolve) => {
        if (q.finished || q.responses.length >= numNodes) return resolve();
        // Every alive member answered: no need to wait for the deadline.
        q.onUpdate = (done) => (done || q.responses.length >= numNodes ? resolve() : undefined);
      });
      for (const resp of q.responses) {
        r.NumResp++;
        let f: Record<string, unknown>;
        try {
          const m = decodeSerf(resp.payload);
          if (m.type !== 'keyResponse') throw new Error('bad type');
          f = m.fields;
        } catch {
          r.NumErr++;
          r.Messages[resp.from] = 'Failed to decode key response';
          continue;
        }
        if (f.Result !== true) {
          r.NumErr++;
          r.Messages[resp.from] = String(f.Message ?? '');
          continue;
        }
        for (const k of (f.Keys as string[]) ?? []) r.Keys[k] = (r.Keys[k] ?? 0) + 1;
        const pk = String(f.PrimaryKey ?? '');
        if (pk !== '') r.PrimaryKeys[pk] = (r.PrimaryKeys[pk] ?? 0) + 1;
      }
      out.push(r);
    }
    return out;
  }

  forceLeave(node: string, prune: boolean, pool: Pool): string | null {
    const h = this.pool(pool);
    if (!h) return null;
    const known = h.serf.allMembers().some((m) => m.name === node);
    if (!known) return `agent: No node found with name '${node}'`;
    h.driver.run(() => h.serf.removeFailedNode(node, prune));
    return null;
  }

  /** Graceful leave of every pool (WAN first, as Consul's server does), each bounded by its timeouts. */
  async leave(): Promise<void> {
    for (const h of [this.wan, this.lan]) {
      if (!h) continue;
      h.snapshot?.leave();
      await h.flush();
      const err = await new Promise<string | null>((resolve) => h.driver.run(() => h.serf.leave(resolve)));
      if (err) this.log.error('Failed to leave serf cluster', 'error', err);
    }
  }

  async shutdown(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const h of [this.wan, this.lan]) {
      if (!h) continue;
      h.stopFlush();
      await h.flush();
      h.driver.run(() => h.serf.shutdown());
      await h.driver.close();
    }
  }
}

export interface KeyringResponse {
  WAN: boolean;
  Datacenter: string;
  Segment: string;
  Partition: string;
  Keys: Record<string, number>;
  PrimaryKeys: Record<string, number>;
  NumNodes: number;
  NumResp: number;
  NumErr: number;
  Messages: Record<string, string>;
}

/** go-multierror's layout, as Consul's join errors read. */
export function multiError(errs: string[]): string {
  const n = errs.length;
  return `${n} error${n === 1 ? '' : 's'} occurred:\n${errs.map((e) => `\t* ${e}`).join('\n')}\n\n`;
}
