// Serf on top of memberlist, as a synchronous state machine (reference/gossip-protocol.md §14):
// member status with Lamport join/leave intents, tags, user events, queries with acks, responses and
// relays, internal `_serf_` queries (ping, conflict, keyring), reaping and reconnecting, push/pull
// state. The driver feeds it packets, stream messages and time; it never does I/O itself.

import type { Addr } from '../../runtime/transport.js';
import type { Logger } from '../../runtime/logger.js';
import type { Rng } from '../../runtime/rng.js';
import type { Fields } from '../../codec/struct.js';
import { Alarms, type AlarmHandle } from '../../lib/alarms.js';
import { bytesToIp, ipToBytes } from '../../lib/ip-bytes.js';
import { parseGoDuration } from '../../lib/duration.js';
import { BroadcastQueue } from '../memberlist/broadcast-queue.js';
import type { MemberlistConfig } from '../memberlist/config.js';
import {
  Memberlist,
  NodeState,
  type MemberlistDelegate,
  type NodeInfo,
  type Output,
} from '../memberlist/memberlist.js';
import type { Packet, StreamMessage } from '../memberlist/packet.js';
import { LamportClock } from './lamport.js';
import {
  decodeSerf,
  encodeRelay,
  encodeSerf,
  QUERY_FLAG_ACK,
  QUERY_FLAG_NO_BROADCAST,
  SERF_SCHEMAS,
} from './messages.js';
import { decodeTags, encodeTags } from './tags.js';
import { MsgReader, MsgWriter } from '../../codec/msgpack.js';
import { readStruct, writeStruct } from '../../codec/struct.js';
import { Coordinate, VivaldiClient, decodePingPayload, encodePingPayload } from '../coordinate/vivaldi.js';

export const MemberStatus = { none: 0, alive: 1, leaving: 2, left: 3, failed: 4 } as const;
export type MemberStatusType = (typeof MemberStatus)[keyof typeof MemberStatus];
/** Serf's drop counters: user messages and push/pull state that did not decode. */
export const SERF_METRIC = {
  msgDecode: 'serf.msgs.dropped.decode',
  remoteStateDecode: 'serf.remote_state.dropped.decode',
} as const;

export const STATUS_NAMES = ['none', 'alive', 'leaving', 'left', 'failed'] as const;

export interface Member {
  name: string;
  addr: string;
  port: number;
  tags: Map<string, string>;
  status: MemberStatusType;
  protocolMin: number;
  protocolMax: number;
  protocolCur: number;
  delegateMin: number;
  delegateMax: number;
  delegateCur: number;
}

interface MemberState {
  member: Member;
  statusLTime: number;
  /** Monotonic ms when it failed or left (0 while alive). */
  leaveTime: number;
}

export type SerfEvent =
  | {
      type: 'member-join' | 'member-leave' | 'member-failed' | 'member-update' | 'member-reap';
      members: Member[];
    }
  | { type: 'user'; ltime: number; name: string; payload: Uint8Array; coalesce: boolean }
  | { type: 'query'; query: IncomingQuery };

export interface SerfConfig {
  nodeName: string;
  tags: Map<string, string>;
  memberlist: MemberlistConfig;
  /** Serf protocol spoken (Consul: 4). */
  protocolVersion: number;
  broadcastTimeoutMs: number;
  leavePropagateDelayMs: number;
  reapIntervalMs: number;
  reconnectIntervalMs: number;
  reconnectTimeoutMs: number;
  tombstoneTimeoutMs: number;
  recentIntentTimeoutMs: number;
  queryTimeoutMult: number;
  queryResponseSizeLimit: number;
  querySizeLimit: number;
  userEventSizeLimit: number;
  eventBuffer: number;
  queryBuffer: number;
  /**
   * Serf's UserCoalescePeriod / UserQuiescentPeriod: user events sent with coalesce=true are held
   * until the period passes or no such event came for the quiescent time, and then only the latest of
   * each name is delivered. Unset or 0 (Consul's setting): every event is delivered as it comes.
   */
  userCoalescePeriodMs?: number;
  userQuiescentPeriodMs?: number;
  /** Consul's merge filter: a reason to refuse these members (other dc, duplicate node ID, bad tags), or null. */
  mergeFilter?: (members: Member[]) => string | null;
  /** Serf keyring file writer; called with base64 keys, primary first, after a keyring change. */
  onKeyringChange?: (keys: Uint8Array[]) => void;
}

export const SERF_DEFAULTS = {
  protocolVersion: 4,
  broadcastTimeoutMs: 5000,
  leavePropagateDelayMs: 1000,
  reapIntervalMs: 15_000,
  reconnectIntervalMs: 30_000,
  reconnectTimeoutMs: 24 * 3600_000,
  tombstoneTimeoutMs: 24 * 3600_000,
  recentIntentTimeoutMs: 5 * 60_000,
  queryTimeoutMult: 16,
  queryResponseSizeLimit: 1024,
  querySizeLimit: 1024,
  userEventSizeLimit: 512,
  eventBuffer: 512,
  queryBuffer: 512,
};

/** Serf's hard ceiling on user events, whatever the configured limit. */
const USER_EVENT_SANE_LIMIT = 9 * 1024;

export interface QueryParams {
  filterNodes?: string[];
  filterTags?: Map<string, string>;
  requestAck?: boolean;
  relayFactor?: number;
  timeoutMs?: number;
}

export interface QueryResponse {
  from: string;
  payload: Uint8Array;
}

export interface QueryHandle {
  readonly id: number;
  readonly ltime: number;
  readonly deadline: number;
  acks: string[];
  responses: QueryResponse[];
  /** Called on each ack/response and once more (done=true) at the deadline. */
  onUpdate?: (done: boolean) => void;
  finished: boolean;
}

