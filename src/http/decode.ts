// Request bodies as Consul decodes them: JSON with field names matched case-insensitively (Go's
// encoding/json), uint64-exact numbers, and Consul's "Request decode failed: …" on bad input.

import { parseGoJson, type JsonValue } from '../lib/gojson.js';

export type Obj = { [k: string]: JsonValue };

export function decodeBody(body: Uint8Array): { ok: true; value: JsonValue } | { ok: false; error: string } {
  const text = new TextDecoder().decode(body);
  if (text.trim() === '') return { ok: true, value: null };
  const r = parseGoJson(text);
  if (r.ok) return r;
  // Consul reads bodies with json.Decoder, which reports a truncated document as io.ErrUnexpectedEOF.
  const msg = r.error.message === 'unexpected end of JSON input' ? 'unexpected EOF' : r.error.message;
  return { ok: false, error: `Request decode failed: ${msg}` };
}

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

/** The value of field `name` in o, matching the key case-insensitively. */
export function field(o: unknown, name: string): JsonValue | undefined {
  if (!isObj(o)) return undefined;
  if (name in o) return o[name];
  const lower = name.toLowerCase();
  for (const k of Object.keys(o)) if (k.toLowerCase() === lower) return o[k];
  return undefined;
}

export const str = (v: JsonValue | undefined): string | undefined => (typeof v === 'string' ? v : undefined);
export const num = (v: JsonValue | undefined): number | undefined =>
  typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : undefined;
export const strList = (v: JsonValue | undefined): string[] | undefined =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined;
export const strMap = (v: JsonValue | undefined): Record<string, string> | undefined =>
  isObj(v) ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, String(x)])) : undefined;
