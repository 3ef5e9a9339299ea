// The layers around memberlist messages, for datagrams (reference/gossip-protocol.md §3, §5–§9) and
// for TCP streams (§10): label header, AES-GCM, CRC, LZW compression, compound bundles. Decoding gives
// a tree that records every layer (nonce and key included), so encoding it again yields the same bytes.

import { MsgReader, MsgWriter, type IntRule } from '../../codec/msgpack.js';
import { lzwCompress, lzwDecompress } from '../../codec/lzw.js';
import { crc32 } from '../../lib/crc32.js';
import { decrypt, encrypt } from './encryption.js';
import {
  LABEL_MARKER,
  MessageType,
  messageName,
  readStruct,
  SCHEMAS,
  WireError,
  writeStruct,
  type Fields,
} from './messages.js';
import { concatBytes as concat } from '../../lib/bytes.js';

export type Packet =
  | { kind: 'label'; label: string; inner: Packet }
  | { kind: 'encrypted'; version: 0 | 1; nonce: Uint8Array; keyIndex: number; inner: Packet }
  | { kind: 'crc'; inner: Packet }
  | { kind: 'compress'; inner: Packet }
  | { kind: 'compound'; parts: Packet[] }
  | { kind: 'user'; payload: Uint8Array }
  | { kind: 'message'; type: number; fields: Fields };

