// Serf message bodies (reference/gossip-protocol.md §14.2): a type byte and a go-msgpack struct,
// carried in memberlist user messages, push/pull user state and query payloads.

import { MsgReader, MsgWriter } from '../../codec/msgpack.js';
import { readStruct, writeStruct, type Field, type FieldKind, type Fields } from '../../codec/struct.js';

export const SerfMessageType = {
  leave: 0,
  join: 1,
  pushPull: 2,
  userEvent: 3,
  query: 4,
  queryResponse: 5,
  conflictResponse: 6,
  keyRequest: 7,
  keyResponse: 8,
  relay: 9,
} as const;
export type SerfMessageName = keyof typeof SerfMessageType;

const f = (name: string, kind: FieldKind, schema?: readonly Field[]): Field =>
  schema ? { name, kind, schema } : { name, kind };

const USER_EVENT = [f('Name', 'str'), f('Payload', 'bytes')];

export const SERF_SCHEMAS: Record<Exclude<SerfMessageName, 'relay'>, readonly Field[]> = {
  leave: [f('LTime', 'uint'), f('Node', 'str'), f('Prune', 'bool')],
  join: [f('LTime', 'uint'), f('Node', 'str')],
  pushPull: [
    f('EventLTime', 'uint'),
    f('Events', 'structList', [f('Events', 'structList', USER_EVENT), f('LTime', 'uint')]),
    f('LTime', 'uint'),
    f('LeftMembers', 'strList'),
    f('QueryLTime', 'uint'),
    f('StatusLTimes', 'uintMap'),
  ],
  userEvent: [f('CC', 'bool'), f('LTime', 'uint'), f('Name', 'str'), f('Payload', 'bytes')],
  query: [
    f('Addr', 'bytes'),
    f('Filters', 'bytesList'),
    f('Flags', 'uint'),
    f('ID', 'uint'),
    f('LTime', 'uint'),
    f('Name', 'str'),
    f('Payload', 'bytes'),
    f('Port', 'uint'),
    f('RelayFactor', 'uint'),
    f('SourceNode', 'str'),
    f('Timeout', 'int'),
  ],
  queryResponse: [
    f('Flags', 'uint'),
    f('From', 'str'),
    f('ID', 'uint'),
    f('LTime', 'uint'),
    f('Payload', 'bytes'),
  ],
  conflictResponse: [
    f('Addr', 'bytes'),
    f('DelegateCur', 'uint'),
    f('DelegateMax', 'uint'),
    f('DelegateMin', 'uint'),
    f('Name', 'str'),
    f('Port', 'uint'),
    f('ProtocolCur', 'uint'),
    f('ProtocolMax', 'uint'),
    f('ProtocolMin', 'uint'),
    f('Status', 'int'),
    f('Tags', 'strMap'),
  ],
  keyRequest: [f('Key', 'bytes')],
  keyResponse: [f('Keys', 'strList'), f('Message', 'str'), f('PrimaryKey', 'str'), f('Result', 'bool')],
};

export const RELAY_HEADER: readonly Field[] = [
  f('DestAddr', 'struct', [f('IP', 'bytes'), f('Port', 'int'), f('Zone', 'str')]),
  f('DestName', 'str'),
];

/** Query flags. */
export const QUERY_FLAG_ACK = 1;
export const QUERY_FLAG_NO_BROADCAST = 2;

export class SerfDecodeError extends Error {
  override name = 'SerfDecodeError';
}

export function encodeSerf(type: Exclude<SerfMessageName, 'relay'>, fields: Fields): Uint8Array {
  const w = new MsgWriter('v05');
  writeStruct(w, SERF_SCHEMAS[type], fields);
  const body = w.bytes();
  const out = new Uint8Array(1 + body.length);
  out[0] = SerfMessageType[type];
  out.set(body, 1);
  return out;
}

export function encodeRelay(
  dest: { ip: Uint8Array; port: number },
  destName: string,
  inner: Uint8Array,
): Uint8Array {
  const w = new MsgWriter('v05');
  writeStruct(w, RELAY_HEADER, { DestAddr: { IP: dest.ip, Port: dest.port, Zone: '' }, DestName: destName });
  const head = w.bytes();
  const out = new Uint8Array(1 + head.length + inner.length);
  out[0] = SerfMessageType.relay;
  out.set(head, 1);
  out.set(inner, 1 + head.length);
  return out;
}

export type SerfMessage =
  | { type: Exclude<SerfMessageName, 'relay'>; fields: Fields }
  | { type: 'relay'; header: Fields; inner: Uint8Array };

const NAMES = Object.fromEntries(Object.entries(SerfMessageType).map(([k, v]) => [v, k])) as Record<
  number,
  SerfMessageName
>;

/** Decodes one Serf message; throws SerfDecodeError (or the codec's errors) on malformed input. */
export function decodeSerf(buf: Uint8Array): SerfMessage {
  const t = buf[0];
  if (t === undefined) throw new SerfDecodeError('empty serf message');
  const name = NAMES[t];
  if (!name) throw new SerfDecodeError(`Receive unknown serf message type: ${t}`);
  const r = new MsgReader(buf.subarray(1));
  if (name === 'relay') {
    const header = readStruct(r.read(), RELAY_HEADER);
    return { type: 'relay', header, inner: buf.slice(1 + r.offset) };
  }
  return { type: name, fields: readStruct(r.read(), SERF_SCHEMAS[name]) };
}
