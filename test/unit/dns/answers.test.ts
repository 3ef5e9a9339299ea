// dns_config knobs and answer shaping that Consul documents: health filtering, TTLs, record limits,
// truncation (count and size, TC only with enable_truncate), alt_domain, the CH class, and
// recursor_strategy = "random".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dnsPacket from 'dns-packet';
import { answerQuery, type DnsContext } from '../../../src/dns/server.js';
import { newAgentFlags } from '../../../src/config/agent-flags.js';
import { loadConfig } from '../../../src/config/load.js';
import { Catalog } from '../../../src/state/catalog.js';
import { fakeHost, MemDisk } from '../../helpers/fakes.js';
import { queryBytes } from '../../helpers/dns.js';

type Packet = dnsPacket.Packet & { rcode?: string; flag_tc?: boolean };

async function ctx(hcl = '', extra: Partial<DnsContext> = {}) {
  const { flags, values } = newAgentFlags();
  flags.parse(['-dev', ...(hcl ? ['-hcl', hcl] : [])]);
  const r = await loadConfig({ flags: values, disk: new MemDisk(), host: fakeHost(), cwd: '/' });
  assert.ok(r.ok, JSON.stringify(r));
  const catalog = new Catalog();
  return {
    catalog,
    c: {
      config: () => r.config,
      catalog: () => catalog,
      nowSeconds: () => 1_700_000_000,
      shuffle: <T>(x: T[]) => x,
      exchange: () => Promise.reject(new Error('no network in unit tests')),
      ...extra,
    } as DnsContext,
  };
}

/** `n` instances of `svc` on nodes n1..n<n>, 10.0.0.<i>, each with one check of `status(i)`. */
function instances(
  catalog: Catalog,
  svc: string,
  n: number,
  status: (i: number) => string = () => 'passing',
) {
  for (let i = 1; i <= n; i++)
    catalog.register(
      i,
      {
        Node: `n${i}`,
        Address: `10.0.0.${i}`,
        Service: { Service: svc, Port: 80 },
        Check: { CheckID: `c-${svc}`, Name: 'c', ServiceID: svc, Status: status(i) },
      },
      'dc1',
    );
}

function ask(
  c: DnsContext,
  name: string,
  type: dnsPacket.RecordType,
  opts: { transport?: 'udp' | 'tcp'; edns?: number; klass?: 'IN' | 'CH' } = {},
): Packet {
  const out = answerQuery(
    queryBytes(name, type, { id: 3, klass: opts.klass ?? 'IN', ...(opts.edns ? { edns: opts.edns } : {}) }),
    opts.transport ?? 'udp',
    c,
  );
  assert.ok(out instanceof Uint8Array);
  return dnsPacket.decode(Buffer.from(out)) as Packet;
}

const datas = (p: Packet) => (p.answers ?? []).map((a) => (a as { data: unknown }).data);
const ttls = (p: Packet) => (p.answers ?? []).map((a) => (a as { ttl: number }).ttl);

test('warning instances are answered; only_passing leaves them out; critical never', async () => {
  const status = (i: number) => ['passing', 'warning', 'critical'][i - 1]!;
  const { c, catalog } = await ctx();
  instances(catalog, 'web', 3, status);
  assert.deepEqual(datas(ask(c, 'web.service.consul', 'A')), ['10.0.0.1', '10.0.0.2']);
  const strict = await ctx('dns_config { only_passing = true }');
  instances(strict.catalog, 'web', 3, status);
  assert.deepEqual(datas(ask(strict.c, 'web.service.consul', 'A')), ['10.0.0.1']);
  // Nothing left at all: NXDOMAIN.
  const none = await ctx('dns_config { only_passing = true }');
  instances(none.catalog, 'web', 1, () => 'warning');
  assert.equal(ask(none.c, 'web.service.consul', 'A').rcode, 'NXDOMAIN');
});

test('node_ttl on node answers; service_ttl by exact name, then longest prefix*, then *', async () => {
  const { c, catalog } = await ctx(
    'dns_config { node_ttl = "11s", service_ttl = { "*" = "5s", "we*" = "7s", "web*" = "8s", "web-exact" = "9s" } }',
  );
  instances(catalog, 'web-exact', 1);
  instances(catalog, 'webapp', 1);
  instances(catalog, 'wedge', 1);
  instances(catalog, 'db', 1);
  assert.deepEqual(ttls(ask(c, 'n1.node.consul', 'A')), [11]);
  assert.deepEqual(ttls(ask(c, 'web-exact.service.consul', 'A')), [9]);
  assert.deepEqual(ttls(ask(c, 'webapp.service.consul', 'A')), [8]);
  assert.deepEqual(ttls(ask(c, 'wedge.service.consul', 'A')), [7]);
  assert.deepEqual(ttls(ask(c, 'db.service.consul', 'A')), [5]);
  assert.deepEqual(ttls(ask(c, 'db.service.consul', 'SRV')), [5]);
  // Defaults: 0.
  const d = await ctx();
  instances(d.catalog, 'db', 1);
  assert.deepEqual(ttls(ask(d.c, 'db.service.consul', 'A')), [0]);
  assert.deepEqual(ttls(ask(d.c, 'n1.node.consul', 'A')), [0]);
});