export interface WireOptions {
  /** Keyring, primary first. Empty: no encryption. */
  keys?: readonly Uint8Array[];
  /** This node's label ("" for none). */
  label?: string;
  /** go-msgpack integer rule to write with (v0.5 peers vs current memberlist). */
  intRule?: IntRule;
  /** An accepted stream: its label header must be this node's label (memberlist's inbound check). */
  inbound?: boolean;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

function structSchema(type: number) {
  const name = messageName(type);
  switch (name) {
    case 'ping':
    case 'indirectPing':
    case 'ack':
    case 'nack':
    case 'suspect':
    case 'alive':
    case 'dead':
    case 'err':
      return SCHEMAS[name];
    default:
      return null;
  }
}

// ---- datagrams ----------------------------------------------------------------------------------------

/** Decodes one datagram, outermost layer first. Throws WireError on anything malformed or refused. */
export function decodePacket(buf: Uint8Array, opts: WireOptions = {}): Packet {
  const keys = opts.keys ?? [];
  let label = '';
  let rest = buf;
  if (rest[0] === LABEL_MARKER) {
    if (rest.length < 2 || rest[1] === 0 || rest.length < 2 + rest[1]!)
      throw new WireError('truncated label header');
    label = dec.decode(rest.subarray(2, 2 + rest[1]!));
    rest = rest.subarray(2 + rest[1]!);
  }
  if (label !== (opts.label ?? '')) throw new WireError(`label mismatch: got ${JSON.stringify(label)}`);
  let inner: Packet;
  if (keys.length > 0) {
    const d = decrypt(keys, rest, enc.encode(label));
    if (!d) throw new WireError('No installed keys could decrypt the message');
    inner = {
      kind: 'encrypted',
      version: d.version,
      nonce: d.nonce,
      keyIndex: d.keyIndex,
      inner: decodeMessage(d.plain),
    };
  } else inner = decodeMessage(rest);
  return label ? { kind: 'label', label, inner } : inner;
}

/** One message (type byte first), as found in a datagram, a compound part or a decompressed buffer. */
export function decodeMessage(buf: Uint8Array): Packet {
  if (buf.length === 0) throw new WireError('empty message');
  const type = buf[0]!;
  const body = buf.subarray(1);
  switch (type) {
    case MessageType.hasCrc: {
      if (body.length < 4) throw new WireError('truncated CRC');
      const want = new DataView(body.buffer, body.byteOffset, 4).getUint32(0);
      const rest = body.subarray(4);
      if (crc32(rest) !== want) throw new WireError('CRC mismatch');
      return { kind: 'crc', inner: decodeMessage(rest) };
    }
    case MessageType.compress: {
      const r = new MsgReader(body);
      const c = readStruct(r.read(), SCHEMAS.compress);
      if (c.Algo !== 0) throw new WireError(`unknown compression algorithm ${String(c.Algo)}`);
      return {
        kind: 'compress',
        inner: decodeMessage(lzwDecompress((c.Buf as Uint8Array | null) ?? new Uint8Array())),
      };
    }
    case MessageType.compound: {
      if (body.length < 1) throw new WireError('truncated compound');
      const n = body[0]!;
      if (body.length < 1 + 2 * n) throw new WireError('truncated compound lengths');
      const dv = new DataView(body.buffer, body.byteOffset);
      let off = 1 + 2 * n;
      const parts: Packet[] = [];
      for (let i = 0; i < n; i++) {
        const len = dv.getUint16(1 + 2 * i);
        if (off + len > body.length) break; // memberlist processes the parts before a truncated one
        parts.push(decodeMessage(body.subarray(off, off + len)));
        off += len;
      }
      return { kind: 'compound', parts };
    }
    case MessageType.user:
      return { kind: 'user', payload: body.slice() };
    default: {
      const schema = structSchema(type);
      if (!schema) throw new WireError(`unknown message type ${type}`);
      const r = new MsgReader(body);
      const fields = readStruct(r.read(), schema);
      if (r.remaining !== 0) throw new WireError(`${r.remaining} trailing bytes after message ${type}`);
      return { kind: 'message', type, fields };
    }
  }
}

/** Encodes a packet tree; `nonce` for new encryption layers comes from the caller (the Rng port). */
export function encodePacket(p: Packet, opts: WireOptions = {}, label = ''): Uint8Array {
  const rule = opts.intRule ?? 'v05';
  switch (p.kind) {
    case 'label': {
      const l = enc.encode(p.label);
      return concat(Uint8Array.of(LABEL_MARKER, l.length), l, encodePacket(p.inner, opts, p.label));
    }
    case 'encrypted': {
      const key = (opts.keys ?? [])[p.keyIndex];
      if (!key) throw new WireError(`no key ${p.keyIndex} to encrypt with`);
      return encrypt(p.version, key, p.nonce, encodePacket(p.inner, opts, label), enc.encode(label));
    }
    case 'crc': {
      const inner = encodePacket(p.inner, opts, label);
      const head = new Uint8Array(5);
      head[0] = MessageType.hasCrc;
      new DataView(head.buffer).setUint32(1, crc32(inner));
      return concat(head, inner);
    }
    case 'compress': {
      const w = new MsgWriter(rule);
      writeStruct(w, SCHEMAS.compress, { Algo: 0, Buf: lzwCompress(encodePacket(p.inner, opts, label)) });
      return concat(Uint8Array.of(MessageType.compress), w.bytes());
    }
    case 'compound': {
      const parts = p.parts.map((x) => encodePacket(x, opts, label));
      if (parts.length > 255) throw new WireError('compound of more than 255 parts');
      const head = new Uint8Array(2 + 2 * parts.length);
      head[0] = MessageType.compound;
      head[1] = parts.length;
      const dv = new DataView(head.buffer);
      parts.forEach((x, i) => dv.setUint16(2 + 2 * i, x.length));
      return concat(head, ...parts);
    }
    case 'user':
      return concat(Uint8Array.of(MessageType.user), p.payload);
    case 'message': {
      const schema = structSchema(p.type);
      if (!schema) throw new WireError(`unknown message type ${p.type}`);
      const w = new MsgWriter(rule);
      writeStruct(w, schema, p.fields);
      return concat(Uint8Array.of(p.type), w.bytes());
    }
  }
}

// ---- streams ------------------------------------------------------------------------------------------

export type StreamMessage =
  | { kind: 'encrypted'; version: 0 | 1; nonce: Uint8Array; keyIndex: number; inner: StreamMessage }
  | { kind: 'compress'; inner: StreamMessage }
  | { kind: 'pushPull'; header: Fields; nodes: Fields[]; userState: Uint8Array }
  | { kind: 'user'; payload: Uint8Array }
  | { kind: 'message'; type: number; fields: Fields };

export interface Stream {
  /** The label header, sent once by the dialer at the start of the connection ("" for none). */
  label: string;
  messages: StreamMessage[];
}

/**
 * Decodes one direction of a TCP connection. `opts.label` is the connection's label (it is the GCM
 * additional data in both directions, though only the dialer sends the header).
 */
export function decodeStream(buf: Uint8Array, opts: WireOptions = {}): Stream {
  let rest = buf;
  let header = '';
  if (rest[0] === LABEL_MARKER) {
    if (rest.length < 2 || rest.length < 2 + rest[1]!) throw new WireError('truncated label header');
    header = dec.decode(rest.subarray(2, 2 + rest[1]!));
    rest = rest.subarray(2 + rest[1]!);
  }
  if (opts.inbound && header !== (opts.label ?? ''))
    throw new WireError(`discarding stream with unacceptable label ${JSON.stringify(header)}`);
  const label = header || (opts.label ?? '');
  const messages: StreamMessage[] = [];
  let off = 0;
  while (off < rest.length) {
    const [m, used] = readStreamMessage(rest.subarray(off), opts, label);
    messages.push(m);
    off += used;
  }
  return { label: header, messages };
}

function readStreamMessage(buf: Uint8Array, opts: WireOptions, label: string): [StreamMessage, number] {
  const type = buf[0];
  if (type === undefined) throw new WireError('empty stream');
  if (type === MessageType.encrypt) {
    if (buf.length < 5) throw new WireError('truncated encryption frame');
    const len = new DataView(buf.buffer, buf.byteOffset).getUint32(1);
    if (len > 20 << 20) throw new WireError(`Remote node state is larger than limit (${len})`);
    if (buf.length < 5 + len) throw new WireError('truncated encrypted message');
    const aad = concat(buf.subarray(0, 5), enc.encode(label));
    const d = decrypt(opts.keys ?? [], buf.subarray(5, 5 + len), aad);
    if (!d) throw new WireError('No installed keys could decrypt the message');
    const [inner, used] = readStreamMessage(d.plain, opts, label);
    if (used !== d.plain.length) throw new WireError('trailing bytes inside an encrypted frame');
    return [{ kind: 'encrypted', version: d.version, nonce: d.nonce, keyIndex: d.keyIndex, inner }, 5 + len];
  }
  const r = new MsgReader(buf.subarray(1));
  switch (type) {
    case MessageType.compress: {
      const c = readStruct(r.read(), SCHEMAS.compress);
      if (c.Algo !== 0) throw new WireError(`unknown compression algorithm ${String(c.Algo)}`);
      const plain = lzwDecompress((c.Buf as Uint8Array | null) ?? new Uint8Array());
      const [inner, used] = readStreamMessage(plain, opts, label);
      if (used !== plain.length) throw new WireError('trailing bytes inside a compressed message');
      return [{ kind: 'compress', inner }, 1 + r.offset];
    }
    case MessageType.pushPull: {
      const header = readStruct(r.read(), SCHEMAS.pushPullHeader);
      const n = Number(header.Nodes);
      const stateLen = Number(header.UserStateLen);
      if (n < 0 || n > 1 << 20 || stateLen < 0 || stateLen > 20 << 20)
        throw new WireError('push/pull header out of bounds');
      const nodes: Fields[] = [];
      for (let i = 0; i < n; i++) nodes.push(readStruct(r.read(), SCHEMAS.pushNodeState));
      const start = 1 + r.offset;
      if (buf.length < start + stateLen) throw new WireError('truncated push/pull user state');
      return [
        { kind: 'pushPull', header, nodes, userState: buf.slice(start, start + stateLen) },
        start + stateLen,
      ];
    }
    case MessageType.user: {
      const h = readStruct(r.read(), SCHEMAS.userMsgHeader);
      const start = 1 + r.offset;
      const len = Number(h.UserMsgLen);
      if (len < 0 || buf.length < start + len) throw new WireError('truncated user message');
      return [{ kind: 'user', payload: buf.slice(start, start + len) }, start + len];
    }
    default: {
      const schema = structSchema(type);
      if (!schema) throw new WireError(`unknown stream message type ${type}`);
      const fields = readStruct(r.read(), schema);
      return [{ kind: 'message', type, fields }, 1 + r.offset];
    }
  }
}

export function encodeStream(s: Stream, opts: WireOptions = {}): Uint8Array {
  const label = s.label || (opts.label ?? '');
  const parts = s.messages.map((m) => encodeStreamMessage(m, opts, label));
  if (s.label) {
    const l = enc.encode(s.label);
    parts.unshift(concat(Uint8Array.of(LABEL_MARKER, l.length), l));
  }
  return concat(...parts);
}

function encodeStreamMessage(m: StreamMessage, opts: WireOptions, label: string): Uint8Array {
  const rule = opts.intRule ?? 'v05';
  switch (m.kind) {
    case 'encrypted': {
      const key = (opts.keys ?? [])[m.keyIndex];
      if (!key) throw new WireError(`no key ${m.keyIndex} to encrypt with`);
      const plain = encodeStreamMessage(m.inner, opts, label);
      // The frame header (type + length) is part of the additional data, so compute the length first.
      const sealedLen =
        1 + 12 + (m.version === 0 ? plain.length + (16 - (plain.length % 16)) : plain.length) + 16;
      const head = new Uint8Array(5);
      head[0] = MessageType.encrypt;
      new DataView(head.buffer).setUint32(1, sealedLen);
      return concat(head, encrypt(m.version, key, m.nonce, plain, concat(head, enc.encode(label))));
    }
    case 'compress': {
      const w = new MsgWriter(rule);
      writeStruct(w, SCHEMAS.compress, {
        Algo: 0,
        Buf: lzwCompress(encodeStreamMessage(m.inner, opts, label)),
      });
      return concat(Uint8Array.of(MessageType.compress), w.bytes());
    }
    case 'pushPull': {
      const w = new MsgWriter(rule);
      writeStruct(w, SCHEMAS.pushPullHeader, m.header);
      for (const n of m.nodes) writeStruct(w, SCHEMAS.pushNodeState, n);
      return concat(Uint8Array.of(MessageType.pushPull), w.bytes(), m.userState);
    }
    case 'user': {
      const w = new MsgWriter(rule);
      writeStruct(w, SCHEMAS.userMsgHeader, { UserMsgLen: m.payload.length });
      return concat(Uint8Array.of(MessageType.user), w.bytes(), m.payload);
    }
    case 'message': {
      const schema = structSchema(m.type);
      if (!schema) throw new WireError(`unknown message type ${m.type}`);
      const w = new MsgWriter(rule);
      writeStruct(w, schema, m.fields);
      return concat(Uint8Array.of(m.type), w.bytes());
    }
  }
}
