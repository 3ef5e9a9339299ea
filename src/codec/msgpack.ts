// msgpack as hashicorp's go-msgpack writes it for memberlist, Serf and Consul RPC
// (reference/gossip-protocol.md §2): "old spec" raw strings only (fixstr/str16/str32, never str8 or
// bin) for both Go strings and []byte; the smallest integer form of the unsigned family for
// non-negative values (v0.5 rule) or of the signed family for signed Go types (v2 rule); structs as
// maps keyed by field name in byte-wise sorted order. The decoder accepts every msgpack form.

import { assert } from '../lib/assert.js';

/** A decoded msgpack value. Strings and binaries both decode to raw bytes: the wire does not say which. */
export type MsgValue = null | boolean | number | bigint | Uint8Array | MsgValue[] | MsgMap;

/** A decoded map, in wire order. Keys are usually raw strings. */
export class MsgMap {
  constructor(readonly entries: Array<[MsgValue, MsgValue]>) {}

  /** Value for a string key (compared as UTF-8 bytes), or undefined when absent; the first match wins. */
  get(key: string): MsgValue | undefined {
    // Struct decoding asks for every field of every message: compare raw key bytes with the field
    // name's bytes (encoded once) rather than decoding each key into a string.
    const want = keyBytes(key);
    for (const [k, v] of this.entries) {
      if (!(k instanceof Uint8Array) || k.length !== want.length) continue;
      let i = 0;
      while (i < want.length && k[i] === want[i]) i++;
      if (i === want.length) return v;
    }
    return undefined;
  }
}

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder('utf-8', { fatal: false });

/** UTF-8 of the field names looked up (a fixed, small set: Go struct field names). */
const KEY_BYTES = new Map<string, Uint8Array>();
function keyBytes(key: string): Uint8Array {
  let b = KEY_BYTES.get(key);
  if (b === undefined) {
    b = textEncoder.encode(key);
    if (KEY_BYTES.size < 4096) KEY_BYTES.set(key, b);
  }
  return b;
}

/** Short ASCII keys (every Go field name) without a TextDecoder call. */
function keyText(b: Uint8Array): string {
  if (b.length <= 32) {
    let ascii = true;
    for (let i = 0; i < b.length; i++) if (b[i]! >= 0x80) ascii = false;
    // apply takes the typed array as it is; spreading it would run the iterator protocol.
    if (ascii) return String.fromCharCode.apply(null, b as unknown as number[]);
  }
  return textDecoder.decode(b);
}

export function utf8(b: Uint8Array): string {
  return keyText(b);
}

/** How a non-negative integer of a *signed* Go type is written (see §2). */
export type IntRule = 'v05' | 'v2';

/**
 * One scratch buffer lent to a writer at a time: most writers encode one small message and hand out
 * a copy, so a fresh off-heap buffer per message (and the GC work it causes) is avoided.
 */
const SCRATCH = new Uint8Array(4096);
let scratch: { buf: Uint8Array; view: DataView } | null = {
  buf: SCRATCH,
  view: new DataView(SCRATCH.buffer),
};

export class MsgWriter {
  private buf: Uint8Array;
  private view: DataView;
  private len = 0;
  /** Holding the shared scratch buffer (given back by bytes() or on growing out of it). */
  private lent = false;

  constructor(readonly intRule: IntRule = 'v05') {
    if (scratch) {
      this.buf = scratch.buf;
      this.view = scratch.view;
      this.lent = true;
      scratch = null;
    } else {
      this.buf = new Uint8Array(256);
      this.view = new DataView(this.buf.buffer);
    }
  }

  private giveBack(): void {
    if (!this.lent) return;
    this.lent = false;
    scratch = { buf: this.buf, view: this.view };
  }

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.giveBack();
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  /** One byte as it is (a message type prefix before the msgpack body). */
  byte(v: number): this {
    this.u8(v);
    return this;
  }

  private u8(v: number): void {
    this.ensure(1);
    this.buf[this.len++] = v;
  }

