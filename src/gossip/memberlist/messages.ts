// memberlist message bodies (reference/gossip-protocol.md §4): each is a Go struct written by go-msgpack
// as a map keyed by field name in sorted order. A schema per message names each field's Go type, so
// one encoder and one decoder serve them all, byte-exact with Go peers.

import type { Field, FieldKind } from '../../codec/struct.js';

export { readStruct, writeStruct, type Field, type Fields } from '../../codec/struct.js';

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

/** The message name for a type byte, or undefined. */
export function messageName(type: number): keyof typeof MessageType | undefined {
  return (Object.keys(MessageType) as Array<keyof typeof MessageType>).find((k) => MessageType[k] === type);
}
