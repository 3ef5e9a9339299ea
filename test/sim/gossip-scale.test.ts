// memberlist/Serf at scale, in simulation: pools of 100 and 1,000 converge and learn of a failure
// within the Lifeguard suspicion window for their size; under 10% packet loss and a 30 s stall of one
// node's event loop, no healthy node is ever declared failed. Figures are printed as test diagnostics.
import assert from 'node:assert/strict';
import { forEachSeed } from './seed.js';
import { GossipCluster, type SimGossipNode } from './gossip-cluster.js';
import { suspicionTimeoutMs } from '../../src/gossip/memberlist/config.js';

async function pool(c: GossipCluster, n: number): Promise<SimGossipNode[]> {
  const nodes: SimGossipNode[] = [];
  for (let i = 0; i < n; i++) nodes.push(await c.add(`n${i}`));
  // Each joins a random earlier node, as spread-out retry_join lists would.
  const pick = c.root.fork('joins');
  for (let i = 1; i < n; i++) assert.equal((await c.join(nodes[i]!, nodes[pick.int(i)]!)).err, null);
  return nodes;
}

const failedAbout = (nodes: SimGossipNode[], name: string) =>
  nodes.flatMap((n) =>
    n.events
      .filter((e) => e.type === 'member-failed' && e.members.some((m) => m.name === name))
      .map(() => n.name),
  );

forEachSeed(
  'gossip at 100 nodes: convergence and failure detection within the suspicion window',
  [1],
  async (seed, t) => {
    const N = 100;
    const c = new GossipCluster(seed, { delayMs: 1, jitterMs: 4 }, false);
    const nodes = await pool(c, N);
    const tConv = await c.until(() => nodes.every((n) => c.count(n, 1) === N), 60_000, 100);
    assert.notEqual(tConv, null, 'the pool converges');
    const victim = nodes[N - 1]!;
    c.kill(victim);
    const tFail = await c.until(
      () =>
        nodes
          .slice(0, N - 1)
          .every((n) => n.serf.allMembers().find((m) => m.name === victim.name)?.status === 4),
      120_000,
      100,
    );
    // Lifeguard: min = 4 × log10(100) × 1 s = 8 s, max = 6 × min = 48 s; plus probe rounds and gossip.
    const min = suspicionTimeoutMs(4, N, 1000);
    assert.ok(
      tFail !== null && tFail >= min && tFail <= 6 * min + 10_000,
      `failure known to all after ${tFail} ms`,
    );
    t.diagnostic(
      `100 nodes: converged ${tConv} ms after the last join; failure known to all in ${tFail} ms (window ${min}–${6 * min} ms)`,
    );
    // Only the killed node was ever declared failed.
    for (const n of nodes.slice(0, N - 1)) assert.deepEqual(failedAbout(nodes, n.name), [], n.name);
  },
);

forEachSeed(
  'gossip at 1,000 nodes: one membership view, and a kill known to all within the suspicion window',
  [1],
  import.meta.url,
  async (seed, t) => {
    // Minutes of CPU (a million member states, ~30M gossip messages): CI runs it (CI=true, as .ci/run is
    // invoked there); elsewhere it runs on demand.
    if (process.env.SIM_SCALE !== '1000' && process.env.CI !== 'true')
      return t.skip('takes minutes: set SIM_SCALE=1000 (CI=true runs it)');
    const N = 1000;
    const wall = Date.now();
    // Only failures are read back: a thousand nodes' join events would be a million objects.
    const c = new GossipCluster(seed, { delayMs: 1, jitterMs: 4 }, false, (e) => e.type === 'member-failed');
    const nodes: SimGossipNode[] = [];
    for (let i = 0; i < N; i++) nodes.push(await c.add(`n${i}`));
    // Joins in waves of 50 at once, each through a random node already in the pool (every join is
    // still a real push/pull): 999 one-at-a-time joins would only stretch the virtual join phase.
    const pick = c.root.fork('joins');
    for (let i = 1; i < N; i += 50) {
      const wave: Array<Promise<{ n: number; err: string | null }>> = [];
      for (let j = i; j < Math.min(N, i + 50); j++) wave.push(c.join(nodes[j]!, nodes[pick.int(i)]!));
      for (const r of await Promise.all(wave)) assert.equal(r.err, null);
    }
    const tConv = await c.until(() => nodes.every((n) => c.count(n, 1) === N), 120_000, 500);
    assert.notEqual(tConv, null, 'the pool converges on one view');
    const victim = nodes[N - 1]!;
    c.kill(victim);
    const tFail = await c.until(
      () =>
        nodes
          .slice(0, N - 1)
          .every((n) => n.serf.allMembers().find((m) => m.name === victim.name)?.status === 4),
      150_000,
      250,
    );
    // Lifeguard: min = 4 × log10(1000) × 1 s = 12 s, max = 6 × min = 72 s; plus probe rounds, gossip.
    const min = suspicionTimeoutMs(4, N, 1000);
    assert.ok(
      tFail !== null && tFail >= min && tFail <= 6 * min + 10_000,
      `failure known to all after ${tFail} ms`,
    );
    for (const n of nodes.slice(0, N - 1)) assert.deepEqual(failedAbout(nodes, n.name), [], n.name);
    t.diagnostic(
      `1000 nodes: one view ${tConv} ms after the last join wave; failure known to all in ${tFail} ms (window ${min}–${6 * min} ms); ${((Date.now() - wall) / 1000).toFixed(1)} s wall`,
    );
  },
  // Past the runner's default per-test timeout: this one takes minutes.
  { timeout: 30 * 60_000 },
);

forEachSeed(
  'Lifeguard: 10% loss and a 30 s stall of one node declare no healthy node failed',
  [1, 2],
  async (seed, t) => {
    const N = 40;
    const c = new GossipCluster(seed, { delayMs: 2, jitterMs: 6 }, false);
    const nodes = await pool(c, N);
    assert.notEqual(await c.until(() => nodes.every((n) => c.count(n, 1) === N), 60_000, 100), null);
    for (const a of nodes) for (const b of nodes) if (a !== b) c.net.setLink(a.ip, b.ip, { loss: 0.1 });
    await c.runFor(60_000);
    const stalled = nodes[7]!;
    c.stallFor(stalled, 30_000);
    await c.runFor(90_000);
    // The stalled node may rightly have been declared failed while frozen; nobody else, ever.
    for (const n of nodes)
      if (n !== stalled) assert.deepEqual(failedAbout(nodes, n.name), [], `${n.name} falsely failed`);
    // It refutes on waking, and everyone sees it alive again.
    assert.notEqual(
      await c.until(
        () => nodes.every((n) => n.serf.allMembers().find((m) => m.name === stalled.name)?.status === 1),
        60_000,
        100,
      ),
      null,
    );
    const claims = failedAbout(nodes, stalled.name).length;
    t.diagnostic(
      `40 nodes, 10% loss, one 30 s stall: ${claims} nodes saw the stalled node fail, no healthy node declared failed`,
    );
  },
);
