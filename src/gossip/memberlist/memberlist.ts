// memberlist as a synchronous state machine (reference/gossip-protocol.md §12): SWIM probes with
// indirect and TCP fallback, Lifeguard awareness and suspicion, incarnation rules, gossip and
// push/pull. Inputs are packets, stream messages and the passage of time (tick); outputs are packets
// and stream requests for the driver to send. It never touches a socket, a timer or the clock.

import type { Addr } from '../../runtime/transport.js';
import type { Logger } from '../../runtime/logger.js';
import type { Rng } from '../../runtime/rng.js';
import { Alarms, type AlarmHandle } from '../../lib/alarms.js';
import { bytesToIp, ipToBytes } from '../../lib/ip-bytes.js';
import { BroadcastQueue } from './broadcast-queue.js';
import { pushPullScaleMs, suspicionTimeoutMs, type MemberlistConfig } from './config.js';
import { MessageType, type Fields } from './messages.js';
import { Suspicion } from './suspicion.js';
import { compoundOf, encodeBody, outerPacket, userMessage, type OutgoingLayers } from './frame.js';
import type { Packet, StreamMessage } from './packet.js';

export const NodeState = { alive: 0, suspect: 1, dead: 2, left: 3 } as const;
export type NodeStateType = (typeof NodeState)[keyof typeof NodeState];

export interface NodeInfo {
  name: string;
  addr: string;
  port: number;
  meta: Uint8Array;
  vsn: Uint8Array;
  incarnation: number;
  state: NodeStateType;
  /** Monotonic ms of the last state change. */
  stateChange: number;
}

/** What the layer above (Serf) plugs in; every method is synchronous. */
export interface MemberlistDelegate {
  nodeMeta(limit: number): Uint8Array;
  notifyMsg(msg: Uint8Array): void;
  getBroadcasts(overhead: number, limit: number): Uint8Array[];
  localState(join: boolean): Uint8Array;
  mergeRemoteState(buf: Uint8Array, join: boolean): void;
  notifyJoin(n: NodeInfo): void;
  notifyLeave(n: NodeInfo): void;
  notifyUpdate(n: NodeInfo): void;
  /** A reason to refuse an alive message (Consul's merge filter), or null. */
  notifyAlive(n: NodeInfo): string | null;
  /** A reason to refuse a push/pull merge, or null. */
  notifyMerge(nodes: NodeInfo[]): string | null;
  notifyConflict(existing: NodeInfo, other: NodeInfo): void;
  ackPayload(): Uint8Array | null;
  notifyPingComplete(n: NodeInfo, rttMs: number, payload: Uint8Array): void;
}

export type Output =
  | { kind: 'packet'; to: Addr; data: Uint8Array }
  /** Open a TCP connection, write `message`, read one message back and call streamReply(id, …). */
  | { kind: 'stream'; id: number; to: Addr; message: StreamMessage; timeoutMs: number };

interface AckHandler {
  onAck(payload: Uint8Array | null, at: number): void;
  onNack(): void;
  expiry: AlarmHandle;
}

interface PendingStream {
  onReply(m: StreamMessage | null, err: string | null): void;
}

const META_MAX_SIZE = 512;
/** Compound header (2) + per-message length (2). */
const COMPOUND_HEADER = 2;
const COMPOUND_OVERHEAD = 2;

export class Memberlist {
  private readonly nodes = new Map<string, NodeInfo>();
  /** The same nodes as an array, for O(1) random picks (gossip and probe targets). */
  private nodeArr: NodeInfo[] = [];
  /** Probe order: names, shuffled at each wrap-around. */
  private probeList: string[] = [];
  private probeIndex = 0;
  private seqNo = 0;
  private incarnation = 0;
  private awareness = 0;
  private leaving = false;
  private shut = false;
  private readonly acks = new Map<number, AckHandler>();
  private readonly streams = new Map<number, PendingStream>();
  private streamId = 0;
  private readonly suspicions = new Map<string, Suspicion>();
  private readonly alarms = new Alarms();
  private readonly tickers: AlarmHandle[] = [];
  private out: Output[] = [];
  readonly broadcasts: BroadcastQueue;
  private now: number;

  constructor(
    private readonly config: MemberlistConfig,
    private readonly delegate: MemberlistDelegate,
    private readonly rng: Rng,
    private readonly log: Logger,
    now: number,
  ) {
    this.now = now;
    this.broadcasts = new BroadcastQueue(config.retransmitMult, () => this.numNodes());
  }

