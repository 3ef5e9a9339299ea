// memberlist message bodies (reference/gossip-protocol.md §4): each is a Go struct written by go-msgpack
// as a map keyed by field name in sorted order. A schema per message names each field's Go type, so
// one encoder and one decoder serve them all, byte-exact with Go peers.

import { MsgMap, MsgWriter, utf8, type MsgValue } from '../../codec/msgpack.js';

export const MessageType = {
  ping: 0,
  indirectPing: 1,
  ack: 2,
  suspect: 3,
  alive: 4,
  dead: 5,
  pushPull: 6,
  compound: 7,
  user: 8,
  compress: 9,
  encrypt: 10,
  nack: 11,
  hasCrc: 12,
  err: 13,
} as const;

/** The marker byte of a label header (outside everything else). */
export const LABEL_MARKER = 244;

export type FieldKind = 'str' | 'bytes' | 'uint' | 'int' | 'bool';
export interface Field {
  name: string;
  kind: FieldKind;
  /** Go `omitempty`: left out when zero/empty. */
  omitEmpty?: boolean;
}

export type FieldValue = string | Uint8Array | null | number | bigint | boolean;
export type Fields = Record<string, FieldValue>;

const f = (name: string, kind: FieldKind, omitEmpty = false): Field => ({ name, kind, omitEmpty });
const SOURCE = [f('SourceAddr', 'bytes', true), f('SourceNode', 'str', true), f('SourcePort', 'uint', true)];

export const SCHEMAS = {
  ping: [f('Node', 'str'), f('SeqNo', 'uint'), ...SOURCE],
  indirectPing: [
    f('Nack', 'bool'),
    f('Node', 'str'),
    f('Port', 'uint'),
    f('SeqNo', 'uint'),
    ...SOURCE,
    f('Target', 'bytes'),
  ],
  ack: [f('Payload', 'bytes'), f('SeqNo', 'uint')],
  nack: [f('SeqNo', 'uint')],
  suspect: [f('From', 'str'), f('Incarnation', 'uint'), f('Node', 'str')],
  alive: [
    f('Addr', 'bytes'),
    f('Incarnation', 'uint'),
    f('Meta', 'bytes'),
    f('Node', 'str'),
    f('Port', 'uint'),
    f('Vsn', 'bytes'),
  ],
  dead: [f('From', 'str'), f('Incarnation', 'uint'), f('Node', 'str')],
  compress: [f('Algo', 'int'), f('Buf', 'bytes')],
  err: [f('Error', 'str')],
  pushPullHeader: [f('Join', 'bool'), f('Nodes', 'int'), f('UserStateLen', 'int')],
  pushNodeState: [
    f('Addr', 'bytes'),
    f('Incarnation', 'uint'),
    f('Meta', 'bytes'),
    f('Name', 'str'),
    f('Port', 'uint'),
    f('State', 'int'),
    f('Vsn', 'bytes'),
  ],
  userMsgHeader: [f('UserMsgLen', 'int')],
} satisfies Record<string, Field[]>;

export type SchemaName = keyof typeof SCHEMAS;

export class WireError extends Error {
  override name = 'WireError';
}

function isEmpty(v: FieldValue | undefined): boolean {
  return (
    v === undefined ||
    v === null ||
    v === '' ||
    v === 0 ||
    v === false ||
    (v instanceof Uint8Array && v.length === 0)
  );
}

/** Writes a struct in go-msgpack's layout (sorted keys, omitempty honoured). */
export function writeStruct(w: MsgWriter, schema: readonly Field[], fields: Fields): void {
  const writers: Record<string, ((x: MsgWriter) => void) | undefined> = {};
  for (const fd of schema) {
    const v = fields[fd.name];
    if (fd.omitEmpty && isEmpty(v)) continue;
    writers[fd.name] = (x) => {
      switch (fd.kind) {
        case 'str':
          x.str(typeof v === 'string' ? v : '');
          break;
        case 'bytes':
          x.bytesOrNil(v instanceof Uint8Array ? v : null);
          break;
        case 'uint':
          x.uint(typeof v === 'number' || typeof v === 'bigint' ? v : 0);
          break;
        case 'int':
          x.int(typeof v === 'number' || typeof v === 'bigint' ? v : 0);
          break;
        case 'bool':
          x.bool(v === true);
          break;
      }
    };
  }
  w.struct(writers);
}

/** Reads a struct leniently: keys by name, any integer form, missing fields as zero values. */
export function readStruct(v: MsgValue, schema: readonly Field[]): Fields {
  if (!(v instanceof MsgMap)) throw new WireError('expected a msgpack map');
  const out: Fields = {};
  for (const fd of schema) {
    const x = v.get(fd.name);
    switch (fd.kind) {
      case 'str':
        out[fd.name] = x instanceof Uint8Array ? utf8(x) : '';
        break;
      case 'bytes':
        out[fd.name] = x instanceof Uint8Array ? x : null;
        break;
      case 'uint':
      case 'int':
        if (x !== undefined && x !== null && typeof x !== 'number' && typeof x !== 'bigint')
          throw new WireError(`field ${fd.name}: expected an integer`);
        out[fd.name] = x ?? 0;
        break;
      case 'bool':
        out[fd.name] = x === true;
        break;
    }
  }
  return out;
}

/** The message name for a type byte, or undefined. */
export function messageName(type: number): keyof typeof MessageType | undefined {
  return (Object.keys(MessageType) as Array<keyof typeof MessageType>).find((k) => MessageType[k] === type);
}
