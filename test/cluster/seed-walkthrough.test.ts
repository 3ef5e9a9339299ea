// The seed document, step by step, with real processes on 127.0.0.210–213 and Consul's default ports:
// three servers (the first with -bootstrap), `consul join`, `consul members`, /v1/status/leader|peers,
// a client that joins at start, a service file + `consul reload` seen through the catalog and DNS,
// kill -9 of the leader with no KV data lost, graceful leave and rejoin of the client (its service back).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { agentUp, consul, httpGet, startConsul, stop, waitFor, type Proc } from '../helpers/process.js';
import { dnsQuery } from '../helpers/dns.js';

type Rec = { type: string; data?: unknown; ttl?: number };

const procs: Proc[] = [];
const root = mkdtempSync(path.join(tmpdir(), 'proconsul-seed-'));
let web: http.Server | null = null;
after(async () => {
  web?.close();
  await Promise.all(procs.map(stop));
  rmSync(root, { recursive: true, force: true });
});

const IP = { s1: '127.0.0.210', s2: '127.0.0.211', s3: '127.0.0.212', c1: '127.0.0.213' };

/** /opt/consul/{data,conf,run} per host, as the seed lays them out. */
function host(name: string): { data: string; conf: string; run: string } {
  const base = path.join(root, name);
  const d = { data: path.join(base, 'data'), conf: path.join(base, 'conf'), run: path.join(base, 'run') };
  for (const x of Object.values(d)) mkdirSync(x, { recursive: true });
  return d;
}

function start(node: string, ip: string, dirs: ReturnType<typeof host>, extra: string[]): Proc {
  const p = startConsul([
    'agent',
    ...extra,
    '-data-dir',
    dirs.data,
    '-config-dir',
    dirs.conf,
    '-pid-file',
    path.join(dirs.run, 'consul.pid'),
    '-client',
    ip,
    '-bind',
    ip,
    '-node',
    node,
    '-disable-host-node-id',
  ]);
  procs.push(p);
  return p;
}

const up = (ip: string) => agentUp(ip);

const get = async (ip: string, p: string) => {
  const r = await httpGet(`http://${ip}:8500${p}`);
  return { status: r.status, json: r.status === 200 ? JSON.parse(r.body) : r.body };
};

const put = async (ip: string, p: string, body: string) => {
  const r = await fetch(`http://${ip}:8500${p}`, { method: 'PUT', body });
  return { status: r.status, text: await r.text() };
};

function memberRows(ip: string): string[] {
  const r = consul(['members', '--http-addr', `${ip}:8500`]);
  assert.equal(r.code, 0, r.err);
  return r.out.trim().split('\n');
}

