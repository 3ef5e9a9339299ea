// The Rng port for simulations: a seeded PRNG (src/lib/prng.ts). Give each simulated component its own
// fork, labelled by what it is ("node:s1/raft", "net:link:10.0.0.1>10.0.0.2"), so its stream does not
// depend on what other components draw or in which order they were created.

import { SeededRng } from '../../src/lib/prng.js';
import type { Rng } from '../../src/runtime/rng.js';

export { SeededRng };

/** The root Rng of a run. */
export function simRng(seed: number): SeededRng & Rng {
  return new SeededRng(seed);
}
