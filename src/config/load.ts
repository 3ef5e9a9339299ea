// Loading as `consul agent` (and `consul validate`) does: sources in Consul's order — defaults, -dev
// defaults, slice flags, config files and directories in command-line order (directory entries in
// byte order, .json/.hcl only), scalar flags, then -hcl fragments — each parsed, checked for unknown
// keys, legacy keys mapped, then merged and built into one RuntimeConfig.

import type { Disk } from '../runtime/disk.js';
import type { Host } from '../runtime/host.js';
import type { AgentFlagValues } from './agent-flags.js';
import { buildRuntimeConfig } from './builder.js';
import { defaultConfig, devConfig } from './defaults.js';
import { applyLegacy } from './legacy.js';
import { mergeRaw, splitSlices } from './merge.js';
import { foldSingulars, normalize } from './normalize.js';
import type { Raw } from './raw.js';
import type { RuntimeConfig } from './runtime-config.js';
import { ROOT } from './schema.js';
import { parseSource, readConfigPath, type ConfigSource } from './sources.js';

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

export type RawLoadResult =
  | { ok: true; raw: Raw; warnings: string[]; sourceFiles: string[] }
  | { ok: false; error: string; warnings: string[] };

type FragmentResult = { ok: true; value: Raw } | { ok: false; error: string };

/** Go's multierror text, which Consul's "invalid config key" errors come wrapped in. */
function multiError(errs: string[]): string {
  const head = errs.length === 1 ? '1 error occurred:' : `${errs.length} errors occurred:`;
  return `${head}\n${errs.map((e) => `\t* ${e}`).join('\n')}\n\n`;
}

/** One source → its canonical fragment: parsed, unknown keys refused, legacy keys moved. */
export function decodeFragment(src: ConfigSource, warnings: string[]): FragmentResult {
  const parsed = parseSource(src);
  if (!parsed.ok) return parsed;
  const n = normalize(parsed.value, ROOT);
  if (n.unknown.length > 0) {
    const errs = n.unknown.map((k) => {
      const hint = n.hints.find((h) => h.startsWith(`${k} (`));
      return `invalid config key ${k}${hint ? hint.slice(k.length) : ''}`;
    });
    return { ok: false, error: `failed to parse ${src.name}: ${multiError(errs)}` };
  }
  const legacy = applyLegacy(n.value);
  warnings.push(...legacy.warnings);
  return { ok: true, value: foldSingulars(legacy.value) };
}

/** Every source, in Consul's order, merged into the raw object the builder takes. */
export async function loadRawConfig(opts: LoadOptions): Promise<RawLoadResult> {
  const warnings: string[] = [];
  const { flags } = opts;
  const fmt = flags.configFormat;
  if (fmt !== '' && fmt !== 'json' && fmt !== 'hcl')
    return { ok: false, error: "config: -config-format must be either 'hcl' or 'json'", warnings };
  const { slices, values } = splitSlices(flags.fragment);
  const sources: ConfigSource[] = [{ name: 'defaults', format: 'literal', value: defaultConfig() }];
  if (flags.dev) sources.push({ name: 'dev', format: 'literal', value: devConfig() });
  if (opts.baseFragment) sources.push({ name: 'base', format: 'literal', value: opts.baseFragment });
  sources.push({ name: 'flags.slices', format: 'literal', value: slices });
  const sourceFiles: string[] = [];
  for (const p of flags.configFiles) {
    const r = await readConfigPath(p, fmt, opts.disk, opts.cwd, warnings);
    if (!r.ok) return { ok: false, error: r.error, warnings };
    sources.push(...r.sources);
    sourceFiles.push(...r.sources.map((s) => s.name));
  }
  sources.push({ name: 'flags.values', format: 'literal', value: values });
  flags.hcl.forEach((text, i) => sources.push({ name: `flags-${i}.hcl`, format: 'hcl', text }));

  let raw: Raw = {};
  for (const src of sources) {
    const f = decodeFragment(src, warnings);
    if (!f.ok) return { ok: false, error: f.error, warnings };
    raw = mergeRaw(raw, f.value);
  }
  return { ok: true, raw, warnings, sourceFiles };
}

export async function loadConfig(opts: LoadOptions): Promise<LoadResult> {
  const loaded = await loadRawConfig(opts);
  if (!loaded.ok) return loaded;
  const { warnings } = loaded;
  const built = buildRuntimeConfig(loaded.raw, {
    host: opts.host,
    devMode: opts.flags.dev,
    sourceFiles: loaded.sourceFiles,
  });
  warnings.push(...built.warnings);
  if (!built.ok) return { ok: false, error: built.error, warnings };
  const dataDir = built.config.dataDir;
  if (!opts.flags.dev && dataDir !== '') {
    const full = dataDir.startsWith('/') ? dataDir : `${opts.cwd.replace(/\/+$/, '')}/${dataDir}`;
    const st = await opts.disk.stat(full);
    if (st !== null && !st.isDirectory)
      return { ok: false, error: `data_dir ${JSON.stringify(dataDir)} is not a directory`, warnings };
  }
  return { ok: true, config: built.config, warnings };
}
