// Structured fuzzing of the DNS server: well-formed headers carrying random questions and records
// (names built from Consul's keywords, any type and class, EDNS options), then the same with the
// bytes after the header mangled; and the TCP length-prefix framing under any chunking. Never a crash:
// every query gets a well-formed answer (or is dropped, for a response), within the UDP size limit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import dnsPacket from 'dns-packet';
import { answerQuery, type DnsContext } from '../../../src/dns/server.js';
import { TcpFramer, frame } from '../../../src/lib/dns-framing.js';
import { newAgentFlags } from '../../../src/config/agent-flags.js';
import { loadConfig } from '../../../src/config/load.js';
import { Catalog } from '../../../src/state/catalog.js';
import { fakeHost, MemDisk } from '../../helpers/fakes.js';

async function ctx(): Promise<DnsContext> {
  const { flags, values } = newAgentFlags();
  flags.parse(['-dev', '-hcl', 'alt_domain = "alt.test"']);
  const r = await loadConfig({ flags: values, disk: new MemDisk(), host: fakeHost(), cwd: '/' });
  assert.ok(r.ok);
  const catalog = new Catalog();
  const addrs = ['10.0.0.1', '2001:db8::1', 'ext.example.com', 'web.service.consul', ''];
  for (let i = 0; i < 12; i++)
    catalog.register(
      i + 1,
      {
        Node: `Node-${i}`,
        Address: i % 4 === 3 ? 'host.example.org' : `10.0.${i}.1`,
        NodeMeta: { rack: `r${i}`, 'rfc1035-x': 'y' },
        Service: {
          Service: ['web', 'Api', 'db'][i % 3]!,
          Tags: ['v1', 'Primary'],
          Address: addrs[i % 5],
          Port: 80 + i,
        },
        Check: { CheckID: 'c', Name: 'c', Status: ['passing', 'warning', 'critical'][i % 3]! },
      },
      'dc1',
    );
  return {
    config: () => r.config,
    catalog: () => catalog,
    nowSeconds: () => 1_700_000_000,
    shuffle: <T>(x: T[]) => x,
    exchange: () => Promise.reject(new Error('no network in unit tests')),
  };
}

const label = fc.oneof(
  fc.constantFrom(
    'web',
    'api',
    'API',
    'db',
    'node-0',
    'Node-3',
    'v1',
    'primary',
    '_web',
    '_tcp',
    '_v1',
    'dc1',
    'dc2',
    'dc',
  ),
  fc.constantFrom(
    'service',
    'node',
    'addr',
    'query',
    'connect',
    'virtual',
    'ingress',
    'in-addr',
    'ip6',
    'arpa',
  ),
  fc.constantFrom('0a000001', '20010db8000000000000000000000001', '1', '0', '10', '255', 'zz'),
  fc.stringMatching(/^[a-zA-Z0-9_-]{1,20}$/),
);
const suffix = fc.constantFrom('consul', 'CONSUL', 'alt.test', 'example.org', 'in-addr.arpa', 'ip6.arpa', '');
const anyName = fc
  .tuple(fc.array(label, { maxLength: 7 }), suffix)
  .map(([ls, s]) => [...ls, s].filter(Boolean).join('.'))
  .filter((n) => n.length < 240);
// Names of what the catalog holds, in any case, with optional tag and datacenter.
const known = fc
  .tuple(
    fc.constantFrom('', 'v1.', 'primary.', '_web._tcp.', '_db._v1.'),
    fc.constantFrom('web.service', 'api.service', 'DB.service', 'node-1.node', 'NODE-3.node', 'node-5.node'),
    fc.constantFrom('', '.dc1', '.dc2'),
    fc.constantFrom('.consul', '.CoNsUl', '.alt.test'),
  )
  .map((p) => p.join(''));
