// Real randomness from the OS CSPRNG (keys, node IDs, jitter). fork() returns another CSPRNG view.
import { randomBytes, randomInt } from 'node:crypto';
import type { Rng } from '../../runtime/rng.js';

export const systemRng: Rng = {
  float: () => randomInt(0, 2 ** 48) / 2 ** 48,
  int: (n: number) =>
    n <= 1 ? 0 : n <= 2 ** 48 ? randomInt(0, n) : Math.floor((randomInt(0, 2 ** 48) / 2 ** 48) * n),
  bytes: (n: number) => new Uint8Array(randomBytes(n)),
  fork: () => systemRng,
};