export class IncomingQuery {
  private responded = false;

  constructor(
    private readonly serf: Serf,
    readonly ltime: number,
    readonly id: number,
    readonly name: string,
    readonly payload: Uint8Array,
    readonly sourceNode: string,
    readonly addr: Addr,
    readonly relayFactor: number,
    readonly deadline: number,
  ) {}

  /** Sends our response; an error text (as Serf's) when late, too large or repeated. */
  respond(payload: Uint8Array): string | null {
    if (this.responded) return 'response already sent';
    if (this.serf.nowMs() > this.deadline) return 'response is past the deadline';
    const raw = encodeSerf('queryResponse', {
      LTime: this.ltime,
      ID: this.id,
      From: this.serf.config.nodeName,
      Flags: 0,
      Payload: payload,
    });
    if (raw.length > this.serf.config.queryResponseSizeLimit)
      return `response exceeds limit of ${this.serf.config.queryResponseSizeLimit} bytes`;
    this.responded = true;
    this.serf.sendResponse(this.addr, raw, this.relayFactor);
    return null;
  }
}

interface Intent {
  type: 'join' | 'leave';
  ltime: number;
  wallTime: number;
}

type SerfState = 'alive' | 'leaving' | 'left' | 'shutdown';

export class Serf implements MemberlistDelegate {
  readonly memberlist: Memberlist;
  readonly clock = new LamportClock();
  readonly eventClock = new LamportClock();
  readonly queryClock = new LamportClock();
  private readonly members = new Map<string, MemberState>();
  private failed: MemberState[] = [];
  private left: MemberState[] = [];
  private readonly intents = new Map<string, Intent>();
  private readonly eventBuf: Array<Fields | null>;
  private readonly queryBuf: Array<{ ltime: number; ids: number[] } | null>;
  private eventMinTime = 0;
  private queryMinTime = 0;
  private readonly intentQueue: BroadcastQueue;
  private readonly eventQueue: BroadcastQueue;
  private readonly queryQueue: BroadcastQueue;
  private readonly pendingQueries = new Map<number, QueryHandle>();
  private readonly alarms = new Alarms();
  /** Coalesced user events waiting for their window to close, latest per name. */
  private readonly coalesced = new Map<string, Extract<SerfEvent, { type: 'user' }>>();
  private coalescePeriod: AlarmHandle | null = null;
  private coalesceQuiet: AlarmHandle | null = null;
  private readonly tickers: AlarmHandle[] = [];
  private state: SerfState = 'alive';
  private now: number;
  readonly coord: VivaldiClient;
  private readonly coordCache = new Map<string, Coordinate>();
  /** Set on join with ignoreOld: events older than the remote's clock are not replayed. */
  private eventJoinIgnore = false;

  constructor(
    readonly config: SerfConfig,
    private readonly rng: Rng,
    private readonly log: Logger,
    now: number,
    private readonly emit: (e: SerfEvent) => void,
  ) {
    this.now = now;
    this.eventBuf = Array<Fields | null>(config.eventBuffer).fill(null);
    this.queryBuf = Array<{ ltime: number; ids: number[] } | null>(config.queryBuffer).fill(null);
    const n = () => this.memberlist.numNodes();
    this.intentQueue = new BroadcastQueue(config.memberlist.retransmitMult, n);
    this.eventQueue = new BroadcastQueue(config.memberlist.retransmitMult, n);
    this.queryQueue = new BroadcastQueue(config.memberlist.retransmitMult, n);
    this.coord = new VivaldiClient(rng.fork('vivaldi'));
    this.clock.increment();
    this.eventClock.increment();
    this.queryClock.increment();
    this.memberlist = new Memberlist(config.memberlist, this, rng.fork('memberlist'), log, now);
  }

  start(): void {
    this.memberlist.start();
    const loop = (every: number, fn: () => void) => {
      const go = (at: number) =>
        this.tickers.push(
          this.alarms.at(at, () => {
            fn();
            go(at + every);
          }),
        );
      go(this.now + every);
    };
    loop(this.config.reapIntervalMs, () => this.reap());
    loop(this.config.reconnectIntervalMs, () => this.reconnect());
  }

  // ---- driver interface -------------------------------------------------------------------------

  nowMs(): number {
    return this.now;
  }

  tick(now: number): void {
    if (now > this.now) this.now = now;
    this.memberlist.tick(now);
    this.alarms.runDue(this.now);
  }

  nextDeadline(): number | undefined {
    const a = this.memberlist.nextDeadline();
    const b = this.alarms.next();
    if (a === undefined) return b;
    if (b === undefined) return a;
    return Math.min(a, b);
  }

  drain(): Output[] {
    return this.memberlist.drain();
  }

  handlePacket(from: Addr, p: Packet): void {
    this.memberlist.handlePacket(from, p);
  }

  handleStream(m: StreamMessage): StreamMessage | null {
    return this.memberlist.handleStream(m);
  }

  /** Drop counters by metric name (SERF_METRIC), read through GossipDriver.metrics(). */
  readonly counters = new Map<string, number>();

  private countDrop(name: string): void {
    this.counters.set(name, (this.counters.get(name) ?? 0) + 1);
  }

  errorReply(text: string): StreamMessage {
    return this.memberlist.errorReply(text);
  }

  streamReply(id: number, m: StreamMessage | null, err: string | null = null): void {
    this.memberlist.streamReply(id, m, err);
  }

  // ---- public operations ------------------------------------------------------------------------

  localMember(): Member {
    return this.members.get(this.config.nodeName)!.member;
  }

