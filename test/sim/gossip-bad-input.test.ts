// Hostile datagrams and streams at a live node: garbage, truncated, oversized, wrongly keyed, replayed
// and wrongly labelled input is dropped with a log line and a counter (GossipDriver.dropped), never a
// crash, and the node keeps gossiping with its peers throughout.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { forEachSeed } from './seed.js';
import { GossipCluster } from './gossip-cluster.js';
import { encodeBody, outerPacket, userMessage } from '../../src/gossip/memberlist/frame.js';
import { METRIC } from '../../src/gossip/driver.js';
import { SERF_METRIC } from '../../src/gossip/serf/serf.js';
import { MessageType } from '../../src/gossip/memberlist/messages.js';
import { ipToBytes } from '../../src/lib/ip-bytes.js';
import type { LogRecord } from '../../src/runtime/logger.js';

forEachSeed(
  'gossip: hostile input is dropped with a log line and a count, the pool keeps working',
  [1, 2],
  async (seed) => {
    const c = new GossipCluster(seed);
    const a = await c.add('a');
    const b = await c.add('b');
    assert.equal((await c.join(b, a)).err, null);
    const logs: LogRecord[] = [];
    c.log.subscribe('warn', (r) => logs.push(r));
    const attacker = await c.net.host('10.9.9.9').bind({ ip: '10.9.9.9', port: 9999 });
    const to = { ip: a.ip, port: 8301 };
    const rng = c.root.fork('garbage');
    const ping = encodeBody(MessageType.ping, { SeqNo: 1, Node: 'a' });
    const wrongKey = outerPacket(
      ping,
      {
        keys: [new Uint8Array(32).fill(7)],
        label: '',
        encrypt: true,
        compress: false,
        nonce: () => rng.bytes(12),
      },
      false,
    );
    const labelled = outerPacket(
      ping,
      { keys: [], label: 'partition-x', encrypt: false, compress: false, nonce: () => rng.bytes(12) },
      false,
    );
    const sends: Uint8Array[] = [
      new Uint8Array(),
      Uint8Array.of(0xff, 0x00, 0x13),
      ping.subarray(0, ping.length - 3), // truncated
      Uint8Array.of(MessageType.compound, 3, 0, 200), // compound lengths past the end
      Uint8Array.of(MessageType.hasCrc, 0, 0, 0, 1, ...ping), // CRC mismatch
      wrongKey,
      labelled,
      new Uint8Array(60_000).fill(0x82), // oversized nonsense
    ];
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        sends.push(bytes);
        return true;
      }),
      { seed, numRuns: 200 },
    );
    for (const s of sends) attacker.send(to, s);
    // Replays: an old alive about b (incarnation 1) and a forged suspicion of a itself, again and again.
    const oldAlive = encodeBody(MessageType.alive, {
      Node: 'b',
      Incarnation: 1,
      Addr: ipToBytes('10.9.9.9'),
      Port: 1,
      Meta: new Uint8Array(),
      Vsn: Uint8Array.of(1, 5, 2, 2, 5, 4),
    });
    for (let i = 0; i < 5; i++) attacker.send(to, oldAlive);
    await c.runFor(5000);
    const dropped = [...a.driver.dropped.values()].reduce((x, y) => x + y, 0);
    assert.ok(dropped >= 7, `dropped ${dropped}: ${JSON.stringify([...a.driver.dropped])}`);
    assert.ok(logs.some((r) => /failed to decode packet|Decrypt packet failed/.test(r.message)));
    // A replayed alive for b from another address is a conflict, not a takeover.
    assert.equal(a.serf.allMembers().find((m) => m.name === 'b')?.addr, b.ip);
    assert.ok(logs.some((r) => /Conflicting address for b/.test(r.message)));
    // Still one healthy pool: a user event crosses after the barrage.
    a.driver.run(() => a.serf.userEvent('after', new Uint8Array([1]), false));
    assert.notEqual(
      await c.until(() => b.events.some((e) => e.type === 'user' && e.name === 'after'), 5000),
      null,
    );
    assert.deepEqual(c.view(a), { a: 'alive', b: 'alive' });
  },
);

forEachSeed('gossip: drop counters by metric name, the driver’s and Serf’s', [1], async (seed) => {
  const c = new GossipCluster(seed);
  const a = await c.add('a');
  const b = await c.add('b');
  assert.equal((await c.join(b, a)).err, null);
  assert.deepEqual(a.driver.metrics(), {
    [METRIC.udpDecode]: 0,
    [METRIC.udpDecrypt]: 0,
    [METRIC.tcpDropped]: 0,
  });
  const attacker = await c.net.host('10.9.9.9').bind({ ip: '10.9.9.9', port: 9999 });
  const to = { ip: a.ip, port: 8301 };
  const plain = { keys: [], label: '', encrypt: false, compress: false, nonce: () => new Uint8Array(12) };
  attacker.send(to, Uint8Array.of(0xff, 1, 2)); // no such memberlist message type
  attacker.send(to, Uint8Array.of(0xff, 3));
  // A well-formed memberlist user message whose Serf payload is nonsense.
  attacker.send(to, outerPacket(userMessage(Uint8Array.of(200, 1, 2, 3)), plain, false));
  await c.runFor(1000);
  const m = a.driver.metrics();
  assert.equal(m[METRIC.udpDecode], 2);
  assert.equal(m[METRIC.udpDecrypt], 0);
  assert.equal(m[SERF_METRIC.msgDecode], 1);
  assert.equal(b.driver.metrics()[METRIC.udpDecode], 0);
});
