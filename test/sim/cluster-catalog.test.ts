// A 5-server, 20-client cluster of whole agents on virtual time, under partitions, crashes, restarts
// and a graceful leave. After healing, every server's catalog must equal the leader's LAN members:
// each member not `left` is a catalog node whose serfHealth says alive or failed as Serf does, a
// member that left is gone, and no node the members do not know lingers (no zombies).
import assert from 'node:assert/strict';
import { forEachSeed } from './seed.js';
import { Scheduler } from './scheduler.js';
import { SimNetwork } from './network.js';
import { simRng } from './rng.js';
import { SimMachine } from './agent-cluster.js';
import { MemberStatus } from '../../src/gossip/serf/serf.js';
import type { Agent } from '../../src/agent/agent.js';

const SERVERS = 5;
const CLIENTS = 20;
const serverIp = (i: number) => `10.0.0.${i + 1}`;
const clientIp = (i: number) => `10.0.1.${i + 1}`;

/** What a server's catalog says of each node: its serfHealth status ('' when it has none). */
function catalogView(a: Agent): Map<string, string> {
  const st = a.server!.state.catalog;
  return new Map(
    st
      .listNodes()
      .map((n) => [n.Node, st.nodeChecks(n.Node).find((c) => c.CheckID === 'serfHealth')?.Status ?? '']),
  );
}

/** What the catalog should say, from one agent's LAN pool. */
function expectedView(a: Agent): Map<string, string> {
  const want = new Map<string, string>();
  for (const m of a.gossip!.members('lan')) {
    if (m.status === MemberStatus.alive) want.set(m.name, 'passing');
    else if (m.status === MemberStatus.failed) want.set(m.name, 'critical');
  }
  return want;
}

const show = (m: Map<string, string>) =>
  [...m]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');

