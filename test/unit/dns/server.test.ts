import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import dnsPacket from 'dns-packet';
import { AnswerCache, answerQuery } from '../../../src/dns/server.js';
import { newAgentFlags } from '../../../src/config/agent-flags.js';
import { loadConfig } from '../../../src/config/load.js';
import { Catalog } from '../../../src/state/catalog.js';
import { fakeHost, MemDisk } from '../../helpers/fakes.js';

type Exchange = (recursor: string, q: Uint8Array, t: 'udp' | 'tcp', timeoutMs: number) => Promise<Uint8Array>;

async function ctx(extra: string[] = [], exchange?: Exchange) {
  const { flags, values } = newAgentFlags();
  flags.parse(['-dev', ...extra]);
  const r = await loadConfig({ flags: values, disk: new MemDisk(), host: fakeHost(), cwd: '/' });
  assert.ok(r.ok);
  const catalog = new Catalog();
  catalog.register(1, { Node: 'n1', Address: '10.0.0.1', Service: { Service: 'web', Port: 80 } }, 'dc1');
  return {
    config: () => r.config,
    catalog: () => catalog,
    nowSeconds: () => 1_700_000_000,
    shuffle: <T>(x: T[]) => x,
    exchange: exchange ?? (() => Promise.reject(new Error('no network in unit tests'))),
  };
}

/** The answer of a query that must not need the network. */
function now(out: Uint8Array | null | Promise<Uint8Array>): Uint8Array | null {
  assert.ok(!(out instanceof Promise), 'answered without recursion');
  return out;
}

test('malformed queries get FORMERR or are dropped, never an exception', async () => {
  const c = await ctx();
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 120 }), (b) => {
      const out = now(answerQuery(b, 'udp', c));
      if (out === null) assert.ok(b.length < 12 || (b[2]! & 0x80) !== 0, 'only short or QR=1 dropped');
      else dnsPacket.decode(Buffer.from(out)); // a well-formed response
    }),
    { numRuns: 3000 },
  );
  const bad = new Uint8Array(20).fill(0xff);
  bad[0] = 0x12;
  bad[1] = 0x34;
  bad[2] = 0x01; // a query (QR=0, opcode QUERY) with garbage after the header
  const resp = dnsPacket.decode(Buffer.from(now(answerQuery(bad, 'udp', c))!));
  assert.equal(resp.id, 0x1234);
  assert.equal((resp as { rcode?: string }).rcode, 'FORMERR');
});

test('a question name that does not survive re-encoding (non-UTF-8 label bytes) is FORMERR, still decodable', async () => {
  const c = await ctx();
  // One 40-byte label of 0xff: as text each byte becomes U+FFFD (3 bytes), past 63 if echoed back.
  const label = new Uint8Array(40).fill(0xff);
  const q = new Uint8Array([0, 7, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 40, ...label, 0, 0, 1, 0, 1]);
  const out = now(answerQuery(q, 'udp', c));
  assert.ok(out !== null);
  const resp = dnsPacket.decode(Buffer.from(out)) as { id?: number; rcode?: string };
  assert.deepEqual([resp.id, resp.rcode], [7, 'FORMERR']);
});

test('a name compression loop is refused, not followed', async () => {
  const c = await ctx();
  // Header with one question whose name is a pointer to itself (offset 12).
  const q = new Uint8Array([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]);
  const out = now(answerQuery(q, 'udp', c));
  assert.ok(out !== null);
  assert.equal((dnsPacket.decode(Buffer.from(out)) as { rcode?: string }).rcode, 'FORMERR');
});

test('AXFR is not implemented', async () => {
  const c = await ctx();
  const q = dnsPacket.encode({ type: 'query', id: 1, questions: [{ type: 'AXFR', name: 'consul' }] });
  assert.equal(
    (dnsPacket.decode(Buffer.from(now(answerQuery(new Uint8Array(q), 'tcp', c))!)) as { rcode?: string })
      .rcode,
    'NOTIMP',
  );
});

function ask(c: Awaited<ReturnType<typeof ctx>>, name: string, type: dnsPacket.RecordType) {
  const q = dnsPacket.encode({ type: 'query', id: 7, questions: [{ type, name }] });
  return dnsPacket.decode(Buffer.from(now(answerQuery(new Uint8Array(q), 'udp', c))!)) as dnsPacket.Packet & {
    rcode?: string;
  };
}

