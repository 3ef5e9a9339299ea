// Go structs as go-msgpack writes them: a map keyed by field name in sorted order. A schema names each
// field's Go type, so one encoder and one decoder serve every message of memberlist, Serf and Raft.

import { MsgMap, MsgWriter, utf8, type MsgValue } from './msgpack.js';

export class StructError extends Error {
  override name = 'StructError';
}

export type FieldKind =
  | 'str'
  | 'bytes'
  | 'uint'
  | 'int'
  | 'bool'
  | 'float'
  | 'struct'
  | 'structList'
  /** []string (nil when absent). */
  | 'strList'
  /** [][]byte (nil when absent). */
  | 'bytesList'
  /** []float64. */
  | 'floatList'
  /** map[string]string. */
  | 'strMap'
  /** map[string]uint64 (e.g. Serf's StatusLTimes). */
  | 'uintMap';
export interface Field {
  name: string;
  kind: FieldKind;
  /** Go `omitempty`: left out when zero/empty. */
  omitEmpty?: boolean;
  /** The nested schema of a struct or []struct field. */
  schema?: readonly Field[];
}

export type FieldValue =
  | string
  | Uint8Array
  | null
  | number
  | bigint
  | boolean
  | Fields
  | Array<Fields | null>
  | string[]
  | Uint8Array[]
  | number[]
  | Map<string, string>
  | Map<string, number | bigint>;
export interface Fields {
  [field: string]: FieldValue;
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
        case 'float':
          x.float64(typeof v === 'number' ? v : 0);
          break;
        case 'struct':
          writeStruct(x, fd.schema ?? [], (v as Fields | null) ?? {});
          break;
        case 'strList':
        case 'bytesList':
        case 'floatList':
          if (!Array.isArray(v)) x.nil();
          else {
            x.arrayHeader(v.length);
            for (const item of v as Array<string | Uint8Array | number>)
              if (typeof item === 'number') x.float64(item);
              else x.str(item);
          }
          break;
        case 'strMap':
        case 'uintMap':
          if (!(v instanceof Map)) x.nil();
          else {
            x.mapHeader(v.size);
            for (const [k, val] of v as Map<string, string | number | bigint>) {
              x.str(k);
              if (typeof val === 'string') x.str(val);
              else x.uint(val);
            }
          }
          break;
        case 'structList':
          if (!Array.isArray(v)) x.nil();
          else {
            x.arrayHeader(v.length);
            // Go writes a nil pointer in a []*T as msgpack nil (Serf's event ring has mostly nils).
            for (const item of v as Array<Fields | null>)
              if (item === null) x.nil();
              else writeStruct(x, fd.schema ?? [], item);
          }
          break;
      }
    };
  }
  w.struct(writers);
}

/** Reads a struct leniently: keys by name, any integer form, missing fields as zero values. */
export function readStruct(v: MsgValue, schema: readonly Field[]): Fields {
  if (!(v instanceof MsgMap)) throw new StructError('expected a msgpack map');
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
          throw new StructError(`field ${fd.name}: expected an integer`);
        out[fd.name] = x ?? 0;
        break;
      case 'bool':
        out[fd.name] = x === true;
        break;
      case 'float':
        out[fd.name] = typeof x === 'number' ? x : typeof x === 'bigint' ? Number(x) : 0;
        break;
      case 'struct':
        out[fd.name] = x instanceof MsgMap ? readStruct(x, fd.schema ?? []) : {};
        break;
      case 'strList':
      case 'bytesList':
      case 'floatList': {
        if (x !== undefined && x !== null && !Array.isArray(x))
          throw new StructError(`field ${fd.name}: expected a list`);
        const items = x ?? [];
        if (fd.kind === 'floatList')
          out[fd.name] = items.map((i) =>
            typeof i === 'number' ? i : typeof i === 'bigint' ? Number(i) : 0,
          );
        else if (fd.kind === 'strList')
          out[fd.name] = items.map((i) => (i instanceof Uint8Array ? utf8(i) : ''));
        else out[fd.name] = items.map((i) => (i instanceof Uint8Array ? i : new Uint8Array()));
        break;
      }
      case 'strMap':
      case 'uintMap': {
        if (x !== undefined && x !== null && !(x instanceof MsgMap))
          throw new StructError(`field ${fd.name}: expected a map`);
        const m = new Map<string, string | number | bigint>();
        for (const [k, val] of x?.entries ?? []) {
          const key = k instanceof Uint8Array ? utf8(k) : String(k);
          if (fd.kind === 'strMap') m.set(key, val instanceof Uint8Array ? utf8(val) : '');
          else if (typeof val === 'number' || typeof val === 'bigint') m.set(key, val);
          else throw new StructError(`field ${fd.name}: expected integer values`);
        }
        out[fd.name] = m as Map<string, string> | Map<string, number | bigint>;
        break;
      }
      case 'structList':
        if (x !== undefined && x !== null && !Array.isArray(x))
          throw new StructError(`field ${fd.name}: expected a list`);
        out[fd.name] = (x ?? []).map((item) => (item === null ? null : readStruct(item, fd.schema ?? [])));
        break;
    }
  }
  return out;
}
