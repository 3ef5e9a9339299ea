// Runs node's test runner over every compiled *.test.js file (Node 20 has no --test globs).
// Usage: node scripts/test.mjs [substring-filter ...]
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function walk(dir, out) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const filters = process.argv.slice(2);
// A compiled test whose source was deleted or moved stays in dist/ (tsc never removes outputs); skip it.
const hasSource = (f) => existsSync(f.replace(/^dist[\\/]/, '').replace(/\.js$/, '.ts'));
// The slowest file (1,000 simulated nodes, minutes) starts first, so the other worker runs the rest
// alongside it instead of after it.
const SLOW_FIRST = ['gossip-scale'];
const slow = (f) => (SLOW_FIRST.some((s) => f.includes(s)) ? 0 : 1);
const files = walk('dist/test', [])
  .filter(hasSource)
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort((a, b) => slow(a) - slow(b));
if (files.length === 0) {
  console.error('no test files found under dist/test');
  process.exit(1);
}
// Per test (and per file) at most 15 minutes: the 1,000-node simulation takes several by itself.
const r = spawnSync(
  process.execPath,
  ['--test', '--test-reporter=spec', '--test-concurrency=2', '--test-timeout=900000', ...files],
  {
    stdio: 'inherit',
  },
);
process.exit(r.status ?? 1);
