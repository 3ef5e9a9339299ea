#!/usr/bin/env node
// HCL parser speed: a Consul config of 1,000 and 4,000 lines, and 1,250 / 5,000 labelled blocks; the
// fastest of several runs each, and how the cost grows (4x the input should cost about 4x).
//
//   npm run build && node bench/hcl-parse.mjs
import { parseHcl } from '../dist/src/config/hcl/index.js';
import { bigConfig, labelledBlocks } from '../dist/test/unit/config/hcl/big-inputs.js';

function fastestMs(src, runs = 9) {
  parseHcl(src);
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    parseHcl(src);
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

for (const [what, small, large] of [
  ['config lines', bigConfig(1000), bigConfig(4000)],
  ['labelled blocks', labelledBlocks(1250), labelledBlocks(5000)],
]) {
  const a = fastestMs(small);
  const b = fastestMs(large);
  console.log(
    `${what.padEnd(16)} ${a.toFixed(1).padStart(7)} ms  4x: ${b.toFixed(1).padStart(7)} ms  growth ${(b / a).toFixed(1)}x`,
  );
}