  private u16(v: number): void {
    this.ensure(2);
    this.view.setUint16(this.len, v);
    this.len += 2;
  }

  private u32(v: number): void {
    this.ensure(4);
    this.view.setUint32(this.len, v);
    this.len += 4;
  }

  /** A copy of what was written; the writer may go on writing after it. */
  bytes(): Uint8Array {
    const out = this.buf.slice(0, this.len);
    if (this.lent) {
      // Keep writing (rarely done) into a buffer of its own; the scratch goes back.
      this.giveBack();
      this.buf = new Uint8Array(Math.max(64, this.len * 2));
      this.buf.set(out);
      this.view = new DataView(this.buf.buffer);
    }
    return out;
  }

  nil(): this {
    this.u8(0xc0);
    return this;
  }

  bool(b: boolean): this {
    this.u8(b ? 0xc3 : 0xc2);
    return this;
  }

  float64(v: number): this {
    this.ensure(9);
    this.buf[this.len++] = 0xcb;
    this.view.setFloat64(this.len, v);
    this.len += 8;
    return this;
  }

  /** An unsigned Go integer (uint8..uint64): smallest of fixint, cc, cd, ce, cf. */
  uint(v: number | bigint): this {
    // Most integers are small safe numbers: no BigInt on that path.
    if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) {
      if (v < 128) this.u8(v);
      else if (v < 256) {
        this.u8(0xcc);
        this.u8(v);
      } else if (v < 65536) {
        this.u8(0xcd);
        this.u16(v);
      } else if (v < 2 ** 32) {
        this.u8(0xce);
        this.u32(v);
      } else {
        this.ensure(9);
        this.buf[this.len++] = 0xcf;
        this.view.setBigUint64(this.len, BigInt(v));
        this.len += 8;
      }
      return this;
    }
    const n = BigInt(v);
    assert(n >= 0n && n < 1n << 64n, `uint out of range: ${n}`);
    if (n < 128n) this.u8(Number(n));
    else if (n < 256n) {
      this.u8(0xcc);
      this.u8(Number(n));
    } else if (n < 65536n) {
      this.u8(0xcd);
      this.u16(Number(n));
    } else if (n < 1n << 32n) {
      this.u8(0xce);
      this.u32(Number(n));
    } else {
      this.ensure(9);
      this.buf[this.len++] = 0xcf;
      this.view.setBigUint64(this.len, n);
      this.len += 8;
    }
    return this;
  }

  /** A signed Go integer (int, int64, time.Duration, …), following this writer's IntRule for v ≥ 0. */
  int(v: number | bigint): this {
    if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && (this.intRule === 'v05' || v < 128))
      return this.uint(v);
    const n = BigInt(v);
    assert(n >= -(1n << 63n) && n < 1n << 63n, `int out of range: ${n}`);
    if (n >= 0n && (this.intRule === 'v05' || n < 128n)) return this.uint(n);
    if (n >= -32n && n < 0n) {
      this.u8(Number(n) & 0xff);
    } else if (n >= -128n && n < 128n) {
      this.u8(0xd0);
      this.u8(Number(n) & 0xff);
    } else if (n >= -32768n && n < 32768n) {
      this.u8(0xd1);
      this.u16(Number(n) & 0xffff);
    } else if (n >= -(1n << 31n) && n < 1n << 31n) {
      this.u8(0xd2);
      this.u32(Number(n) >>> 0);
    } else {
      this.ensure(9);
      this.buf[this.len++] = 0xd3;
      this.view.setBigInt64(this.len, n);
      this.len += 8;
    }
    return this;
  }

  /** A Go string or []byte as an old-spec raw string (fixstr, str16, str32 — never str8 or bin). */
  str(v: string | Uint8Array): this {
    if (typeof v === 'string' && v.length < 32) {
      // Short ASCII (field names, node names): written in place, no TextEncoder round trip.
      let ascii = true;
      for (let i = 0; i < v.length; i++) if (v.charCodeAt(i) >= 0x80) ascii = false;
      if (ascii) {
        this.ensure(1 + v.length);
        this.buf[this.len++] = 0xa0 | v.length;
        for (let i = 0; i < v.length; i++) this.buf[this.len++] = v.charCodeAt(i);
        return this;
      }
    }
    const b = typeof v === 'string' ? textEncoder.encode(v) : v;
    if (b.length < 32) this.u8(0xa0 | b.length);
    else if (b.length < 65536) {
      this.u8(0xda);
      this.u16(b.length);
    } else {
      this.u8(0xdb);
      this.u32(b.length);
    }
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }

  /** A nil-able []byte: null → nil, otherwise a raw string. */
  bytesOrNil(v: Uint8Array | null): this {
    return v === null ? this.nil() : this.str(v);
  }

  arrayHeader(n: number): this {
    if (n < 16) this.u8(0x90 | n);
    else if (n < 65536) {
      this.u8(0xdc);
      this.u16(n);
    } else {
      this.u8(0xdd);
      this.u32(n);
    }
    return this;
  }

  mapHeader(n: number): this {
    if (n < 16) this.u8(0x80 | n);
    else if (n < 65536) {
      this.u8(0xde);
      this.u16(n);
    } else {
      this.u8(0xdf);
      this.u32(n);
    }
    return this;
  }

  /** Already-encoded msgpack bytes. */
  raw(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }

  /**
   * A Go struct: a map keyed by field name, keys in byte-wise sorted order as go-msgpack writes them.
   * A field whose writer is undefined is omitted (omitempty).
   */
  struct(fields: Record<string, ((w: MsgWriter) => void) | undefined>): this {
    const names = sortedNames(Object.keys(fields).filter((k) => fields[k] !== undefined));
    this.mapHeader(names.length);
    for (const name of names) {
      this.str(name);
      fields[name]!(this);
    }
    return this;
  }
}