  /** Announces us (alive, incarnation 1; the delegate sees our own join) and starts the loops. */
  start(): void {
    this.setAlive();
    this.startTickers();
  }

  /** Sends one user message straight to an address (Serf query responses and relays). */
  sendUser(to: Addr, payload: Uint8Array): void {
    this.out.push({ kind: 'packet', to, data: outerPacket(userMessage(payload), this.wireLayers(), false) });
  }

  /** Replaces the keyring (primary first); takes effect on the next send and receive. */
  setKeys(keys: Uint8Array[]): void {
    this.config.keys = keys;
  }

  // ---- driver interface -------------------------------------------------------------------------

  /** Advances time to `now` and runs everything due. */
  tick(now: number): void {
    if (now > this.now) this.now = now;
    this.alarms.runDue(this.now);
  }

  /** The monotonic time at which tick() must next be called, or undefined. */
  nextDeadline(): number | undefined {
    return this.alarms.next();
  }

  /** Outputs produced since the last call. */
  drain(): Output[] {
    const o = this.out;
    this.out = [];
    return o;
  }

  get localName(): string {
    return this.config.name;
  }

  members(): NodeInfo[] {
    return [...this.nodes.values()].filter((n) => n.state !== NodeState.dead && n.state !== NodeState.left);
  }

  allNodes(): NodeInfo[] {
    return [...this.nodes.values()];
  }

  node(name: string): NodeInfo | undefined {
    return this.nodes.get(name);
  }

  numNodes(): number {
    return this.nodes.size;
  }

  healthScore(): number {
    return this.awareness;
  }

  wireLayers(): OutgoingLayers {
    return {
      keys: this.config.keys,
      label: this.config.label,
      encrypt: this.config.keys.length > 0 && this.config.gossipVerifyOutgoing,
      compress: this.config.enableCompression,
      nonce: () => this.rng.bytes(12),
    };
  }

  // ---- join, leave, meta ------------------------------------------------------------------------

  /** Push/pull (join=true) with one address; `done` gets null on success or the error text. */
  join(to: Addr, done: (err: string | null) => void): void {
    this.pushPull(to, true, done);
  }

  /** Broadcasts our own death (From = us: "left"); `done` fires once it was sent enough times. */
  leave(done: () => void): void {
    if (this.leaving) return done();
    this.leaving = true;
    const me = this.nodes.get(this.config.name)!;
    const anyAlive = [...this.nodes.values()].some(
      (n) => n.name !== me.name && n.state !== NodeState.dead && n.state !== NodeState.left,
    );
    this.deadNode({ Node: me.name, From: me.name, Incarnation: me.incarnation }, anyAlive ? done : undefined);
    if (!anyAlive) done();
  }

  /** Stops probing and gossip (after leave, or on shutdown). */
  shutdown(): void {
    this.shut = true;
    for (const t of this.tickers) t.cancel();
    this.alarms.clear();
    this.acks.clear();
    for (const s of this.streams.values()) s.onReply(null, 'memberlist shut down');
    this.streams.clear();
  }

  /** Re-announces our meta (tags changed): alive with the next incarnation. */
  updateMeta(): void {
    const me = this.nodes.get(this.config.name)!;
    me.meta = this.delegate.nodeMeta(META_MAX_SIZE);
    me.incarnation = ++this.incarnation;
    this.broadcastAlive(me);
  }

  // ---- inputs -----------------------------------------------------------------------------------

  /** One decoded datagram (layers already stripped by the caller or present in the tree). */
  handlePacket(from: Addr, p: Packet): void {
    if (this.shut) return;
    switch (p.kind) {
      case 'label':
      case 'encrypted':
      case 'crc':
      case 'compress':
        return this.handlePacket(from, p.inner);
      case 'compound':
        for (const part of p.parts) this.handlePacket(from, part);
        return;
      case 'user':
        this.delegate.notifyMsg(p.payload);
        return;
      case 'message':
        return this.handleMessage(from, p.type, p.fields);
    }
  }