  allMembers(): Member[] {
    return [...this.members.values()].map((s) => s.member);
  }

  memberStatusTime(name: string): number | undefined {
    return this.members.get(name)?.statusLTime;
  }

  /** Joins through each address; `done` gets how many answered and memberlist's per-address errors. */
  join(
    addrs: Addr[],
    ignoreOld: boolean,
    done: (n: number, err: string | null, errs: string[]) => void,
  ): void {
    if (this.state !== 'alive') return done(0, "Serf can't Join after Leave or Shutdown", []);
    let ok = 0;
    const errs: string[] = [];
    let pending = addrs.length;
    if (pending === 0) return done(0, null, []);
    this.eventJoinIgnore = ignoreOld;
    for (const a of addrs) {
      this.memberlist.join(a, (err) => {
        if (err) errs.push(`Failed to join ${a.ip.includes(':') ? `[${a.ip}]` : a.ip}:${a.port}: ${err}`);
        else ok++;
        if (--pending === 0) {
          this.eventJoinIgnore = false;
          if (ok > 0) this.broadcastJoin(this.clock.time());
          done(ok, errs.length > 0 ? errs.join('; ') : null, errs);
        }
      });
    }
  }

  /** Updates our tags and re-announces them. */
  setTags(tags: Map<string, string>): string | null {
    const meta = encodeTags(tags);
    if (meta.length > 512) return `Encoded length of tags exceeds limit of 512 bytes`;
    this.config.tags = tags;
    this.memberlist.updateMeta();
    return null;
  }

  /** Serf's graceful leave: leave intent, then memberlist's, then the propagation delay. */
  leave(done: (err: string | null) => void): void {
    if (this.state === 'left') return done(null);
    if (this.state !== 'alive') return done('Leave called after Shutdown');
    this.state = 'leaving';
    const ltime = this.clock.time();
    this.clock.increment();
    this.handleLeaveIntent({ LTime: ltime, Node: this.config.nodeName, Prune: false });
    const afterIntent = (err: string | null) => {
      if (err) {
        this.state = 'alive';
        return done(err);
      }
      let finished = false;
      const timer = this.alarms.at(this.now + this.config.broadcastTimeoutMs, () => {
        if (finished) return;
        finished = true;
        this.log.warn('serf: timeout waiting for leave broadcast');
        propagate();
      });
      this.memberlist.leave(() => {
        if (finished) return;
        finished = true;
        timer.cancel();
        propagate();
      });
    };
    const propagate = () =>
      this.alarms.at(this.now + this.config.leavePropagateDelayMs, () => {
        this.state = 'left';
        done(null);
      });
    if (!this.hasAliveMembers()) return afterIntent(null);
    let sent = false;
    const timeout = this.alarms.at(this.now + this.config.broadcastTimeoutMs, () => {
      if (sent) return;
      sent = true;
      afterIntent('timeout while waiting for graceful leave');
    });
    this.intentQueue.queue(
      asUserMsg(encodeSerf('leave', { LTime: ltime, Node: this.config.nodeName, Prune: false })),
      null,
      () => {
        if (sent) return;
        sent = true;
        timeout.cancel();
        afterIntent(null);
      },
    );
  }

  shutdown(): void {
    this.state = 'shutdown';
    this.memberlist.shutdown();
    for (const t of this.tickers) t.cancel();
    this.alarms.clear();
  }

  /** Forces a failed member to left (Consul's force-leave); `prune` erases it at once. */
  removeFailedNode(name: string, prune: boolean): void {
    const ltime = this.clock.time();
    this.clock.increment();
    const msg = { LTime: ltime, Node: name, Prune: prune };
    this.handleLeaveIntent(msg);
    if (this.hasAliveMembers()) this.intentQueue.queue(asUserMsg(encodeSerf('leave', msg)));
  }

  /** Fires a user event; an error text as Serf words it when too large. */
  userEvent(name: string, payload: Uint8Array, coalesce: boolean): string | null {
    const size = new TextEncoder().encode(name).length + payload.length;
    if (size > this.config.userEventSizeLimit)
      return `user event exceeds configured limit of ${this.config.userEventSizeLimit} bytes before encoding`;
    if (size > USER_EVENT_SANE_LIMIT)
      return `user event exceeds sane limit of ${USER_EVENT_SANE_LIMIT} bytes before encoding`;
    const msg = { LTime: this.eventClock.time(), Name: name, Payload: payload, CC: coalesce };
    this.eventClock.increment();
    this.handleUserEvent(msg);
    const raw = encodeSerf('userEvent', msg);
    if (raw.length > this.config.userEventSizeLimit)
      return `encoded user event exceeds limit of ${this.config.userEventSizeLimit} bytes after encoding`;
    this.eventQueue.queue(asUserMsg(raw));
    return null;
  }

  defaultQueryTimeoutMs(): number {
    const n = this.memberlist.numNodes();
    return (
      this.config.memberlist.gossipIntervalMs * this.config.queryTimeoutMult * Math.ceil(Math.log10(n + 1))
    );
  }

