// Loading as `consul agent` (and `consul validate`) does: sources in Consul's order — defaults, -dev
// defaults, slice flags, config files and directories in command-line order (directory entries in
// byte order, .json/.hcl only), scalar flags, then -hcl fragments — each decoded, checked for unknown
// keys, legacy keys mapped, then merged and built into one RuntimeConfig.

import { parseGoJson } from '../lib/gojson.js';
import type { Disk } from '../runtime/disk.js';
import type { Host } from '../runtime/host.js';
import type { AgentFlagValues } from './agent-flags.js';
import { buildRuntimeConfig } from './builder.js';
import { defaultConfig, devConfig } from './defaults.js';
import { parseHcl } from './hcl.js';
import { applyLegacy } from './legacy.js';
import { mergeRaw, splitSlices } from './merge.js';
import { normalize } from './normalize.js';
import { isPlainObject, type Raw } from './raw.js';
import type { RuntimeConfig } from './runtime-config.js';
import { ROOT } from './schema.js';

export interface LoadOptions {
  flags: AgentFlagValues;
  disk: Disk;
  host: Host;
  cwd: string;
  /** Fragments applied under everything the user gave (validate uses it to waive data_dir). */
  baseFragment?: Raw;
}

export type LoadResult =
  { ok: true; config: RuntimeConfig; warnings: string[] } | { ok: false; error: string; warnings: string[] };

interface Source {
  name: string;
  format: 'json' | 'hcl' | 'literal';
  data: string | Raw;
}

class LoadError extends Error {}

const decoder = new TextDecoder();

function formatOf(name: string): 'json' | 'hcl' | '' {
  if (name.endsWith('.json')) return 'json';
  if (name.endsWith('.hcl')) return 'hcl';
  return '';
}

function resolve(cwd: string, p: string): string {
  return p.startsWith('/') ? p : `${cwd.replace(/\/+$/, '')}/${p}`;
}

async function sourcesFromPath(
  path: string,
  format: string,
  opts: LoadOptions,
  warnings: string[],
): Promise<Source[]> {
  const full = resolve(opts.cwd, path);
  const st = await opts.disk.stat(full).catch((e: Error) => {
    throw new LoadError(`config: Open failed on ${path}. ${e.message}`);
  });
  if (st === null)
    throw new LoadError(`config: Open failed on ${path}. open ${path}: no such file or directory`);
  const read = async (file: string, shown: string): Promise<Source> => {
    const data = await opts.disk.readFile(file);
    if (data === null)
      throw new LoadError(`config: failed to read ${shown}: open ${shown}: no such file or directory`);
    const f = (format || formatOf(shown)) as 'json' | 'hcl';
    return { name: shown, format: f, data: decoder.decode(data) };
  };
  const parseable = (name: string) => format !== '' || formatOf(name) !== '';
  if (!st.isDirectory) {
    if (!parseable(path)) {
      warnings.push(`skipping file ${path}, extension must be .hcl or .json, or config format must be set`);
      return [];
    }
    return [await read(full, path)];
  }
  const entries = (await opts.disk.readdir(full)) ?? [];
  const out: Source[] = [];
  for (const e of entries) {
    if (e.isDirectory) continue;
    const shown = `${path.replace(/\/+$/, '')}/${e.name}`;
    if (!parseable(e.name)) {
      warnings.push(`skipping file ${shown}, extension must be .hcl or .json, or config format must be set`);
      continue;
    }
    out.push(await read(`${full.replace(/\/+$/, '')}/${e.name}`, shown));
  }
  return out;
}

/** Decodes one source into its canonical raw fragment (unknown keys are errors). */
export function decodeSource(src: Source, warnings: string[]): Raw {
  let raw: Raw;
  if (src.format === 'literal') raw = src.data as Raw;
  else {
    const text = src.data as string;
    if (text.trim() === '') return {};
    if (src.format === 'json') {
      const r = parseGoJson(text);
      if (!r.ok)
        throw new LoadError(
          `failed to parse ${src.name}: ${r.error.message} (at line ${r.error.line}, column ${r.error.column})`,
        );
      if (!isPlainObject(r.value))
        throw new LoadError(`failed to parse ${src.name}: top level must be a JSON object`);
      raw = r.value as Raw;
    } else {
      const r = parseHcl(text);
      if (!r.ok) throw new LoadError(`failed to parse ${src.name}: ${r.error.message}`);
      raw = r.value as Raw;
    }
  }
  const n = normalize(raw, ROOT);
  if (n.unknown.length > 0) {
    const errs = n.unknown.map((k) => {
      const hint = n.hints.find((h) => h.startsWith(`${k} (`));
      return `invalid config key ${k}${hint ? hint.slice(k.length) : ''}`;
    });
    const body =
      errs.length === 1
        ? `1 error occurred:\n\t* ${errs[0]}\n\n`
        : `${errs.length} errors occurred:\n${errs.map((e) => `\t* ${e}`).join('\n')}\n\n`;
    throw new LoadError(`failed to parse ${src.name}: ${body}`);
  }
  const legacy = applyLegacy(n.value);
  warnings.push(...legacy.warnings);
  const out = legacy.value;
  // A single `service` or `check` is one more element of `services`/`checks`: merging the singular
  // key generically would let a later file clobber an earlier one.
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

export async function loadConfig(opts: LoadOptions): Promise<LoadResult> {
  const warnings: string[] = [];
  try {
    const { flags } = opts;
    if (flags.configFormat !== '' && flags.configFormat !== 'json' && flags.configFormat !== 'hcl')
      throw new LoadError("config: -config-format must be either 'hcl' or 'json'");
    const { slices, values } = splitSlices(flags.fragment);
    const head: Source[] = [{ name: 'defaults', format: 'literal', data: defaultConfig() }];
    if (flags.dev) head.push({ name: 'dev', format: 'literal', data: devConfig() });
    if (opts.baseFragment) head.push({ name: 'base', format: 'literal', data: opts.baseFragment });
    head.push({ name: 'flags.slices', format: 'literal', data: slices });
    const files: Source[] = [];
    for (const p of flags.configFiles)
      files.push(...(await sourcesFromPath(p, flags.configFormat, opts, warnings)));
    const tail: Source[] = [{ name: 'flags.values', format: 'literal', data: values }];
    flags.hcl.forEach((h, i) => tail.push({ name: `flags-${i}.hcl`, format: 'hcl', data: h }));

    let merged: Raw = {};
    for (const src of [...head, ...files, ...tail]) merged = mergeRaw(merged, decodeSource(src, warnings));

    const built = buildRuntimeConfig(merged, {
      host: opts.host,
      devMode: flags.dev,
      sourceFiles: files.map((f) => f.name),
    });
    warnings.push(...built.warnings);
    if (!built.ok) return { ok: false, error: built.error, warnings };
    const dataDir = built.config.dataDir;
    if (!flags.dev && dataDir !== '') {
      const st = await opts.disk.stat(resolve(opts.cwd, dataDir));
      if (st !== null && !st.isDirectory)
        return { ok: false, error: `data_dir ${JSON.stringify(dataDir)} is not a directory`, warnings };
    }
    return { ok: true, config: built.config, warnings };
  } catch (e) {
    if (e instanceof LoadError) return { ok: false, error: e.message, warnings };
    throw e;
  }
}