  private handleMessage(from: Addr, type: number, f: Fields): void {
    switch (type) {
      case MessageType.ping:
        return this.handlePing(from, f);
      case MessageType.indirectPing:
        return this.handleIndirectPing(from, f);
      case MessageType.ack: {
        const h = this.acks.get(Number(f.SeqNo));
        if (h) h.onAck((f.Payload as Uint8Array | null) ?? null, this.now);
        return;
      }
      case MessageType.nack:
        this.acks.get(Number(f.SeqNo))?.onNack();
        return;
      case MessageType.alive:
        return this.aliveNode(f);
      case MessageType.suspect:
        return this.suspectNode(f);
      case MessageType.dead:
        return this.deadNode(f);
      default:
        this.log.warn(`memberlist: msg type (${type}) not supported`, 'from', `${from.ip}:${from.port}`);
    }
  }

  /**
   * One message read from an incoming TCP connection; returns the reply to write (or null). Push/pull:
   * answer with our state, then merge theirs, as memberlist's listener does.
   */
  handleStream(m: StreamMessage): StreamMessage | null {
    switch (m.kind) {
      case 'encrypted':
      case 'compress':
        return this.handleStream(m.inner);
      case 'pushPull': {
        const join = m.header.Join === true;
        const reply = this.localPushPull(join);
        const err = this.mergeRemote(m, join);
        if (err) this.log.error(`memberlist: Failed push/pull merge: ${err}`);
        return this.wrapStream(reply);
      }
      case 'user':
        this.delegate.notifyMsg(m.payload);
        return null;
      case 'message':
        if (m.type === MessageType.ping) {
          const node = String(m.fields.Node ?? '');
          if (node !== '' && node !== this.config.name) {
            this.log.warn(`memberlist: Got ping for unexpected node ${node}`);
            return null;
          }
          return this.wrapStream({
            kind: 'message',
            type: MessageType.ack,
            fields: { SeqNo: m.fields.SeqNo ?? 0, Payload: null },
          });
        }
        this.log.error(`memberlist: Received invalid msgType (${m.type})`);
        return null;
    }
  }

  /** The reply (or failure) of a stream request this core asked the driver to open. */
  streamReply(id: number, m: StreamMessage | null, err: string | null = null): void {
    const s = this.streams.get(id);
    if (!s) return;
    this.streams.delete(id);
    s.onReply(m, err);
  }

  // ---- state -------------------------------------------------------------------------------------

  private setAlive(): void {
    const me: NodeInfo = {
      name: this.config.name,
      addr: this.config.advertiseAddr,
      port: this.config.advertisePort,
      meta: this.delegate.nodeMeta(META_MAX_SIZE),
      vsn: this.config.vsn,
      incarnation: ++this.incarnation,
      state: NodeState.alive,
      stateChange: this.now,
    };
    this.nodes.set(me.name, me);
    this.nodeArr.push(me);
    this.probeList.push(me.name);
    this.broadcastAlive(me);
    this.delegate.notifyJoin({ ...me });
  }

  private broadcastAlive(n: NodeInfo): void {
    this.broadcasts.queue(encodeBody(MessageType.alive, aliveFields(n)), n.name);
  }

  private info(f: Fields): NodeInfo {
    return {
      name: String(f.Node ?? f.Name ?? ''),
      addr: bytesToIp((f.Addr as Uint8Array | null) ?? new Uint8Array()),
      port: Number(f.Port ?? 0),
      meta: (f.Meta as Uint8Array | null) ?? new Uint8Array(),
      vsn: (f.Vsn as Uint8Array | null) ?? new Uint8Array(),
      incarnation: Number(f.Incarnation ?? 0),
      state: NodeState.alive,
      stateChange: this.now,
    };
  }