  /** Starts a query; the handle collects acks and responses until its deadline. */
  query(name: string, payload: Uint8Array, params: QueryParams = {}): QueryHandle | string {
    const filters: Uint8Array[] = [];
    if (params.filterNodes?.length) {
      const w = new MsgWriter('v05');
      w.arrayHeader(params.filterNodes.length);
      for (const n of params.filterNodes) w.str(n);
      filters.push(prefixed(0, w.bytes()));
    }
    for (const [tag, expr] of params.filterTags ?? []) {
      const w = new MsgWriter('v05');
      writeStruct(
        w,
        [
          { name: 'Expr', kind: 'str' },
          { name: 'Tag', kind: 'str' },
        ],
        { Expr: expr, Tag: tag },
      );
      filters.push(prefixed(1, w.bytes()));
    }
    const timeout = params.timeoutMs ?? this.defaultQueryTimeoutMs();
    const me = this.localMember();
    const msg: Fields = {
      LTime: this.queryClock.time(),
      ID: this.rng.int(0x7fffffff),
      Addr: ipToBytes(me.addr),
      Port: me.port,
      SourceNode: this.config.nodeName,
      Filters: filters.length > 0 ? filters : null,
      Flags: params.requestAck ? QUERY_FLAG_ACK : 0,
      RelayFactor: params.relayFactor ?? 0,
      Timeout: timeout * 1_000_000,
      Name: name,
      Payload: payload,
    };
    const raw = encodeSerf('query', msg);
    if (raw.length > this.config.querySizeLimit)
      return `query exceeds limit of ${this.config.querySizeLimit} bytes`;
    const h: QueryHandle = {
      id: Number(msg.ID),
      ltime: Number(msg.LTime),
      deadline: this.now + timeout,
      acks: [],
      responses: [],
      finished: false,
    };
    this.pendingQueries.set(h.ltime, h);
    this.alarms.at(h.deadline, () => {
      h.finished = true;
      if (this.pendingQueries.get(h.ltime) === h) this.pendingQueries.delete(h.ltime);
      h.onUpdate?.(true);
    });
    this.queryClock.increment();
    this.handleQuery(msg);
    this.queryQueue.queue(asUserMsg(raw));
    return h;
  }

  /** Replaces the gossip keyring (primary first). */
  setKeys(keys: Uint8Array[]): void {
    this.memberlist.setKeys(keys);
    this.config.onKeyringChange?.(keys);
  }

  keys(): Uint8Array[] {
    return this.config.memberlist.keys;
  }

  /** The serf_lan / serf_wan section of `consul info`, with Serf's keys. */
  stats(): Record<string, string> {
    let failed = 0;
    let left = 0;
    for (const st of this.members.values()) {
      if (st.member.status === MemberStatus.failed) failed++;
      if (st.member.status === MemberStatus.left) left++;
    }
    return {
      coordinate_resets: String(this.coord.resets),
      encrypted: String(this.keys().length > 0),
      event_queue: String(this.eventQueue.length),
      event_time: String(this.eventClock.time()),
      failed: String(failed),
      health_score: String(this.memberlist.healthScore()),
      intent_queue: String(this.intentQueue.length),
      left: String(left),
      member_time: String(this.clock.time()),
      members: String(this.members.size),
      query_queue: String(this.queryQueue.length),
      query_time: String(this.queryClock.time()),
    };
  }

  /** The last coordinate heard from a node (ping acks). */
  coordinateOf(name: string): Coordinate | undefined {
    return name === this.config.nodeName ? this.coord.coordinate() : this.coordCache.get(name);
  }

  // ---- memberlist delegate ----------------------------------------------------------------------

  nodeMeta(limit: number): Uint8Array {
    const m = encodeTags(this.config.tags);
    if (m.length > limit)
      throw new Error(
        `Node tags '${[...this.config.tags.keys()].join(',')}' exceeds length limit of ${limit} bytes`,
      );
    return m;
  }

  notifyMsg(buf: Uint8Array): void {
    let m;
    try {
      m = decodeSerf(buf);
    } catch (e) {
      this.countDrop(SERF_METRIC.msgDecode);
      this.log.warn(`serf: Error decoding message: ${(e as Error).message}`);
      return;
    }
    let rebroadcast: 'intent' | 'event' | 'query' | null = null;
    switch (m.type) {
      case 'leave':
        if (this.handleLeaveIntent(m.fields)) rebroadcast = 'intent';
        break;
      case 'join':
        if (this.handleJoinIntent(m.fields)) rebroadcast = 'intent';
        break;
      case 'userEvent':
        if (this.handleUserEvent(m.fields)) rebroadcast = 'event';
        break;
      case 'query':
        if (this.handleQuery(m.fields)) rebroadcast = 'query';
        break;
      case 'queryResponse':
        this.handleQueryResponse(m.fields);
        break;
      case 'relay': {
        const dest = m.header.DestAddr as Fields;
        const ip = (dest.IP as Uint8Array | null) ?? new Uint8Array();
        this.memberlist.sendUser({ ip: bytesToIp(ip), port: Number(dest.Port ?? 0) }, m.inner);
        break;
      }
      default:
        this.log.warn(`serf: Received message of unexpected type: ${m.type}`);
    }
    if (rebroadcast === 'intent') this.intentQueue.queue(asUserMsg(buf));
    else if (rebroadcast === 'event') this.eventQueue.queue(asUserMsg(buf));
    else if (rebroadcast === 'query') this.queryQueue.queue(asUserMsg(buf));
  }

  getBroadcasts(overhead: number, limit: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    let left = limit;
    for (const q of [this.intentQueue, this.queryQueue, this.eventQueue]) {
      // Queued already framed as memberlist user messages (asUserMsg): no copy per transmission.
      const msgs = q.take(overhead, left);
      for (const m of msgs) {
        left -= overhead + m.length;
        out.push(m);
      }
    }
    return out;
  }

  localState(): Uint8Array {
    const status = new Map<string, number>();
    for (const [name, s] of this.members) status.set(name, s.statusLTime);
    return encodeSerf('pushPull', {
      LTime: this.clock.time(),
      StatusLTimes: status,
      LeftMembers: this.left.map((s) => s.member.name),
      EventLTime: this.eventClock.time(),
      Events: this.eventBuf,
      QueryLTime: this.queryClock.time(),
    });
  }