test('PTR: a node address answers <node>.node.<dc>.<domain>, then service addresses, else SERVFAIL', async () => {
  const c = await ctx();
  c.catalog().register(
    2,
    { Node: 'n2', Address: '10.0.0.2', Service: { Service: 'db', Address: '10.9.9.9', Port: 5432 } },
    'dc1',
  );
  const r = ask(c, '1.0.0.10.in-addr.arpa', 'PTR');
  assert.equal(r.rcode, 'NOERROR');
  assert.deepEqual(
    r.answers?.map((a) => [a.name, a.type, (a as { data: string }).data, (a as { ttl: number }).ttl]),
    [['1.0.0.10.in-addr.arpa', 'PTR', 'n1.node.dc1.consul', 0]],
  );
  assert.deepEqual(
    ask(c, '9.9.9.10.in-addr.arpa', 'PTR').answers?.map((a) => (a as { data: string }).data),
    ['db.service.dc1.consul'],
  );
  assert.equal(ask(c, '7.7.7.10.in-addr.arpa', 'PTR').rcode, 'SERVFAIL');
  assert.equal(ask(c, 'x.in-addr.arpa', 'PTR').rcode, 'SERVFAIL');
});

test('<hex>.addr.consul decodes the address; the other type gets it in the additional section', async () => {
  const c = await ctx();
  const a = ask(c, '0a000001.addr.dc1.consul', 'A');
  assert.deepEqual(
    a.answers?.map((x) => [x.type, (x as { data: string }).data]),
    [['A', '10.0.0.1']],
  );
  const six = ask(c, '20010db8000000000000000000000001.addr.consul', 'AAAA');
  assert.deepEqual(
    six.answers?.map((x) => [x.type, (x as { data: string }).data]),
    [['AAAA', '2001:db8::1']],
  );
  const other = ask(c, '0a000001.addr.consul', 'AAAA');
  assert.equal(other.answers?.length ?? 0, 0);
  assert.deepEqual(
    other.additionals?.map((x) => [x.type, (x as { data: string }).data]),
    [['A', '10.0.0.1']],
  );
  assert.equal(ask(c, 'zz.addr.consul', 'A').rcode, 'NXDOMAIN');
});

test('recursors: names outside the domain go to each recursor in turn; SERVFAIL with RA when all fail', async () => {
  const asked: string[] = [];
  const upstream = (id: number, rcode: number) => {
    const r = new Uint8Array(
      dnsPacket.encode({
        type: 'response',
        id,
        flags: dnsPacket.RECURSION_AVAILABLE,
        questions: [{ type: 'A', name: 'example.org' }],
        answers: [{ type: 'A', name: 'example.org', ttl: 60, data: '192.0.2.7' }],
      }),
    );
    r[3] = (r[3]! & 0xf0) | rcode;
    return r;
  };
  const replies: Record<string, number | 'timeout'> = {
    '10.0.0.53': 'timeout',
    '10.0.0.54': 2,
    '10.0.0.55': 0,
  };
  const c = await ctx(
    ['-recursor=10.0.0.53', '-recursor=10.0.0.54', '-recursor=10.0.0.55'],
    async (r, q, t, ms) => {
      asked.push(`${r}/${t}/${ms}`);
      const how = replies[r]!;
      if (how === 'timeout') throw new Error('i/o timeout');
      return upstream((q[0]! << 8) | q[1]!, how);
    },
  );
  const ask = async (name: string, type: dnsPacket.RecordType = 'A', transport: 'udp' | 'tcp' = 'udp') =>
    dnsPacket.decode(
      Buffer.from(
        (await answerQuery(
          new Uint8Array(
            dnsPacket.encode({
              type: 'query',
              id: 77,
              flags: dnsPacket.RECURSION_DESIRED,
              questions: [{ type, name }],
            }),
          ),
          transport,
          c,
        ))!,
      ),
    ) as dnsPacket.Packet & { rcode?: string; flag_ra?: boolean; flag_rd?: boolean };
  const fwd = await ask('example.org');
  assert.deepEqual(asked, ['10.0.0.53/udp/2000', '10.0.0.54/udp/2000', '10.0.0.55/udp/2000']);
  assert.equal(fwd.id, 77);
  assert.equal(fwd.rcode, 'NOERROR');
  assert.deepEqual(
    fwd.answers?.map((a) => (a as { data: unknown }).data),
    ['192.0.2.7'],
  );
  // Our own names are answered here, with RA (recursors exist) and RD echoed.
  asked.length = 0;
  const own = await ask('web.service.consul');
  assert.deepEqual(asked, []);
  assert.equal(own.flag_ra, true);
  assert.equal(own.flag_rd, true);
  // A reverse name nobody registered is forwarded too (over TCP when asked over TCP).
  await ask('9.9.9.10.in-addr.arpa', 'PTR', 'tcp');
  assert.equal(asked[0], '10.0.0.53/tcp/2000');
  replies['10.0.0.55'] = 'timeout';
  const failed = await ask('example.org');
  assert.equal(failed.rcode, 'SERVFAIL');
  assert.equal(failed.flag_ra, true);
  assert.equal(failed.id, 77);
});

