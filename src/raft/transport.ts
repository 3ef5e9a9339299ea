// Raft messages over the server RPC port: each connection opens with Consul's protocol byte for Raft
// (0x01), then carries hashicorp-style request/response pairs in order. Outbound: one connection per
// peer, requests queued in order, responses matched to them. Inbound: requests go to the core, whose
// replies (exactly one per append/vote, in order) are written back on the connection they came from.

import { assert } from '../lib/assert.js';
import type { Logger } from '../runtime/logger.js';
import type { Addr, StreamConn, StreamListener, StreamTransport } from '../runtime/transport.js';
import type { Envelope, RaftMessage, ServerId } from './core/messages.js';
import {
  encodeRequest,
  encodeResponse,
  encodeErrorResponse,
  encodeTimeoutNowResponse,
  readRequest,
  readResponse,
  RpcType,
  rpcTypeOf,
  servesProtocol,
  UNSUPPORTED_PROTOCOL,
  type Identity,
} from './wire.js';
import { concatBytes as concat } from '../lib/bytes.js';
import type { Clock } from '../runtime/clock.js';
import type { TimerHandle, Timers } from '../runtime/timers.js';

/** Consul's first byte for a Raft connection on the RPC port (pool.RPCRaft). */
export const RPC_RAFT = 0x01;
/** Requests in flight to one peer at most; past it new ones are dropped (Raft retries). */
export const MAX_INFLIGHT = 128;
const CONNECT_TIMEOUT_MS = 1000;
/** Consul's Raft transport timeout: a request unanswered this long closes its connection. */
export const RPC_TIMEOUT_MS = 10_000;
/** hashicorp scales an InstallSnapshot's timeout by its size: one timeout per 256 KiB. */
const SNAPSHOT_TIMEOUT_SCALE = 256 * 1024;

export function parseAddr(s: string): Addr {
  const i = s.lastIndexOf(':');
  return { ip: s.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(s.slice(i + 1)) };
}

/** Writes queued for one peer, sent together once the current turn's messages are all queued. */
class Coalescer {
  private queued: Array<{ conn: StreamConn; bytes: Uint8Array }> = [];

  /** Queues bytes for `conn`; the first call in a turn schedules the writes of everything queued. */
  write(conn: StreamConn, bytes: Uint8Array): void {
    this.queued.push({ conn, bytes });
    if (this.queued.length > 1) return;
    queueMicrotask(() => {
      const q = this.queued;
      this.queued = [];
      // Runs of small messages to the same connection (appends, acknowledgements) become one syscall;
      // a large one (a snapshot) is written as it is.
      for (let i = 0; i < q.length;) {
        const conn = q[i]!.conn;
        let j = i;
        let size = 0;
        while (j < q.length && q[j]!.conn === conn && (j === i || size + q[j]!.bytes.length <= 1 << 20))
          size += q[j++]!.bytes.length;
        conn.write(j - i === 1 ? q[i]!.bytes : concat(...q.slice(i, j).map((x) => x.bytes)));
        i = j;
      }
    });
  }
}

interface Outbound {
  out: Coalescer;
  conn: StreamConn | null;
  connecting: Promise<StreamConn | null> | null;
  /** Requests awaiting answers, in order (a snapshot's index, which its answer does not repeat). */
  inflight: Array<{ rpc: number; snapshotIndex: number; deadline: number }>;
  buf: Uint8Array;
}

interface Inbound {
  out: Coalescer;
  conn: StreamConn;
  peer: ServerId;
  /**
   * Replies owed, in arrival order: the RPC type of one the core will answer, or the bytes of one answered
   * already (refused, or TimeoutNow) that waits for those before it.
   */
  pending: Array<number | Uint8Array>;
  buf: Uint8Array;
  /** A large request (a snapshot) still arriving: chunks held until `need` bytes are here. */
  chunks: Uint8Array[];
  held: number;
  need: number;
}

