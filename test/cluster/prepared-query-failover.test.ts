// Prepared query failover across two real datacenters joined over WAN: with no instance in dc1 the
// query runs in dc2 (named in Failover.Datacenters, or the nearest with NearestN), the answer says
// which datacenter served and how many were tried; a dc1 client creates, executes and resolves it over
// DNS through its server; a local instance ends the failover; <name>.query.<dc> runs in that datacenter.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { agentUp, consul, startNodeAgent, stop, waitFor, type Proc } from '../helpers/process.js';
import { dnsQuery } from '../helpers/dns.js';

const procs: Proc[] = [];
const dirs: string[] = [];
after(async () => {
  await Promise.all(procs.map(stop));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const S1 = '127.0.0.195';
const S2 = '127.0.0.196';
const C1 = '127.0.0.197';
const PORTS = ['-http-port=18800', '-dns-port=18801', '-server-port=18802', '-serf-lan-port=18803'];
const ports = [...PORTS, '-serf-wan-port=18804', '-grpc-port=-1'];

const agent = (name: string, ip: string, extra: string[]) =>
  startNodeAgent(name, ip, [...ports, ...extra], { procs, dirs }, 'proconsul-pqf-');

async function call(ip: string, method: string, path: string, body?: unknown) {
  const r = await fetch(`http://${ip}:18800${path}`, {
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return {
    status: r.status,
    text,
    json: (() => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        return undefined;
      }
    })(),
  };
}

type Exec = { Datacenter: string; Failovers: number; Nodes: Array<{ Node: { Node: string } }> };

test('failover to another datacenter, from a client, over HTTP and DNS', { timeout: 40_000 }, async () => {
  agent('pq-s1', S1, ['-server', '-bootstrap']);
  agent('pq-s2', S2, ['-server', '-bootstrap', '-datacenter=dc2']);
  for (const ip of [S1, S2]) assert.ok(await agentUp(ip, 18800));
  // Started once its server listens: a failed first join would wait out retry_interval (30 s).
  agent('pq-c1', C1, [`-retry-join=${S1}:18803`]);
  assert.ok(await agentUp(C1, 18800));
  for (const ip of [S1, S2])
    await waitFor(
      `leader at ${ip}`,
      async () => (await call(ip, 'GET', '/v1/status/leader')).json !== '',
      15_000,
    );
  const j = consul(['join', '-wan', `-http-addr=${S2}:18800`, `${S1}:18804`]);
  assert.equal(j.code, 0, j.err);
  await waitFor(
    'dc2 known in dc1',
    async () => JSON.stringify((await call(S1, 'GET', '/v1/catalog/datacenters')).json) === '["dc1","dc2"]',
    15_000,
  );

  const reg = (ip: string, dcq: string, node: string, addr: string) =>
    call(ip, 'PUT', `/v1/catalog/register${dcq}`, {
      Node: node,
      Address: addr,
      Service: { Service: 'db', Port: 5432 },
      Check: { CheckID: 'db', Name: 'db', Status: 'passing', ServiceID: 'db' },
    });
  // The client may still be finding its server.
  let lastReg = '';
  await waitFor(
    'a write into dc2 through the client',
    async () => {
      const r = await reg(C1, '?dc=dc2', 'db-2', '10.2.0.1');
      lastReg = `${r.status} ${r.text}`;
      return r.status === 200;
    },
    10_000,
  ).catch((e: Error) => assert.fail(`${e.message}: ${lastReg}`));

  const named = await call(C1, 'POST', '/v1/query', {
    Name: 'db',
    Service: { Service: 'db', Failover: { Datacenters: ['dc9', 'dc2'] } },
  });
  assert.equal(named.status, 200, named.text);
  assert.equal(
    (
      await call(C1, 'POST', '/v1/query', {
        Name: 'db-near',
        Service: { Service: 'db', Failover: { NearestN: 1 } },
      })
    ).status,
    200,
  );
  const run = async (name: string) => (await call(C1, 'GET', `/v1/query/${name}/execute`)).json as Exec;
  for (const name of ['db', 'db-near']) {
    const r = await run(name);
    assert.deepEqual(
      { dc: r.Datacenter, failovers: r.Failovers, nodes: r.Nodes.map((n) => n.Node.Node) },
      { dc: 'dc2', failovers: 1, nodes: ['db-2'] },
      name,
    );
  }

  // The client's DNS asks its server, which fails over; targets are named in the answering datacenter.
  const srv = await waitFor(
    'db.query.consul from the client',
    async () => {
      const r = await dnsQuery(C1, 18801, 'db.query.consul', 'SRV');
      return r.rcode === 'NOERROR' && (r.answers ?? []).length > 0 ? r : null;
    },
    10_000,
  );
  assert.deepEqual(
    (srv.answers ?? []).map((a) => (a as { data: { target: string; port: number } }).data),
    [{ priority: 1, weight: 1, port: 5432, target: 'db-2.node.dc2.consul' }],
  );
  assert.deepEqual(
    (srv.additionals ?? []).map((a) => (a as { data: string }).data),
    ['10.2.0.1'],
  );

  // An instance at home: no failover.
  assert.equal((await reg(S1, '', 'db-1', '10.1.0.1')).status, 200);
  const home = await run('db');
  assert.deepEqual(
    [home.Datacenter, home.Failovers, home.Nodes.map((n) => n.Node.Node)],
    ['dc1', 0, ['db-1']],
  );
  // From dc2: <name>.query.dc1 runs dc1's query there; dc2 has no such query; an unknown DC fails.
  const there = await dnsQuery(S2, 18801, 'db.query.dc1.consul', 'SRV');
  assert.deepEqual(
    (there.answers ?? []).map((a) => (a as { data: { target: string } }).data.target),
    ['db-1.node.dc1.consul'],
  );
  assert.equal((await dnsQuery(S2, 18801, 'db.query.consul', 'SRV')).rcode, 'NXDOMAIN');
  assert.equal((await dnsQuery(S2, 18801, 'db.query.dc7.consul', 'SRV')).rcode, 'SERVFAIL');
  // A query written into dc2 from dc1's client (?dc=), resolved from that client through its server.
  assert.equal(
    (await call(C1, 'POST', '/v1/query?dc=dc2', { Name: 'db2', Service: { Service: 'db' } })).status,
    200,
  );
  assert.deepEqual(
    (await dnsQuery(C1, 18801, 'db2.query.dc2.consul', 'A')).answers?.map(
      (a) => (a as { data: string }).data,
    ),
    ['10.2.0.1'],
  );
  assert.equal((await dnsQuery(C1, 18801, 'db.query.dc2.consul', 'A')).rcode, 'NXDOMAIN');
});
