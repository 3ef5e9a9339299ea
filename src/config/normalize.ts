// One decoded source (JSON or HCL) → the canonical raw shape, checked against the key tree:
// - HCL blocks arrive as one-element lists of maps; they become maps except where the key is a real
//   list of objects (Consul's "patch slice of maps");
// - keys match case-insensitively (Consul decodes with mapstructure) and a few CamelCase aliases of
//   service/check fields map to their snake_case names;
// - unknown keys are collected as dotted paths ("ports.htp") for "invalid config key" errors.

import { mergeRaw } from './merge.js';
import { isPlainObject, type Raw } from './raw.js';
import { FREE, isListOfObjects, OPEN, suggestKey, type KeySpec, type ObjectSpec } from './schema.js';

const ALIASES: Record<string, string> = {
  serviceid: 'service_id',
  dockercontainerid: 'docker_container_id',
  tlsskipverify: 'tls_skip_verify',
  deregistercriticalserviceafter: 'deregister_critical_service_after',
  scriptargs: 'args',
  script_args: 'args',
};

export interface NormalizeResult {
  value: Raw;
  unknown: string[];
  hints: string[];
}

export function normalize(raw: Raw, spec: ObjectSpec): NormalizeResult {
  const unknown: string[] = [];
  const hints: string[] = [];
  const value = normObject(raw, spec, '', unknown, hints);
  return { value, unknown, hints };
}

function findKey(spec: ObjectSpec, key: string): string | null {
  if (Object.hasOwn(spec, key)) return key; // own keys only: "constructor" is not a config key
  const lower = key.toLowerCase();
  for (const k of Object.keys(spec)) if (k.toLowerCase() === lower) return k;
  return null;
}

function normObject(raw: Raw, spec: ObjectSpec, path: string, unknown: string[], hints: string[]): Raw {
  const out: Raw = {};
  for (const [k0, v] of Object.entries(raw)) {
    const found = findKey(spec, k0);
    const key = found ? (ALIASES[found] ?? found) : null;
    const dotted = path ? `${path}.${k0}` : k0;
    if (key === null && OPEN in spec) {
      out[k0] = unwrapSingle(v);
      continue;
    }
    if (key === null) {
      unknown.push(dotted);
      const s = suggestKey(spec, k0);
      if (s) hints.push(`${dotted} (did you mean ${path ? `${path}.${s}` : s}?)`);
      continue;
    }
    out[key] = normValue(v, spec[found!]!, path ? `${path}.${key}` : key, unknown, hints);
  }
  return out;
}

function normValue(v: unknown, spec: KeySpec, path: string, unknown: string[], hints: string[]): unknown {
  if (spec === 'v') return v;
  if (spec === FREE) {
    const m = unwrapSingle(v);
    return m;
  }
  if (isListOfObjects(spec)) {
    const items = Array.isArray(v) ? v : [v];
    return items.map((it, i) =>
      isPlainObject(it) ? normObject(it, spec.listOf, `${path}[${i}]`, unknown, hints) : it,
    );
  }
  // A nested object: HCL gives [ {…} ]; several blocks of one singular key merge in order.
  const items = Array.isArray(v) ? v : [v];
  if (items.length > 1 && items.every(isPlainObject)) {
    const objs = items.map((it) => normObject(it as Raw, spec, path, unknown, hints));
    // Repeated `service`/`check` blocks are separate definitions (appended later); others merge.
    return /(^|\.)(service|check)$/.test(path) ? objs : objs.reduce((a, b) => mergeRaw(a, b));
  }
  const m = unwrapSingle(v);
  return isPlainObject(m) ? normObject(m, spec, path, unknown, hints) : m;
}

function unwrapSingle(v: unknown): unknown {
  return Array.isArray(v) && v.length === 1 && isPlainObject(v[0]) ? v[0] : v;
}

/**
 * A singular `service` or `check` is one more element of `services`/`checks` (Consul's builder appends
 * it); folding it here means merging files concatenates them instead of one file's clobbering another's.
 */
export function foldSingulars(r: Raw): Raw {
  const out: Raw = { ...r };
  for (const [one, many] of [
    ['service', 'services'],
    ['check', 'checks'],
  ] as const) {
    if (out[one] === undefined) continue;
    const add = Array.isArray(out[one]) ? (out[one] as unknown[]) : [out[one]];
    out[many] = [...(Array.isArray(out[many]) ? (out[many] as unknown[]) : []), ...add];
    delete out[one];
  }
  return out;
}
