// How simulation tests pick seeds: a fixed list in CI; SIM_SEED=<n> replays one. A failure names its
// seed and the one command that replays it.

import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

export function seedsFromEnv(defaults: readonly number[]): number[] {
  const one = process.env.SIM_SEED;
  return one !== undefined && one !== '' ? [Number(one)] : [...defaults];
}

export function replayCommand(seed: number, file: string): string {
  return `SIM_SEED=${seed} node --test ${file}`;
}

/** Wraps an error so its message carries the seed and the replay command. */
export function withSeed(e: unknown, seed: number, file: string): Error {
  const msg = e instanceof Error ? e.message : String(e);
  const err = new Error(`seed=${seed}; replay with: ${replayCommand(seed, file)}\n${msg}`);
  if (e instanceof Error && e.stack) err.stack = `${err.message}\n${e.stack.split('\n').slice(1).join('\n')}`;
  return err;
}

/** One node:test subtest per seed; `importMetaUrl` is the calling test file's import.meta.url. */
export function forEachSeed(
  name: string,
  defaults: readonly number[],
  importMetaUrl: string,
  fn: (seed: number) => void | Promise<void>,
): void {
  const file = fileURLToPath(importMetaUrl);
  for (const seed of seedsFromEnv(defaults)) {
    test(`${name} [seed ${seed}]`, async () => {
      try {
        await fn(seed);
      } catch (e) {
        throw withSeed(e, seed, file);
      }
    });
  }
}