test(
  'the seed walkthrough: 3 servers + 1 client, join, members, leader/peers, service + DNS, failover, leave',
  { timeout: 170_000 },
  async () => {
    const h1 = host('server01');
    const h2 = host('server02');
    const h3 = host('server03');
    const hc = host('client01');
    // Step 5: server 1 with -bootstrap, servers 2 and 3 with -ui and without it.
    const procsBy: Record<string, Proc> = {
      [`${IP.s1}:8300`]: start('consul-server01', IP.s1, h1, ['-server', '-bootstrap', '-ui']),
      [`${IP.s2}:8300`]: start('consul-server02', IP.s2, h2, ['-server', '-ui']),
      [`${IP.s3}:8300`]: start('consul-server03', IP.s3, h3, ['-server', '-ui']),
    };
    await Promise.all([IP.s1, IP.s2, IP.s3].map(up));
    // Each alone lists one row.
    const alone = memberRows(IP.s2);
    assert.equal(alone.length, 2);
    assert.match(alone[0]!, /^Node +Address +Status +Type +Build +Protocol +DC +Partition +Segment$/);
    assert.match(
      alone[1]!,
      /^consul-server02 +127\.0\.0\.211:8301 +alive +server +1\.16\.4 +2 +dc1 +default +<all>$/,
    );

    // Step 6: join servers 2 and 3 to server 1.
    for (const ip of [IP.s2, IP.s3]) {
      const r = consul(['join', '--http-addr', `${ip}:8500`, IP.s1]);
      assert.equal(r.code, 0, r.err);
      assert.equal(r.out, 'Successfully joined cluster by contacting 1 nodes.\n');
    }
    // Step 7: three servers alive; one leader; three peers.
    await waitFor(
      '3 servers alive',
      () => memberRows(IP.s3).filter((l) => / alive +server /.test(l)).length === 3,
      10_000,
    );
    const peers = await waitFor(
      'three raft peers',
      async () => {
        const r = await get(IP.s2, '/v1/status/peers');
        return r.status === 200 && (r.json as string[]).length === 3 ? (r.json as string[]) : null;
      },
      30_000,
    );
    assert.deepEqual([...peers].sort(), [`${IP.s1}:8300`, `${IP.s2}:8300`, `${IP.s3}:8300`]);
    // A newly added server learns the leader from its next AppendEntries.
    const leader = await waitFor(
      'every server knows the leader',
      async () => {
        const seen = await Promise.all(
          [IP.s1, IP.s2, IP.s3].map(async (ip) => (await get(ip, '/v1/status/leader')).json),
        );
        return seen.every((x) => x !== '' && x === seen[0]) ? (seen[0] as string) : null;
      },
      30_000,
    );
    assert.equal(leader, `${IP.s1}:8300`, 'the bootstrap server leads');
    await waitFor('leader log lines', () => /cluster leadership acquired/.test(procsBy[leader]!.out()), 5000);
    assert.match(procsBy[leader]!.out(), /member joined, marking health alive: member=consul-server02/);
    // Joined servers start without a vote; autopilot promotes them once healthy (Consul 1.16).
    await waitFor(
      'autopilot promotes both joined servers to voters',
      () => {
        const lp = consul(['operator', 'raft', 'list-peers', `-http-addr=${IP.s1}:8500`]);
        return lp.code === 0 && lp.out.split('\n').filter((l) => / true +3 /.test(l)).length === 3;
      },
      30_000,
    );
    await waitFor(
      'the promotion logged',
      () => /Promoting server: id=.* name=consul-server02/.test(procsBy[leader]!.out()),
      5000,
    );

    // Step 8: node lookups over DNS.
    const a = await dnsQuery(IP.s1, 8600, 'consul-server01.node.consul', 'A');
    assert.deepEqual(
      (a.answers as Rec[] | undefined)?.map((x) => [x.type, x.data, x.ttl]),
      [['A', IP.s1, 0]],
    );
    const a2 = await dnsQuery(IP.s1, 8600, 'consul-server02.node.dc1.consul', 'A');
    assert.deepEqual(
      (a2.answers as Rec[] | undefined)?.map((x) => x.data),
      [IP.s2],
    );

    // Step 9: the client joins at start; four rows, the client as `client`.
    let client = start('consul-client01', IP.c1, hc, ['-join', IP.s1]);
    await up(IP.c1);
    await waitFor('4 members', () => memberRows(IP.c1).length === 5, 15_000);
    assert.match(
      memberRows(IP.c1)[4]!,
      /^consul-client01 +127\.0\.0\.213:8301 +alive +client +1\.16\.4 +2 +dc1 +default +<default>$/,
    );
    assert.equal((await get(IP.c1, '/v1/status/leader')).json, leader, 'a client asks a server');

    // Step 10: a service file + consul reload; the check fails until the web server runs.
    writeFileSync(
      path.join(hc.conf, 'web.json'),
      JSON.stringify({
        service: {
          name: 'web',
          tags: ['master'],
          port: 8080,
          check: { http: `http://${IP.c1}:18081`, interval: '1s' },
        },
      }),
    );
    const rl = consul(['reload', `--http-addr=${IP.c1}:8500`]);
    assert.equal(rl.code, 0, rl.err);
    assert.equal(rl.out, 'Configuration reload triggered\n');
    await waitFor(
      'web in the catalog (seen from a server)',
      async () => ((await get(IP.s2, '/v1/catalog/service/web')).json as unknown[]).length === 1,
      15_000,
    );
    // Critical check: DNS hides the instance and answers with the SOA only.
    const hidden = await waitFor(
      'the client answers DNS from its catalog mirror',
      async () => {
        const r = await dnsQuery(IP.c1, 8600, 'web.service.consul', 'SRV');
        return r.rcode !== 'SERVFAIL' ? r : null;
      },
      10_000,
    );
    assert.equal(hidden.rcode, 'NXDOMAIN');
    assert.equal(hidden.authorities?.[0]?.type, 'SOA');
    web = http.createServer((_q, s) => s.end('ok')).listen(18081, IP.c1);
    await waitFor('check passing', () => /Synced check: check=service:web/.test(client.out()), 15_000);
    // Step 11: SRV with the node's A record in ADDITIONAL, from the client's DNS.
    const srv = await waitFor(
      'web SRV',
      async () => {
        const r = await dnsQuery(IP.c1, 8600, 'web.service.consul', 'SRV');
        return r.answers && r.answers.length > 0 ? r : null;
      },
      10_000,
    );
    const rec = srv.answers![0]!;
    assert.equal(rec.type, 'SRV');
    assert.deepEqual(rec.type === 'SRV' ? rec.data : null, {
      priority: 1,
      weight: 1,
      port: 8080,
      target: 'consul-client01.node.dc1.consul',
    });
    assert.deepEqual(
      (srv.additionals as Rec[] | undefined)?.filter((x) => x.type === 'A').map((x) => x.data),
      [IP.c1],
    );

    // The operator keeps dead servers for remove-peer below: autopilot would otherwise force-leave
    // the killed one (cleanup_dead_servers, on by default).
    const ap = consul([
      'operator',
      'autopilot',
      'set-config',
      '-cleanup-dead-servers=false',
      `-http-addr=${IP.s2}:8500`,
    ]);
    assert.equal(ap.code, 0, ap.err);
    assert.equal(ap.out, 'Configuration updated!\n');
    // KV written through the client, then kill -9 of the leader: a new leader, nothing lost.
    for (let i = 0; i < 5; i++) assert.equal((await put(IP.c1, `/v1/kv/seed/k${i}`, `v${i}`)).text, 'true');
    procsBy[leader]!.child.kill('SIGKILL');
    await procsBy[leader]!.exited;
    const survivors = [IP.s1, IP.s2, IP.s3].filter((ip) => `${ip}:8300` !== leader);
    const newLeader = await waitFor(
      'a new leader',
      async () => {
        const r = await get(survivors[0]!, '/v1/status/leader');
        return r.json !== '' && r.json !== leader ? (r.json as string) : null;
      },
      30_000,
    );
    assert.ok(survivors.map((ip) => `${ip}:8300`).includes(newLeader));
    for (let i = 0; i < 5; i++) {
      const r = await httpGet(`http://${survivors[1]}:8500/v1/kv/seed/k${i}?raw`);
      assert.equal(r.body, `v${i}`);
    }
    await waitFor(
      'writes through the client again',
      async () => (await put(IP.c1, '/v1/kv/seed/after', 'x')).text === 'true',
      20_000,
    );
    await waitFor(
      'the killed server is failed',
      () => memberRows(survivors[0]!).some((l) => / failed +server /.test(l)),
      30_000,
    );

    // The dead server stays a Raft peer until an operator removes it.
    const rp = consul([
      'operator',
      'raft',
      'remove-peer',
      `-address=${leader}`,
      `-http-addr=${survivors[0]}:8500`,
    ]);
    assert.equal(rp.code, 0, rp.err);
    assert.equal(rp.out, `Removed peer with address "${leader}"\n`);
    await waitFor(
      'two peers left',
      async () => ((await get(survivors[1]!, '/v1/status/peers')).json as string[]).length === 2,
      10_000,
    );
    const again = consul([
      'operator',
      'raft',
      'remove-peer',
      `-address=${leader}`,
      `-http-addr=${survivors[0]}:8500`,
    ]);
    assert.equal(again.code, 1);
    assert.match(again.err, /address "127\.0\.0\.21\d:8300" was not found in the Raft configuration/);

    // Step 12: graceful leave of the client: "left" on the servers and out of the catalog; then it rejoins.
    const lv = consul(['leave', `--http-addr=${IP.c1}:8500`]);
    assert.equal(lv.code, 0, lv.err);
    assert.equal(lv.out, 'Graceful leave complete\n');
    assert.equal(await client.exited, 0);
    await waitFor(
      'client left',
      () => memberRows(survivors[0]!).some((l) => /^consul-client01 .* left +client/.test(l)),
      10_000,
    );
    await waitFor(
      'client out of the catalog',
      async () =>
        !((await get(survivors[0]!, '/v1/catalog/nodes')).json as Array<{ Node: string }>).some(
          (n) => n.Node === 'consul-client01',
        ),
      15_000,
    );
    client = start('consul-client01', IP.c1, hc, ['-join', survivors[0]!]);
    await waitFor(
      'client alive again',
      () => memberRows(survivors[1]!).some((l) => /^consul-client01 .* alive +client/.test(l)),
      20_000,
    );
    // The restart keeps web.json's service: back in the catalog, its check passing, and in DNS.
    await waitFor(
      'web passing again after the restart',
      async () =>
        ((await get(survivors[1]!, '/v1/health/service/web?passing')).json as unknown[]).length === 1,
      20_000,
    );
    await waitFor(
      'web SRV after the restart',
      async () => ((await dnsQuery(IP.c1, 8600, 'web.service.consul', 'SRV')).answers?.length ?? 0) === 1,
      10_000,
    );
  },
);
