// hashicorp/yamux, the stream multiplexer Consul's RPC pool speaks after the RPCMultiplexV2 byte: one
// TCP connection carries many streams, each a full-duplex byte stream with its own flow-control
// window. Frames are a 12-byte big-endian header (version 0, type, flags, stream ID, length) and, for
// data frames, `length` payload bytes. Both ends are here (server: even IDs, client: odd IDs) so the
// tests can drive one against the other; only framing and windows live here, no I/O of its own.
import type { Addr, StreamConn } from '../runtime/transport.js';
import { concatBytes } from '../lib/bytes.js';

const VERSION = 0;
export const TYPE = { data: 0, windowUpdate: 1, ping: 2, goAway: 3 } as const;
export const FLAG = { syn: 1, ack: 2, fin: 4, rst: 8 } as const;
const HEADER = 12;
/** Every stream starts with this much credit each way (yamux's initialStreamWindow). */
export const INITIAL_WINDOW = 256 * 1024;
/** No stream is ever granted more than this, so a larger data frame is a protocol error at once. */
const MAX_FRAME = 16 * INITIAL_WINDOW;

export function header(type: number, flags: number, id: number, length: number): Uint8Array {
  const h = new Uint8Array(HEADER);
  const v = new DataView(h.buffer);
  v.setUint8(0, VERSION);
  v.setUint8(1, type);
  v.setUint16(2, flags);
  v.setUint32(4, id);
  v.setUint32(8, length);
  return h;
}

/** One multiplexed stream; it is a StreamConn, so RPC code serves it as it serves a TCP connection. */
export class YamuxStream implements StreamConn {
  private readonly dataFns: Array<(c: Uint8Array) => void> = [];
  private readonly closeFns: Array<(err?: Error) => void> = [];
  private readonly pending: Uint8Array[] = [];
  /** Bytes written but not yet sent for want of the peer's credit. */
  private queued: Uint8Array[] = [];
  private sendWindow = INITIAL_WINDOW;
  /** Bytes received and handed on since we last granted credit back. */
  private consumed = 0;
  /** Credit the peer still has with us; a data frame beyond it is a protocol error. */
  private recvWindow = INITIAL_WINDOW;
  private localClosed = false;
  private remoteClosed = false;
  private finished = false;
  private established: boolean;

  constructor(
    private readonly session: YamuxSession,
    readonly id: number,
    /** We opened it (our SYN still wants the peer's ACK) or the peer did (our first frame ACKs it). */
    private readonly outbound: boolean,
  ) {
    this.established = false;
  }

  get local(): Addr {
    return this.session.conn.local;
  }

  get remote(): Addr {
    return this.session.conn.remote;
  }

  /** SYN on the first frame of a stream we open, ACK on the first frame of one the peer opened. */
  private flags(): number {
    if (this.established) return 0;
    this.established = true;
    return this.outbound ? FLAG.syn : FLAG.ack;
  }

  /** Opens (client) or accepts (server) with a zero-delta window update carrying SYN or ACK. */
  announce(): void {
    this.session.send(header(TYPE.windowUpdate, this.flags(), this.id, 0));
  }

  write(data: Uint8Array): boolean {
    if (this.localClosed || this.finished) return false;
    if (data.length > 0) this.queued.push(data.slice());
    this.flush();
    return true;
  }

  private flush(): void {
    while (this.queued.length > 0 && this.sendWindow > 0) {
      const head = this.queued[0]!;
      const n = Math.min(head.length, this.sendWindow);
      const part = head.subarray(0, n);
      if (n === head.length) this.queued.shift();
      else this.queued[0] = head.subarray(n);
      this.sendWindow -= n;
      this.session.send(concatBytes(header(TYPE.data, this.flags(), this.id, n), part));
    }
    if (this.localClosed && this.queued.length === 0 && !this.finSent) {
      this.finSent = true;
      this.session.send(header(TYPE.windowUpdate, this.flags() | FLAG.fin, this.id, 0));
      this.maybeFinish();
    }
  }

  private finSent = false;

  onData(fn: (chunk: Uint8Array) => void): void {
    this.dataFns.push(fn);
    if (this.dataFns.length === 1) for (const c of this.pending.splice(0)) this.deliver(c);
  }

  onClose(fn: (err?: Error) => void): void {
    if (this.finished) fn();
    else this.closeFns.push(fn);
  }

  /** Half-close: what is queued goes out, then FIN. */
  end(): void {
    if (this.localClosed) return;
    this.localClosed = true;
    this.flush();
  }

  destroy(err?: Error): void {
    if (this.finished) return;
    this.session.send(header(TYPE.windowUpdate, this.flags() | FLAG.rst, this.id, 0));
    this.finish(err);
  }

  // --- from the session ---

  receiveData(payload: Uint8Array): boolean {
    if (this.remoteClosed || payload.length > this.recvWindow) return false;
    if (payload.length === 0) return true;
    this.recvWindow -= payload.length;
    if (this.dataFns.length === 0) this.pending.push(payload);
    else this.deliver(payload);
    return true;
  }