test('a_record_limit caps A answers over UDP and TCP, not SRV', async () => {
  const { c, catalog } = await ctx('dns_config { a_record_limit = 2, udp_answer_limit = 8 }');
  instances(catalog, 'web', 5);
  assert.equal(ask(c, 'web.service.consul', 'A').answers?.length, 2);
  assert.equal(ask(c, 'web.service.consul', 'A', { transport: 'tcp' }).answers?.length, 2);
  assert.equal(ask(c, 'web.service.consul', 'SRV', { transport: 'tcp' }).answers?.length, 5);
});

test('udp_answer_limit cuts non-EDNS answers; TC only with enable_truncate; TCP is not cut', async () => {
  const { c, catalog } = await ctx();
  instances(catalog, 'web', 6);
  const cut = ask(c, 'web.service.consul', 'A');
  assert.equal(cut.answers?.length, 3); // udp_answer_limit defaults to 3
  assert.equal(cut.flag_tc, false);
  assert.equal(ask(c, 'web.service.consul', 'A', { transport: 'tcp' }).answers?.length, 6);
  const t = await ctx('dns_config { enable_truncate = true }');
  instances(t.catalog, 'web', 6);
  const tc = ask(t.c, 'web.service.consul', 'A');
  assert.equal(tc.answers?.length, 3);
  assert.equal(tc.flag_tc, true);
  // Not cut, no TC.
  instances(t.catalog, 'one', 1);
  assert.equal(ask(t.c, 'one.service.consul', 'A').flag_tc, false);
});

test('EDNS: no count cut, records dropped only to fit the advertised size (TC with enable_truncate)', async () => {
  const { c, catalog } = await ctx('dns_config { enable_truncate = true }');
  instances(catalog, 'web', 60);
  const big = ask(c, 'web.service.consul', 'A', { edns: 4096 });
  assert.equal(big.answers?.length, 60);
  assert.equal(big.flag_tc, false);
  const opt = big.additionals?.find((a) => a.type === 'OPT') as { udpPayloadSize?: number } | undefined;
  assert.equal(opt?.udpPayloadSize, 4096);
  const q = dnsPacket.encode({
    type: 'query',
    id: 3,
    questions: [{ type: 'SRV', name: 'web.service.consul' }],
    additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232 } as unknown as dnsPacket.Answer],
  });
  const raw = answerQuery(new Uint8Array(q), 'udp', c) as Uint8Array;
  assert.ok(raw.length <= 1232, `${raw.length} bytes`);
  const srv = dnsPacket.decode(Buffer.from(raw)) as Packet;
  const n = srv.answers?.length ?? 0;
  assert.ok(n > 3 && n < 60, `${n} SRV answers`);
  assert.equal(srv.flag_tc, true);
  // Additional records only for the SRV targets still answered.
  const targets = new Set(srv.answers!.map((a) => (a as { data: { target: string } }).data.target));
  for (const a of srv.additionals ?? []) if (a.type !== 'OPT') assert.ok(targets.has(a.name), a.name);
});

test('alt_domain: the same forms, answered in the domain of the question; PTR stays primary', async () => {
  const { c, catalog } = await ctx('alt_domain = "example.internal"');
  instances(catalog, 'web', 1);
  const a = ask(c, 'web.service.example.internal', 'A');
  assert.equal(a.rcode, 'NOERROR');
  assert.deepEqual(
    a.answers?.map((x) => [x.name, (x as { data: unknown }).data]),
    [['web.service.example.internal', '10.0.0.1']],
  );
  const srv = ask(c, 'web.service.example.internal', 'SRV');
  assert.equal(
    (srv.answers?.[0] as { data: { target: string } }).data.target,
    'n1.node.dc1.example.internal',
  );
  assert.deepEqual(
    srv.additionals?.map((x) => x.name),
    ['n1.node.dc1.example.internal'],
  );
  const nx = ask(c, 'nope.service.example.internal', 'A');
  assert.equal(nx.rcode, 'NXDOMAIN');
  assert.equal(nx.authorities?.[0]?.name, 'example.internal');
  assert.deepEqual(datas(ask(c, 'n1.node.example.internal', 'A')), ['10.0.0.1']);
  assert.deepEqual(datas(ask(c, '1.0.0.10.in-addr.arpa', 'PTR')), ['n1.node.dc1.consul']);
});

