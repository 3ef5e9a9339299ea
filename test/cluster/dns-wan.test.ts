// DNS across datacenters, read by dig: two single-server datacenters (dc1 with translate_wan_addrs, dc2 without)
// federated over WAN; `web.service.dc2.consul` and `<node>.node.dc2.consul` asked of dc1 are answered
// from dc2's catalog with the WAN addresses, the same names for dc1 asked of dc2 with the LAN ones; an
// unknown datacenter is NXDOMAIN; NS for the domain names each agent as nameserver with glue; dc2's
// use_cache entry follows dc1's changes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { agentUp, consul, startNodeAgent, stop, waitFor, type Proc } from '../helpers/process.js';
import { dig, ensureDig, type DigRecord } from '../helpers/dig.js';

const DC1 = '127.0.6.10';
const DC2 = '127.0.6.11';
const CLIENT = '127.0.6.12';
const HTTP = 19610;
const DNS = 19611;
const skip = ensureDig();
const procs: Proc[] = [];
const dirs: string[] = [];

const rows = (rs: DigRecord[]) => rs.map((r) => `${r.name} ${r.ttl} ${r.type} ${r.data}`).sort();
const SOA = 'consul. 0 SOA ns.consul. hostmaster.consul. SERIAL 3600 600 86400 0';

async function register(ip: string, body: unknown): Promise<void> {
  const r = await fetch(`http://${ip}:${HTTP}/v1/catalog/register`, {
    method: 'PUT',
    body: JSON.stringify(body),
  });
  assert.equal(r.status, 200, await r.text());
}

/** `web` on two nodes of a datacenter, each with a LAN and a WAN address. */
async function webNodes(ip: string, prefix: string, lan: string, wan: string): Promise<void> {
  for (const i of [1, 2])
    await register(ip, {
      Node: `${prefix}${i}`,
      Address: `${lan}.${i}`,
      TaggedAddresses: { lan: `${lan}.${i}`, wan: `${wan}.${i}` },
      Service: { Service: 'web', Port: 8000 + i },
    });
}

before(async () => {
  if (skip) return;
  // Single-server datacenters with data dirs (a -dev agent has no server RPC listener to forward to).
  const server = async (name: string, ip: string, extra: string[]) => {
    const p = startNodeAgent(
      name,
      ip,
      ['-server', '-bootstrap', `-http-port=${HTTP}`, `-dns-port=${DNS}`, '-grpc-port=-1', ...extra],
      { procs, dirs },
      'proconsul-dns-wan-',
    );
    if (!(await agentUp(ip, HTTP).catch(() => false))) throw new Error(`${name}: ${p.err()}`);
    await waitFor(
      `${name} leads`,
      async () => ((await (await fetch(`http://${ip}:${HTTP}/v1/status/leader`)).json()) as string) !== '',
      30_000,
    );
  };
  await Promise.all([
    server('one', DC1, ['-hcl', 'translate_wan_addrs = true']),
    server('two', DC2, ['-datacenter=dc2', '-hcl', 'dns_config { use_cache = true }']),
  ]);
  // A client of dc1 whose reads all go to the servers (allow_stale = false: through the leader).
  const client = startNodeAgent(
    'c1',
    CLIENT,
    [
      `-retry-join=${DC1}`,
      `-http-port=${HTTP}`,
      `-dns-port=${DNS}`,
      '-grpc-port=-1',
      '-hcl',
      'dns_config { allow_stale = false }',
    ],
    { procs, dirs },
    'proconsul-dns-wan-',
  );
  if (!(await agentUp(CLIENT, HTTP).catch(() => false))) throw new Error(`c1: ${client.err()}`);
  const j = consul(['join', '-wan', `-http-addr=${DC2}:${HTTP}`, DC1]);
  assert.equal(j.code, 0, j.err);
  await webNodes(DC1, 'near', '10.1.0', '198.51.100');
  await webNodes(DC2, 'far', '10.2.0', '203.0.113');
  // Each leader registers itself as the `consul` service shortly after it takes office.
  for (const ip of [DC1, DC2])
    await waitFor(
      `${ip} names itself a nameserver`,
      () => dig(ip, DNS, ['consul', 'NS']).answer.length > 0,
      30_000,
    );
  await waitFor(
    'dc1 reaches dc2 over WAN',
    () => dig(DC1, DNS, ['web.service.dc2.consul', 'A']).status === 'NOERROR',
    20_000,
  );
});