forEachSeed(
  '5 servers and 20 clients: after partitions, crashes and restarts every catalog equals the members',
  [1, 2, 3, 4, 5],
  import.meta.url,
  async (seed) => {
    const sched = new Scheduler();
    const rng = simRng(seed);
    const net = new SimNetwork(sched, rng.fork('net'), { delayMs: 1, jitterMs: 2 });
    const joins = Array.from({ length: SERVERS }, (_, i) => serverIp(i));
    const common = { retry_join: joins, retry_interval: '1s', performance: { raft_multiplier: 1 } };
    const servers = Array.from(
      { length: SERVERS },
      (_, i) =>
        new SimMachine(sched, net, rng, `s${i + 1}`, serverIp(i), {
          ...common,
          server: true,
          bootstrap_expect: SERVERS,
        }),
    );
    const clients = Array.from(
      { length: CLIENTS },
      (_, i) => new SimMachine(sched, net, rng, `c${i + 1}`, clientIp(i), common),
    );
    const all = [...servers, ...clients];
    for (const m of all) await sched.settle(m.start(), 10_000);

    /** Runs virtual time until every live server's catalog equals its members' view, or fails. */
    const converge = async (what: string, maxMs: number) => {
      const end = sched.now() + maxMs;
      let last = '';
      for (;;) {
        await sched.runForAsync(1_000);
        const live = servers.filter((s) => s.agent?.server);
        const leaders = live.filter((s) => s.agent!.server!.isLeader());
        // The leader's pool is the reference: a server restarted after a member died never hears of
        // it (memberlist ignores news of the death of nodes it does not know), as in Consul.
        const want = leaders.length === 1 ? show(expectedView(leaders[0]!.agent!)) : '(no single leader)';
        const views = live.map((s) => [s.name, show(catalogView(s.agent!))] as const);
        if (leaders.length === 1 && views.every(([, got]) => got === want)) return;
        last = `members (leader): ${want}\n` + views.map(([n, got]) => `${n} catalog: ${got}`).join('\n');
        if (sched.now() > end)
          assert.fail(`${what}: catalogs do not match the members by t=${sched.now()} ms\n${last}`);
      }
    };

    await converge('formation', 60_000);
    const r = rng.fork('faults');

    // A partition cutting two servers and half the clients off, for longer than failure detection.
    const cut = [serverIp(3), serverIp(4), ...clients.slice(0, CLIENTS / 2).map((c) => c.ip)];
    const rest = all.map((m) => m.ip).filter((ip) => !cut.includes(ip));
    net.partition(cut, rest);
    await sched.runForAsync(20_000 + r.int(10_000));
    // The fault took effect: the majority side leads and has marked the cut-off clients failed.
    const majority = servers.find((s) => !cut.includes(s.ip) && s.agent?.server?.isLeader());
    assert.ok(majority, 'a leader on the majority side');
    assert.equal(catalogView(majority.agent!).get(clients[0]!.name), 'critical');
    net.heal();
    await converge('after the partition healed', 120_000);

    // The leader cut off from everyone: the others elect another, and the old one rejoins as follower.
    const old = servers.find((s) => s.agent?.server?.isLeader())!;
    net.isolate(old.ip);
    await sched.runForAsync(15_000 + r.int(5_000));
    assert.ok(
      servers.some((s) => s !== old && s.agent?.server?.isLeader()),
      'another server took over',
    );
    net.heal();
    await converge('after the leader was isolated', 120_000);

    // Clients crash; some come back, one stays dead (failed, kept, critical).
    const first = r.int(CLIENTS / 2);
    const crashed = [0, 1, 2].map((k) => clients[first + k]!);
    for (const c of crashed) c.crash();
    await sched.runForAsync(15_000);
    for (const c of crashed.slice(1)) await sched.settle(c.start(), 10_000);
    // A follower server crashes and restarts from its disk.
    const follower = servers.find((s) => s.agent && !s.agent.server!.isLeader())!;
    follower.crash();
    await sched.runForAsync(5_000 + r.int(5_000));
    await sched.settle(follower.start(), 10_000);
    // A client leaves gracefully: gone from every catalog, not failed.
    const leaver = clients[CLIENTS - 1]!;
    await sched.settle(leaver.leave(), 30_000);
    await converge('after crashes, restarts and a leave', 120_000);

    const leaderOf = () => servers.find((s) => s.agent?.server?.isLeader())!;
    /** The leader's Raft configuration: node name → voter. */
    const raftConf = () =>
      new Map(
        leaderOf()
          .agent!.server!.raftConfiguration('')
          .Servers.map((x) => [String(x.Node), x.Voter === true] as const),
      );
    /** Runs virtual time until `ok`, or fails with what the leader's configuration was. */
    const until = async (what: string, ok: () => boolean, maxMs: number) => {
      const end = sched.now() + maxMs;
      while (!ok()) {
        if (sched.now() > end)
          assert.fail(
            `${what} by t=${sched.now()} ms: ${show(new Map([...raftConf()].map(([k, v]) => [k, String(v)])))} leader=${leaderOf().name} members=${leaderOf()
              .agent!.gossip!.members('lan')
              .filter((m) => m.tags.get('role') === 'consul')
              .map((m) => `${m.name}:${m.status}:${m.tags.get('id')}`)
              .join(',')} conf=${JSON.stringify(
              leaderOf()
                .agent!.server!.raftConfiguration('')
                .Servers.map((x) => x.ID),
            )}`,
          );
        await sched.runForAsync(1_000);
      }
    };
    // Autopilot: a server that was removed while down comes back as a nonvoter and is promoted again.
    await until('five voters', () => [...raftConf().values()].filter(Boolean).length === SERVERS, 60_000);

    const view = catalogView(leaderOf().agent!);
    assert.equal(view.get(crashed[0]!.name), 'critical', 'the dead client is failed, not removed');
    assert.equal(view.has(leaver.name), false, 'the client that left is deregistered');
    for (const c of crashed.slice(1)) assert.equal(view.get(c.name), 'passing', `${c.name} is back`);

    // A server dies for good: autopilot's cleanup_dead_servers force-leaves it (one of five may go),
    // which takes it out of Raft and, as a member that left, out of the catalog.
    const dead = servers.find((s) => s.agent && !s.agent.server!.isLeader())!;
    dead.crash();
    await until('the dead server removed from Raft', () => !raftConf().has(dead.name), 60_000);
    assert.equal(raftConf().size, SERVERS - 1);
    await converge('after autopilot removed the dead server', 60_000);
    assert.equal(catalogView(leaderOf().agent!).has(dead.name), false);
    for (const m of all) m.crash();
  },
  { timeout: 600_000 },
);
