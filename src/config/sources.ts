// Config sources as Consul 1.16 finds and parses them: a -config-file or -config-dir path read through
// the Disk port (directory entries in byte order, subdirectories ignored, only .json/.hcl unless
// -config-format is set, others skipped with Consul's warning), then each source's text parsed as
// JSON or HCL1 into an untyped fragment. Errors name the file, and the line and column when known.

import { parseGoJson } from '../lib/gojson.js';
import type { Disk } from '../runtime/disk.js';
import { parseHcl } from './hcl/index.js';
import { isPlainObject, type Raw } from './raw.js';

export type SourceFormat = 'json' | 'hcl';

/** One source: a file's text, a -hcl fragment, or an already-decoded fragment (defaults, flags). */
export type ConfigSource =
  { name: string; format: SourceFormat; text: string } | { name: string; format: 'literal'; value: Raw };

export type SourcesResult = { ok: true; sources: ConfigSource[] } | { ok: false; error: string };
export type ParseResult = { ok: true; value: Raw } | { ok: false; error: string };

/** The format a file name implies, or '' when its extension is neither .json nor .hcl. */
export function formatOf(name: string): SourceFormat | '' {
  if (name.endsWith('.json')) return 'json';
  if (name.endsWith('.hcl')) return 'hcl';
  return '';
}

export function skipWarning(path: string): string {
  return `skipping file ${path}, extension must be .hcl or .json, or config format must be set`;
}

/** Joins like Go's filepath.Join for the simple cases config paths take (no "." or ".." folding). */
function join(dir: string, name: string): string {
  return `${dir.replace(/\/+$/, '')}/${name}`;
}

function absolute(cwd: string, p: string): string {
  return p.startsWith('/') ? p : join(cwd, p);
}

/**
 * The sources behind one -config-file/-config-dir argument. Names are shown as given on the command line
 * (relative stays relative), as Consul's messages do; reads go to the path resolved against cwd.
 * A plain file with a wrong extension is skipped with a warning, not refused: Consul 1.16's
 * sourcesFromPath treats files and directory entries alike.
 */
export async function readConfigPath(
  path: string,
  format: SourceFormat | '',
  disk: Disk,
  cwd: string,
  warnings: string[],
): Promise<SourcesResult> {
  const full = absolute(cwd, path);
  let st;
  try {
    st = await disk.stat(full);
  } catch (e) {
    return { ok: false, error: `config: Open failed on ${path}. ${(e as Error).message}` };
  }
  if (st === null)
    return { ok: false, error: `config: Open failed on ${path}. open ${path}: no such file or directory` };
  const parseable = (name: string) => format !== '' || formatOf(name) !== '';
  const read = async (file: string, shown: string): Promise<SourcesResult> => {
    let data: Uint8Array | null;
    try {
      data = await disk.readFile(file);
    } catch (e) {
      return { ok: false, error: `config: failed to read ${shown}: ${(e as Error).message}` };
    }
    if (data === null)
      return {
        ok: false,
        error: `config: failed to read ${shown}: open ${shown}: no such file or directory`,
      };
    const f = (format || formatOf(shown)) as SourceFormat;
    return { ok: true, sources: [{ name: shown, format: f, text: new TextDecoder().decode(data) }] };
  };
  if (!st.isDirectory) {
    if (!parseable(path)) {
      warnings.push(skipWarning(path));
      return { ok: true, sources: [] };
    }
    return read(full, path);
  }
  let entries;
  try {
    entries = (await disk.readdir(full)) ?? [];
  } catch (e) {
    return { ok: false, error: `config: Readdir failed on ${path}. ${(e as Error).message}` };
  }
  // The Disk port promises byte order already; sorting again keeps this independent of the platform.
  const names = entries
    .filter((e) => !e.isDirectory)
    .map((e) => e.name)
    .sort(byteOrder);
  const out: ConfigSource[] = [];
  for (const name of names) {
    const shown = join(path, name);
    if (!parseable(name)) {
      warnings.push(skipWarning(shown));
      continue;
    }
    const r = await read(join(full, name), shown);
    if (!r.ok) return r;
    out.push(...r.sources);
  }
  return { ok: true, sources: out };
}

/** Go's string comparison: UTF-8 bytes, which differs from JS's UTF-16 order above U+FFFF. */
function byteOrder(a: string, b: string): number {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

/** hcl v1 reads text whose first non-space character is '{' as JSON; Consul's .hcl files may do so. */
function looksLikeJson(text: string): boolean {
  return /^\s*\{/u.test(text);
}

/** Parses one source's text into its raw fragment; an empty file is an empty fragment. */
export function parseSource(src: ConfigSource): ParseResult {
  if (src.format === 'literal') return { ok: true, value: src.value };
  const text = src.text;
  if (text.trim() === '') return { ok: true, value: {} };
  if (src.format === 'json' || looksLikeJson(text)) {
    const r = parseGoJson(text);
    if (!r.ok)
      return {
        ok: false,
        error: `failed to parse ${src.name}: ${r.error.message} (at line ${r.error.line}, column ${r.error.column})`,
      };
    // Go unmarshals `null` into a map as "nothing set".
    if (r.value === null) return { ok: true, value: {} };
    if (!isPlainObject(r.value))
      return {
        ok: false,
        error: `failed to parse ${src.name}: json: cannot unmarshal ${jsonKind(r.value)} into Go value of type map[string]interface {}`,
      };
    return { ok: true, value: r.value as Raw };
  }
  const r = parseHcl(text);
  if (!r.ok) return { ok: false, error: `failed to parse ${src.name}: ${r.error.message}` };
  return { ok: true, value: r.value as Raw };
}

function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'bigint') return 'number';
  return typeof v;
}