after(async () => {
  await Promise.all(procs.map(stop));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

for (const transport of ['udp', 'tcp'] as const) {
  const D = (ip: string, ...args: string[]) => dig(ip, DNS, transport === 'tcp' ? ['+tcp', ...args] : args);

  test(
    `dig over ${transport}: another datacenter with translate_wan_addrs: WAN addresses`,
    { skip: skip ?? false },
    () => {
      const a = D(DC1, 'web.service.dc2.consul', 'A');
      assert.equal(a.status, 'NOERROR');
      assert.ok(a.flags.includes('aa'), a.flags.join(' '));
      assert.deepEqual(rows(a.answer), [
        'web.service.dc2.consul. 0 A 203.0.113.1',
        'web.service.dc2.consul. 0 A 203.0.113.2',
      ]);
      const srv = D(DC1, 'web.service.dc2.consul', 'SRV');
      assert.deepEqual(rows(srv.answer), [
        'web.service.dc2.consul. 0 SRV 1 1 8001 far1.node.dc2.consul.',
        'web.service.dc2.consul. 0 SRV 1 1 8002 far2.node.dc2.consul.',
      ]);
      assert.deepEqual(
        rows(srv.additional).filter((r) => / A /.test(r)),
        ['far1.node.dc2.consul. 0 A 203.0.113.1', 'far2.node.dc2.consul. 0 A 203.0.113.2'],
      );
      assert.deepEqual(rows(D(DC1, 'far1.node.dc2.consul', 'A').answer), [
        'far1.node.dc2.consul. 0 A 203.0.113.1',
      ]);
      // Our own datacenter, named or not, keeps the LAN addresses.
      assert.deepEqual(rows(D(DC1, 'near1.node.dc1.consul', 'A').answer), [
        'near1.node.dc1.consul. 0 A 10.1.0.1',
      ]);
    },
  );

  test(
    `dig over ${transport}: another datacenter without translation: LAN addresses`,
    { skip: skip ?? false },
    () => {
      assert.deepEqual(rows(D(DC2, 'web.service.dc1.consul', 'A').answer), [
        'web.service.dc1.consul. 0 A 10.1.0.1',
        'web.service.dc1.consul. 0 A 10.1.0.2',
      ]);
      assert.deepEqual(rows(D(DC2, 'near2.node.dc1.consul', 'A').answer), [
        'near2.node.dc1.consul. 0 A 10.1.0.2',
      ]);
      for (const name of ['web.service.dc9.consul', 'nope.node.dc2.consul', 'nope.service.dc2.consul']) {
        const r = D(DC1, name, 'A');
        assert.equal(r.status, 'NXDOMAIN', name);
        assert.deepEqual(rows(r.authority), [SOA], name);
      }
    },
  );

  test(
    `dig over ${transport}: NS and SOA name the datacenter's server with glue`,
    { skip: skip ?? false },
    () => {
      const ns = D(DC2, 'consul', 'NS');
      assert.equal(ns.status, 'NOERROR');
      assert.deepEqual(rows(ns.answer), ['consul. 0 NS two.node.dc2.consul.']);
      assert.deepEqual(rows(ns.additional), [`two.node.dc2.consul. 0 A ${DC2}`]);
      const soa = D(DC1, 'consul', 'SOA');
      assert.deepEqual(rows(soa.answer), [SOA]);
      assert.deepEqual(rows(soa.authority), ['consul. 0 NS one.node.dc1.consul.']);
      assert.deepEqual(rows(soa.additional), [`one.node.dc1.consul. 0 A ${DC1}`]);
    },
  );
}

test(
  'use_cache: a cached lookup of another datacenter follows its changes (background blocking query)',
  { skip: skip ?? false },
  async () => {
    const names = () => rows(dig(DC2, DNS, ['web.service.dc1.consul', 'A']).answer);
    assert.equal(names().length, 2);
    await register(DC1, { Node: 'near3', Address: '10.1.0.3', Service: { Service: 'web', Port: 8003 } });
    await waitFor('dc2 sees near3 through its cache', () => names().length === 3, 10_000);
    assert.deepEqual(names(), [
      'web.service.dc1.consul. 0 A 10.1.0.1',
      'web.service.dc1.consul. 0 A 10.1.0.2',
      'web.service.dc1.consul. 0 A 10.1.0.3',
    ]);
  },
);

test(
  'a client answers other datacenters through its servers, and with allow_stale = false its own through the leader',
  { skip: skip ?? false },
  async () => {
    await waitFor(
      'the client reaches dc2',
      () => dig(CLIENT, DNS, ['web.service.dc2.consul', 'A']).status === 'NOERROR',
      20_000,
    );
    for (const args of [[], ['+tcp']]) {
      const D = (...a: string[]) => dig(CLIENT, DNS, [...args, ...a]);
      assert.deepEqual(rows(D('web.service.dc2.consul', 'A').answer), [
        'web.service.dc2.consul. 0 A 10.2.0.1',
        'web.service.dc2.consul. 0 A 10.2.0.2',
      ]);
      assert.deepEqual(rows(D('far2.node.dc2.consul', 'A').answer), ['far2.node.dc2.consul. 0 A 10.2.0.2']);
      assert.deepEqual(rows(D('near1.node.consul', 'A').answer), ['near1.node.consul. 0 A 10.1.0.1']);
      assert.ok(rows(D('web.service.consul', 'A').answer).includes('web.service.consul. 0 A 10.1.0.2'));
      assert.equal(D('web.service.dc9.consul', 'A').status, 'NXDOMAIN');
    }
  },
);
