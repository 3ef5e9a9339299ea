// How simulation tests pick seeds: a fixed list in CI; SIM_SEED=<n> replays one; SIM_SWARM=<count>
// (optionally SIM_SWARM_FROM=<first>) runs a long swarm by hand. A failure names its seed and the one
// command that replays it.

import { test, type TestContext } from 'node:test';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export type SeedEnv = Readonly<Record<string, string | undefined>>;

/** The seeds to run: SIM_SEED (one), else SIM_SWARM (a range), else the defaults. */
export function seedsFromEnv(defaults: readonly number[], env: SeedEnv = process.env): number[] {
  const one = env.SIM_SEED;
  if (one !== undefined && one !== '') return [parseSeed(one, 'SIM_SEED')];
  const swarm = env.SIM_SWARM;
  if (swarm !== undefined && swarm !== '') {
    const count = parseSeed(swarm, 'SIM_SWARM');
    const from = env.SIM_SWARM_FROM ? parseSeed(env.SIM_SWARM_FROM, 'SIM_SWARM_FROM') : 1;
    return Array.from({ length: count }, (_, i) => from + i);
  }
  return [...defaults];
}

function parseSeed(s: string, name: string): number {
  const n = Number(s);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name}=${s}: expected a non-negative integer`);
  return n;
}

/** The file as the user would type it: relative to the working directory when it lies inside it. */
function displayPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

export function replayCommand(seed: number, file: string): string {
  return `SIM_SEED=${seed} node --test ${displayPath(file)}`;
}

/** The one line a failure prints. */
export function seedReport(seed: number, file: string): string {
  return `seed=${seed}; replay with: ${replayCommand(seed, file)}`;
}

/** Wraps an error so its message starts with the seed report; the original stack is kept. */
export function withSeed(e: unknown, seed: number, file: string): Error {
  const msg = e instanceof Error ? e.message : String(e);
  const err = new Error(`${seedReport(seed, file)}\n${msg}`, { cause: e });
  if (e instanceof Error && e.stack) err.stack = `${err.message}\n${e.stack.split('\n').slice(1).join('\n')}`;
  return err;
}

/** Runs fn for one seed; a failure is rethrown carrying the seed report. */
export async function runSeed(
  seed: number,
  file: string,
  fn: (seed: number) => void | Promise<void>,
): Promise<void> {
  try {
    await fn(seed);
  } catch (e) {
    throw withSeed(e, seed, file);
  }
}

/** The test file that called into this module, from the stack (ESM frames carry file:// URLs). */
export function callerFile(): string {
  const here = fileURLToPath(import.meta.url);
  for (const line of (new Error().stack ?? '').split('\n').slice(1)) {
    const m = /(file:\/\/[^\s)]+?|\/[^\s)(]+?):\d+:\d+\)?$/.exec(line.trim());
    if (!m) continue;
    const f = m[1]!.startsWith('file://') ? fileURLToPath(m[1]!) : m[1]!;
    if (f !== here) return f;
  }
  return '<test file>';
}

type SeedFn = (seed: number, t: TestContext) => void | Promise<void>;

/**
 * One node:test test per seed. The calling file is found from the stack; pass `import.meta.url` as the
 * third argument to name it explicitly. A failing seed prints `seed=N; replay with: SIM_SEED=N node --test
 * <file>` both as a test diagnostic and at the head of the error.
 */
export function forEachSeed(name: string, seeds: readonly number[], fn: SeedFn): void;
export function forEachSeed(
  name: string,
  seeds: readonly number[],
  importMetaUrl: string,
  fn: SeedFn,
  opts?: { timeout?: number },
): void;
export function forEachSeed(
  name: string,
  seeds: readonly number[],
  a: string | SeedFn,
  b?: SeedFn,
  opts: { timeout?: number } = {},
): void {
  const file = typeof a === 'string' ? fileURLToPath(a) : callerFile();
  const fn = typeof a === 'string' ? b! : a;
  for (const seed of seedsFromEnv(seeds)) {
    test(`${name} [seed ${seed}]`, opts, async (t) => {
      try {
        await fn(seed, t);
      } catch (e) {
        t.diagnostic(seedReport(seed, file));
        throw withSeed(e, seed, file);
      }
    });
  }
}
