// The untyped shape of a config source after decoding: snake_case keys, JSON-like values.

export type Raw = { [key: string]: unknown };

export function isPlainObject(v: unknown): v is Raw {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}