  private aliveNode(f: Fields): void {
    const a = this.info(f);
    if (this.leaving && a.name === this.config.name) return;
    if (a.vsn.length >= 3) {
      const [pmin, pmax] = [a.vsn[0]!, a.vsn[1]!];
      if (pmin === 0 || pmax === 0 || pmin > pmax) {
        this.log.warn(
          `memberlist: Ignoring an alive message for '${a.name}' (${a.addr}:${a.port}) ` +
            `that has invalid protocol versions`,
        );
        return;
      }
    }
    const refused = this.delegate.notifyAlive(a);
    if (refused) {
      this.log.warn(`memberlist: ignoring alive message for '${a.name}': ${refused}`);
      return;
    }
    let state = this.nodes.get(a.name);
    let updatesNode = false;
    if (!state) {
      state = { ...a, incarnation: 0, state: NodeState.dead, meta: a.meta };
      this.nodes.set(a.name, state);
      this.nodeArr.push(state);
      // A random position in the probe order, as memberlist does.
      const i = this.rng.int(this.probeList.length + 1);
      this.probeList.splice(i, 0, a.name);
    } else if (state.addr !== a.addr || state.port !== a.port) {
      const canReclaim =
        this.config.deadNodeReclaimMs > 0 &&
        state.state === NodeState.dead &&
        this.now - state.stateChange > this.config.deadNodeReclaimMs;
      if (state.state === NodeState.left || (state.state === NodeState.dead && canReclaim)) {
        this.log.info(
          `memberlist: Updating address for left or failed node ${state.name} from ` +
            `${state.addr}:${state.port} to ${a.addr}:${a.port}`,
        );
        updatesNode = true;
      } else {
        this.log.error(
          `memberlist: Conflicting address for ${a.name}. Mine: ${state.addr}:${state.port} ` +
            `Theirs: ${a.addr}:${a.port} Old state: ${state.state}`,
        );
        this.delegate.notifyConflict({ ...state }, a);
        return;
      }
    }
    const isLocal = a.name === this.config.name;
    if (a.incarnation <= state.incarnation && !isLocal && !updatesNode) return;
    if (a.incarnation < state.incarnation && isLocal) return;
    this.clearSuspicion(a.name);
    if (isLocal) {
      if (
        a.incarnation === state.incarnation &&
        bytesEqual(a.meta, state.meta) &&
        bytesEqual(a.vsn, state.vsn)
      )
        return;
      this.refute(state, a.incarnation);
      this.log.warn(
        `memberlist: Refuting an alive message for '${a.name}' (${a.addr}:${a.port}) meta:` +
          `(${hex(a.meta)} VS ${hex(state.meta)}), vsn:(${Array.from(a.vsn).join(' ')} VS ${Array.from(state.vsn).join(' ')})`,
      );
      return;
    }
    this.broadcasts.queue(encodeBody(MessageType.alive, f), a.name);
    const oldState = state.state;
    const oldMeta = state.meta;
    state.incarnation = a.incarnation;
    // Copies: the decoded fields are views into the whole received datagram or push/pull state.
    state.meta = a.meta.slice();
    state.addr = a.addr;
    state.port = a.port;
    state.vsn = a.vsn.slice();
    if (state.state !== NodeState.alive) {
      state.state = NodeState.alive;
      state.stateChange = this.now;
    }
    if (oldState === NodeState.dead || oldState === NodeState.left) this.delegate.notifyJoin({ ...state });
    else if (!bytesEqual(oldMeta, state.meta)) this.delegate.notifyUpdate({ ...state });
  }

  private suspectNode(f: Fields): void {
    const name = String(f.Node ?? '');
    const inc = Number(f.Incarnation ?? 0);
    const from = String(f.From ?? '');
    const state = this.nodes.get(name);
    if (!state || inc < state.incarnation) return;
    const existing = this.suspicions.get(name);
    if (existing) {
      if (existing.confirm(from, this.now)) this.broadcasts.queue(encodeBody(MessageType.suspect, f), name);
      return;
    }
    if (state.state !== NodeState.alive) return;
    if (name === this.config.name) {
      this.refute(state, inc);
      this.log.warn(`memberlist: Refuting a suspect message (from: ${from})`);
      return;
    }
    this.broadcasts.queue(encodeBody(MessageType.suspect, f), name);
    state.incarnation = inc;
    state.state = NodeState.suspect;
    const changeTime = this.now;
    state.stateChange = changeTime;
    const n = this.numNodes();
    let k = this.config.suspicionMult - 2;
    if (n - 2 < k) k = 0;
    const min = suspicionTimeoutMs(this.config.suspicionMult, n, this.config.probeIntervalMs);
    const max = this.config.suspicionMaxTimeoutMult * min;
    const s = new Suspicion(from, k, min, max, this.now, this.alarms, () => {
      const st = this.nodes.get(name);
      if (st && st.state === NodeState.suspect && st.stateChange === changeTime) {
        this.log.info(
          `memberlist: Marking ${name} as failed, suspect timeout reached (${s.confirmations} peer confirmations)`,
        );
        this.deadNode({ Node: name, From: this.config.name, Incarnation: st.incarnation });
      }
    });
    this.suspicions.set(name, s);
  }