  mergeRemoteState(buf: Uint8Array, join: boolean): void {
    let m;
    try {
      m = decodeSerf(buf);
    } catch (e) {
      this.countDrop(SERF_METRIC.remoteStateDecode);
      this.log.error(`serf: Failed to decode remote state: ${(e as Error).message}`);
      return;
    }
    if (m.type !== 'pushPull') {
      this.countDrop(SERF_METRIC.remoteStateDecode);
      this.log.error(`serf: Remote state has bad type prefix: ${buf[0]}`);
      return;
    }
    const pp = m.fields;
    const lt = Number(pp.LTime ?? 0);
    const elt = Number(pp.EventLTime ?? 0);
    const qlt = Number(pp.QueryLTime ?? 0);
    if (lt > 0) this.clock.witness(lt - 1);
    if (elt > 0) this.eventClock.witness(elt - 1);
    if (qlt > 0) this.queryClock.witness(qlt - 1);
    const times = (pp.StatusLTimes as Map<string, number | bigint>) ?? new Map();
    const leftSet = new Set(pp.LeftMembers as string[]);
    for (const name of leftSet)
      this.handleLeaveIntent({ LTime: Number(times.get(name) ?? 0) + 1, Node: name, Prune: false });
    for (const [name, t] of times)
      if (!leftSet.has(name)) this.handleJoinIntent({ LTime: Number(t), Node: name });
    if (join && this.eventJoinIgnore && elt > this.eventMinTime) this.eventMinTime = elt;
    for (const e of (pp.Events as Array<Fields | null>) ?? []) {
      if (!e) continue;
      for (const ue of (e.Events as Fields[]) ?? [])
        this.handleUserEvent({
          LTime: e.LTime ?? 0,
          Name: ue.Name ?? '',
          Payload: ue.Payload ?? null,
          CC: false,
        });
    }
  }

  notifyJoin(n: NodeInfo): void {
    let s = this.members.get(n.name);
    const tags = decodeTags(n.meta);
    let old: MemberStatusType = MemberStatus.none;
    if (!s) {
      s = { member: this.newMember(n, tags), statusLTime: 0, leaveTime: 0 };
      const intent = this.intents.get(n.name);
      if (intent?.type === 'join') s.statusLTime = intent.ltime;
      if (intent?.type === 'leave') {
        s.member.status = MemberStatus.leaving;
        s.statusLTime = intent.ltime;
      }
      this.members.set(n.name, s);
    } else {
      old = s.member.status;
      s.member.status = MemberStatus.alive;
      s.leaveTime = 0;
      s.member.addr = n.addr;
      s.member.port = n.port;
      s.member.tags = tags;
    }
    this.setVersions(s.member, n.vsn);
    if (old === MemberStatus.failed || old === MemberStatus.left) {
      this.failed = this.failed.filter((x) => x !== s);
      this.left = this.left.filter((x) => x !== s);
    }
    this.log.info(`serf: EventMemberJoin: ${n.name} ${n.addr}`);
    this.emit({ type: 'member-join', members: [{ ...s.member }] });
  }

  notifyLeave(n: NodeInfo): void {
    const s = this.members.get(n.name);
    if (!s) return;
    if (s.member.status === MemberStatus.leaving) {
      s.member.status = MemberStatus.left;
      s.leaveTime = this.now;
      this.left.push(s);
    } else if (s.member.status === MemberStatus.alive) {
      s.member.status = MemberStatus.failed;
      s.leaveTime = this.now;
      this.failed.push(s);
    } else {
      this.log.warn(`serf: Bad state when leave: ${s.member.status}`);
      return;
    }
    const failed = s.member.status !== MemberStatus.left;
    this.log.info(`serf: ${failed ? 'EventMemberFailed' : 'EventMemberLeave'}: ${n.name} ${n.addr}`);
    this.emit({ type: failed ? 'member-failed' : 'member-leave', members: [{ ...s.member }] });
  }

  notifyUpdate(n: NodeInfo): void {
    const s = this.members.get(n.name);
    if (!s) return;
    s.member.addr = n.addr;
    s.member.port = n.port;
    s.member.tags = decodeTags(n.meta);
    this.setVersions(s.member, n.vsn);
    this.log.info(`serf: EventMemberUpdate: ${n.name}`);
    this.emit({ type: 'member-update', members: [{ ...s.member }] });
  }

  notifyAlive(n: NodeInfo): string | null {
    if (!this.config.mergeFilter) return null;
    return this.config.mergeFilter([this.newMember(n, decodeTags(n.meta))]);
  }

  notifyMerge(nodes: NodeInfo[]): string | null {
    if (!this.config.mergeFilter) return null;
    return this.config.mergeFilter(nodes.map((n) => this.newMember(n, decodeTags(n.meta))));
  }

  notifyConflict(existing: NodeInfo, other: NodeInfo): void {
    if (existing.name !== this.config.nodeName) {
      this.log.warn(
        `serf: Name conflict for '${existing.name}' both ${existing.addr}:${existing.port} and ${other.addr}:${other.port} are claiming`,
      );
      return;
    }
    // Consul turns Serf's conflict resolution off; the node keeps running and logs the clash.
    this.log.error(
      `serf: Node name conflicts with another node at ${other.addr}:${other.port}. Names must be unique! (Resolution enabled: false)`,
    );
  }

  ackPayload(): Uint8Array | null {
    return encodePingPayload(this.coord.coordinate());
  }

  notifyPingComplete(n: NodeInfo, rttMs: number, payload: Uint8Array): void {
    const other = decodePingPayload(payload);
    if (!other) return;
    if (this.coord.update(n.name, other, rttMs)) this.coordCache.set(n.name, other);
  }