  private deliver(payload: Uint8Array): void {
    for (const fn of [...this.dataFns]) fn(payload);
    // Credit goes back once half the window is used, as yamux's sendWindowUpdate does.
    // (Reset before sending: the grant can bring more data in before send returns.)
    this.consumed += payload.length;
    if (this.consumed >= INITIAL_WINDOW / 2 && !this.finished) {
      const delta = this.consumed;
      this.consumed = 0;
      this.recvWindow += delta;
      this.session.send(header(TYPE.windowUpdate, this.flags(), this.id, delta));
    }
  }

  receiveFlags(flags: number): void {
    if (flags & FLAG.ack) this.established = true;
    if (flags & FLAG.fin) {
      this.remoteClosed = true;
      // As a socket without allowHalfOpen: the peer is done, so we end once our writes are out.
      // Without this a server's RPC stream, which never ends by itself, would stay open for good.
      this.end();
      this.maybeFinish();
    }
    if (flags & FLAG.rst) this.finish(new Error('stream reset'));
  }

  credit(delta: number): void {
    this.sendWindow += delta;
    this.flush();
  }

  private maybeFinish(): void {
    if (this.remoteClosed && this.finSent) this.finish();
  }

  finish(err?: Error): void {
    if (this.finished) return;
    this.finished = true;
    this.queued = [];
    this.session.forget(this.id);
    for (const fn of this.closeFns.splice(0)) fn(err);
  }
}

/** A yamux session over one connection. */
export class YamuxSession {
  private buf: Uint8Array = new Uint8Array();
  private readonly streams = new Map<number, YamuxStream>();
  private nextId: number;
  private closed = false;

  constructor(
    readonly conn: StreamConn,
    private readonly role: 'server' | 'client',
    private readonly onStream: (s: YamuxStream) => void = () => {},
    initial: Uint8Array = new Uint8Array(),
  ) {
    this.nextId = role === 'client' ? 1 : 2;
    conn.onData((c) => this.receive(c));
    conn.onClose(() => this.teardown(new Error('session closed')));
    if (initial.length > 0) this.receive(initial);
  }

  /** False once the session is torn down: a stream opened then would never be answered. */
  get isOpen(): boolean {
    return !this.closed;
  }

  /** Streams open now. */
  get size(): number {
    return this.streams.size;
  }

  open(): YamuxStream {
    const s = new YamuxStream(this, this.nextId, true);
    this.nextId += 2;
    this.streams.set(s.id, s);
    s.announce();
    return s;
  }

  ping(opaque: number): void {
    this.send(header(TYPE.ping, FLAG.syn, 0, opaque));
  }

  send(frame: Uint8Array): void {
    if (!this.closed) this.conn.write(frame);
  }

  forget(id: number): void {
    this.streams.delete(id);
  }

  close(): void {
    if (this.closed) return;
    this.send(header(TYPE.goAway, 0, 0, 0));
    this.teardown();
    this.conn.end();
  }

  private teardown(err?: Error): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of [...this.streams.values()]) s.finish(err);
  }

  /** A peer that breaks the protocol loses the session (yamux's GoAway with protocol error). */
  private protocolError(): void {
    this.send(header(TYPE.goAway, 0, 0, 1));
    this.teardown(new Error('yamux protocol error'));
    this.conn.destroy();
  }

  private receive(chunk: Uint8Array): void {
    if (this.closed) return;
    this.buf = this.buf.length === 0 ? chunk : concatBytes(this.buf, chunk);
    while (!this.closed && this.buf.length >= HEADER) {
      const v = new DataView(this.buf.buffer, this.buf.byteOffset, HEADER);
      const [ver, type, flags, id, length] = [
        v.getUint8(0),
        v.getUint8(1),
        v.getUint16(2),
        v.getUint32(4),
        v.getUint32(8),
      ];
      if (ver !== VERSION || type > TYPE.goAway) return this.protocolError();
      if (type === TYPE.data && length > MAX_FRAME) return this.protocolError();
      const need = type === TYPE.data ? HEADER + length : HEADER;
      if (this.buf.length < need) return;
      const payload = this.buf.subarray(HEADER, need);
      this.buf = this.buf.subarray(need);
      this.frame(type, flags, id, length, payload);
    }
  }

  private frame(type: number, flags: number, id: number, length: number, payload: Uint8Array): void {
    if (type === TYPE.ping) {
      if (flags & FLAG.syn) this.send(header(TYPE.ping, FLAG.ack, 0, length));
      return;
    }
    if (type === TYPE.goAway) {
      this.teardown(new Error('remote end is not accepting connections'));
      this.conn.end();
      return;
    }
    let s = this.streams.get(id);
    if (flags & FLAG.syn) {
      // The peer opens streams with IDs of its own parity; a reused or wrong-parity ID is an error.
      if (s || id === 0 || id % 2 === (this.role === 'client' ? 1 : 0)) return this.protocolError();
      s = new YamuxStream(this, id, false);
      this.streams.set(id, s);
      s.announce();
      this.onStream(s);
    }
    if (!s) return; // a late frame for a stream already gone
    if (type === TYPE.windowUpdate) s.credit(length);
    else if (!s.receiveData(payload)) return this.protocolError();
    s.receiveFlags(flags & ~FLAG.syn);
  }
}