  private deadNode(f: Fields, notifyDone?: () => void): void {
    const name = String(f.Node ?? '');
    const inc = Number(f.Incarnation ?? 0);
    const state = this.nodes.get(name);
    if (!state || inc < state.incarnation) return;
    this.clearSuspicion(name);
    if (state.state === NodeState.dead || state.state === NodeState.left) return;
    if (name === this.config.name) {
      if (!this.leaving) {
        this.refute(state, inc);
        this.log.warn(`memberlist: Refuting a dead message (from: ${String(f.From)})`);
        return;
      }
      this.broadcasts.queue(encodeBody(MessageType.dead, f), name, notifyDone);
    } else {
      this.broadcasts.queue(encodeBody(MessageType.dead, f), name);
    }
    state.incarnation = inc;
    state.state = String(f.From) === name ? NodeState.left : NodeState.dead;
    state.stateChange = this.now;
    this.delegate.notifyLeave({ ...state });
  }

  private clearSuspicion(name: string): void {
    this.suspicions.get(name)?.stop();
    this.suspicions.delete(name);
  }

  private refute(me: NodeInfo, accused: number): void {
    let inc = ++this.incarnation;
    if (accused >= inc) {
      inc = accused + 1;
      this.incarnation = inc;
    }
    me.incarnation = inc;
    this.awareness = Math.min(this.awareness + 1, this.config.awarenessMaxMultiplier - 1);
    this.broadcastAlive(me);
  }

  private applyAwareness(delta: number): void {
    this.awareness = Math.max(0, Math.min(this.awareness + delta, this.config.awarenessMaxMultiplier - 1));
  }

  // ---- sending ------------------------------------------------------------------------------------

  /** Sends one message with piggybacked broadcasts; CRC only to known nodes speaking protocol ≥ 5. */
  private send(to: Addr, msg: Uint8Array, crcFor?: NodeInfo): void {
    const layers = this.wireLayers();
    const overhead = (layers.encrypt ? 29 : 0) + (layers.label ? 2 + layers.label.length : 0);
    const limit = this.config.udpBufferSize - msg.length - COMPOUND_HEADER - overhead;
    const extra = this.getBroadcasts(COMPOUND_OVERHEAD, limit);
    const body = extra.length === 0 ? msg : compoundOf([msg, ...extra]);
    const crc = crcFor !== undefined && (crcFor.vsn[1] ?? 0) >= 5;
    this.out.push({ kind: 'packet', to, data: outerPacket(body, layers, crc) });
  }

  private sendTo(name: string, msg: Uint8Array): void {
    const n = this.nodes.get(name);
    if (n) this.send({ ip: n.addr, port: n.port }, msg, n);
  }

  private getBroadcasts(overhead: number, limit: number): Uint8Array[] {
    const mine = this.broadcasts.take(overhead, limit);
    const used = mine.reduce((s, m) => s + overhead + m.length, 0);
    const theirs = this.delegate.getBroadcasts(overhead, limit - used);
    return [...mine, ...theirs];
  }

  private nextSeq(): number {
    this.seqNo = (this.seqNo + 1) >>> 0;
    return this.seqNo;
  }

  private source(): Fields {
    return {
      SourceAddr: ipToBytes(this.config.advertiseAddr),
      SourcePort: this.config.advertisePort,
      SourceNode: this.config.name,
    };
  }

  private handlePing(from: Addr, f: Fields): void {
    const node = String(f.Node ?? '');
    if (node !== '' && node !== this.config.name) {
      this.log.warn(`memberlist: Got ping for unexpected node '${node}' from=${from.ip}:${from.port}`);
      return;
    }
    const payload = this.delegate.ackPayload();
    const ack = encodeBody(MessageType.ack, { SeqNo: f.SeqNo ?? 0, Payload: payload });
    this.send(replyAddr(from, f), ack);
  }

  private handleIndirectPing(from: Addr, f: Fields): void {
    const requester = replyAddr(from, f);
    const seq = this.nextSeq();
    const target: Addr = {
      ip: bytesToIp((f.Target as Uint8Array | null) ?? new Uint8Array()),
      port: Number(f.Port ?? 0),
    };
    const ping = encodeBody(MessageType.ping, { SeqNo: seq, Node: f.Node ?? '', ...this.source() });
    let acked = false;
    const origSeq = f.SeqNo ?? 0;
    this.setAckHandler(
      seq,
      () => {
        acked = true;
        this.send(requester, encodeBody(MessageType.ack, { SeqNo: origSeq, Payload: null }));
      },
      () => {},
      this.config.probeTimeoutMs,
    );
    this.send(target, ping);
    if (f.Nack === true) {
      this.alarms.at(this.now + this.config.probeTimeoutMs, () => {
        if (!acked) this.send(requester, encodeBody(MessageType.nack, { SeqNo: origSeq }));
      });
    }
  }

