// Serf's reaper in simulation, with short timeouts: a failed member is erased once reconnect_timeout
// has passed since it failed, a left one once tombstone_timeout has; a member's advertised `rc_tm`
// (Consul's advertise_reconnect_timeout, a Go duration) replaces the pool's reconnect timeout for it.
import assert from 'node:assert/strict';
import { forEachSeed } from './seed.js';
import { GossipCluster, type SimGossipNode } from './gossip-cluster.js';
import type { LogRecord } from '../../src/runtime/logger.js';

const REAP = { reapIntervalMs: 1000, reconnectTimeoutMs: 60_000, tombstoneTimeoutMs: 20_000 };

async function pool(c: GossipCluster, tags: Array<Record<string, string>>): Promise<SimGossipNode[]> {
  const nodes: SimGossipNode[] = [];
  for (let i = 0; i < tags.length; i++) nodes.push(await c.add(`n${i}`, tags[i], { serf: REAP }));
  for (const n of nodes.slice(1)) assert.equal((await c.join(n, nodes[0]!)).err, null);
  const all = nodes.map((n) => n.name);
  assert.notEqual(
    await c.until(() => nodes.every((n) => all.every((x) => c.view(n)[x] === 'alive')), 20_000),
    null,
  );
  return nodes;
}

/** Virtual ms from now until `name` has gone from n's member list (reaped). */
async function untilReaped(c: GossipCluster, n: SimGossipNode, name: string, maxMs: number) {
  return c.until(() => c.view(n)[name] === undefined, maxMs, 100);
}

forEachSeed(
  'serf reap: failed after reconnect_timeout, left after tombstone_timeout',
  [1, 2],
  async (seed) => {
    const c = new GossipCluster(seed);
    const [a, , victim, leaver] = await pool(c, [{}, {}, {}, {}]);
    c.kill(victim!);
    assert.notEqual(await c.until(() => c.view(a!)[victim!.name] === 'failed', 60_000), null);
    const tReap = await untilReaped(c, a!, victim!.name, 120_000);
    // Reaped on the first reap tick after 60 s in the failed list, not before.
    assert.ok(tReap !== null && tReap > 59_000 && tReap <= 62_000, `failed member reaped after ${tReap} ms`);
    assert.ok(a!.events.some((e) => e.type === 'member-reap' && e.members[0]!.name === victim!.name));

    assert.equal(await c.leave(leaver!), null);
    assert.notEqual(await c.until(() => c.view(a!)[leaver!.name] === 'left', 10_000), null);
    const tTomb = await untilReaped(c, a!, leaver!.name, 60_000);
    assert.ok(tTomb !== null && tTomb > 19_000 && tTomb <= 22_000, `left member reaped after ${tTomb} ms`);
  },
);

forEachSeed("serf reap: a member's rc_tm tag overrides the reconnect timeout for it", [1], async (seed) => {
  const c = new GossipCluster(seed);
  const logs: LogRecord[] = [];
  c.log.subscribe('warn', (r) => logs.push(r));
  const [a, short, bad] = await pool(c, [{}, { rc_tm: '0h0m15s' }, { rc_tm: 'soon' }]);
  c.kill(short!);
  c.kill(bad!);
  assert.notEqual(
    await c.until(() => c.view(a!)[short!.name] === 'failed' && c.view(a!)[bad!.name] === 'failed', 60_000),
    null,
  );
  const tShort = await untilReaped(c, a!, short!.name, 60_000);
  assert.ok(
    tShort !== null && tShort > 14_000 && tShort <= 17_000,
    `rc_tm=15s member reaped after ${tShort} ms`,
  );
  // A malformed tag is warned about and the pool's 60 s applies.
  assert.equal(c.view(a!)[bad!.name], 'failed');
  assert.ok(
    logs.some((r) => r.message === 'Member is advertising a malformed reconnect timeout'),
    JSON.stringify(logs.map((r) => r.message)),
  );
  assert.notEqual(await untilReaped(c, a!, bad!.name, 60_000), null);
});