const qname = fc.oneof({ arbitrary: known, weight: 2 }, { arbitrary: anyName, weight: 3 });
const qtype = fc.constantFrom<dnsPacket.RecordType>(
  'A',
  'AAAA',
  'SRV',
  'TXT',
  'PTR',
  'SOA',
  'NS',
  'CNAME',
  'MX',
  'ANY' as dnsPacket.RecordType,
  'AXFR',
  'OPT',
  'CAA',
  'HINFO',
);
const record = fc.oneof(
  fc.record({ type: fc.constant('A' as const), name: qname, ttl: fc.nat(1000), data: fc.ipV4() }),
  fc.record({
    type: fc.constant('TXT' as const),
    name: qname,
    ttl: fc.nat(1000),
    data: fc.string({ maxLength: 50 }),
  }),
);
const opt = fc.record({
  type: fc.constant('OPT' as const),
  name: fc.constant('.'),
  udpPayloadSize: fc.oneof(fc.constantFrom(0, 1, 511, 512, 513, 1232, 4096, 65535), fc.nat(65535)),
  flags: fc.constantFrom(0, 0x8000),
  options: fc.array(
    fc.oneof(
      fc.record({
        code: fc.constant(8),
        family: fc.constant(1),
        sourcePrefixLength: fc.integer({ min: 0, max: 32 }),
        scopePrefixLength: fc.constant(0),
        ip: fc.ipV4(),
      }),
      fc.record({
        code: fc.constant(10),
        data: fc.uint8Array({ minLength: 8, maxLength: 40 }).map((b) => Buffer.from(b)),
      }),
    ),
    { maxLength: 2 },
  ),
});
const question = fc.record({
  type: qtype,
  name: qname,
  class: fc.constantFrom<'IN' | 'CH' | 'ANY'>('IN', 'IN', 'IN', 'CH', 'ANY'),
});
const query = fc.record({
  id: fc.nat(0xffff),
  // RD, CD, AD and the opcode (QUERY, NOTIFY, UPDATE, others); never QR.
  flags: fc
    .tuple(fc.oneof({ arbitrary: fc.constant(0), weight: 6 }, fc.constantFrom(1, 2, 4, 5, 15)), fc.nat(0x7ff))
    .map(([op, low]) => (op << 11) | (low & 0x0770) | (low & 0x100)),
  // Mostly the one question a query must have; sometimes none or two (FORMERR).
  questions: fc.oneof(
    { arbitrary: fc.array(question, { minLength: 1, maxLength: 1 }), weight: 8 },
    fc.array(question, { maxLength: 2 }),
  ),
  answers: fc.array(record, { maxLength: 1 }),
  authorities: fc.array(record, { maxLength: 1 }),
  additionals: fc
    .tuple(fc.option(opt, { nil: undefined }), fc.array(record, { maxLength: 1 }))
    .map(([o, rs]) => (o ? [o, ...rs] : rs)),
});

type Query = typeof query extends fc.Arbitrary<infer T> ? T : never;

function encodeQuery(q: Query): Uint8Array | null {
  try {
    return new Uint8Array(dnsPacket.encode({ type: 'query', ...q } as unknown as dnsPacket.Packet));
  } catch {
    return null; // a combination dns-packet itself cannot write
  }
}

/** Checks one answer: dropped only for a response, else decodable, the same ID, within the UDP size. */
function check(q: Uint8Array, out: Uint8Array | null, transport: 'udp' | 'tcp'): void {
  if (out === null) {
    assert.ok(q.length < 12 || (q[2]! & 0x80) !== 0, 'only short messages and responses are dropped');
    return;
  }
  assert.equal((out[0]! << 8) | out[1]!, (q[0]! << 8) | q[1]!, 'ID echoed');
  assert.ok(out[2]! & 0x80, 'QR set');
  const p = dnsPacket.decode(Buffer.from(out));
  if (transport === 'udp') {
    const size = (p.additionals ?? []).find((a) => a.type === 'OPT') as
      { udpPayloadSize?: number } | undefined;
    assert.ok(out.length <= Math.max(512, size?.udpPayloadSize ?? 512), `${out.length} bytes over UDP`);
  }
}