  private setAckHandler(
    seq: number,
    onAck: (payload: Uint8Array | null, at: number) => void,
    onNack: () => void,
    timeoutMs: number,
    onExpire?: () => void,
  ): void {
    const expiry = this.alarms.at(this.now + timeoutMs, () => {
      this.acks.delete(seq);
      onExpire?.();
    });
    this.acks.set(seq, {
      onAck: (p, at) => {
        expiry.cancel();
        this.acks.delete(seq);
        onAck(p, at);
      },
      onNack,
      expiry,
    });
  }

  // ---- periodic work ------------------------------------------------------------------------------

  private startTickers(): void {
    const c = this.config;
    // Random initial stagger, as memberlist does, so that nodes started together do not beat in step.
    this.scheduleProbe(this.now + this.rng.int(Math.max(1, c.probeIntervalMs)));
    this.everyMs(c.gossipIntervalMs, () => this.gossip());
    const pushPullDelay = this.rng.int(Math.max(1, c.pushPullIntervalMs));
    const ppLoop = (at: number) =>
      this.tickers.push(
        this.alarms.at(at, () => {
          this.periodicPushPull();
          ppLoop(this.now + pushPullScaleMs(c.pushPullIntervalMs, this.numNodes()));
        }),
      );
    ppLoop(this.now + pushPullDelay);
  }

  private everyMs(ms: number, fn: () => void): void {
    const loop = (at: number) =>
      this.tickers.push(
        this.alarms.at(at, () => {
          fn();
          loop(at + ms);
        }),
      );
    loop(this.now + this.rng.int(Math.max(1, ms)));
  }

  private scheduleProbe(at: number): void {
    this.tickers.push(this.alarms.at(at, () => this.probe()));
  }

  /** One probe round: pick the next live node round-robin and run SWIM's direct/indirect probe. */
  private probe(): void {
    if (this.shut) return;
    const start = this.now;
    let target: NodeInfo | undefined;
    for (let checked = 0; checked < this.probeList.length; checked++) {
      if (this.probeIndex >= this.probeList.length) {
        this.resetProbeList();
        this.probeIndex = 0;
        if (this.probeList.length === 0) break;
      }
      const n = this.nodes.get(this.probeList[this.probeIndex++]!);
      if (!n || n.name === this.config.name || n.state === NodeState.dead || n.state === NodeState.left)
        continue;
      target = n;
      break;
    }
    if (!target) {
      this.scheduleProbe(start + this.config.probeIntervalMs);
      return;
    }
    this.probeNode(target, start, () => this.scheduleProbe(this.now + this.config.probeIntervalMs));
  }

  private resetProbeList(): void {
    // Dead and left nodes stay gossip targets for GossipToTheDeadTime, then are forgotten.
    let removed = false;
    for (const [name, n] of this.nodes) {
      if (name === this.config.name) continue;
      if (
        (n.state === NodeState.dead || n.state === NodeState.left) &&
        this.now - n.stateChange > this.config.gossipToTheDeadMs
      ) {
        this.nodes.delete(name);
        removed = true;
      }
    }
    if (removed) this.nodeArr = [...this.nodes.values()];
    this.probeList = [...this.nodes.keys()];
    for (let i = this.probeList.length - 1; i > 0; i--) {
      const j = this.rng.int(i + 1);
      [this.probeList[i], this.probeList[j]] = [this.probeList[j]!, this.probeList[i]!];
    }
  }