export class RaftTransport {
  private readonly out = new Map<ServerId, Outbound>();
  private readonly inbound = new Set<Inbound>();
  private listener: StreamListener | null = null;
  private sweeper: TimerHandle | null = null;

  constructor(
    private readonly me: Identity,
    private readonly streams: StreamTransport,
    private readonly addressOf: (id: ServerId) => string | undefined,
    private readonly deliver: (env: Envelope) => void,
    private readonly log: Logger,
    /** Connections that open with another protocol byte (server RPC, …); absent = refused. */
    private readonly other?: (byte: number, conn: StreamConn, rest: Uint8Array) => void,
    /** With it, a peer that holds a connection open but stops answering is cut off after the timeout. */
    private readonly time?: { clock: Clock; timers: Timers },
  ) {
    this.sweeper = time?.timers.every(1000, () => this.expire()) ?? null;
  }

  /** Closes connections whose oldest request is past its deadline (their in-flight requests are dropped). */
  private expire(): void {
    const now = this.time!.clock.monotonicMs();
    for (const [id, p] of this.out) {
      const oldest = p.inflight[0];
      if (!oldest || oldest.deadline > now || !p.conn) continue;
      this.log.warn('raft RPC timed out, closing connection', 'peer', id);
      const c = p.conn;
      p.conn = null;
      p.inflight.length = 0;
      c.destroy();
    }
  }

  async listen(at: Addr): Promise<void> {
    this.listener = await this.streams.listen(at, (conn) => this.accept(conn));
  }

  private accept(conn: StreamConn): void {
    let st: Inbound | null = null;
    let head = true;
    conn.onData((chunk) => {
      let data = chunk;
      if (head) {
        head = false;
        if (data[0] !== RPC_RAFT) {
          if (this.other && data[0] !== undefined) this.other(data[0], conn, data.subarray(1));
          else conn.destroy();
          return;
        }
        data = data.subarray(1);
        st = {
          out: new Coalescer(),
          conn,
          peer: '',
          pending: [],
          buf: new Uint8Array(),
          chunks: [],
          held: 0,
          need: 0,
        };
        this.inbound.add(st);
      }
      if (!st) return;
      if (st.need > 0) {
        // Joining chunks once, when the whole request is here, keeps a large snapshot linear.
        st.chunks.push(data);
        st.held += data.length;
        if (st.held < st.need) return;
        st.buf = concat(st.buf, ...st.chunks);
        st.chunks = [];
        st.held = 0;
        st.need = 0;
      } else st.buf = concat(st.buf, data);
      try {
        for (;;) {
          const r = readRequest(st.buf);
          if (!r) break;
          if ('need' in r) {
            st.need = r.need;
            st.held = st.buf.length;
            break;
          }
          st.buf = st.buf.subarray(r.used);
          st.peer = r.from.id;
          if (!servesProtocol(r.version)) {
            this.answerInOrder(st, encodeErrorResponse(UNSUPPORTED_PROTOCOL));
            continue;
          }
          if (r.rpc === RpcType.TimeoutNow) this.answerInOrder(st, encodeTimeoutNowResponse(this.me));
          else st.pending.push(r.rpc);
          this.deliver({ from: r.from.id, to: this.me.id, msg: r.msg });
        }
      } catch (e) {
        this.log.warn('failed to decode incoming command', 'error', e);
        conn.destroy();
      }
    });
    conn.onClose(() => {
      if (st) this.inbound.delete(st);
    });
  }

