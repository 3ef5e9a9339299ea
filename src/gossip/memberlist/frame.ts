// Outgoing layers of a memberlist datagram, in send order (reference/gossip-protocol.md §3):
// message or compound → LZW compression when smaller → CRC for peers with protocol ≥ 5 → AES-GCM →
// label header. Also the incremental reader for TCP streams, whose messages carry no length prefix.

import { MsgDecodeError, MsgWriter } from '../../codec/msgpack.js';
import { LzwError, lzwCompress } from '../../codec/lzw.js';
import { crc32 } from '../../lib/crc32.js';
import { encrypt } from './encryption.js';
import { MessageType, SCHEMAS, WireError, writeStruct, type Fields, LABEL_MARKER } from './messages.js';
import { decodeStream, type StreamMessage, type WireOptions } from './packet.js';
import { concatBytes as concat } from '../../lib/bytes.js';

export interface OutgoingLayers {
  keys: readonly Uint8Array[];
  label: string;
  encrypt: boolean;
  compress: boolean;
  nonce: () => Uint8Array;
}

const enc = new TextEncoder();

type BodySchema = 'ping' | 'indirectPing' | 'ack' | 'nack' | 'suspect' | 'alive' | 'dead' | 'err';
const BY_TYPE: Record<number, BodySchema> = {
  [MessageType.ping]: 'ping',
  [MessageType.indirectPing]: 'indirectPing',
  [MessageType.ack]: 'ack',
  [MessageType.nack]: 'nack',
  [MessageType.suspect]: 'suspect',
  [MessageType.alive]: 'alive',
  [MessageType.dead]: 'dead',
  [MessageType.err]: 'err',
};

/** Type byte + msgpack body of one memberlist message. */
export function encodeBody(type: number, fields: Fields): Uint8Array {
  const name = BY_TYPE[type];
  if (!name) throw new WireError(`no schema for message type ${type}`);
  const w = new MsgWriter('v05');
  w.byte(type);
  writeStruct(w, SCHEMAS[name], fields);
  return w.bytes();
}

/** Serf (and other delegates) payloads ride as memberlist user messages. */
export function userMessage(payload: Uint8Array): Uint8Array {
  return concat(Uint8Array.of(MessageType.user), payload);
}

export function compoundOf(msgs: Uint8Array[]): Uint8Array {
  if (msgs.length > 255) throw new WireError('compound of more than 255 parts');
  const head = new Uint8Array(2 + 2 * msgs.length);
  head[0] = MessageType.compound;
  head[1] = msgs.length;
  const dv = new DataView(head.buffer);
  msgs.forEach((m, i) => dv.setUint16(2 + 2 * i, m.length));
  return concat(head, ...msgs);
}

export function compressed(msg: Uint8Array): Uint8Array {
  const w = new MsgWriter('v05');
  writeStruct(w, SCHEMAS.compress, { Algo: 0, Buf: lzwCompress(msg) });
  return concat(Uint8Array.of(MessageType.compress), w.bytes());
}

export function outerPacket(msg: Uint8Array, l: OutgoingLayers, crc: boolean): Uint8Array {
  let buf = msg;
  if (l.compress) {
    const c = compressed(buf);
    if (c.length < buf.length) buf = c;
  }
  if (crc) {
    const head = new Uint8Array(5);
    head[0] = MessageType.hasCrc;
    new DataView(head.buffer).setUint32(1, crc32(buf));
    buf = concat(head, buf);
  }
  const label = enc.encode(l.label);
  if (l.encrypt) buf = encrypt(1, l.keys[0]!, l.nonce(), buf, label);
  if (label.length > 0) buf = concat(Uint8Array.of(LABEL_MARKER, label.length), label, buf);
  return buf;
}

export type StreamRead =
  { kind: 'message'; message: StreamMessage } | { kind: 'incomplete' } | { kind: 'error'; error: string };

/**
 * Tries to read one stream message from what has arrived so far. Messages are self-delimiting
 * msgpack, so a read that runs off the end means "wait for more", anything else is an error.
 */
export function readStreamSoFar(buf: Uint8Array, opts: WireOptions): StreamRead {
  if (buf.length === 0) return { kind: 'incomplete' };
  if (buf[0] === LABEL_MARKER && (buf.length < 2 || buf.length < 2 + buf[1]!)) return { kind: 'incomplete' };
  try {
    const s = decodeStream(buf, opts);
    const m = s.messages[0];
    if (!m) return { kind: 'incomplete' };
    return { kind: 'message', message: m };
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const truncated =
      (e instanceof MsgDecodeError && msg.includes('unexpected end')) ||
      (e instanceof LzwError && msg.includes('unexpected EOF')) ||
      (e instanceof WireError && msg.startsWith('truncated'));
    return truncated ? { kind: 'incomplete' } : { kind: 'error', error: msg };
  }
}
