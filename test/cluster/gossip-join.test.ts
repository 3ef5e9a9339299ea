// Real agents forming a LAN pool over gossip on 127.0.0.220–225: `consul join`, `consul members` on
// every agent, the leader mirroring members into the catalog, graceful leave vs kill -9, the seed's
// node-ID conflict refusal, and gossip encryption (a node without the key cannot join).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  agentUp,
  consul,
  httpGet,
  startConsul,
  startNodeAgent,
  stop,
  waitFor,
  type Proc,
} from '../helpers/process.js';

const procs: Proc[] = [];
const dirs: string[] = [];
after(async () => {
  await Promise.all(procs.map(stop));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const agent = (name: string, ip: string, extra: string[] = []): Proc =>
  startNodeAgent(name, ip, extra, { procs, dirs }, 'proconsul-gossip-');

const up = (ip: string) => agentUp(ip);

async function members(ip: string): Promise<Record<string, number>> {
  const r = await httpGet(`http://${ip}:8500/v1/agent/members`);
  const list = JSON.parse(r.body) as Array<{ Name: string; Status: number }>;
  return Object.fromEntries(list.map((m) => [m.Name, m.Status]));
}

async function catalogNodes(ip: string): Promise<string[]> {
  const r = await httpGet(`http://${ip}:8500/v1/catalog/nodes`);
  return (JSON.parse(r.body) as Array<{ Node: string }>).map((n) => n.Node);
}

async function serfHealth(ip: string, node: string): Promise<string | undefined> {
  const r = await httpGet(`http://${ip}:8500/v1/health/node/${node}`);
  return (JSON.parse(r.body) as Array<{ CheckID: string; Status: string }>).find(
    (c) => c.CheckID === 'serfHealth',
  )?.Status;
}

test(
  'agents join over gossip; members and catalog follow joins, leaves and kills',
  { timeout: 120_000 },
  async () => {
    const s = agent('g-server', '127.0.0.220', ['-server', '-bootstrap']);
    const a = agent('g-client-a', '127.0.0.221');
    const b = agent('g-client-b', '127.0.0.222');
    await Promise.all(['127.0.0.220', '127.0.0.221', '127.0.0.222'].map(up));

    // Before joining, each agent lists only itself (as the seed shows).
    assert.deepEqual(await members('127.0.0.221'), { 'g-client-a': 1 });

    let r = consul(['join', '-http-addr=127.0.0.221:8500', '127.0.0.220']);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'Successfully joined cluster by contacting 1 nodes.\n');
    r = consul(['join', '--http-addr', '127.0.0.222:8500', '127.0.0.220:8301']);
    assert.equal(r.code, 0, r.err);

    const all = { 'g-server': 1, 'g-client-a': 1, 'g-client-b': 1 };
    for (const ip of ['127.0.0.220', '127.0.0.221', '127.0.0.222'])
      await waitFor(
        `3 alive members on ${ip}`,
        async () => JSON.stringify(await members(ip)) === JSON.stringify(sortKeys(all)),
        10_000,
      );

    const table = consul(['members', '-http-addr=127.0.0.222:8500']);
    assert.equal(table.code, 0);
    const rows = table.out.trim().split('\n');
    assert.match(rows[0]!, /^Node +Address +Status +Type +Build +Protocol +DC +Partition +Segment$/);
    assert.match(
      rows[1]!,
      /^g-server +127\.0\.0\.220:8301 +alive +server +1\.16\.4 +2 +dc1 +default +<all>$/,
    );
    assert.match(
      rows[2]!,
      /^g-client-a +127\.0\.0\.221:8301 +alive +client +1\.16\.4 +2 +dc1 +default +<default>$/,
    );

    // Agents report Vivaldi coordinates; consul rtt estimates from them.
    await waitFor(
      'coordinates of all three',
      async () =>
        (JSON.parse((await httpGet('http://127.0.0.221:8500/v1/coordinate/nodes')).body) as unknown[])
          .length === 3,
      20_000,
    );
    const rtt = consul(['rtt', '-http-addr=127.0.0.221:8500', 'g-server']);
    assert.equal(rtt.code, 0, rtt.err);
    assert.match(
      rtt.out,
      /^Estimated g-server <-> g-client-a rtt: \d+\.\d{3} ms \(using LAN coordinates\)\n$/,
    );
    const none = consul(['rtt', '-http-addr=127.0.0.221:8500', 'nobody']);
    assert.equal(none.code, 1);
    assert.equal(none.err, 'Could not find a coordinate for node "nobody"\n');

    // The leader mirrors the pool into the catalog with serfHealth passing.
    await waitFor(
      'catalog has all nodes',
      async () => (await catalogNodes('127.0.0.220')).length === 3,
      20_000,
    );
    assert.equal(await serfHealth('127.0.0.220', 'g-client-a'), 'passing');

    // Graceful leave: "left" everywhere, node deregistered.
    r = consul(['leave', '-http-addr=127.0.0.221:8500']);
    assert.equal(r.code, 0, r.err);
    assert.equal(await a.exited, 0);
    await waitFor('g-client-a left', async () => (await members('127.0.0.220'))['g-client-a'] === 3, 10_000);
    await waitFor(
      'g-client-a deregistered',
      async () => !(await catalogNodes('127.0.0.220')).includes('g-client-a'),
      10_000,
    );
    assert.equal((await members('127.0.0.222'))['g-client-a'], 3);

    // kill -9: "failed", node kept with serfHealth critical.
    b.child.kill('SIGKILL');
    await b.exited;
    await waitFor(
      'g-client-b failed',
      async () => (await members('127.0.0.220'))['g-client-b'] === 4,
      30_000,
    );
    await waitFor(
      'serfHealth critical',
      async () => (await serfHealth('127.0.0.220', 'g-client-b')) === 'critical',
      10_000,
    );
    assert.ok((await catalogNodes('127.0.0.220')).includes('g-client-b'));

    // force-leave turns the failed member into "left".
    r = consul(['force-leave', '-http-addr=127.0.0.220:8500', 'g-client-b']);
    assert.equal(r.code, 0, r.err);
    await waitFor(
      'g-client-b left after force-leave',
      async () => (await members('127.0.0.220'))['g-client-b'] === 3,
      10_000,
    );
    void s;
  },
);

test(
  "a joining agent with this agent's node ID is refused with the seed's message",
  { timeout: 60_000 },
  async () => {
    const id = 'b76ff298-accd-05ff-8c64-5d79d866dfa9';
    agent('consul-server01', '127.0.0.223', ['-node-id', id]);
    agent('consul-server02', '127.0.0.224', ['-node-id', id]);
    await Promise.all(['127.0.0.223', '127.0.0.224'].map(up));
    const r = consul(['join', '--http-addr', '127.0.0.224:8500', '127.0.0.223']);
    assert.equal(r.code, 1);
    assert.match(
      r.err,
      /Error joining address '127\.0\.0\.223': Unexpected response code: 500 \(1 error occurred:\n\t\* Failed to join 127\.0\.0\.223:8301: Member 'consul-server01' has conflicting node ID 'b76ff298-accd-05ff-8c64-5d79d866dfa9' with this agent's ID/,
    );
    assert.match(r.err, /Failed to join any nodes\.\n$/);
    assert.deepEqual(await members('127.0.0.224'), { 'consul-server02': 1 });
    assert.equal((await members('127.0.0.223'))['consul-server02'], undefined);
  },
);

test(
  'gossip encryption: agents sharing the key join; one without it is refused',
  { timeout: 60_000 },
  async () => {
    const key = consul(['keygen']).out.trim();
    assert.match(key, /^[A-Za-z0-9+/]{43}=$/);
    agent('enc-a', '127.0.0.225', ['-encrypt', key]);
    agent('enc-b', '127.0.0.226', ['-encrypt', key]);
    agent('plain-c', '127.0.0.227');
    await Promise.all(['127.0.0.225', '127.0.0.226', '127.0.0.227'].map(up));
    let r = consul(['join', '-http-addr=127.0.0.226:8500', '127.0.0.225']);
    assert.equal(r.code, 0, r.err);
    await waitFor('enc pool', async () => Object.keys(await members('127.0.0.225')).length === 2, 10_000);
    r = consul(['join', '-http-addr=127.0.0.227:8500', '127.0.0.225']);
    assert.equal(r.code, 1);
    // memberlist's listener answers a plaintext push/pull with an encrypted err message, which the
    // keyless joiner cannot read; the other way round the encrypting joiner refuses the plaintext answer.
    assert.match(
      r.err,
      /Failed to join 127\.0\.0\.225:8301: Remote state is encrypted and encryption is not configured/,
    );
    r = consul(['join', '-http-addr=127.0.0.225:8500', '127.0.0.227']);
    assert.equal(r.code, 1);
    assert.match(
      r.err,
      /Failed to join 127\.0\.0\.227:8301: Encryption is configured but remote state is not encrypted/,
    );
    assert.deepEqual(Object.keys(await members('127.0.0.225')).sort(), ['enc-a', 'enc-b']);
    assert.deepEqual(Object.keys(await members('127.0.0.227')), ['plain-c']);
  },
);

function sortKeys(o: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(o).sort(([x], [y]) => (x < y ? -1 : 1)));
}

test(
  'bootstrap_expect 3: three servers that find each other bootstrap Raft together and elect one leader',
  { timeout: 90_000 },
  async () => {
    const ips = ['127.0.0.228', '127.0.0.229', '127.0.0.230'];
    const ps = ips.map((ip, i) =>
      agent(`bx-${i}`, ip, [
        '-server',
        '-bootstrap-expect=3',
        '-retry-interval=1s',
        ...ips.filter((x) => x !== ip).map((x) => `-retry-join=${x}`),
      ]),
    );
    await Promise.all(ips.map(up));
    const leader = await waitFor(
      'one leader everywhere',
      async () => {
        const seen = await Promise.all(
          ips.map(
            async (ip) => JSON.parse((await httpGet(`http://${ip}:8500/v1/status/leader`)).body) as string,
          ),
        );
        return seen.every((x) => x !== '' && x === seen[0]) ? seen[0] : null;
      },
      60_000,
    );
    assert.ok(ips.map((ip) => `${ip}:8300`).includes(leader));
    const peers = JSON.parse((await httpGet(`http://${ips[0]}:8500/v1/status/peers`)).body) as string[];
    assert.deepEqual([...peers].sort(), ips.map((ip) => `${ip}:8300`).sort());
    assert.ok(ps.some((p) => /Found expected number of peers, attempting bootstrap: peers=/.test(p.out())));

    // Autopilot: seeded from the agents' defaults, healthy with three voters, changed with cas.
    const http = `-http-addr=${ips[1]}:8500`;
    const got = consul(['operator', 'autopilot', 'get-config', http]);
    assert.equal(got.code, 0, got.err);
    assert.equal(
      got.out,
      'CleanupDeadServers = true\nLastContactThreshold = 200ms\nMaxTrailingLogs = 250\nMinQuorum = 0\n' +
        'ServerStabilizationTime = 10s\nRedundancyZoneTag = ""\nDisableUpgradeMigration = false\nUpgradeVersionTag = ""\n',
    );
    const health = await waitFor(
      'autopilot healthy',
      async () => {
        const r = await fetch(`http://${ips[2]}:8500/v1/operator/autopilot/health`);
        const h = (await r.json()) as {
          Healthy: boolean;
          FailureTolerance: number;
          Servers: Array<{ Leader: boolean; SerfStatus: string }>;
        };
        return r.status === 200 && h.Healthy ? h : null;
      },
      20_000,
    );
    assert.equal(health.FailureTolerance, 1);
    assert.equal(health.Servers.length, 3);
    assert.equal(health.Servers.filter((x) => x.Leader).length, 1);
    assert.ok(health.Servers.every((x) => x.SerfStatus === 'alive'));
    const set = consul([
      'operator',
      'autopilot',
      'set-config',
      '-max-trailing-logs=500',
      '-last-contact-threshold=300ms',
      http,
    ]);
    assert.equal(set.code, 0, set.err);
    assert.equal(set.out, 'Configuration updated!\n');
    assert.match(
      consul(['operator', 'autopilot', 'get-config', http]).out,
      /\nLastContactThreshold = 300ms\nMaxTrailingLogs = 500\n/,
    );
    const cfg = (await (await fetch(`http://${ips[0]}:8500/v1/operator/autopilot/configuration`)).json()) as {
      ModifyIndex: number;
    };
    const stale = await fetch(
      `http://${ips[0]}:8500/v1/operator/autopilot/configuration?cas=${cfg.ModifyIndex - 1}`,
      {
        method: 'PUT',
        body: '{"CleanupDeadServers": false}',
      },
    );
    assert.equal((await stale.text()).trim(), 'false');
    const state = consul(['operator', 'autopilot', 'state', http]);
    assert.equal(state.code, 0, state.err);
    // Health is live (last contact moves with heartbeats), so only the layout is checked here.
    assert.match(
      state.out,
      /^Healthy: {22}(true|false)\nFailure Tolerance: {12}[01]\nOptimistic Failure Tolerance: 1\nLeader: {23}[0-9a-f-]{36}\nVoters:\n/,
    );
    assert.equal((state.out.match(/ {6}Status: {10}(leader|voter)\n/g) ?? []).length, 3);
  },
);

test(
  'consul keyring: list, install, use, remove across the pool; the primary cannot be removed',
  { timeout: 90_000 },
  async () => {
    const k1 = consul(['keygen']).out.trim();
    const k2 = consul(['keygen']).out.trim();
    const s = agent('kr-server', '127.0.0.231', ['-server', '-bootstrap', '-encrypt', k1]);
    // Started together, so the client retries its join every second instead of Consul's 30 s.
    agent('kr-client', '127.0.0.232', ['-encrypt', k1, '-retry-join', '127.0.0.231', '-retry-interval=1s']);
    await Promise.all(['127.0.0.231', '127.0.0.232'].map(up));
    await waitFor('pool of two', async () => Object.keys(await members('127.0.0.231')).length === 2, 15_000);
    let r = consul(['keyring', '-list', '-http-addr=127.0.0.231:8500']);
    assert.equal(r.code, 0, r.err);
    assert.equal(
      r.out,
      `==> Gathering installed encryption keys...\n\nWAN:\n  ${k1} [1/1]\n\ndc1 (LAN):\n  ${k1} [2/2]\n`,
    );
    // From the client: forwarded to the server, which runs it on every pool.
    r = consul(['keyring', '-install', k2, '-http-addr=127.0.0.232:8500']);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, '==> Installing new gossip encryption key...\n');
    assert.equal(consul(['keyring', '-use', k2, '-http-addr=127.0.0.231:8500']).code, 0);
    r = consul(['keyring', '-remove', k2, '-http-addr=127.0.0.231:8500']);
    assert.equal(r.code, 1);
    assert.match(r.err, /Removing the primary key is not allowed/);
    assert.equal(consul(['keyring', '-remove', k1, '-http-addr=127.0.0.231:8500']).code, 0);
    r = consul(['keyring', '-list-primary', '-http-addr=127.0.0.232:8500']);
    assert.match(r.out, new RegExp(`dc1 \\(LAN\\):\\n  ${k2.replace(/[+/=]/g, '\\$&')} \\[2/2\\]`));
    // Persisted where Consul keeps it, primary first.
    const dataDir = /-data-dir=(\S+)/.exec(s.child.spawnargs.join(' '))![1]!;
    assert.deepEqual(JSON.parse(readFileSync(path.join(dataDir, 'serf', 'local.keyring'), 'utf8')), [k2]);
    // Still one pool under the new key.
    await waitFor(
      'still alive',
      async () => JSON.stringify(Object.values(await members('127.0.0.232'))) === '[1,1]',
      10_000,
    );
    assert.equal(consul(['keyring', '-http-addr=127.0.0.231:8500']).code, 1);
  },
);

