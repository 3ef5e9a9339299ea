// Real randomness from the OS CSPRNG (keys, node IDs, jitter). fork() returns another CSPRNG view.
import { randomBytes, randomInt } from 'node:crypto';
import type { Rng } from '../../runtime/rng.js';

const TWO48 = 2 ** 48;

export const systemRng: Rng = {
  float: () => randomBytes(6).readUIntBE(0, 6) / TWO48,
  int: (n: number) => (n <= 1 ? 0 : n < TWO48 ? randomInt(0, n) : Math.floor(systemRng.float() * n)),
  bytes: (n: number) => new Uint8Array(randomBytes(n)),
  fork: () => systemRng,
};
