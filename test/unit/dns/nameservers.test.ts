// NS records as Consul's handleQuery gives them: an SOA or NS question for any name in the domain is
// about the zone; up to 3 healthy `consul` servers named `<node>.node.<dc>.<domain>.` with their
// addresses as glue; SOA's fields as before; the apex asked for anything else is NXDOMAIN.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dnsPacket from 'dns-packet';
import { answerQuery, type DnsContext } from '../../../src/dns/server.js';
import { newAgentFlags } from '../../../src/config/agent-flags.js';
import { loadConfig } from '../../../src/config/load.js';
import { Catalog } from '../../../src/state/catalog.js';
import { fakeHost, MemDisk } from '../../helpers/fakes.js';

type Packet = dnsPacket.Packet & { rcode?: string };

async function ctx(hcl = '', shuffle: <T>(x: T[]) => T[] = (x) => x) {
  const { flags, values } = newAgentFlags();
  flags.parse(['-dev', ...(hcl ? ['-hcl', hcl] : [])]);
  const r = await loadConfig({ flags: values, disk: new MemDisk(), host: fakeHost(), cwd: '/' });
  assert.ok(r.ok, JSON.stringify(r));
  const catalog = new Catalog();
  const c: DnsContext = {
    config: () => r.config,
    catalog: () => catalog,
    nowSeconds: () => 1_700_000_000,
    shuffle,
    exchange: () => Promise.reject(new Error('no network in unit tests')),
  };
  return { c, catalog };
}

/** A `consul` server instance on `node` with a serfHealth check of `status`. */
function server(catalog: Catalog, i: number, node: string, address: string, status = 'passing') {
  catalog.register(
    i,
    {
      Node: node,
      Address: address,
      Service: { Service: 'consul', Port: 8300 },
      Check: { CheckID: 'serfHealth', Name: 'Serf Health Status', Status: status },
    },
    'dc1',
  );
}

function ask(c: DnsContext, name: string, type: string): Packet {
  const q = dnsPacket.encode({ type: 'query', id: 3, questions: [{ type: type as 'A', name }] });
  const out = answerQuery(new Uint8Array(q), 'udp', c);
  assert.ok(out instanceof Uint8Array);
  return dnsPacket.decode(Buffer.from(out)) as Packet;
}

const rows = (rs: dnsPacket.Answer[] | undefined) =>
  (rs ?? []).map((a) => {
    const r = a as { name: string; ttl?: number; type: string; data?: unknown };
    return `${r.name} ${r.ttl} ${r.type} ${JSON.stringify(r.data)}`;
  });

const SOA = {
  mname: 'ns.consul',
  rname: 'hostmaster.consul',
  serial: 1_700_000_000,
  refresh: 3600,
  retry: 600,
  expire: 86400,
  minimum: 0,
};

test('NS for the domain: the healthy servers with A/AAAA glue; SOA: the SOA with them in authority', async () => {
  const { c, catalog } = await ctx();
  server(catalog, 1, 'S1', '10.0.0.1');
  server(catalog, 2, 's2', 'fd00::2');
  server(catalog, 3, 's3', '10.0.0.3', 'critical');
  catalog.register(4, { Node: 'web1', Address: '10.0.0.4', Service: { Service: 'web', Port: 80 } }, 'dc1');
  const ns = ask(c, 'consul', 'NS');
  assert.equal(ns.rcode, 'NOERROR');
  assert.ok(ns.flags! & dnsPacket.AUTHORITATIVE_ANSWER);
  // Names lower-cased, as Consul does; the critical server and non-servers are not named.
  assert.deepEqual(rows(ns.answers), [
    'consul 0 NS "s1.node.dc1.consul"',
    'consul 0 NS "s2.node.dc1.consul"',
  ]);
  assert.deepEqual(rows(ns.authorities), []);
  assert.deepEqual(rows(ns.additionals), [
    's1.node.dc1.consul 0 A "10.0.0.1"',
    's2.node.dc1.consul 0 AAAA "fd00::2"',
  ]);
  const soa = ask(c, 'consul', 'SOA');
  assert.equal(soa.rcode, 'NOERROR');
  assert.deepEqual(
    soa.answers?.map((a) => [a.name, a.type, (a as { data: unknown }).data]),
    [['consul', 'SOA', SOA]],
  );
  assert.deepEqual(rows(soa.authorities), rows(ns.answers));
  assert.deepEqual(rows(soa.additionals), rows(ns.additionals));
});