test('fuzz: valid headers with random questions and records always get a well-formed answer', async () => {
  const c = await ctx();
  const rcodes = new Map<number, number>();
  let answered = 0;
  fc.assert(
    fc.property(query, fc.constantFrom<'udp' | 'tcp'>('udp', 'tcp'), (q, transport) => {
      const bytes = encodeQuery(q);
      if (!bytes) return;
      const out = answerQuery(bytes, transport, c);
      assert.ok(!(out instanceof Promise), 'no recursors: answered at once');
      check(bytes, out, transport);
      if (!out) return;
      rcodes.set(out[3]! & 0x0f, (rcodes.get(out[3]! & 0x0f) ?? 0) + 1);
      if ((out[6]! << 8) + out[7]! > 0) answered++;
    }),
    // A fixed seed: the coverage figures below are then the same on every run (a random one gave 50
    // answers once, on the edge of the bound).
    { numRuns: 3000, seed: 20261203 },
  );
  // The generator reaches the interesting paths: answers, NXDOMAIN, FORMERR, NOTIMP, REFUSED.
  for (const rc of [0, 1, 3, 4, 5])
    assert.ok((rcodes.get(rc) ?? 0) > 10, `rcode ${rc}: ${JSON.stringify([...rcodes])}`);
  assert.ok(answered > 30, `${answered} answers with records, rcodes ${JSON.stringify([...rcodes])}`);
});

test('fuzz: the same queries with bytes after the header flipped, cut or extended never crash', async () => {
  const c = await ctx();
  const mangle = fc.record({
    flips: fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 6 }),
    cut: fc.nat(),
    extra: fc.uint8Array({ maxLength: 20 }),
  });
  fc.assert(
    fc.property(query, mangle, (q, m) => {
      const bytes = encodeQuery(q);
      if (!bytes || bytes.length <= 12) return;
      const b = new Uint8Array([...bytes.subarray(0, 12 + (m.cut % (bytes.length - 11))), ...m.extra]);
      for (const [at, v] of m.flips) b[12 + (at % Math.max(1, b.length - 12))] = v;
      const out = answerQuery(b, 'udp', c);
      assert.ok(!(out instanceof Promise));
      check(b, out, 'udp');
    }),
    { numRuns: 3000 },
  );
});

test('TCP framing: any chunking yields the framed messages in order; a partial frame waits', () => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 8 }),
      fc.array(fc.nat(400), { maxLength: 20 }),
      fc.uint8Array({ minLength: 1, maxLength: 3 }),
      (msgs, cuts, tail) => {
        const stream = new Uint8Array(msgs.reduce((n, m) => n + m.length + 2, 0));
        let at = 0;
        for (const m of msgs) {
          stream.set(frame(m), at);
          at += m.length + 2;
        }
        const f = new TcpFramer();
        const got: Uint8Array[] = [];
        let i = 0;
        for (const cut of cuts) {
          got.push(...f.push(stream.subarray(i, Math.min(stream.length, i + cut))));
          i = Math.min(stream.length, i + cut);
        }
        got.push(...f.push(stream.subarray(i)));
        assert.deepEqual(got, msgs);
        assert.equal(f.pending, 0);
        // A frame announcing more than arrives (here up to 65535 bytes) is held, not answered.
        const big = new Uint8Array([0xff, 0xff, ...tail]);
        assert.deepEqual(f.push(big), []);
        assert.equal(f.pending, big.length);
      },
    ),
    { numRuns: 1000 },
  );
  assert.throws(() => frame(new Uint8Array(65536)), RangeError);
});

test('TCP framing into the server: zero-length, short and garbage frames are dropped or FORMERR, never a crash', async () => {
  const c = await ctx();
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(
          fc.constant(new Uint8Array(0)),
          fc.uint8Array({ maxLength: 11 }),
          fc.uint8Array({ minLength: 12, maxLength: 200 }),
        ),
        { maxLength: 6 },
      ),
      (msgs) => {
        const f = new TcpFramer();
        const stream = msgs.map(frame);
        const got = stream.flatMap((s) => f.push(s));
        assert.equal(got.length, msgs.length);
        for (const m of got) {
          const out = answerQuery(m, 'tcp', c);
          assert.ok(!(out instanceof Promise));
          check(m, out, 'tcp');
        }
      },
    ),
    { numRuns: 1000 },
  );
});
