// Serf's user-event coalescing in simulation: with UserCoalescePeriod/UserQuiescentPeriod set, events
// sent with coalesce=true are held and only the latest of each name is delivered when the window
// closes; coalesce=false events, and every event on a node without the periods (Consul), pass at once.
import assert from 'node:assert/strict';
import { forEachSeed } from './seed.js';
import { GossipCluster, type SimGossipNode } from './gossip-cluster.js';

const userEvents = (n: SimGossipNode) =>
  n.events.flatMap((e) => (e.type === 'user' ? [`${e.name}=${e.payload[0]}`] : []));

forEachSeed(
  'serf user events: coalesce=true keeps the latest per name within the window',
  [1, 2],
  async (seed) => {
    const c = new GossipCluster(seed);
    const sender = await c.add('sender');
    const coalescing = await c.add(
      'coalescing',
      {},
      { serf: { userCoalescePeriodMs: 2000, userQuiescentPeriodMs: 500 } },
    );
    const plain = await c.add('plain');
    for (const n of [coalescing, plain]) assert.equal((await c.join(n, sender)).err, null);
    await c.runFor(2000);
    const fire = (name: string, v: number, coalesce: boolean) =>
      sender.driver.run(() => assert.equal(sender.serf.userEvent(name, Uint8Array.of(v), coalesce), null));
    fire('deploy', 1, true);
    fire('deploy', 2, true);
    fire('restart', 1, true);
    fire('ping', 1, false);
    fire('deploy', 3, true);
    // Uncoalesced events arrive as gossip brings them; the held ones not before the quiescent time.
    assert.notEqual(await c.until(() => userEvents(coalescing).includes('ping=1'), 400, 10), null);
    assert.deepEqual(userEvents(coalescing), ['ping=1']);
    await c.runFor(3000);
    assert.deepEqual(userEvents(coalescing).sort(), ['deploy=3', 'ping=1', 'restart=1']);
    assert.deepEqual(userEvents(plain).sort(), ['deploy=1', 'deploy=2', 'deploy=3', 'ping=1', 'restart=1']);

    // A steady trickle inside the period still flushes when the period ends.
    for (let i = 4; i < 8; i++) {
      fire('deploy', i, true);
      await c.runFor(400);
    }
    await c.runFor(2000);
    const deploys = userEvents(coalescing).filter((x) => x.startsWith('deploy'));
    assert.ok(deploys.length >= 2 && deploys.length < 5, deploys.join(' '));
    assert.equal(deploys[deploys.length - 1], 'deploy=7');
  },
);
