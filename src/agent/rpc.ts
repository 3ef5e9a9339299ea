// Server RPC on the server port, after Raft's protocol byte: a connection that opens with Consul's
// RPCConsul byte (0x00) carries net/rpc-style msgpack calls — a header {ServiceMethod, Seq} then the
// arguments; the answer is a header {Error, Seq, ServiceMethod} then the reply — as Consul frames them.
// Status.Ping/Leader/Peers are Consul's; Proconsul.HTTP carries one HTTP API request to a server, which
// is how clients and followers forward everything else (Consul's per-endpoint RPC methods are not all
// here yet).

import { MsgDecodeError, MsgReader, MsgWriter, MsgMap, utf8, type MsgValue } from '../codec/msgpack.js';
import { readStruct, writeStruct, type Field } from '../codec/struct.js';
import type { Logger } from '../runtime/logger.js';
import type { Timers } from '../runtime/timers.js';
import type { StreamConn } from '../runtime/transport.js';
import { concatBytes as concat } from '../lib/bytes.js';

export const RPC_CONSUL = 0x00;
/** Consul's pool.RPCMultiplexV2: a yamux session follows, each stream one RPC connection. */
export const RPC_MULTIPLEX_V2 = 0x04;

const REQUEST_HEADER: readonly Field[] = [
  { name: 'Seq', kind: 'uint' },
  { name: 'ServiceMethod', kind: 'str' },
];
const RESPONSE_HEADER: readonly Field[] = [
  { name: 'Error', kind: 'str' },
  { name: 'Seq', kind: 'uint' },
  { name: 'ServiceMethod', kind: 'str' },
];
export const HTTP_ARGS: readonly Field[] = [
  { name: 'Body', kind: 'bytes' },
  { name: 'Headers', kind: 'strMap' },
  { name: 'Method', kind: 'str' },
  { name: 'URL', kind: 'str' },
];
export const HTTP_REPLY: readonly Field[] = [
  { name: 'Body', kind: 'bytes' },
  { name: 'Headers', kind: 'strMap' },
  { name: 'Status', kind: 'int' },
];

export interface HttpCall {
  method: string;
  url: string;
  headers: Map<string, string>;
  body: Uint8Array;
}

export interface HttpAnswer {
  status: number;
  headers: Map<string, string>;
  body: Uint8Array;
}

/** An RPC method: decoded arguments in, a reply writer (or an error text) out. */
export type RpcMethod = (args: MsgValue) => Promise<((w: MsgWriter) => void) | string>;

/** Largest frame we buffer from one connection (Consul bounds RPC bodies too). */
const MAX_BUFFERED = 64 << 20;

/**
 * Reads two msgpack values (header, body) from buf; when more bytes are needed, how many the pair
 * needs at least, so a large request is parsed once when it is all here rather than on every chunk.
 */
function readPair(buf: Uint8Array): { header: MsgValue; body: MsgValue; used: number } | { needed: number } {
  try {
    const r = new MsgReader(buf);
    const header = r.read();
    const body = r.read();
    return { header, body, used: r.offset };
  } catch (e) {
    if (e instanceof MsgDecodeError && e.needed !== undefined) return { needed: e.needed };
    throw e;
  }
}

/**
 * Gathers a connection's bytes and hands on each complete (header, body) pair; chunks are joined
 * only once the pair they belong to can be whole. Throws on bytes that are not msgpack.
 */
class PairReader {
  private buf: Uint8Array = new Uint8Array();
  private chunks: Uint8Array[] = [];
  private held = 0;
  private needed = 0;

  constructor(private readonly max: number) {}

  /** Adds a chunk; false when the buffered request would exceed the limit. */
  push(chunk: Uint8Array): boolean {
    this.chunks.push(chunk);
    this.held += chunk.length;
    return this.held <= this.max;
  }

  next(): { header: MsgValue; body: MsgValue } | null {
    if (this.held < this.needed) return null;
    if (this.chunks.length > 0) {
      this.buf = concat(this.buf, ...this.chunks);
      this.chunks = [];
    }
    const p = readPair(this.buf);
    if ('needed' in p) {
      this.needed = p.needed;
      return null;
    }
    this.buf = this.buf.subarray(p.used);
    this.held = this.buf.length;
    this.needed = 0;
    return p;
  }
}