  private probeNode(node: NodeInfo, start: number, next: () => void): void {
    const seq = this.nextSeq();
    const interval = this.config.probeIntervalMs * (this.awareness + 1);
    const to: Addr = { ip: node.addr, port: node.port };
    let done = false;
    let nacks = 0;
    let expectedNacks = 0;
    let tcpOk: boolean | null = null;
    const finish = (delta: number) => {
      if (done) return;
      done = true;
      this.applyAwareness(delta);
      next();
    };
    this.setAckHandler(
      seq,
      (payload, at) => {
        if (payload && payload.length > 0) this.delegate.notifyPingComplete({ ...node }, at - start, payload);
        finish(-1);
      },
      () => nacks++,
      interval,
      () => {
        if (done) return;
        if (tcpOk === true) {
          this.log.warn(
            `memberlist: Was able to connect to ${node.name} over TCP but UDP probes failed, network may be misconfigured`,
          );
          return finish(-1);
        }
        const delta = expectedNacks > 0 ? Math.max(0, expectedNacks - nacks) : 1;
        done = true;
        this.applyAwareness(delta);
        this.log.info(`memberlist: Suspect ${node.name} has failed, no acks received`);
        const cur = this.nodes.get(node.name);
        if (cur) this.suspectNode({ Node: cur.name, Incarnation: cur.incarnation, From: this.config.name });
        next();
      },
    );
    const ping = encodeBody(MessageType.ping, { SeqNo: seq, Node: node.name, ...this.source() });
    if (node.state === NodeState.alive) this.send(to, ping, node);
    else {
      const suspect = encodeBody(MessageType.suspect, {
        Incarnation: node.incarnation,
        Node: node.name,
        From: this.config.name,
      });
      this.send(to, compoundOf([ping, suspect]), node);
    }
    this.alarms.at(start + this.config.probeTimeoutMs, () => {
      if (done) return;
      // Indirect probes through k random live peers; nacks only from peers that speak protocol ≥ 4.
      const peers = this.kRandomNodes(
        this.config.indirectChecks,
        (n) => n.name !== node.name && n.state === NodeState.alive,
      );
      for (const p of peers) {
        const nack = (p.vsn[1] ?? 0) >= 4;
        if (nack) expectedNacks++;
        const ind = encodeBody(MessageType.indirectPing, {
          SeqNo: seq,
          Target: ipToBytes(node.addr),
          Port: node.port,
          Node: node.name,
          Nack: nack,
          ...this.source(),
        });
        this.send({ ip: p.addr, port: p.port }, ind);
      }
      if (!this.config.disableTcpPings && (node.vsn[1] ?? 0) >= 3) {
        const deadline = start + interval - this.now;
        this.openStream(
          to,
          {
            kind: 'message',
            type: MessageType.ping,
            fields: { SeqNo: seq, Node: node.name, ...this.source() },
          },
          Math.max(1, deadline),
          (m) => {
            const ack = unwrap(m);
            tcpOk =
              ack?.kind === 'message' && ack.type === MessageType.ack && Number(ack.fields.SeqNo) === seq;
          },
        );
      }
    });
  }

  private gossip(): void {
    if (this.shut) return;
    const targets = this.kRandomNodes(this.config.gossipNodes, (n) => {
      if (n.state === NodeState.alive || n.state === NodeState.suspect) return true;
      return this.now - n.stateChange <= this.config.gossipToTheDeadMs;
    });
    const layers = this.wireLayers();
    const overhead = (layers.encrypt ? 29 : 0) + (layers.label ? 2 + layers.label.length : 0);
    const limit = this.config.udpBufferSize - COMPOUND_HEADER - overhead;
    for (const n of targets) {
      const msgs = this.getBroadcasts(COMPOUND_OVERHEAD, limit);
      if (msgs.length === 0) return;
      const body = msgs.length === 1 ? msgs[0]! : compoundOf(msgs);
      this.out.push({
        kind: 'packet',
        to: { ip: n.addr, port: n.port },
        data: outerPacket(body, layers, (n.vsn[1] ?? 0) >= 5),
      });
    }
  }

  private periodicPushPull(): void {
    if (this.shut) return;
    const [n] = this.kRandomNodes(1, (x) => x.state === NodeState.alive);
    if (!n) return;
    this.pushPull({ ip: n.addr, port: n.port }, false, (err) => {
      if (err) this.log.error(`memberlist: Push/Pull with ${n.name} failed: ${err}`);
    });
  }

  private pushPull(to: Addr, join: boolean, done: (err: string | null) => void): void {
    this.openStream(to, this.wrapStream(this.localPushPull(join)), this.config.tcpTimeoutMs, (m, err) => {
      if (!m) return done(err ?? 'no reply');
      const inner = unwrap(m);
      if (inner?.kind === 'message' && inner.type === MessageType.err)
        return done(`remote error: ${String(inner.fields.Error ?? '')}`);
      if (inner?.kind !== 'pushPull') return done(`Expected pushPull but got ${inner?.kind ?? 'nothing'}`);
      done(this.mergeRemote(inner, join));
    });
  }

