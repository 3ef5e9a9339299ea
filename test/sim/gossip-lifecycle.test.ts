// memberlist behaviour around dead nodes and hostile streams, in simulation: a dead node's name is
// taken over by a new address only after DeadNodeReclaimTime; dead nodes stay gossip targets for
// GossipToTheDeadTime and no longer; garbage and truncated TCP push/pull streams are answered or
// dropped, counted, and the pool keeps working.
import assert from 'node:assert/strict';
import { forEachSeed } from './seed.js';
import { GossipCluster, type SimGossipNode } from './gossip-cluster.js';
import { METRIC } from '../../src/gossip/driver.js';
import { encodeStream, decodeStream } from '../../src/gossip/memberlist/packet.js';
import { MessageType } from '../../src/gossip/memberlist/messages.js';
import { ipToBytes } from '../../src/lib/ip-bytes.js';
import type { LogRecord } from '../../src/runtime/logger.js';
import { concatBytes } from '../../src/lib/bytes.js';

const addrOf = (c: GossipCluster, n: SimGossipNode, name: string) =>
  n.serf.allMembers().find((m) => m.name === name)?.addr;

async function pool(c: GossipCluster, names: string[], memberlist = {}): Promise<SimGossipNode[]> {
  const nodes: SimGossipNode[] = [];
  for (const name of names) nodes.push(await c.add(name, {}, { memberlist }));
  for (const n of nodes.slice(1)) assert.equal((await c.join(n, nodes[0]!)).err, null);
  assert.notEqual(
    await c.until(() => nodes.every((n) => names.every((x) => c.view(n)[x] === 'alive')), 20_000),
    null,
  );
  return nodes;
}

forEachSeed(
  'memberlist: a dead name is reclaimed by a new address only after the reclaim time',
  [1, 2],
  async (seed) => {
    const c = new GossipCluster(seed);
    const logs: LogRecord[] = [];
    c.log.subscribe('info', (r) => logs.push(r));
    const [a, b, x] = await pool(c, ['a', 'b', 'x'], { deadNodeReclaimMs: 20_000 });
    const oldIp = x!.ip;
    c.kill(x!);
    assert.notEqual(
      await c.until(() => c.view(a!).x === 'failed' && c.view(b!).x === 'failed', 60_000),
      null,
    );
    const x2 = await c.add('x', {}, { memberlist: { deadNodeReclaimMs: 20_000 } });
    assert.notEqual(x2.ip, oldIp);
    await c.join(x2, a!);
    await c.runFor(2000);
    // Too soon: a keeps the dead node at its old address and logs the conflict.
    assert.equal(addrOf(c, a!, 'x'), oldIp);
    assert.equal(c.view(a!).x, 'failed');
    assert.ok(logs.some((r) => r.message.startsWith('memberlist: Conflicting address for x.')));
    await c.runFor(20_000);
    assert.equal((await c.join(x2, a!)).err, null);
    assert.notEqual(
      await c.until(
        () => [a!, b!].every((n) => c.view(n).x === 'alive' && addrOf(c, n, 'x') === x2.ip),
        20_000,
      ),
      null,
    );
    assert.ok(
      logs.some((r) =>
        r.message.startsWith(
          `memberlist: Updating address for left or failed node x from ${oldIp}:8301 to ${x2.ip}:8301`,
        ),
      ),
    );
  },
);

forEachSeed('memberlist: dead nodes get gossip for GossipToTheDeadTime, then none', [1], async (seed) => {
  const c = new GossipCluster(seed);
  const nodes = await pool(c, ['a', 'b', 'c', 'd', 'victim']);
  const victim = nodes[4]!;
  const sends: number[] = [];
  c.net.onTrace((e) => {
    if (e.proto === 'udp' && e.kind === 'send' && e.to.startsWith(`${victim.ip}:`)) sends.push(e.at);
  });
  c.kill(victim);
  assert.notEqual(
    await c.until(() => nodes.slice(0, 4).every((n) => c.view(n).victim === 'failed'), 60_000),
    null,
  );
  const dead = c.sched.now();
  // memberlist gossips only when it has broadcasts: keep some coming, a user event a second.
  for (let i = 0; i < 60; i++) {
    nodes[i % 4]!.driver.run(() => nodes[i % 4]!.serf.userEvent(`tick${i}`, new Uint8Array(), false));
    await c.runFor(1000);
  }
  // LAN GossipToTheDeadTime is 30 s from when each node marked it dead.
  const within = sends.filter((t) => t > dead && t < dead + 20_000).length;
  const after = sends.filter((t) => t > dead + 32_000).length;
  assert.ok(within > 10, `${within} datagrams to the dead node in its first 20 s dead`);
  assert.equal(after, 0, 'no gossip to it past GossipToTheDeadTime');
});

forEachSeed(
  'memberlist: garbage and truncated push/pull streams are refused and counted',
  [1, 2],
  async (seed) => {
    const c = new GossipCluster(seed);
    const [a, b] = await pool(c, ['a', 'b']);
    const logs: LogRecord[] = [];
    c.log.subscribe('error', (r) => logs.push(r));
    const attacker = c.net.host('10.9.9.9');
    const send = async (bytes: Uint8Array, close: boolean) => {
      const conn = await c.sched.settle(attacker.connect({ ip: a!.ip, port: 8301 }, 1000), 1000);
      let got: Uint8Array = new Uint8Array();
      conn.onData((d) => (got = concatBytes(got, d)));
      conn.write(bytes);
      if (close) conn.end();
      await c.runFor(500);
      return got;
    };
    // Garbage: memberlist's listener answers with an err message naming the problem.
    const reply = await send(Uint8Array.of(0x77, 1, 2, 3), false);
    let m = decodeStream(reply).messages[0];
    while (m?.kind === 'compress') m = m.inner;
    assert.equal(m?.kind, 'message');
    assert.equal(m.kind === 'message' && m.type, MessageType.err);
    assert.match(String(m.kind === 'message' ? m.fields.Error : ''), /unknown stream message type 119/);
    // A push/pull that promises three node states and sends one, then hangs up.
    const pp = encodeStream({
      label: '',
      messages: [
        {
          kind: 'pushPull',
          header: { Join: false, Nodes: 3, UserStateLen: 0 },
          nodes: [
            {
              Addr: ipToBytes('10.9.9.9'),
              Incarnation: 1,
              Meta: new Uint8Array(),
              Name: 'ghost',
              Port: 8301,
              State: 0,
              Vsn: Uint8Array.of(1, 5, 2, 2, 5, 4),
            },
          ],
          userState: new Uint8Array(),
        },
      ],
    });
    assert.deepEqual(await send(pp, true), new Uint8Array());
    assert.ok(logs.some((r) => /failed to receive: unexpected EOF from=10\.9\.9\.9:/.test(r.message)));
    assert.equal(a!.driver.metrics()[METRIC.tcpDropped], 2);
    assert.equal(c.view(a!).ghost, undefined, 'nothing merged from the truncated state');
    // The pool still works.
    a!.driver.run(() => a!.serf.userEvent('after', new Uint8Array([1]), false));
    assert.notEqual(
      await c.until(() => b!.events.some((e) => e.type === 'user' && e.name === 'after'), 5000),
      null,
    );
  },
);