  // ---- intents ------------------------------------------------------------------------------------

  private hasAliveMembers(): boolean {
    for (const s of this.members.values())
      if (s.member.name !== this.config.nodeName && s.member.status === MemberStatus.alive) return true;
    return false;
  }

  private broadcastJoin(ltime: number): void {
    const msg = { LTime: ltime, Node: this.config.nodeName };
    this.clock.witness(ltime);
    this.handleJoinIntent(msg);
    this.intentQueue.queue(asUserMsg(encodeSerf('join', msg)));
  }

  private upsertIntent(node: string, type: 'join' | 'leave', ltime: number): boolean {
    const cur = this.intents.get(node);
    if (!cur || ltime > cur.ltime) {
      this.intents.set(node, { type, ltime, wallTime: this.now });
      return true;
    }
    return false;
  }

  private handleJoinIntent(f: Fields): boolean {
    const ltime = Number(f.LTime ?? 0);
    const node = String(f.Node ?? '');
    this.clock.witness(ltime);
    const s = this.members.get(node);
    if (!s) return this.upsertIntent(node, 'join', ltime);
    if (ltime <= s.statusLTime) return false;
    s.statusLTime = ltime;
    if (s.member.status === MemberStatus.leaving) s.member.status = MemberStatus.alive;
    return true;
  }

  private handleLeaveIntent(f: Fields): boolean {
    const ltime = Number(f.LTime ?? 0);
    const node = String(f.Node ?? '');
    const prune = f.Prune === true;
    this.clock.witness(ltime);
    const s = this.members.get(node);
    if (!s) return this.upsertIntent(node, 'leave', ltime);
    if (ltime <= s.statusLTime) return false;
    if (node === this.config.nodeName && this.state === 'alive') {
      // Someone says we are leaving while we are not: refute with a fresh join intent.
      this.broadcastJoin(this.clock.time());
      return false;
    }
    switch (s.member.status) {
      case MemberStatus.alive:
        s.member.status = MemberStatus.leaving;
        s.statusLTime = ltime;
        if (prune) this.prune(s);
        return true;
      case MemberStatus.failed:
        s.member.status = MemberStatus.left;
        s.statusLTime = ltime;
        this.failed = this.failed.filter((x) => x !== s);
        this.left.push(s);
        this.log.info(`serf: EventMemberLeave (forced): ${node} ${s.member.addr}`);
        this.emit({ type: 'member-leave', members: [{ ...s.member }] });
        if (prune) this.prune(s);
        return true;
      case MemberStatus.leaving:
      case MemberStatus.left:
        if (prune) this.prune(s);
        return true;
      default:
        return false;
    }
  }

  private prune(s: MemberState): void {
    this.log.info(`serf: EventMemberReap (forced): ${s.member.name} ${s.member.addr}`);
    this.left = this.left.filter((x) => x !== s);
    this.failed = this.failed.filter((x) => x !== s);
    this.eraseNode(s);
  }

  private eraseNode(s: MemberState): void {
    this.members.delete(s.member.name);
    this.coordCache.delete(s.member.name);
    this.coord.forget(s.member.name);
    s.member.status = s.member.status === MemberStatus.failed ? MemberStatus.failed : MemberStatus.left;
    this.emit({ type: 'member-reap', members: [{ ...s.member }] });
  }

  // ---- user events --------------------------------------------------------------------------------

  private handleUserEvent(f: Fields): boolean {
    const ltime = Number(f.LTime ?? 0);
    const name = String(f.Name ?? '');
    const payload = (f.Payload as Uint8Array | null) ?? new Uint8Array();
    this.eventClock.witness(ltime);
    if (ltime < this.eventMinTime) return false;
    const cur = this.eventClock.time();
    const size = this.eventBuf.length;
    if (cur > size && ltime < cur - size) {
      this.log.warn(`serf: received old event ${name} from time ${ltime} (current: ${cur})`);
      return false;
    }
    const idx = ltime % size;
    let seen = this.eventBuf[idx] ?? null;
    if (seen && Number(seen.LTime) === ltime) {
      for (const e of seen.Events as Fields[])
        if (e.Name === name && bytesEqual((e.Payload as Uint8Array | null) ?? new Uint8Array(), payload))
          return false;
    } else {
      seen = { LTime: ltime, Events: [] };
      this.eventBuf[idx] = seen;
    }
    (seen.Events as Fields[]).push({ Name: name, Payload: payload });
    this.emitUser({ type: 'user', ltime, name, payload, coalesce: f.CC === true });
    return true;
  }

  private emitUser(e: Extract<SerfEvent, { type: 'user' }>): void {
    const period = this.config.userCoalescePeriodMs ?? 0;
    const quiet = this.config.userQuiescentPeriodMs ?? 0;
    if (!e.coalesce || period <= 0 || quiet <= 0) return this.emit(e);
    const latest = this.coalesced.get(e.name);
    if (!latest || latest.ltime < e.ltime) this.coalesced.set(e.name, e);
    // The period runs from the first held event; the quiescent timer restarts with each one.
    this.coalescePeriod ??= this.alarms.at(this.now + period, () => this.flushUserEvents());
    this.coalesceQuiet?.cancel();
    this.coalesceQuiet = this.alarms.at(this.now + quiet, () => this.flushUserEvents());
  }

  private flushUserEvents(): void {
    this.coalescePeriod?.cancel();
    this.coalesceQuiet?.cancel();
    this.coalescePeriod = this.coalesceQuiet = null;
    const held = [...this.coalesced.values()];
    this.coalesced.clear();
    for (const e of held) this.emit(e);
  }

