// <name>.query[.<dc>].<domain> in the DNS server: the name and datacenter handed to the executor (RFC
// 2782 form stripped), answers in the order the query gave, TTL from the query's DNS.TTL else service_ttl,
// NXDOMAIN with SOA for no query or no instance, SERVFAIL when execution fails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dnsPacket from 'dns-packet';
import { answerQuery } from '../../../src/dns/server.js';
import { newAgentFlags } from '../../../src/config/agent-flags.js';
import { loadConfig } from '../../../src/config/load.js';
import { Catalog } from '../../../src/state/catalog.js';
import type { ExecuteResult } from '../../../src/state/query-execute.js';
import { fakeHost, MemDisk } from '../../helpers/fakes.js';

async function setup(extra: string[] = []) {
  const { flags, values } = newAgentFlags();
  flags.parse(['-dev', ...extra]);
  const r = await loadConfig({ flags: values, disk: new MemDisk(), host: fakeHost(), cwd: '/' });
  assert.ok(r.ok);
  const catalog = new Catalog();
  for (const [n, a, p] of [
    ['n1', '10.0.0.1', 81],
    ['n2', '10.0.0.2', 82],
  ] as const)
    catalog.register(1, { Node: n, Address: a, Service: { Service: 'web', Port: p } }, 'dc1');
  const asked: string[] = [];
  const sources: string[] = [];
  let ttl = '7s';
  const result = (): ExecuteResult => ({
    Service: 'web',
    // Near-sorted: n2 first, and the answer must keep that order.
    Nodes: ['n2', 'n1'].map((name) => {
      const e = catalog.node(name)!;
      return { node: e.node, service: e.services[0]!, checks: [], health: 'passing' as const };
    }),
    DNS: { TTL: ttl },
    Datacenter: 'dc1',
    Failovers: 0,
  });
  const ctx = {
    config: () => r.config,
    catalog: () => catalog,
    nowSeconds: () => 1_700_000_000,
    shuffle: <T>(x: T[]) => [...x].reverse(),
    exchange: () => Promise.reject(new Error('no network in unit tests')),
    executeQuery: (name: string, dc: string, sourceIp: string) => {
      asked.push(`${name}@${dc}`);
      sources.push(sourceIp);
      if (dc === 'dc2') return { ...result(), Datacenter: 'dc2' };
      if (dc !== 'dc1') return null;
      if (name === 'boom')
        throw new Error('prepared query templates can only be resolved up by name, not by ID');
      return name === 'web-q' ? result() : name === 'empty' ? { ...result(), Nodes: [] } : null;
    },
  };
  const ask = async (name: string, type: dnsPacket.RecordType, from = '', ecs?: string) => {
    const opt = {
      type: 'OPT',
      name: '.',
      udpPayloadSize: 4096,
      options: [{ code: 8, family: 1, sourcePrefixLength: 32, scopePrefixLength: 0, ip: ecs }],
    } as unknown as dnsPacket.Answer;
    const q = new Uint8Array(
      dnsPacket.encode({ type: 'query', id: 7, questions: [{ type, name }], additionals: ecs ? [opt] : [] }),
    );
    const out = await answerQuery(q, 'udp', ctx, from);
    return dnsPacket.decode(Buffer.from(out!)) as unknown as dnsPacket.Packet & { rcode: string };
  };
  return { ask, asked, sources, setTtl: (t: string) => (ttl = t) };
}

const data = (p: dnsPacket.Packet) => (p.answers ?? []).map((a) => (a as { data: unknown }).data);

test('SRV and A for a query keep its order and take its TTL', async () => {
  const { ask, asked } = await setup();
  const srv = await ask('web-q.query.consul', 'SRV');
  assert.equal(srv.rcode, 'NOERROR');
  assert.deepEqual(data(srv), [
    { priority: 1, weight: 1, port: 82, target: 'n2.node.dc1.consul' },
    { priority: 1, weight: 1, port: 81, target: 'n1.node.dc1.consul' },
  ]);
  assert.deepEqual(
    (srv.answers ?? []).map((a) => [a.name, (a as { ttl: number }).ttl]),
    [
      ['web-q.query.consul', 7],
      ['web-q.query.consul', 7],
    ],
  );
  assert.deepEqual(data(await ask('WEB-Q.query.dc1.consul', 'A')), ['10.0.0.2', '10.0.0.1']);
  await ask('_web-q._tcp.query.consul', 'SRV');
  // Another datacenter's answer names its targets there.
  const far = await ask('web-q.query.dc2.dc.consul', 'SRV');
  assert.deepEqual(
    data(far).map((d) => (d as { target: string }).target),
    ['n2.node.dc2.consul', 'n1.node.dc2.consul'],
  );
  assert.deepEqual(asked, ['web-q@dc1', 'web-q@dc1', 'web-q@dc1', 'web-q@dc2']);
});

test('without DNS.TTL the service_ttl rules apply', async () => {
  const { ask, setTtl } = await setup(['-hcl', 'dns_config { service_ttl { "we*" = "3s" } }']);
  setTtl('');
  const a = await ask('web-q.query.consul', 'A');
  assert.deepEqual(
    (a.answers ?? []).map((x) => (x as { ttl: number }).ttl),
    [3, 3],
  );
});

test('unknown query, no instance, another datacenter: NXDOMAIN with SOA; a failed execution: SERVFAIL', async () => {
  const { ask, asked } = await setup();
  for (const name of [
    'nope.query.consul',
    'empty.query.consul',
    'web-q.query.dc9.consul',
    'query.consul',
    'web-q.query.a.b.consul',
  ]) {
    const r = await ask(name, 'A');
    assert.equal(r.rcode, 'NXDOMAIN', name);
    assert.equal(r.authorities?.[0]?.type, 'SOA', name);
  }
  assert.deepEqual(asked, ['nope@dc1', 'empty@dc1', 'web-q@dc9']);
  assert.equal((await ask('boom.query.consul', 'A')).rcode, 'SERVFAIL');
});

test('the requester for near "_ip": EDNS Client Subnet first, else the peer address', async () => {
  const { ask, sources } = await setup();
  await ask('web-q.query.consul', 'A', '127.0.0.9');
  await ask('web-q.query.consul', 'A', '127.0.0.9', '10.0.0.2');
  assert.deepEqual(sources, ['127.0.0.9', '10.0.0.2']);
});
