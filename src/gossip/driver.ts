// Drives a gossip core (Serf over memberlist) with real or simulated ports: one UDP socket and one TCP
// listener on the same address and port, a timer armed for the core's next deadline, and the
// outputs it produces after each input sent on their way. All protocol decisions stay in the core.

import type {
  Addr,
  PacketSocket,
  PacketTransport,
  StreamConn,
  StreamListener,
  StreamTransport,
} from '../runtime/transport.js';
import type { Clock } from '../runtime/clock.js';
import type { TimerHandle, Timers } from '../runtime/timers.js';
import type { Logger } from '../runtime/logger.js';
import type { Output } from './memberlist/memberlist.js';
import {
  decodePacket,
  encodeStream,
  type Packet,
  type StreamMessage,
  type WireOptions,
} from './memberlist/packet.js';
import { readStreamSoFar } from './memberlist/frame.js';
import { LABEL_MARKER, MessageType } from './memberlist/messages.js';
import { concatBytes as append } from '../lib/bytes.js';

export interface GossipCore {
  tick(now: number): void;
  nextDeadline(): number | undefined;
  drain(): Output[];
  handlePacket(from: Addr, p: Packet): void;
  handleStream(m: StreamMessage): StreamMessage | null;
  streamReply(id: number, m: StreamMessage | null, err: string | null): void;
  /** The err message to write back on a stream that could not be read (layered as any reply). */
  errorReply(text: string): StreamMessage;
  /** The core's own counters (Serf's decode failures), by metric name. */
  readonly counters?: ReadonlyMap<string, number>;
}

/** Counter names, after Consul's memberlist/serf metric names (`consul.` prefix left to the sink). */
export const METRIC = {
  udpDecode: 'memberlist.udp.dropped.decode',
  udpDecrypt: 'memberlist.udp.dropped.decrypt',
  tcpDropped: 'memberlist.tcp.dropped',
} as const;

export interface GossipPorts {
  packets: PacketTransport;
  streams: StreamTransport;
  clock: Clock;
  timers: Timers;
  log: Logger;
}

/** Bound on bytes buffered for one incoming stream before it is dropped (memberlist: 20 MiB state). */
const MAX_STREAM_BYTES = 24 << 20;

export class GossipDriver {
  private socket: PacketSocket | null = null;
  private listener: StreamListener | null = null;
  private timer: TimerHandle | null = null;
  private timerAt = Infinity;
  private closed = false;
  private readonly conns = new Set<StreamConn>();
  /** Counters of dropped input, by metric name (METRIC). */
  readonly dropped = new Map<string, number>();

  constructor(
    private readonly core: GossipCore,
    private readonly ports: GossipPorts,
    private readonly wire: () => WireOptions & { verifyIncoming: boolean },
  ) {}

  async start(bind: Addr): Promise<void> {
    this.socket = await this.ports.packets.bind(bind);
    this.socket.onPacket((from, data) => this.onPacket(from, data));
    this.listener = await this.ports.streams.listen(bind, (c) => this.onConn(c));
    this.pump();
  }

  /** Runs fn against the core (a user operation), then sends what it produced. */
  run<T>(fn: () => T): T {
    this.core.tick(this.ports.clock.monotonicMs());
    const r = fn();
    this.pump();
    return r;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.timer?.cancel();
    for (const c of this.conns) c.destroy();
    await this.socket?.close();
    await this.listener?.close();
  }