  // ---- queries ------------------------------------------------------------------------------------

  private handleQuery(f: Fields): boolean {
    const ltime = Number(f.LTime ?? 0);
    const id = Number(f.ID ?? 0);
    this.queryClock.witness(ltime);
    if (ltime < this.queryMinTime) return false;
    const cur = this.queryClock.time();
    const size = this.queryBuf.length;
    if (cur > size && ltime < cur - size) {
      this.log.warn(`serf: received old query ${String(f.Name)} from time ${ltime} (current: ${cur})`);
      return false;
    }
    const idx = ltime % size;
    let seen = this.queryBuf[idx] ?? null;
    if (seen && seen.ltime === ltime) {
      if (seen.ids.includes(id)) return false;
    } else {
      seen = { ltime, ids: [] };
      this.queryBuf[idx] = seen;
    }
    seen.ids.push(id);
    const flags = Number(f.Flags ?? 0);
    const rebroadcast = (flags & QUERY_FLAG_NO_BROADCAST) === 0;
    if (!this.shouldProcess((f.Filters as Uint8Array[] | null) ?? [])) return rebroadcast;
    const addr: Addr = {
      ip: bytesToIp((f.Addr as Uint8Array | null) ?? new Uint8Array()),
      port: Number(f.Port ?? 0),
    };
    const relay = Number(f.RelayFactor ?? 0);
    if (flags & QUERY_FLAG_ACK) {
      const ack = encodeSerf('queryResponse', {
        LTime: ltime,
        ID: id,
        From: this.config.nodeName,
        Flags: QUERY_FLAG_ACK,
        Payload: null,
      });
      this.sendResponse(addr, ack, relay);
    }
    const q = new IncomingQuery(
      this,
      ltime,
      id,
      String(f.Name ?? ''),
      (f.Payload as Uint8Array | null) ?? new Uint8Array(),
      String(f.SourceNode ?? ''),
      addr,
      relay,
      this.now + Math.floor(Number(f.Timeout ?? 0) / 1_000_000),
    );
    if (q.name.startsWith('_serf_')) this.internalQuery(q);
    else this.emit({ type: 'query', query: q });
    return rebroadcast;
  }

  /** @internal Sends a query ack/response straight to the asker, and through relays if asked. */
  sendResponse(to: Addr, raw: Uint8Array, relayFactor: number): void {
    // Our own query answers itself locally (Serf delivers it through the same path).
    const me = this.localMember();
    if (to.ip === me.addr && to.port === me.port) this.handleQueryResponse(decodeSerfFields(raw));
    else this.memberlist.sendUser(to, raw);
    if (relayFactor <= 0) return;
    const candidates = [...this.members.values()].filter(
      (s) =>
        s.member.status === MemberStatus.alive &&
        s.member.name !== this.config.nodeName &&
        s.member.protocolMax >= 5,
    );
    for (let i = 0; i < relayFactor && candidates.length > 0; i++) {
      const s = candidates.splice(this.rng.int(candidates.length), 1)[0]!;
      this.memberlist.sendUser(
        { ip: s.member.addr, port: s.member.port },
        encodeRelay({ ip: ipToBytes(to.ip), port: to.port }, '', raw),
      );
    }
  }

  private handleQueryResponse(f: Fields): void {
    const h = this.pendingQueries.get(Number(f.LTime ?? 0));
    if (!h || h.id !== Number(f.ID ?? 0) || h.finished) return;
    const from = String(f.From ?? '');
    if (Number(f.Flags ?? 0) & QUERY_FLAG_ACK) {
      if (h.acks.includes(from)) return;
      h.acks.push(from);
    } else {
      if (h.responses.some((r) => r.from === from)) return;
      h.responses.push({ from, payload: (f.Payload as Uint8Array | null) ?? new Uint8Array() });
    }
    h.onUpdate?.(false);
  }

  private shouldProcess(filters: Uint8Array[]): boolean {
    for (const raw of filters) {
      try {
        const body = new MsgReader(raw.subarray(1)).read();
        if (raw[0] === 0) {
          const names = Array.isArray(body)
            ? body.map((x) => (x instanceof Uint8Array ? new TextDecoder().decode(x) : ''))
            : [];
          if (!names.includes(this.config.nodeName)) return false;
        } else if (raw[0] === 1) {
          const t = readStruct(body, [
            { name: 'Expr', kind: 'str' },
            { name: 'Tag', kind: 'str' },
          ]);
          const v = this.config.tags.get(String(t.Tag)) ?? '';
          if (!new RegExp(String(t.Expr)).test(v)) return false;
        } else return false;
      } catch {
        this.log.warn('serf: failed to decode filter');
        return false;
      }
    }
    return true;
  }

  private internalQuery(q: IncomingQuery): void {
    const name = q.name.slice('_serf_'.length);
    switch (name) {
      case 'ping':
        return;
      case 'conflict': {
        const who = new TextDecoder().decode(q.payload);
        if (who === this.config.nodeName) return;
        const s = this.members.get(who);
        const m = s?.member;
        const body = m
          ? {
              Name: m.name,
              Addr: ipToBytes(m.addr),
              Port: m.port,
              Tags: m.tags,
              Status: m.status,
              ProtocolMin: m.protocolMin,
              ProtocolMax: m.protocolMax,
              ProtocolCur: m.protocolCur,
              DelegateMin: m.delegateMin,
              DelegateMax: m.delegateMax,
              DelegateCur: m.delegateCur,
            }
          : null;
        const w = new MsgWriter('v05');
        if (body) writeStruct(w, SERF_SCHEMAS.conflictResponse, body);
        else w.nil();
        q.respond(prefixed(6, w.bytes()));
        return;
      }
      case 'install-key':
      case 'use-key':
      case 'remove-key':
      case 'list-keys':
        q.respond(this.keyOp(name, q.payload));
        return;
      default:
        this.log.warn(`serf: Unhandled internal query '${name}'`);
    }
  }