/** Field-name orders seen before (a struct's set of present fields repeats on every message). */
const orderCache = new Map<string, string[]>();

function sortedNames(names: string[]): string[] {
  const key = names.join('\u0000');
  let hit = orderCache.get(key);
  if (!hit) {
    hit = [...names].sort(compareBytewise);
    if (orderCache.size < 4096) orderCache.set(key, hit);
  }
  return hit;
}

export function compareBytewise(a: string, b: string): number {
  const x = textEncoder.encode(a);
  const y = textEncoder.encode(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

export class MsgDecodeError extends Error {
  override name = 'MsgDecodeError';
  /** For input that ends too soon: the fewest bytes the whole input needs (a reader can wait for them). */
  readonly needed?: number;
  constructor(message: string, needed?: number) {
    super(message);
    if (needed !== undefined) this.needed = needed;
  }
}

/** Bounds that keep a hostile packet from allocating without limit. */
export const MAX_DECODE_DEPTH = 64;

export class MsgReader {
  private pos = 0;
  private readonly view: DataView;

  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  private need(n: number): void {
    if (this.pos + n > this.buf.length)
      throw new MsgDecodeError('unexpected end of msgpack data', this.pos + n);
  }

  private take(n: number): Uint8Array {
    this.need(n);
    // A view, made with the constructor: subarray() takes the slow species-constructor path.
    const out = new Uint8Array(this.buf.buffer, this.buf.byteOffset + this.pos, n);
    this.pos += n;
    return out;
  }

  /** Decodes one value. Throws MsgDecodeError on malformed or truncated input. */
  read(depth = 0): MsgValue {
    if (depth > MAX_DECODE_DEPTH) throw new MsgDecodeError('msgpack nesting too deep');
    this.need(1);
    const t = this.buf[this.pos++]!;
    if (t < 0x80) return t;
    if (t >= 0xe0) return t - 0x100;
    if ((t & 0xf0) === 0x80) return this.readMap(t & 0x0f, depth);
    if ((t & 0xf0) === 0x90) return this.readArray(t & 0x0f, depth);
    if ((t & 0xe0) === 0xa0) return this.take(t & 0x1f);
    const v = this.view;
    switch (t) {
      case 0xc0:
        return null;
      case 0xc2:
        return false;
      case 0xc3:
        return true;
      case 0xc4:
      case 0xd9:
        this.need(1);
        return this.take(this.buf[this.pos++]!);
      case 0xc5:
      case 0xda: {
        this.need(2);
        const n = v.getUint16(this.pos);
        this.pos += 2;
        return this.take(n);
      }
      case 0xc6:
      case 0xdb: {
        this.need(4);
        const n = v.getUint32(this.pos);
        this.pos += 4;
        return this.take(n);
      }
      case 0xca: {
        this.need(4);
        const f = v.getFloat32(this.pos);
        this.pos += 4;
        return f;
      }
      case 0xcb: {
        this.need(8);
        const f = v.getFloat64(this.pos);
        this.pos += 8;
        return f;
      }
      case 0xcc:
        this.need(1);
        return this.buf[this.pos++]!;
      case 0xcd: {
        this.need(2);
        const n = v.getUint16(this.pos);
        this.pos += 2;
        return n;
      }
      case 0xce: {
        this.need(4);
        const n = v.getUint32(this.pos);
        this.pos += 4;
        return n;
      }
      case 0xcf: {
        this.need(8);
        const n = v.getBigUint64(this.pos);
        this.pos += 8;
        return n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
      }
      case 0xd0:
        this.need(1);
        return v.getInt8(this.pos++);
      case 0xd1: {
        this.need(2);
        const n = v.getInt16(this.pos);
        this.pos += 2;
        return n;
      }
      case 0xd2: {
        this.need(4);
        const n = v.getInt32(this.pos);
        this.pos += 4;
        return n;
      }
      case 0xd3: {
        this.need(8);
        const n = v.getBigInt64(this.pos);
        this.pos += 8;
        return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
      }
      case 0xdc: {
        this.need(2);
        const n = v.getUint16(this.pos);
        this.pos += 2;
        return this.readArray(n, depth);
      }
      case 0xdd: {
        this.need(4);
        const n = v.getUint32(this.pos);
        this.pos += 4;
        return this.readArray(n, depth);
      }
      case 0xde: {
        this.need(2);
        const n = v.getUint16(this.pos);
        this.pos += 2;
        return this.readMap(n, depth);
      }
      case 0xdf: {
        this.need(4);
        const n = v.getUint32(this.pos);
        this.pos += 4;
        return this.readMap(n, depth);
      }
      case 0xd4:
      case 0xd5:
      case 0xd6:
      case 0xd7:
      case 0xd8:
      case 0xc7:
      case 0xc8:
      case 0xc9:
        throw new MsgDecodeError(`msgpack ext type 0x${t.toString(16)} not supported`);
      default:
        throw new MsgDecodeError(`invalid msgpack type byte 0x${t.toString(16)}`);
    }
  }

  private readArray(n: number, depth: number): MsgValue[] {
    // Every element takes at least one byte: a length beyond the input is a lie, not an allocation.
    if (n > this.remaining) throw new MsgDecodeError('unexpected end of msgpack data', this.pos + n);
    const out: MsgValue[] = new Array<MsgValue>(n);
    for (let i = 0; i < n; i++) out[i] = this.read(depth + 1);
    return out;
  }

  private readMap(n: number, depth: number): MsgMap {
    if (n * 2 > this.remaining) throw new MsgDecodeError('unexpected end of msgpack data', this.pos + n * 2);
    const entries: Array<[MsgValue, MsgValue]> = [];
    for (let i = 0; i < n; i++) entries.push([this.read(depth + 1), this.read(depth + 1)]);
    return new MsgMap(entries);
  }
}

/** Decodes exactly one value that must span the whole buffer. */
export function decodeOne(buf: Uint8Array): MsgValue {
  const r = new MsgReader(buf);
  const v = r.read();
  if (r.remaining !== 0) throw new MsgDecodeError(`${r.remaining} trailing bytes after msgpack value`);
  return v;
}
