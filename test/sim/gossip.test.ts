// Serf + memberlist in simulation: a pool forms through one seed node, a killed node is declared
// failed by everyone, a graceful leave reads "left", events and queries reach everyone.
import assert from 'node:assert/strict';
import { forEachSeed } from './seed.js';
import { GossipCluster, type SimGossipNode } from './gossip-cluster.js';

forEachSeed('gossip: 5 nodes converge, detect a kill, record a leave', [1, 2, 3], async (seed) => {
  const c = new GossipCluster(seed);
  const nodes: SimGossipNode[] = [];
  for (let i = 0; i < 5; i++) nodes.push(await c.add(`n${i}`, { role: 'node' }));
  for (const n of nodes.slice(1)) {
    const r = await c.join(n, nodes[0]!);
    assert.equal(r.err, null);
    assert.equal(r.n, 1);
  }
  const allAlive = (names: string[]) => () =>
    nodes.filter((n) => n.up).every((n) => names.every((x) => c.view(n)[x] === 'alive'));
  const names = nodes.map((n) => n.name);
  assert.notEqual(await c.until(allAlive(names), 10_000), null, 'pool converges');
  assert.equal(
    nodes[3]!.serf
      .allMembers()
      .find((m) => m.name === 'n1')
      ?.tags.get('role'),
    'node',
  );

  // kill -9 n4: every survivor must call it failed (suspicion 4 s × log10(5)… plus probe rounds).
  c.kill(nodes[4]!);
  const failedEverywhere = () => nodes.slice(0, 4).every((n) => c.view(n)['n4'] === 'failed');
  const tFail = await c.until(failedEverywhere, 60_000);
  assert.ok(
    tFail !== null && tFail >= 4000,
    `n4 failed everywhere after the suspicion timeout (${tFail} ms): ${JSON.stringify(nodes.slice(0, 4).map((n) => c.view(n)))}`,
  );

  // Graceful leave of n3: "left", not "failed".
  assert.equal(await c.leave(nodes[3]!), null);
  const leftEverywhere = () => nodes.slice(0, 3).every((n) => c.view(n)['n3'] === 'left');
  assert.notEqual(
    await c.until(leftEverywhere, 30_000),
    null,
    JSON.stringify(nodes.slice(0, 3).map((n) => c.view(n))),
  );
  // The survivors still see each other alive: no false failure.
  assert.ok(allAlive(['n0', 'n1', 'n2'])());
});

forEachSeed('gossip: user events and queries reach every node once', [1, 2], async (seed) => {
  const c = new GossipCluster(seed, { delayMs: 1, jitterMs: 3, loss: 0.05 });
  const nodes: SimGossipNode[] = [];
  for (let i = 0; i < 4; i++) nodes.push(await c.add(`n${i}`));
  for (const n of nodes.slice(1)) assert.equal((await c.join(n, nodes[0]!)).err, null);
  await c.until(() => nodes.every((n) => n.serf.allMembers().length === 4), 10_000);
  assert.equal(
    nodes[2]!.driver.run(() => nodes[2]!.serf.userEvent('deploy', new TextEncoder().encode('v1'), false)),
    null,
  );
  const got = (n: SimGossipNode) => n.events.filter((e) => e.type === 'user' && e.name === 'deploy').length;
  assert.notEqual(await c.until(() => nodes.every((n) => got(n) === 1), 10_000), null);
  await c.runFor(5000);
  assert.deepEqual(nodes.map(got), [1, 1, 1, 1], 'each node delivers the event exactly once');

  // A query from n1: every node's handler responds; acks from all. Responses go once over UDP
  // (no retransmission, as in Serf), so this part runs on loss-free links.
  for (const a of nodes) for (const b of nodes) if (a !== b) c.net.setLink(a.ip, b.ip, { loss: 0 });
  for (const n of nodes) n.events.length = 0;
  const h = nodes[1]!.driver.run(() => nodes[1]!.serf.query('who', new Uint8Array(), { requestAck: true }));
  assert.ok(typeof h !== 'string');
  await c.until(() => nodes.every((n) => n.events.some((e) => e.type === 'query')), 5000, 10);
  for (const n of nodes) {
    const q = n.events.find((e) => e.type === 'query');
    assert.ok(q && q.type === 'query');
    n.driver.run(() => q.query.respond(new TextEncoder().encode(`hi from ${n.name}`)));
  }
  await c.until(() => h.finished, 10_000);
  assert.deepEqual([...h.responses.map((r) => r.from)].sort(), ['n0', 'n1', 'n2', 'n3']);
  assert.deepEqual([...h.acks].sort(), ['n0', 'n1', 'n2', 'n3']);
});

forEachSeed(
  'gossip labels: nodes sharing a label pool; a node with another label is refused',
  [1],
  async (seed) => {
    const c = new GossipCluster(seed);
    const a = await c.add('a', {}, { memberlist: { label: 'blue' } });
    const b = await c.add('b', {}, { memberlist: { label: 'blue' } });
    const other = await c.add('other', {}, { memberlist: { label: 'green' } });
    const plain = await c.add('plain');
    assert.deepEqual(await c.join(b, a), { n: 1, err: null });
    assert.notEqual(await c.until(() => c.view(a).b === 'alive' && c.view(b).a === 'alive', 10_000), null);
    // Another label, or none, is not the same pool: the push/pull is refused and nothing merges.
    for (const n of [other, plain]) {
      const r = await c.join(n, a);
      assert.equal(r.n, 0, `${n.name} joined a labelled pool`);
      assert.ok(r.err, `${n.name}: no error`);
    }
    await c.until(() => false, 5_000);
    assert.deepEqual(Object.keys(c.view(a)).sort(), ['a', 'b']);
    assert.deepEqual(Object.keys(c.view(other)), ['other']);
  },
);