/** Serves RPC calls on one accepted connection (after the protocol byte). */
export function serveRpc(
  conn: StreamConn,
  first: Uint8Array,
  methods: Map<string, RpcMethod>,
  log: Logger,
): void {
  const reader = new PairReader(MAX_BUFFERED);
  reader.push(first);
  const pump = () => {
    for (;;) {
      let pair;
      try {
        pair = reader.next();
      } catch (e) {
        log.warn('rpc: failed to decode request', 'error', e);
        conn.destroy();
        return;
      }
      if (!pair) return;
      let h;
      try {
        h = readStruct(pair.header, REQUEST_HEADER);
      } catch (e) {
        // Not a request header: a confused or hostile peer. Drop it, never the server.
        log.warn('rpc: failed to decode request header', 'error', e);
        conn.destroy();
        return;
      }
      const name = String(h.ServiceMethod);
      const m = methods.get(name);
      const respond = (err: string, write: ((w: MsgWriter) => void) | null) => {
        const w = new MsgWriter('v05');
        writeStruct(w, RESPONSE_HEADER, { Error: err, Seq: h.Seq ?? 0, ServiceMethod: name });
        if (write) write(w);
        else w.nil();
        conn.write(w.bytes());
      };
      if (!m) {
        respond(`rpc: can't find service ${name}`, null);
        continue;
      }
      void m(pair.body).then(
        (r) => (typeof r === 'string' ? respond(r, null) : respond('', r)),
        (e: Error) => respond(e.message, null),
      );
    }
  };
  conn.onData((chunk) => {
    if (!reader.push(chunk)) {
      log.warn('rpc: request too large, closing connection', 'limit', MAX_BUFFERED);
      return conn.destroy();
    }
    pump();
  });
  pump();
}

export type CallResult = { ok: true; reply: MsgValue } | { ok: false; error: string; connect: boolean };

/**
 * One call on a connection or stream that carries nothing else: the request goes out, the answer is
 * read, and the stream is half-closed. `timeoutMs` bounds the wait for the answer.
 */
export function callOn(
  conn: StreamConn,
  timers: Timers,
  method: string,
  writeArgs: (w: MsgWriter) => void,
  timeoutMs: number,
): Promise<CallResult> {
  const w = new MsgWriter('v05');
  writeStruct(w, REQUEST_HEADER, { Seq: 0, ServiceMethod: method });
  writeArgs(w);
  return new Promise((resolve) => {
    const reader = new PairReader(MAX_BUFFERED);
    let done = false;
    const finish = (r: CallResult) => {
      if (done) return;
      done = true;
      timer.cancel();
      conn.end();
      resolve(r);
    };
    const timer = timers.after(timeoutMs, () => {
      finish({ ok: false, error: 'rpc error making call: i/o timeout', connect: false });
      conn.destroy();
    });
    conn.onData((chunk) => {
      let pair;
      try {
        if (!reader.push(chunk)) throw new Error('reply too large');
        pair = reader.next();
      } catch (e) {
        conn.destroy();
        return finish({ ok: false, error: `rpc error: ${(e as Error).message}`, connect: false });
      }
      if (!pair) return;
      const h = readStruct(pair.header, RESPONSE_HEADER);
      const err = String(h.Error ?? '');
      if (err !== '') finish({ ok: false, error: err, connect: false });
      else finish({ ok: true, reply: pair.body });
    });
    conn.onClose((e) => finish({ ok: false, error: `rpc error: ${e?.message ?? 'EOF'}`, connect: false }));
    conn.write(w.bytes());
  });
}

export function writeHttpArgs(w: MsgWriter, c: HttpCall): void {
  writeStruct(w, HTTP_ARGS, { Method: c.method, URL: c.url, Headers: c.headers, Body: c.body });
}

export function readHttpArgs(v: MsgValue): HttpCall {
  const f = readStruct(v, HTTP_ARGS);
  return {
    method: String(f.Method),
    url: String(f.URL),
    headers: (f.Headers as Map<string, string>) ?? new Map(),
    body: (f.Body as Uint8Array | null) ?? new Uint8Array(),
  };
}

export function writeHttpReply(w: MsgWriter, a: HttpAnswer): void {
  writeStruct(w, HTTP_REPLY, { Status: a.status, Headers: a.headers, Body: a.body });
}

export function readHttpReply(v: MsgValue): HttpAnswer {
  const f = readStruct(v, HTTP_REPLY);
  return {
    status: Number(f.Status),
    headers: (f.Headers as Map<string, string>) ?? new Map(),
    body: (f.Body as Uint8Array | null) ?? new Uint8Array(),
  };
}

/** A msgpack string or list of strings as JS. */
export function msgStrings(v: MsgValue): string[] {
  if (Array.isArray(v)) return v.map((x) => (x instanceof Uint8Array ? utf8(x) : ''));
  return [];
}

export { MsgMap };