test('without recursors, names outside the domain are REFUSED at once', async () => {
  const c = await ctx();
  const q = new Uint8Array(
    dnsPacket.encode({ type: 'query', id: 5, questions: [{ type: 'A', name: 'example.org' }] }),
  );
  const out = now(answerQuery(q, 'udp', c));
  assert.equal((dnsPacket.decode(Buffer.from(out!)) as { rcode?: string }).rcode, 'REFUSED');
});

test('the answer cache: same question, new ID patched in; a catalog change or the next second refreshes it', async () => {
  const base = await ctx();
  let second = 1_700_000_000;
  const c = { ...base, nowSeconds: () => second, cache: new AnswerCache(), pick: () => 0 };
  const q = (id: number) =>
    new Uint8Array(
      dnsPacket.encode({ type: 'query', id, questions: [{ type: 'A', name: 'web.service.consul' }] }),
    );
  const first = now(answerQuery(q(1), 'udp', c))!;
  for (let i = 0; i < 5; i++) now(answerQuery(q(1), 'udp', c)); // fill the orderings
  const cached = now(answerQuery(q(0xbeef), 'udp', c))!;
  assert.equal(dnsPacket.decode(Buffer.from(cached)).id, 0xbeef);
  assert.deepEqual(cached.subarray(2), first.subarray(2));
  // A new instance changes the catalog index: the next answer sees it.
  base
    .catalog()
    .register(2, { Node: 'n2', Address: '10.0.0.2', Service: { Service: 'web', Port: 80 } }, 'dc1');
  const after = dnsPacket.decode(Buffer.from(now(answerQuery(q(2), 'udp', c))!));
  assert.deepEqual(after.answers?.map((a) => (a as { data: unknown }).data).sort(), ['10.0.0.1', '10.0.0.2']);
  // NXDOMAIN carries the time as the SOA serial: a new second, a new answer.
  const nx = (id: number) =>
    dnsPacket.decode(
      Buffer.from(
        now(
          answerQuery(
            new Uint8Array(
              dnsPacket.encode({
                type: 'query',
                id,
                questions: [{ type: 'A', name: 'nope.service.consul' }],
              }),
            ),
            'udp',
            c,
          ),
        )!,
      ),
    ) as dnsPacket.Packet & { authorities?: Array<{ data: { serial: number } }> };
  assert.equal(nx(3).authorities?.[0]?.data.serial, 1_700_000_000);
  second++;
  assert.equal(nx(4).authorities?.[0]?.data.serial, 1_700_000_001);
});

/** A query's bytes with header fields rewritten: flag byte 2 and the four section counts. */
function raw(
  name: string,
  patch: { byte2?: number; qd?: number; an?: number; ns?: number; ar?: number } = {},
): Uint8Array {
  const q = new Uint8Array(
    dnsPacket.encode({
      type: 'query',
      id: 0x4321,
      flags: dnsPacket.RECURSION_DESIRED,
      questions: [{ type: 'A', name }],
    }),
  );
  if (patch.byte2 !== undefined) q[2] = patch.byte2;
  const set = (i: number, v: number | undefined) => {
    if (v === undefined) return;
    q[i] = v >> 8;
    q[i + 1] = v & 0xff;
  };
  set(4, patch.qd);
  set(6, patch.an);
  set(8, patch.ns);
  set(10, patch.ar);
  return q;
}

function header(out: Uint8Array | null) {
  assert.ok(out !== null, 'answered');
  return {
    id: (out[0]! << 8) | out[1]!,
    qr: (out[2]! & 0x80) !== 0,
    opcode: (out[2]! >> 3) & 0x0f,
    aa: (out[2]! & 0x04) !== 0,
    rd: (out[2]! & 0x01) !== 0,
    rcode: out[3]! & 0x0f,
    counts: [4, 6, 8, 10].map((i) => (out[i]! << 8) | out[i + 1]!),
  };
}

test('wire strictness: a response (QR=1) is dropped, never answered', async () => {
  const c = await ctx();
  assert.equal(now(answerQuery(raw('web.service.consul', { byte2: 0x81 }), 'udp', c)), null);
  assert.equal(now(answerQuery(raw('web.service.consul', { byte2: 0x80 }), 'tcp', c)), null);
});

