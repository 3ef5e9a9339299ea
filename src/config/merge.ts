// Consul's merge of config sources: a later scalar replaces an earlier one, slices are appended,
// maps and nested objects merge key by key (later wins).

import { isPlainObject, type Raw } from './raw.js';

export function mergeRaw(a: Raw, b: Raw): Raw {
  const out: Raw = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    if (v === undefined) continue;
    if (Array.isArray(prev) && Array.isArray(v)) out[k] = [...prev, ...v];
    else if (isPlainObject(prev) && isPlainObject(v)) out[k] = mergeRaw(prev, v);
    else out[k] = v;
  }
  return out;
}

/** Splits a fragment into its slice-valued top-level keys and everything else (flag ordering, §5.1). */
export function splitSlices(r: Raw): { slices: Raw; values: Raw } {
  const slices: Raw = {};
  const values: Raw = {};
  for (const [k, v] of Object.entries(r)) (Array.isArray(v) ? slices : values)[k] = v;
  return { slices, values };
}