test('at most 3 nameservers, shuffled, with node_ttl; node names that are not DNS labels are skipped', async () => {
  const reverse = <T>(x: T[]) => [...x].reverse();
  const { c, catalog } = await ctx('dns_config { node_ttl = "30s" }', reverse);
  server(catalog, 1, 'bad_name', '10.0.0.9');
  for (let i = 1; i <= 5; i++) server(catalog, i + 1, `s${i}`, `10.0.0.${i}`);
  const ns = ask(c, 'consul', 'NS');
  assert.deepEqual(rows(ns.answers), [
    'consul 30 NS "s5.node.dc1.consul"',
    'consul 30 NS "s4.node.dc1.consul"',
    'consul 30 NS "s3.node.dc1.consul"',
  ]);
  assert.deepEqual(rows(ns.additionals), [
    's5.node.dc1.consul 30 A "10.0.0.5"',
    's4.node.dc1.consul 30 A "10.0.0.4"',
    's3.node.dc1.consul 30 A "10.0.0.3"',
  ]);
});

test('SOA and NS questions for any name in the domain are about the zone; the apex asked otherwise is NXDOMAIN', async () => {
  const { c, catalog } = await ctx('alt_domain = "alt.test"');
  server(catalog, 1, 's1', '10.0.0.1');
  catalog.register(2, { Node: 'web1', Address: '10.0.0.4', Service: { Service: 'web', Port: 80 } }, 'dc1');
  const soa = ask(c, 'web.service.consul', 'SOA');
  assert.deepEqual([soa.rcode, soa.answers?.[0]?.name, soa.answers?.[0]?.type], ['NOERROR', 'consul', 'SOA']);
  assert.deepEqual(rows(soa.authorities), ['consul 0 NS "s1.node.dc1.consul"']);
  assert.deepEqual(rows(ask(c, 'web1.node.consul', 'NS').answers), ['consul 0 NS "s1.node.dc1.consul"']);
  // Under the alternate domain the NS owner and names follow the question's domain.
  const alt = ask(c, 'alt.test', 'NS');
  assert.deepEqual(rows(alt.answers), ['alt.test 0 NS "s1.node.dc1.alt.test"']);
  assert.deepEqual(rows(alt.additionals), ['s1.node.dc1.alt.test 0 A "10.0.0.1"']);
  // The owner keeps the question's spelling; the server names are lower case.
  assert.deepEqual(rows(ask(c, 'CONSUL', 'NS').answers), ['CONSUL 0 NS "s1.node.dc1.consul"']);
  for (const type of ['A', 'ANY', 'TXT']) {
    const r = ask(c, 'consul', type);
    assert.equal(r.rcode, 'NXDOMAIN', type);
    assert.deepEqual(
      r.authorities?.map((a) => a.type),
      ['SOA'],
      type,
    );
  }
});

test('no servers in the catalog: NS is an empty NOERROR, SOA has no authority', async () => {
  const { c } = await ctx();
  const ns = ask(c, 'consul', 'NS');
  assert.deepEqual([ns.rcode, rows(ns.answers), rows(ns.authorities)], ['NOERROR', [], []]);
  const soa = ask(c, 'consul', 'SOA');
  assert.deepEqual([soa.rcode, soa.answers?.length, rows(soa.authorities)], ['NOERROR', 1, []]);
});