test(
  'serf snapshots: a killed agent rejoins on restart by itself; after a graceful leave only with -rejoin',
  { timeout: 90_000 },
  async () => {
    agent('sn-server', '127.0.0.233', ['-server', '-bootstrap']);
    await up('127.0.0.233');
    const d = mkdtempSync(path.join(tmpdir(), 'proconsul-gossip-'));
    dirs.push(d);
    const client = (extra: string[] = []) => {
      const p = startConsul([
        'agent',
        '-node=sn-client',
        '-bind=127.0.0.234',
        '-client=127.0.0.234',
        `-data-dir=${d}`,
        ...extra,
      ]);
      procs.push(p);
      return p;
    };
    let c = client(['-retry-join=127.0.0.233']);
    await up('127.0.0.234');
    await waitFor('joined', async () => (await members('127.0.0.233'))['sn-client'] === 1, 15_000);
    await waitFor(
      'snapshot written',
      () =>
        /alive: sn-server 127\.0\.0\.233:8301/.test(
          readFileSync(path.join(d, 'serf', 'local.snapshot'), 'utf8'),
        ),
      5000,
    );
    c.child.kill('SIGKILL');
    await c.exited;
    await waitFor('failed', async () => (await members('127.0.0.233'))['sn-client'] === 4, 30_000);
    c = client(); // no -join: the snapshot brings it back
    await waitFor(
      'rejoined from the snapshot',
      async () => (await members('127.0.0.233'))['sn-client'] === 1,
      20_000,
    );
    assert.match(c.out(), /Re-joined to previously known node: sn-server: 127\.0\.0\.233:8301/);
    assert.equal(consul(['leave', '-http-addr=127.0.0.234:8500']).code, 0);
    await c.exited;
    c = client();
    await up('127.0.0.234');
    // The snapshot ends in "leave": nothing to rejoin.
    assert.deepEqual(await members('127.0.0.234'), { 'sn-client': 1 });
    assert.doesNotMatch(c.out(), /Re-joined to previously known node/);
    c.child.kill('SIGKILL');
    await c.exited;
    c = client(['-rejoin']);
    await waitFor(
      '-rejoin rejoins after a leave',
      async () => (await members('127.0.0.233'))['sn-client'] === 1,
      20_000,
    );
    assert.match(c.out(), /Ignoring previous leave in snapshot/);
  },
);