  /** Sends a core message: requests go out on our connection to the peer, replies back on theirs. */
  send(env: Envelope): void {
    const rpc = rpcTypeOf(env.msg);
    if (rpc === null) return this.reply(env.to, env.msg);
    const peer = this.peer(env.to);
    if (peer.inflight.length >= MAX_INFLIGHT) return;
    const bytes = encodeRequest(env.msg, this.me);
    const timeout =
      env.msg.type === 'installSnapshot'
        ? RPC_TIMEOUT_MS * Math.max(1, Math.ceil(bytes.length / SNAPSHOT_TIMEOUT_SCALE))
        : RPC_TIMEOUT_MS;
    peer.inflight.push({
      rpc,
      snapshotIndex: env.msg.type === 'installSnapshot' ? env.msg.meta.index : 0,
      deadline: (this.time?.clock.monotonicMs() ?? 0) + timeout,
    });
    void this.conn(env.to, peer).then((c) => {
      if (c) peer.out.write(c, bytes);
      else peer.inflight.length = 0;
    });
  }

  private reply(to: ServerId, msg: RaftMessage): void {
    const want: number[] =
      msg.type === 'appendResp'
        ? [RpcType.AppendEntries]
        : msg.type === 'installSnapshotResp'
          ? [RpcType.InstallSnapshot]
          : [RpcType.RequestVote, RpcType.RequestPreVote];
    for (const st of this.inbound) {
      if (st.peer !== to || st.pending.length === 0) continue;
      const next = st.pending[0]!;
      if (typeof next !== 'number' || !want.includes(next)) continue;
      st.pending.shift();
      assert(
        msg.type !== 'voteResp' || msg.preVote === (next === RpcType.RequestPreVote),
        'vote reply out of order',
      );
      st.out.write(st.conn, encodeResponse(msg, this.me));
      while (st.pending[0] instanceof Uint8Array) st.out.write(st.conn, st.pending.shift() as Uint8Array);
      return;
    }
  }

  /** Writes an answer made without the core once every reply owed before it is written. */
  private answerInOrder(st: Inbound, bytes: Uint8Array): void {
    if (st.pending.length === 0) st.out.write(st.conn, bytes);
    else st.pending.push(bytes);
  }

  private peer(id: ServerId): Outbound {
    let p = this.out.get(id);
    if (!p) {
      p = { out: new Coalescer(), conn: null, connecting: null, inflight: [], buf: new Uint8Array() };
      this.out.set(id, p);
    }
    return p;
  }

  private conn(id: ServerId, p: Outbound): Promise<StreamConn | null> {
    if (p.conn) return Promise.resolve(p.conn);
    if (p.connecting) return p.connecting;
    const addr = this.addressOf(id);
    if (!addr) return Promise.resolve(null);
    p.connecting = this.streams.connect(parseAddr(addr), CONNECT_TIMEOUT_MS).then(
      (c) => {
        p.connecting = null;
        p.conn = c;
        p.buf = new Uint8Array();
        c.write(Uint8Array.of(RPC_RAFT));
        c.onData((chunk) => this.onResponse(id, p, chunk));
        c.onClose(() => {
          if (p.conn === c) {
            p.conn = null;
            p.inflight.length = 0;
          }
        });
        return c;
      },
      () => {
        p.connecting = null;
        p.inflight.length = 0;
        return null;
      },
    );
    return p.connecting;
  }

  private onResponse(id: ServerId, p: Outbound, chunk: Uint8Array): void {
    p.buf = concat(p.buf, chunk);
    try {
      for (;;) {
        const req = p.inflight[0];
        if (req === undefined) break;
        const r = readResponse(p.buf, req.rpc);
        if (!r) break;
        p.buf = p.buf.subarray(r.used);
        p.inflight.shift();
        if (r.msg?.type === 'installSnapshotResp') r.msg.lastIndex = req.snapshotIndex;
        if (r.error) this.log.warn('raft RPC error', 'peer', id, 'error', r.error);
        else if (r.msg) this.deliver({ from: id, to: this.me.id, msg: r.msg });
      }
    } catch (e) {
      this.log.warn('failed to decode response', 'peer', id, 'error', e);
      p.conn?.destroy();
    }
  }

  async close(): Promise<void> {
    this.sweeper?.cancel();
    await this.listener?.close();
    for (const [, p] of this.out) p.conn?.destroy();
    for (const st of this.inbound) st.conn.destroy();
  }
}