  /** Every drop counter, the driver's and the core's, by metric name; absent names are 0. */
  metrics(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const name of Object.values(METRIC)) out[name] = this.dropped.get(name) ?? 0;
    for (const [name, n] of this.core.counters ?? []) out[name] = n;
    return out;
  }

  private count(name: string): void {
    this.dropped.set(name, (this.dropped.get(name) ?? 0) + 1);
  }

  private drop(name: string, detail: string): void {
    this.count(name);
    this.ports.log.warn(`memberlist: ${detail}`);
  }

  private onPacket(from: Addr, data: Uint8Array): void {
    if (this.closed) return;
    const w = this.wire();
    let p: Packet;
    try {
      p = decodePacket(data, w);
    } catch (e) {
      const msg = (e as Error).message;
      if (w.keys?.length && !w.verifyIncoming) {
        try {
          p = decodePacket(data, { ...w, keys: [] });
        } catch {
          return this.drop(METRIC.udpDecode, `failed to decode packet: ${msg} from=${from.ip}:${from.port}`);
        }
      } else if (msg.includes('decrypt')) {
        return this.drop(METRIC.udpDecrypt, `Decrypt packet failed: ${msg} from=${from.ip}:${from.port}`);
      } else
        return this.drop(METRIC.udpDecode, `failed to decode packet: ${msg} from=${from.ip}:${from.port}`);
    }
    this.run(() => this.core.handlePacket(from, p));
  }

  private onConn(c: StreamConn): void {
    if (this.closed) return c.destroy();
    this.conns.add(c);
    let buf: Uint8Array = new Uint8Array(0);
    let done = false;
    const timeout = this.ports.timers.after(10_000, () => finish('i/o timeout'));
    const finish = (err: string | null) => {
      if (done) return;
      done = true;
      timeout.cancel();
      this.conns.delete(c);
      if (err) this.count(METRIC.tcpDropped);
      if (err)
        this.ports.log.error(`memberlist: failed to receive: ${err} from=${c.remote.ip}:${c.remote.port}`);
      c.end();
    };
    c.onClose(() => {
      if (!done) {
        const r = readStreamSoFar(buf, this.wire());
        finish(
          r.kind === 'error' ? r.error : r.kind === 'incomplete' && buf.length > 0 ? 'unexpected EOF' : null,
        );
      }
      this.conns.delete(c);
    });
    c.onData((chunk) => {
      if (done) return;
      buf = append(buf, chunk);
      if (buf.length > MAX_STREAM_BYTES) return finish('stream too large');
      const w = { ...this.wire(), inbound: true };
      const mismatch = encryptionMismatch(buf, w);
      if (mismatch) return this.replyErr(c, mismatch, finish);
      const r = readStreamSoFar(buf, w);
      if (r.kind === 'incomplete') return;
      if (r.kind === 'error') return this.replyErr(c, r.error, finish);
      const reply = this.run(() => this.core.handleStream(r.message));
      if (reply) c.write(encodeStream({ label: '', messages: [reply] }, w));
      finish(null);
    });
  }

  /**
   * memberlist's listener answers a stream it cannot read with an err message, encrypted when it
   * encrypts, so a joiner with the wrong key (or none) fails on reading the answer, in its own words.
   */
  private replyErr(c: StreamConn, text: string, finish: (e: string | null) => void): void {
    const w = this.wire();
    c.write(encodeStream({ label: '', messages: [this.core.errorReply(text)] }, w));
    finish(text);
  }

  /** Sends everything the core produced and re-arms the timer for its next deadline. */
  private pump(): void {
    if (this.closed) return;
    for (const o of this.core.drain()) {
      if (o.kind === 'packet') this.socket?.send(o.to, o.data);
      else void this.openStream(o.id, o.to, o.message, o.timeoutMs);
    }
    const next = this.core.nextDeadline();
    if (next === undefined || next >= this.timerAt) return;
    this.timer?.cancel();
    this.timerAt = next;
    const delay = Math.max(0, next - this.ports.clock.monotonicMs());
    this.timer = this.ports.timers.after(delay, () => {
      this.timerAt = Infinity;
      this.timer = null;
      this.run(() => undefined);
    });
  }

  private async openStream(id: number, to: Addr, m: StreamMessage, timeoutMs: number): Promise<void> {
    const w = this.wire();
    let reported = false;
    const report = (msg: StreamMessage | null, err: string | null) => {
      if (reported || this.closed) return;
      reported = true;
      this.run(() => this.core.streamReply(id, msg, err));
    };
    let conn: StreamConn;
    try {
      conn = await this.ports.streams.connect(to, timeoutMs);
    } catch (e) {
      return report(null, `dial tcp ${to.ip}:${to.port}: ${(e as Error).message}`);
    }
    if (this.closed) return conn.destroy();
    this.conns.add(conn);
    let buf: Uint8Array = new Uint8Array(0);
    const timer = this.ports.timers.after(timeoutMs, () => {
      report(null, 'i/o timeout');
      conn.destroy();
    });
    const end = (msg: StreamMessage | null, err: string | null) => {
      timer.cancel();
      this.conns.delete(conn);
      report(msg, err);
      conn.end();
    };
    conn.onData((chunk) => {
      buf = append(buf, chunk);
      const mismatch = encryptionMismatch(buf, w);
      if (mismatch) return end(null, mismatch);
      const r = readStreamSoFar(buf, { ...w, label: w.label ?? '' });
      if (r.kind === 'message') end(r.message, null);
      else if (r.kind === 'error') end(null, r.error);
    });
    conn.onClose((err) => end(null, err ? err.message : 'EOF'));
    conn.write(encodeStream({ label: w.label ?? '', messages: [m] }, w));
  }
}

/**
 * memberlist's readStream refuses, on either end of a stream, an encrypted frame without keys and a
 * plaintext one when incoming traffic must be verified; null while the first message byte is unknown.
 */
function encryptionMismatch(buf: Uint8Array, w: WireOptions & { verifyIncoming: boolean }): string | null {
  const first = buf[0] === LABEL_MARKER && buf.length > 1 ? buf[2 + buf[1]!] : buf[0];
  if (first === undefined) return null;
  const keyed = (w.keys?.length ?? 0) > 0;
  if (first === MessageType.encrypt && !keyed)
    return 'Remote state is encrypted and encryption is not configured';
  if (first !== MessageType.encrypt && keyed && w.verifyIncoming)
    return 'Encryption is configured but remote state is not encrypted';
  return null;
}