  /** The err message memberlist's listener writes when it cannot read a stream, layered as any reply. */
  errorReply(text: string): StreamMessage {
    return this.wrapStream({ kind: 'message', type: MessageType.err, fields: { Error: text } });
  }

  private localPushPull(join: boolean): StreamMessage {
    const nodes = [...this.nodes.values()].map((n) => ({
      Name: n.name,
      Addr: ipToBytes(n.addr),
      Port: n.port,
      Incarnation: n.incarnation,
      Meta: n.meta,
      State: n.state,
      Vsn: n.vsn,
    }));
    const userState = this.delegate.localState(join);
    return {
      kind: 'pushPull',
      header: { Join: join, Nodes: nodes.length, UserStateLen: userState.length },
      nodes,
      userState,
    };
  }

  private mergeRemote(m: Extract<StreamMessage, { kind: 'pushPull' }>, join: boolean): string | null {
    const infos = m.nodes.map((f) => ({ ...this.info(f), state: Number(f.State ?? 0) as NodeStateType }));
    const refused = this.delegate.notifyMerge(infos);
    if (refused) return refused;
    for (const [i, f] of m.nodes.entries()) {
      const st = infos[i]!.state;
      const fields: Fields = { ...f, Node: f.Name ?? '' };
      if (st === NodeState.alive) this.aliveNode(fields);
      else if (st === NodeState.left)
        this.deadNode({ Node: f.Name ?? '', From: f.Name ?? '', Incarnation: f.Incarnation ?? 0 });
      // A remote "dead" or "suspect" only makes us suspect the node: we check for ourselves.
      else this.suspectNode({ Node: f.Name ?? '', From: this.config.name, Incarnation: f.Incarnation ?? 0 });
    }
    if (m.userState.length > 0) this.delegate.mergeRemoteState(m.userState, join);
    return null;
  }

  /** Stream messages are compressed (Go peers always do) and encrypted as configured. */
  private wrapStream(m: StreamMessage): StreamMessage {
    const l = this.wireLayers();
    let out: StreamMessage = l.compress ? { kind: 'compress', inner: m } : m;
    if (l.encrypt) out = { kind: 'encrypted', version: 1, nonce: l.nonce(), keyIndex: 0, inner: out };
    return out;
  }

  private openStream(
    to: Addr,
    message: StreamMessage,
    timeoutMs: number,
    onReply: (m: StreamMessage | null, err: string | null) => void,
  ): void {
    const id = ++this.streamId;
    this.streams.set(id, { onReply });
    this.out.push({
      kind: 'stream',
      id,
      to,
      message: this.isWrapped(message) ? message : this.wrapStream(message),
      timeoutMs,
    });
  }

  private isWrapped(m: StreamMessage): boolean {
    return m.kind === 'compress' || m.kind === 'encrypted';
  }

  /**
   * Up to k distinct random nodes (not us) passing `keep`, by random probes into the node array as
   * memberlist does (at most 3n tries), so a large cluster costs O(k), not O(n), per pick.
   */
  private kRandomNodes(k: number, keep: (n: NodeInfo) => boolean): NodeInfo[] {
    const n = this.nodeArr.length;
    const out: NodeInfo[] = [];
    for (let i = 0; i < 3 * n && out.length < k; i++) {
      const node = this.nodeArr[this.rng.int(n)]!;
      if (node.name === this.config.name || !keep(node) || out.includes(node)) continue;
      out.push(node);
    }
    return out;
  }
}

function aliveFields(n: NodeInfo): Fields {
  return {
    Incarnation: n.incarnation,
    Node: n.name,
    Addr: ipToBytes(n.addr),
    Port: n.port,
    Meta: n.meta,
    Vsn: n.vsn,
  };
}

function replyAddr(from: Addr, f: Fields): Addr {
  const a = f.SourceAddr as Uint8Array | null | undefined;
  const p = Number(f.SourcePort ?? 0);
  if (a && a.length > 0 && p > 0) return { ip: bytesToIp(a), port: p };
  return from;
}

function unwrap(m: StreamMessage | null): StreamMessage | null {
  while (m && (m.kind === 'compress' || m.kind === 'encrypted')) m = m.inner;
  return m;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}
