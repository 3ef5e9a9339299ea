// Lookups read elsewhere: another datacenter (web.service.dc2.consul, <node>.node.dc2.consul) through
// its servers, with translate_wan_addrs choosing WAN addresses; and our own datacenter read from the
// leader when dns_config.allow_stale is false or this server is further behind than max_stale.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dnsPacket from 'dns-packet';
import { answerQuery, type DnsContext } from '../../../src/dns/server.js';
import { catalogFromFetch, fetchUrl, readHere } from '../../../src/dns/remote.js';
import type { CatalogFetch } from '../../../src/dns/planner.js';
import { newAgentFlags } from '../../../src/config/agent-flags.js';
import { loadConfig } from '../../../src/config/load.js';
import { Catalog } from '../../../src/state/catalog.js';
import { fakeHost, MemDisk } from '../../helpers/fakes.js';

type Packet = dnsPacket.Packet & { rcode?: string };

/** health/service rows for `web` in dc2: two nodes with LAN and WAN addresses, one instance critical. */
const DC2_WEB = [
  {
    Node: {
      Node: 'far1',
      Address: '10.2.0.1',
      TaggedAddresses: { lan: '10.2.0.1', wan: '198.51.100.1', wan_ipv4: '198.51.100.1' },
      Meta: {},
    },
    Service: { ID: 'web', Service: 'web', Tags: ['v1'], Address: '', Port: 80 },
    Checks: [{ CheckID: 'serfHealth', Status: 'passing', ServiceID: '' }],
  },
  {
    Node: { Node: 'far2', Address: '10.2.0.2', TaggedAddresses: { wan: '198.51.100.2' }, Meta: {} },
    Service: {
      ID: 'web',
      Service: 'web',
      Tags: [],
      Address: '10.2.1.2',
      TaggedAddresses: { wan: { Address: '203.0.113.2', Port: 8080 } },
      Port: 81,
    },
    Checks: [{ CheckID: 'serfHealth', Status: 'passing', ServiceID: '' }],
  },
  {
    Node: { Node: 'far3', Address: '10.2.0.3', TaggedAddresses: {}, Meta: {} },
    Service: { ID: 'web', Service: 'web', Tags: [], Address: '', Port: 80 },
    Checks: [{ CheckID: 'svc', Status: 'critical', ServiceID: 'web' }],
  },
];

async function ctx(hcl: string, extra: Partial<DnsContext>) {
  const { flags, values } = newAgentFlags();
  flags.parse(['-dev', ...(hcl ? ['-hcl', hcl] : [])]);
  const r = await loadConfig({ flags: values, disk: new MemDisk(), host: fakeHost(), cwd: '/' });
  assert.ok(r.ok, JSON.stringify(r));
  const catalog = new Catalog();
  catalog.register(1, { Node: 'near1', Address: '10.1.0.1', Service: { Service: 'web', Port: 80 } }, 'dc1');
  return {
    config: () => r.config,
    catalog: () => catalog,
    nowSeconds: () => 1_700_000_000,
    shuffle: <T>(x: T[]) => x,
    exchange: () => Promise.reject(new Error('no network in unit tests')),
    ...extra,
  } as DnsContext;
}

async function ask(c: DnsContext, name: string, type: string): Promise<Packet> {
  const q = dnsPacket.encode({ type: 'query', id: 5, questions: [{ type: type as 'A', name }] });
  const out = await answerQuery(new Uint8Array(q), 'udp', c);
  assert.ok(out instanceof Uint8Array);
  return dnsPacket.decode(Buffer.from(out)) as Packet;
}

const data = (p: Packet, section: 'answers' | 'additionals' = 'answers') =>
  (p[section] ?? []).map((a) => {
    const r = a as { name: string; type: string; data?: unknown };
    return `${r.name} ${r.type} ${JSON.stringify(r.data)}`;
  });