  private keyOp(op: string, payload: Uint8Array): Uint8Array {
    const resp = { Result: false, Message: '', Keys: null as string[] | null, PrimaryKey: '' };
    let key: Uint8Array = new Uint8Array();
    try {
      const m = decodeSerf(payload);
      if (m.type !== 'keyRequest') throw new Error('bad type');
      key = (m.fields.Key as Uint8Array | null) ?? new Uint8Array();
    } catch {
      resp.Message = 'Failed to decode key request';
      return encodeSerf('keyResponse', resp);
    }
    const keys = this.keys();
    const b64 = (k: Uint8Array) => Buffer.from(k).toString('base64');
    if (keys.length === 0) {
      resp.Message = 'No keyring to modify (encryption not enabled)';
    } else if (op === 'list-keys') {
      resp.Keys = keys.map(b64);
      resp.PrimaryKey = b64(keys[0]!);
      resp.Result = true;
    } else {
      const i = keys.findIndex((k) => bytesEqual(k, key));
      if (op === 'install-key') {
        if (![16, 24, 32].includes(key.length)) resp.Message = `key size must be 16, 24 or 32 bytes`;
        else {
          if (i < 0) this.setKeys([...keys, key]);
          resp.Result = true;
        }
      } else if (op === 'use-key') {
        if (i < 0) resp.Message = 'Requested key is not in the keyring';
        else {
          this.setKeys([key, ...keys.filter((_, j) => j !== i)]);
          resp.Result = true;
        }
      } else if (op === 'remove-key') {
        if (i === 0) resp.Message = 'Removing the primary key is not allowed';
        else {
          if (i > 0) this.setKeys(keys.filter((_, j) => j !== i));
          resp.Result = true;
        }
      }
    }
    return encodeSerf('keyResponse', resp);
  }

  // ---- reaping and reconnecting ---------------------------------------------------------------------

  private reap(): void {
    for (const [list, timeout] of [
      [this.failed, this.config.reconnectTimeoutMs],
      [this.left, this.config.tombstoneTimeoutMs],
    ] as const) {
      for (const s of [...list]) {
        const rc =
          list === this.failed ? reconnectOverride(s.member.tags, s.member.name, this.log) : undefined;
        if (this.now - s.leaveTime <= (rc ?? timeout)) continue;
        this.failed = this.failed.filter((x) => x !== s);
        this.left = this.left.filter((x) => x !== s);
        this.log.info(`serf: EventMemberReap: ${s.member.name}`);
        this.eraseNode(s);
      }
    }
    for (const [name, i] of this.intents)
      if (this.now - i.wallTime > this.config.recentIntentTimeoutMs) this.intents.delete(name);
  }

  private reconnect(): void {
    if (this.failed.length === 0 || this.state !== 'alive') return;
    const alive = [...this.members.values()].filter((s) => s.member.status === MemberStatus.alive).length - 1;
    const prob = this.failed.length / Math.max(1, alive);
    if (this.rng.float() > prob) return;
    const s = this.failed[this.rng.int(this.failed.length)]!;
    this.log.info(`serf: attempting reconnect to ${s.member.name} ${s.member.addr}:${s.member.port}`);
    this.memberlist.join({ ip: s.member.addr, port: s.member.port }, () => {});
  }

  // ---- helpers ------------------------------------------------------------------------------------

  private newMember(n: NodeInfo, tags: Map<string, string>): Member {
    const m: Member = {
      name: n.name,
      addr: n.addr,
      port: n.port,
      tags,
      status: n.state === NodeState.alive ? MemberStatus.alive : MemberStatus.failed,
      protocolMin: 0,
      protocolMax: 0,
      protocolCur: 0,
      delegateMin: 0,
      delegateMax: 0,
      delegateCur: 0,
    };
    this.setVersions(m, n.vsn);
    return m;
  }

  private setVersions(m: Member, vsn: Uint8Array): void {
    if (vsn.length < 6) return;
    m.protocolMin = vsn[0]!;
    m.protocolMax = vsn[1]!;
    m.protocolCur = vsn[2]!;
    m.delegateMin = vsn[3]!;
    m.delegateMax = vsn[4]!;
    m.delegateCur = vsn[5]!;
  }
}

function prefixed(type: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + body.length);
  out[0] = type;
  out.set(body, 1);
  return out;
}

/** A Serf message framed as the memberlist user message it is gossiped in (type byte 8 first). */
function asUserMsg(raw: Uint8Array): Uint8Array {
  const u = new Uint8Array(1 + raw.length);
  u[0] = 8; // memberlist's userMsg
  u.set(raw, 1);
  return u;
}

function decodeSerfFields(raw: Uint8Array): Fields {
  const m = decodeSerf(raw);
  return m.type === 'relay' ? {} : m.fields;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Consul advertises a per-node reconnect timeout in the `rc_tm` tag, as Go's Duration.String()
 * ("8h0m0s"); a malformed value is warned about and, like "0s", leaves the pool's timeout in force.
 */
function reconnectOverride(tags: Map<string, string>, name: string, log: Logger): number | undefined {
  const v = tags.get('rc_tm');
  if (v === undefined) return undefined;
  const ns = parseGoDuration(v);
  if (ns instanceof Error) {
    log.warn('Member is advertising a malformed reconnect timeout', 'member', name, 'rc_tm', v);
    return undefined;
  }
  return ns === 0 ? undefined : ns / 1e6;
}