test(
  'consul event: fired into the pool, filtered by node and service on each agent, listed oldest first',
  { timeout: 60_000 },
  async () => {
    agent('ev-a', '127.0.0.235');
    await up('127.0.0.235');
    const d = mkdtempSync(path.join(tmpdir(), 'proconsul-gossip-'));
    dirs.push(d);
    writeFileSync(
      path.join(d, 'web.json'),
      JSON.stringify({ service: { name: 'web', tags: ['v2'], port: 80 } }),
    );
    agent('ev-b', '127.0.0.236', [
      '-retry-join=127.0.0.235',
      '-retry-interval=1s',
      `-config-file=${path.join(d, 'web.json')}`,
    ]);
    await up('127.0.0.236');
    await waitFor('pool of two', async () => Object.keys(await members('127.0.0.235')).length === 2, 15_000);

    let r = consul(['event', '-http-addr=127.0.0.235:8500', '-name=deploy', 'v1']);
    assert.equal(r.code, 0, r.err);
    const id = /^Event ID: ([0-9a-f-]{36})\n$/.exec(r.out)?.[1];
    assert.ok(id, r.out);
    r = consul(['event', '-http-addr=127.0.0.235:8500', '-name=web-only', '-service=^web$', '-tag=v2']);
    assert.equal(r.code, 0, r.err);
    r = consul(['event', '-http-addr=127.0.0.235:8500', '-name=a-only', '-node=^ev-a$']);
    assert.equal(r.code, 0, r.err);
    const names = async (ip: string) =>
      (JSON.parse((await httpGet(`http://${ip}:8500/v1/event/list`)).body) as Array<{ Name: string }>).map(
        (e) => e.Name,
      );
    await waitFor(
      'events on b',
      async () => (await names('127.0.0.236')).sort().join() === 'deploy,web-only',
      10_000,
    );
    await waitFor(
      'events on a',
      async () => (await names('127.0.0.235')).sort().join() === 'a-only,deploy',
      10_000,
    );
    const list = JSON.parse(
      (await httpGet('http://127.0.0.236:8500/v1/event/list?name=deploy')).body,
    ) as Array<{
      ID: string;
      Payload: string;
      Version: number;
      LTime: number;
    }>;
    assert.equal(list[0]!.ID, id);
    assert.equal(Buffer.from(list[0]!.Payload, 'base64').toString(), 'v1');
    assert.equal(list[0]!.Version, 1);
    assert.ok(list[0]!.LTime > 0);
    // Blocking on the index returns when a new event arrives.
    const first = await httpGet('http://127.0.0.236:8500/v1/event/list');
    const index = first.headers.get('x-consul-index')!;
    const waiting = httpGet(`http://127.0.0.236:8500/v1/event/list?index=${index}&wait=20s`);
    consul(['event', '-http-addr=127.0.0.235:8500', '-name=later']);
    const after = await waiting;
    assert.notEqual(after.headers.get('x-consul-index'), index);
    assert.match(after.body, /"Name":"later"/);
    r = consul(['event', '-http-addr=127.0.0.235:8500', '-name=x', '-tag=v2']);
    assert.equal(r.code, 1);
    assert.equal(r.err, 'Cannot provide tag filter without service filter.\n');
  },
);