test('wire strictness: opcodes other than QUERY and NOTIFY get NOTIMP with the opcode echoed', async () => {
  const c = await ctx();
  for (const opcode of [1, 2, 3, 5, 6, 15]) {
    const h = header(now(answerQuery(raw('web.service.consul', { byte2: (opcode << 3) | 1 }), 'udp', c)));
    assert.deepEqual(
      { ...h, counts: h.counts },
      { id: 0x4321, qr: true, opcode, aa: false, rd: true, rcode: 4, counts: [0, 0, 0, 0] },
      `opcode ${opcode}`,
    );
  }
  // NOTIFY passes the DNS library and is answered like a query (opcode echoed), as Consul does.
  const notify = header(now(answerQuery(raw('web.service.consul', { byte2: (4 << 3) | 1 }), 'udp', c)));
  assert.equal(notify.opcode, 4);
  assert.equal(notify.rcode, 0);
  assert.equal(notify.counts[1], 1);
});

test('wire strictness: QDCOUNT other than 1, or extra records, is FORMERR with no sections', async () => {
  const c = await ctx();
  const cases: Array<Parameters<typeof raw>[1]> = [{ qd: 0 }, { qd: 2 }, { an: 2 }, { ns: 2 }, { ar: 3 }];
  for (const patch of cases) {
    const h = header(now(answerQuery(raw('web.service.consul', patch), 'udp', c)));
    assert.equal(h.rcode, 1, JSON.stringify(patch));
    assert.equal(h.opcode, 0);
    assert.equal(h.id, 0x4321);
    assert.deepEqual(h.counts, [0, 0, 0, 0]);
  }
});

test('udp_answer_limit also applies when the EDNS payload size is 512 or less', async () => {
  const c = await ctx(['-hcl', 'dns_config { udp_answer_limit = 2 }']);
  for (let i = 2; i <= 6; i++)
    c.catalog().register(
      i,
      { Node: `n${i}`, Address: `10.0.0.${i}`, Service: { Service: 'web', Port: 80 } },
      'dc1',
    );
  const askEdns = (size: number) => {
    const q = dnsPacket.encode({
      type: 'query',
      id: 9,
      questions: [{ type: 'A', name: 'web.service.consul' }],
      additionals: [{ type: 'OPT', name: '.', udpPayloadSize: size } as unknown as dnsPacket.Answer],
    });
    return dnsPacket.decode(Buffer.from(now(answerQuery(new Uint8Array(q), 'udp', c))!));
  };
  assert.equal(askEdns(512).answers?.length, 2);
  assert.equal(askEdns(400).answers?.length, 2);
  assert.equal(askEdns(1232).answers?.length, 6);
  assert.equal(ask(c, 'web.service.consul', 'A').answers?.length, 2);
});

test('catalog lookups ignore case; answers echo the question name as asked (0x20)', async () => {
  const c = await ctx();
  c.catalog().register(
    2,
    {
      Node: 'Web-1',
      Address: '10.0.1.1',
      Service: { Service: 'Api', Tags: ['Primary'], Port: 8080 },
    },
    'dc1',
  );
  const node = ask(c, 'wEB-1.NoDe.Dc1.cOnSuL', 'A');
  assert.equal(node.rcode, 'NOERROR');
  assert.deepEqual(
    node.answers?.map((a) => [a.name, (a as { data: string }).data]),
    [['wEB-1.NoDe.Dc1.cOnSuL', '10.0.1.1']],
  );
  for (const name of ['api.service.consul', 'API.SERVICE.CONSUL', 'pRiMaRy.aPi.service.consul']) {
    const r = ask(c, name, 'A');
    assert.deepEqual(
      r.answers?.map((a) => [a.name, (a as { data: string }).data]),
      [[name, '10.0.1.1']],
      name,
    );
  }
  const srv = ask(c, '_Api._Primary.Service.Consul', 'SRV');
  assert.deepEqual(
    srv.answers?.map((a) => [a.name, (a as { data: { target: string } }).data.target]),
    [['_Api._Primary.Service.Consul', 'Web-1.node.dc1.consul']],
  );
  assert.equal(ask(c, 'secondary.api.service.consul', 'A').rcode, 'NXDOMAIN');
  const ptr = ask(c, '1.1.0.10.IN-ADDR.ARPA', 'PTR');
  assert.deepEqual(
    ptr.answers?.map((a) => [a.name, (a as { data: string }).data]),
    [['1.1.0.10.IN-ADDR.ARPA', 'Web-1.node.dc1.consul']],
  );
});

