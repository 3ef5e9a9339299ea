#!/usr/bin/env node
// Gossip dissemination and failure detection in the deterministic simulator (virtual time, 1–5 ms
// links), printed next to Serf's published convergence figures (serf.io "Convergence Simulator":
// 99.99% of nodes informed in 2.0 s at 100 nodes and 2.6 s at 10,000, LAN defaults).
//
//   npm run build && node bench/gossip-convergence.mjs [sizes=100,1000] [seed=1]
//
// For each size: nodes join one another at random, then (1) the membership view converges, (2) after a
// quiet minute a user event from one node reaches 99.99% of the pool, (3) a killed node is known as
// failed by everyone.

import { GossipCluster } from '../dist/test/sim/gossip-cluster.js';

const sizes = (process.argv[2] ?? '100,1000').split(',').map(Number);
const seed = Number(process.argv[3] ?? 1);
const SERF = { 100: 2.0, 10000: 2.6 };

console.log(
  'nodes  join(real s)  converge(virtual s)  event 99.99%(virtual s)  failure known(virtual s)  serf event 99.99%',
);
for (const n of sizes) {
  const t0 = Date.now();
  const c = new GossipCluster(seed, { delayMs: 1, jitterMs: 4 }, false);
  const nodes = [];
  for (let i = 0; i < n; i++) nodes.push(await c.add(`n${i}`));
  const pick = c.root.fork('joins');
  for (let i = 1; i < n; i++) await c.join(nodes[i], nodes[pick.int(i)]);
  const joinReal = (Date.now() - t0) / 1000;
  const conv = await c.until(() => nodes.every((x) => c.count(x, 1) === n), 300_000, 250);
  // Serf's figures are for a settled cluster: let the join broadcasts drain first.
  await c.runFor(60_000);
  nodes[0].driver.run(() => nodes[0].serf.userEvent('bench', new Uint8Array([1]), false));
  const need = Math.ceil(n * 0.9999);
  const informed = () =>
    nodes.filter((x) => x.events.some((e) => e.type === 'user' && e.name === 'bench')).length;
  const ev = await c.until(() => informed() >= need, 60_000, 20);
  c.kill(nodes[n - 1]);
  const name = `n${n - 1}`;
  const fail = await c.until(
    () => nodes.slice(0, n - 1).every((x) => x.serf.allMembers().find((m) => m.name === name)?.status === 4),
    300_000,
    250,
  );
  const f = (ms) => (ms === null ? 'timeout' : (ms / 1000).toFixed(2));
  const ref =
    SERF[n] !== undefined ? `${SERF[n].toFixed(1)} s` : n < 10000 ? `(${SERF[100]}–${SERF[10000]} s)` : '';
  console.log(
    `${String(n).padEnd(5)}  ${joinReal.toFixed(1).padStart(12)}  ${f(conv).padStart(19)}  ${f(ev).padStart(23)}  ${f(fail).padStart(24)}  ${ref}`,
  );
}