/** A fetcher answering dc2 from DC2_WEB (and a dc2 node), recording what was asked. */
function dc2(translate: boolean, asked: CatalogFetch[]) {
  return async (f: CatalogFetch, qtype: string) => {
    asked.push(f);
    if (f.datacenter !== 'dc2') return null;
    const body = f.node
      ? f.node === 'far1'
        ? { Node: DC2_WEB[0]!.Node, Services: {} }
        : null
      : f.service === 'web'
        ? DC2_WEB
        : [];
    return catalogFromFetch(f, body, translate, qtype);
  };
}

test('another datacenter: its servers are asked; SRV targets name that datacenter; LAN addresses by default', async () => {
  const asked: CatalogFetch[] = [];
  const c = await ctx('', { fetchCatalog: dc2(false, asked) });
  const srv = await ask(c, 'web.service.dc2.consul', 'SRV');
  assert.equal(srv.rcode, 'NOERROR');
  assert.deepEqual(asked, [{ datacenter: 'dc2', service: 'web' }]);
  assert.deepEqual(data(srv), [
    'web.service.dc2.consul SRV {"priority":1,"weight":1,"port":80,"target":"far1.node.dc2.consul"}',
    'web.service.dc2.consul SRV {"priority":1,"weight":1,"port":81,"target":"0a020102.addr.dc2.consul"}',
  ]);
  assert.deepEqual(data(await ask(c, 'web.service.dc2.dc.consul', 'A')), [
    'web.service.dc2.dc.consul A "10.2.0.1"',
    'web.service.dc2.dc.consul A "10.2.1.2"',
  ]);
  assert.deepEqual(data(await ask(c, 'v1.web.service.dc2.consul', 'A')), [
    'v1.web.service.dc2.consul A "10.2.0.1"',
  ]);
  assert.deepEqual(data(await ask(c, 'far1.node.dc2.consul', 'A')), ['far1.node.dc2.consul A "10.2.0.1"']);
  assert.equal((await ask(c, 'nope.node.dc2.consul', 'A')).rcode, 'NXDOMAIN');
  assert.equal((await ask(c, 'nope.service.dc2.consul', 'A')).rcode, 'NXDOMAIN');
  // Our own datacenter, named or not, is still answered here.
  asked.length = 0;
  assert.deepEqual(data(await ask(c, 'web.service.dc1.consul', 'A')), [
    'web.service.dc1.consul A "10.1.0.1"',
  ]);
  assert.deepEqual(asked, []);
  // No path to the datacenter: NXDOMAIN with the SOA.
  const none = await ask(c, 'web.service.dc9.consul', 'A');
  assert.deepEqual([none.rcode, none.authorities?.map((a) => a.type)], ['NXDOMAIN', ['SOA']]);
});

test('translate_wan_addrs: another datacenter is answered with WAN addresses (and the WAN port)', async () => {
  const c = await ctx('translate_wan_addrs = true', { fetchCatalog: dc2(true, []) });
  assert.deepEqual(data(await ask(c, 'web.service.dc2.consul', 'A')), [
    'web.service.dc2.consul A "198.51.100.1"',
    'web.service.dc2.consul A "203.0.113.2"',
  ]);
  const srv = await ask(c, 'web.service.dc2.consul', 'SRV');
  assert.deepEqual(data(srv), [
    'web.service.dc2.consul SRV {"priority":1,"weight":1,"port":80,"target":"far1.node.dc2.consul"}',
    'web.service.dc2.consul SRV {"priority":1,"weight":1,"port":8080,"target":"cb007102.addr.dc2.consul"}',
  ]);
  assert.deepEqual(data(srv, 'additionals'), [
    'far1.node.dc2.consul A "198.51.100.1"',
    'cb007102.addr.dc2.consul A "203.0.113.2"',
  ]);
  assert.deepEqual(data(await ask(c, 'far1.node.dc2.consul', 'A')), [
    'far1.node.dc2.consul A "198.51.100.1"',
  ]);
});