test('SRV targets: <hex>.addr for a service IPv6 address (AAAA additional), the node for an IPv6 node', async () => {
  const c = await ctx();
  c.catalog().register(
    2,
    { Node: 'six', Address: '2001:db8::9', Service: { Service: 'v6', Address: '2001:db8::1:2', Port: 81 } },
    'dc1',
  );
  c.catalog().register(
    3,
    { Node: 'six', Address: '2001:db8::9', Service: { Service: 'n6', Port: 82 } },
    'dc1',
  );
  const rows = (r: dnsPacket.Packet, sect: 'answers' | 'additionals') =>
    (r[sect] ?? []).map((a) => [a.name, a.type, (a as { data: unknown }).data]);
  const v6 = ask(c, 'v6.service.consul', 'SRV');
  const hex = '20010db8000000000000000000010002.addr.dc1.consul';
  assert.deepEqual(rows(v6, 'answers'), [
    ['v6.service.consul', 'SRV', { priority: 1, weight: 1, port: 81, target: hex }],
  ]);
  assert.deepEqual(rows(v6, 'additionals'), [[hex, 'AAAA', '2001:db8::1:2']]);
  // The hex name decodes back to the address.
  assert.deepEqual(rows(ask(c, `${hex}`, 'AAAA'), 'answers'), [[hex, 'AAAA', '2001:db8::1:2']]);
  assert.deepEqual(rows(ask(c, 'v6.service.consul', 'AAAA'), 'answers'), [
    ['v6.service.consul', 'AAAA', '2001:db8::1:2'],
  ]);
  const n6 = ask(c, 'n6.service.consul', 'SRV');
  assert.deepEqual(rows(n6, 'answers'), [
    ['n6.service.consul', 'SRV', { priority: 1, weight: 1, port: 82, target: 'six.node.dc1.consul' }],
  ]);
  assert.deepEqual(rows(n6, 'additionals'), [['six.node.dc1.consul', 'AAAA', '2001:db8::9']]);
});

test('hostname service addresses: SRV target is the hostname; A is a CNAME (resolved inside the domain)', async () => {
  const c = await ctx();
  c.catalog().register(
    2,
    {
      Node: 'ext',
      Address: '10.0.0.9',
      Service: { Service: 'search', Address: 'search.example.com', Port: 443 },
    },
    'dc1',
  );
  c.catalog().register(
    3,
    {
      Node: 'ext2',
      Address: '10.0.0.10',
      Service: { Service: 'alias', Address: 'web.service.consul', Port: 80 },
    },
    'dc1',
  );
  c.catalog().register(
    4,
    { Node: 'extnode', Address: 'db.example.net', Service: { Service: 'rds', Port: 5432 } },
    'dc1',
  );
  const rows = (r: dnsPacket.Packet, sect: 'answers' | 'additionals') =>
    (r[sect] ?? []).map((a) => [a.name, a.type, (a as { data: unknown }).data]);
  const srv = ask(c, 'search.service.consul', 'SRV');
  assert.deepEqual(rows(srv, 'answers'), [
    ['search.service.consul', 'SRV', { priority: 1, weight: 1, port: 443, target: 'search.example.com' }],
  ]);
  assert.deepEqual(rows(srv, 'additionals'), []);
  assert.deepEqual(rows(ask(c, 'search.service.consul', 'A'), 'answers'), [
    ['search.service.consul', 'CNAME', 'search.example.com'],
  ]);
  // A hostname inside the domain is resolved here: CNAME, then its A records.
  assert.deepEqual(rows(ask(c, 'alias.service.consul', 'A'), 'answers'), [
    ['alias.service.consul', 'CNAME', 'web.service.consul'],
    ['web.service.consul', 'A', '10.0.0.1'],
  ]);
  const aliasSrv = ask(c, 'alias.service.consul', 'SRV');
  assert.deepEqual(rows(aliasSrv, 'additionals'), [['web.service.consul', 'A', '10.0.0.1']]);
  // No service address and a hostname node address: the node's hostname.
  assert.equal(
    (ask(c, 'rds.service.consul', 'SRV').answers?.[0] as { data: { target: string } }).data.target,
    'db.example.net',
  );
  assert.deepEqual(rows(ask(c, 'extnode.node.consul', 'A'), 'answers'), [
    ['extnode.node.consul', 'CNAME', 'db.example.net'],
  ]);
});