test('a CH class question is answered like IN (Consul does not look at the class)', async () => {
  const { c, catalog } = await ctx();
  instances(catalog, 'web', 1);
  const r = ask(c, 'web.service.consul', 'A', { klass: 'CH' });
  assert.equal(r.rcode, 'NOERROR');
  assert.deepEqual(datas(r), ['10.0.0.1']);
  assert.equal(r.questions?.[0]?.class, 'CH');
});

test('recursor_strategy: sequential asks in the configured order, random in a shuffled one', async () => {
  const order = async (strategy: string) => {
    const asked: string[] = [];
    const { flags, values } = newAgentFlags();
    flags.parse([
      '-dev',
      '-recursor=10.0.0.53',
      '-recursor=10.0.0.54',
      '-recursor=10.0.0.55',
      '-hcl',
      `dns_config { recursor_strategy = "${strategy}" }`,
    ]);
    const r = await loadConfig({ flags: values, disk: new MemDisk(), host: fakeHost(), cwd: '/' });
    assert.ok(r.ok);
    const c: DnsContext = {
      config: () => r.config,
      catalog: () => new Catalog(),
      nowSeconds: () => 0,
      shuffle: <T>(xs: T[]) => [...xs].reverse(),
      exchange: (rec) => {
        asked.push(rec);
        return Promise.reject(new Error('i/o timeout'));
      },
    };
    const q = dnsPacket.encode({ type: 'query', id: 1, questions: [{ type: 'A', name: 'example.org' }] });
    const out = await answerQuery(new Uint8Array(q), 'udp', c);
    assert.equal((dnsPacket.decode(Buffer.from(out!)) as Packet).rcode, 'SERVFAIL');
    return asked;
  };
  assert.deepEqual(await order('sequential'), ['10.0.0.53', '10.0.0.54', '10.0.0.55']);
  assert.deepEqual(await order('random'), ['10.0.0.55', '10.0.0.54', '10.0.0.53']);
});

test('node meta TXT: answers TXT/ANY, additional for A and SRV (enable_additional_node_meta_txt), RFC 1464 quoting', async () => {
  const meta = { rack: 'r1', 'a=b': 'x`y', ' pad ': 'v', 'RFC1035-raw': 'as is' };
  const txt = ['rack=r1', 'a`=b=x``y', '` pad` =v', 'as is'];
  const setup = async (hcl = '') => {
    const t = await ctx(hcl);
    t.catalog.register(
      1,
      { Node: 'm1', Address: '10.0.0.1', NodeMeta: meta, Service: { Service: 'web', Port: 80 } },
      'dc1',
    );
    t.catalog.register(
      2,
      {
        Node: 'm1',
        Address: '10.0.0.1',
        Service: { ID: 'web2', Service: 'ipweb', Address: '10.9.0.1', Port: 81 },
      },
      'dc1',
    );
    return t;
  };
  const strings = (rs: dnsPacket.Answer[] | undefined) =>
    (rs ?? [])
      .filter((r) => r.type === 'TXT')
      .map((r) => [r.name, (r as { data: Buffer[] }).data.map(String).join('')]);
  const { c } = await setup();
  // Over TCP: UDP without EDNS would cut the four answers to udp_answer_limit (3).
  assert.deepEqual(
    strings(ask(c, 'm1.node.consul', 'TXT', { transport: 'tcp' }).answers),
    txt.map((t) => ['m1.node.consul', t]),
  );
  const a = ask(c, 'm1.node.consul', 'A');
  assert.deepEqual(datas(a), ['10.0.0.1']);
  assert.deepEqual(
    strings(a.additionals),
    txt.map((t) => ['m1.node.consul', t]),
  );
  const srv = ask(c, 'web.service.consul', 'SRV');
  assert.deepEqual(
    (srv.additionals ?? []).map((r) => r.type),
    ['A', 'TXT', 'TXT', 'TXT', 'TXT'],
  );
  assert.deepEqual(
    strings(srv.additionals),
    txt.map((t) => ['m1.node.dc1.consul', t]),
  );
  // A <hex>.addr target still carries the node's meta under the node's name.
  assert.deepEqual(strings(ask(c, 'ipweb.service.consul', 'SRV').additionals).length, 4);
  const off = await setup('dns_config { enable_additional_node_meta_txt = false }');
  assert.deepEqual(strings(ask(off.c, 'm1.node.consul', 'A').additionals), []);
  assert.deepEqual(strings(ask(off.c, 'web.service.consul', 'SRV').additionals), []);
  assert.equal(strings(ask(off.c, 'm1.node.consul', 'TXT', { transport: 'tcp' }).answers).length, 4);
});
