// Consul's client-side RPC pool: one TCP connection per server, opened with the RPCMultiplexV2 byte,
// carries a yamux session; every call is one stream on it. So a client with thousands of blocking
// queries holds one connection per server (servers cap connections per client IP), and a call costs
// no TCP handshake. A session closes when its connection does, or once idle for clientRPCConnMaxIdle.
import { YamuxSession } from '../codec/yamux.js';
import type { MsgWriter } from '../codec/msgpack.js';
import type { Clock } from '../runtime/clock.js';
import type { Timers, TimerHandle } from '../runtime/timers.js';
import type { Addr, StreamTransport } from '../runtime/transport.js';
import { RPC_MULTIPLEX_V2, callOn, type CallResult } from './rpc.js';

/** Consul's clientRPCConnMaxIdle: 127 s, the first prime above two minutes. */
export const CONN_MAX_IDLE_MS = 127_000;
/** Longest wait for a server to accept the TCP connection. */
const DIAL_TIMEOUT_MS = 10_000;

interface Pooled {
  session: YamuxSession;
  /** Monotonic ms when the last stream on it ended (or it opened). */
  idleSince: number;
}

export class RpcPool {
  private readonly pooled = new Map<string, Pooled>();
  private readonly dialing = new Map<string, Promise<Pooled | Error>>();
  /** Runs only while some session is pooled. */
  private reaper: TimerHandle | null = null;

  constructor(
    private readonly streams: StreamTransport,
    private readonly timers: Timers,
    private readonly clock: Clock,
    private readonly maxIdleMs = CONN_MAX_IDLE_MS,
  ) {}

  /** Connections open now (one per server in use). */
  get size(): number {
    return this.pooled.size;
  }

  /** One call to `to`; a failure to reach the server is `connect: true`, so the caller tries another. */
  async call(
    to: Addr,
    method: string,
    writeArgs: (w: MsgWriter) => void,
    timeoutMs: number,
  ): Promise<CallResult> {
    const p = await this.session(to, Math.min(timeoutMs, DIAL_TIMEOUT_MS));
    if (p instanceof Error)
      return {
        ok: false,
        error: `rpc error making call: dial tcp ${to.ip}:${to.port}: ${p.message}`,
        connect: true,
      };
    const stream = p.session.open();
    try {
      return await callOn(stream, this.timers, method, writeArgs, timeoutMs);
    } finally {
      p.idleSince = this.clock.monotonicMs();
    }
  }

  private async session(to: Addr, timeoutMs: number): Promise<Pooled | Error> {
    const key = `${to.ip}:${to.port}`;
    const have = this.pooled.get(key);
    if (have?.session.isOpen) return have;
    if (have) this.pooled.delete(key); // told to go away, or its connection is closing
    let d = this.dialing.get(key);
    if (!d) {
      d = this.dial(key, to, timeoutMs);
      this.dialing.set(key, d);
      void d.finally(() => this.dialing.delete(key));
    }
    return d;
  }

  private async dial(key: string, to: Addr, timeoutMs: number): Promise<Pooled | Error> {
    let conn;
    try {
      conn = await this.streams.connect(to, timeoutMs);
    } catch (e) {
      return e as Error;
    }
    conn.write(Uint8Array.of(RPC_MULTIPLEX_V2));
    const p: Pooled = { session: new YamuxSession(conn, 'client'), idleSince: this.clock.monotonicMs() };
    this.pooled.set(key, p);
    this.reaper ??= this.timers.every(Math.min(30_000, this.maxIdleMs), () => this.reap());
    conn.onClose(() => {
      if (this.pooled.get(key) === p) this.pooled.delete(key);
    });
    return p;
  }

  /** Closes sessions with no stream open for longer than the idle limit. */
  private reap(): void {
    const now = this.clock.monotonicMs();
    for (const [key, p] of this.pooled)
      if (p.session.size === 0 && now - p.idleSince >= this.maxIdleMs) {
        this.pooled.delete(key);
        p.session.close();
      }
    if (this.pooled.size === 0) {
      this.reaper?.cancel();
      this.reaper = null;
    }
  }

  close(): void {
    this.reaper?.cancel();
    this.reaper = null;
    for (const p of this.pooled.values()) p.session.close();
    this.pooled.clear();
  }
}