test('a read the catalog here may not answer goes to the leader; its failure is SERVFAIL', async () => {
  const asked: CatalogFetch[] = [];
  const leader = new Catalog();
  leader.register(1, { Node: 'fresh', Address: '10.1.0.9', Service: { Service: 'web', Port: 80 } }, 'dc1');
  leader.register(
    2,
    { Node: 'srv1', Address: '10.1.0.5', Service: { Service: 'consul', Port: 8300 } },
    'dc1',
  );
  let fail = false;
  const c = await ctx('', {
    readLocal: () => false,
    fetchCatalog: (f) => {
      asked.push(f);
      return fail ? Promise.reject(new Error('No cluster leader')) : Promise.resolve(leader);
    },
  });
  assert.deepEqual(data(await ask(c, 'web.service.consul', 'A')), ['web.service.consul A "10.1.0.9"']);
  assert.deepEqual(data(await ask(c, 'fresh.node.consul', 'A')), ['fresh.node.consul A "10.1.0.9"']);
  assert.deepEqual(data(await ask(c, 'consul', 'NS')), ['consul NS "srv1.node.dc1.consul"']);
  assert.deepEqual(data(await ask(c, '9.0.1.10.in-addr.arpa', 'PTR')), [
    '9.0.1.10.in-addr.arpa PTR "fresh.node.dc1.consul"',
  ]);
  assert.deepEqual(asked, [
    { datacenter: 'dc1', service: 'web' },
    { datacenter: 'dc1', node: 'fresh' },
    { datacenter: 'dc1', service: 'consul' },
    { datacenter: 'dc1', all: true },
  ]);
  fail = true;
  assert.equal((await ask(c, 'web.service.consul', 'A')).rcode, 'SERVFAIL');
  // Allowed to read here: the local catalog, nothing fetched.
  asked.length = 0;
  const here = await ctx('', { readLocal: () => true, fetchCatalog: () => Promise.resolve(leader) });
  assert.deepEqual(data(await ask(here, 'web.service.consul', 'A')), ['web.service.consul A "10.1.0.1"']);
  assert.deepEqual(asked, []);
});

test('allow_stale and max_stale decide where our datacenter is read', () => {
  const d = { allowStale: true, maxStaleNs: 87600 * 3600e9 };
  assert.equal(readHere(d, { leader: true, lastContactMs: 0 }), 'here');
  assert.equal(readHere(d, { leader: false, lastContactMs: 100 }), 'here');
  assert.equal(readHere(d, { leader: false, lastContactMs: 6000 }), 'stale');
  const tight = { allowStale: true, maxStaleNs: 2e9 };
  assert.equal(readHere(tight, { leader: false, lastContactMs: 1999 }), 'here');
  assert.equal(readHere(tight, { leader: false, lastContactMs: 2001 }), 'leader');
  const off = { allowStale: false, maxStaleNs: d.maxStaleNs };
  assert.equal(readHere(off, { leader: false, lastContactMs: 0 }), 'leader');
  assert.equal(readHere(off, { leader: true, lastContactMs: 0 }), 'here');
});

test('fetch URLs: ?dc with stale and max_stale for another datacenter, a consistent read of our own', () => {
  const ten = 87600 * 3600e9;
  assert.equal(
    fetchUrl({ datacenter: 'dc2', service: 'web api' }, 'dc1', true, ten),
    '/v1/health/service/web%20api?dc=dc2&stale&max_stale=315360000000ms',
  );
  assert.equal(fetchUrl({ datacenter: 'dc2', node: 'n1' }, 'dc1', false, ten), '/v1/catalog/node/n1?dc=dc2');
  assert.equal(fetchUrl({ datacenter: 'dc1', service: 'web' }, 'dc1', true, ten), '/v1/health/service/web');
  assert.equal(
    fetchUrl({ datacenter: 'dc1', all: true }, 'dc1', true, ten),
    '/v1/internal/proconsul/catalog',
  );
  const dump = new Catalog();
  dump.register(3, { Node: 'x', Address: '10.9.9.9' }, 'dc1');
  const back = catalogFromFetch(
    { datacenter: 'dc1', all: true },
    JSON.parse(JSON.stringify(dump.exportAll())),
    false,
    'PTR',
  );
  assert.equal(back.node('x')?.node.Address, '10.9.9.9');
});
