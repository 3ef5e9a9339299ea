// Name compression (RFC 1035 4.1.4) as Consul's miekg/dns sends it by default, and
// dns_config.disable_compression: pointers present or absent, the same decoded answer either way,
// and UDP size limits measured on what is sent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import dnsPacket from 'dns-packet';
import { answerQuery, type DnsContext } from '../../../src/dns/server.js';
import { compressMessage } from '../../../src/dns/compress.js';
import { newAgentFlags } from '../../../src/config/agent-flags.js';
import { loadConfig } from '../../../src/config/load.js';
import { Catalog } from '../../../src/state/catalog.js';
import { fakeHost, MemDisk } from '../../helpers/fakes.js';
import { queryBytes } from '../../helpers/dns.js';

async function ctx(hcl = ''): Promise<{ c: DnsContext; catalog: Catalog }> {
  const { flags, values } = newAgentFlags();
  flags.parse(['-dev', ...(hcl ? ['-hcl', hcl] : [])]);
  const r = await loadConfig({ flags: values, disk: new MemDisk(), host: fakeHost(), cwd: '/' });
  assert.ok(r.ok, JSON.stringify(r));
  const catalog = new Catalog();
  for (let i = 1; i <= 40; i++)
    catalog.register(
      i,
      { Node: `node-${i}`, Address: `10.0.0.${i}`, Service: { Service: 'web', Port: 8000 + i } },
      'dc1',
    );
  return {
    catalog,
    c: {
      config: () => r.config,
      catalog: () => catalog,
      nowSeconds: () => 1_700_000_000,
      shuffle: <T>(x: T[]) => x,
      exchange: () => Promise.reject(new Error('no network in unit tests')),
    },
  };
}

function ask(
  c: DnsContext,
  name: string,
  type: string,
  transport: 'udp' | 'tcp' = 'udp',
  edns = 0,
): Uint8Array {
  const out = answerQuery(queryBytes(name, type, { id: 9, edns }), transport, c);
  assert.ok(out instanceof Uint8Array);
  return out;
}

/** Offsets of compression pointers in the message's names, walking it section by section. */
function pointerCount(msg: Uint8Array): number {
  let pointers = 0;
  const skipName = (at: number): number => {
    for (;;) {
      const len = msg[at]!;
      if (len === 0) return at + 1;
      if ((len & 0xc0) === 0xc0) {
        pointers++;
        return at + 2;
      }
      at += 1 + len;
    }
  };
  const n = (i: number) => (msg[i]! << 8) | msg[i + 1]!;
  let i = 12;
  for (let q = 0; q < n(4); q++) i = skipName(i) + 4;
  for (let r = 0; r < n(6) + n(8) + n(10); r++) {
    i = skipName(i);
    const type = n(i);
    const rd = i + 10;
    if (type === 33) skipName(rd + 6);
    if (type === 5 || type === 12 || type === 2) skipName(rd);
    if (type === 6) skipName(skipName(rd));
    i = rd + n(i + 8);
  }
  return pointers;
}

function decoded(msg: Uint8Array): unknown {
  const p = dnsPacket.decode(Buffer.from(msg));
  return {
    answers: p.answers,
    authorities: p.authorities,
    additionals: p.additionals,
    questions: p.questions,
  };
}

test('answers are compressed by default; disable_compression sends names in full; both decode the same', async () => {
  const on = await ctx();
  const off = await ctx('dns_config { disable_compression = true }');
  for (const [name, type] of [
    ['web.service.consul', 'SRV'],
    ['web.service.consul', 'A'],
    ['node-1.node.consul', 'A'],
    ['nope.service.consul', 'A'],
    ['consul', 'SOA'],
  ] as const) {
    for (const transport of ['udp', 'tcp'] as const) {
      const a = ask(on.c, name, type, transport, 4096);
      const b = ask(off.c, name, type, transport, 4096);
      assert.ok(pointerCount(a) > 0, `${name} ${type} ${transport}: pointers when compressing`);
      assert.equal(pointerCount(b), 0, `${name} ${type} ${transport}: none with disable_compression`);
      assert.ok(a.length < b.length, `${name} ${type}: smaller compressed`);
      assert.deepEqual(decoded(a), decoded(b), `${name} ${type} ${transport}: same records`);
    }
  }
});

test('SRV targets are written in full (RFC 2782), but their A additionals point into them', async () => {
  const { c } = await ctx();
  const msg = ask(c, 'web.service.consul', 'SRV', 'tcp');
  const target = Buffer.from('\x06node-1\x04node\x03dc1\x06consul\x00', 'latin1');
  // The first SRV's target spelled out; the additional A record's owner is a 2-byte pointer to it.
  const at = Buffer.from(msg).indexOf(target);
  assert.ok(at > 0, 'target written in full');
  const ptr = Buffer.from([0xc0 | (at >> 8), at & 0xff, 0x00, 0x01]);
  assert.ok(Buffer.from(msg).indexOf(ptr, at) > at, 'A additional named by a pointer to the target');
});

test('a big SRV answer fits more records compressed within the same EDNS size', async () => {
  const on = await ctx();
  const off = await ctx('dns_config { disable_compression = true }');
  const a = dnsPacket.decode(Buffer.from(ask(on.c, 'web.service.consul', 'SRV', 'udp', 1232)));
  const b = dnsPacket.decode(Buffer.from(ask(off.c, 'web.service.consul', 'SRV', 'udp', 1232)));
  assert.ok(b.answers!.length < 40, 'uncompressed is cut');
  assert.ok(a.answers!.length > b.answers!.length, `${a.answers!.length} > ${b.answers!.length}`);
  // Each message respects the size it was asked for, as sent.
  assert.ok(ask(on.c, 'web.service.consul', 'SRV', 'udp', 1232).length <= 1232);
  assert.ok(ask(off.c, 'web.service.consul', 'SRV', 'udp', 1232).length <= 1232);
});

test('compressMessage: any dns-packet message decodes to the same records, never longer', () => {
  const label = fc.stringMatching(/^[a-z0-9-]{1,10}$/);
  const name = fc.array(label, { minLength: 1, maxLength: 4 }).map((l) => l.join('.'));
  const pick = fc.constantFrom('consul', 'node.dc1.consul', 'service.consul');
  const host = fc.tuple(fc.option(name, { nil: undefined }), pick).map(([a, b]) => (a ? `${a}.${b}` : b));
  const rr = fc.oneof(
    fc.record({ type: fc.constant('A' as const), name: host, data: fc.constant('10.1.2.3') }),
    fc.record({ type: fc.constant('CNAME' as const), name: host, data: host }),
    fc.record({ type: fc.constant('PTR' as const), name: host, data: host }),
    fc.record({ type: fc.constant('NS' as const), name: host, data: host }),
    fc.record({
      type: fc.constant('SRV' as const),
      name: host,
      data: fc.record({ priority: fc.nat(9), weight: fc.nat(9), port: fc.nat(65535), target: host }),
    }),
    fc.record({ type: fc.constant('TXT' as const), name: host, data: fc.constant(['a=b']) }),
    fc.record({
      type: fc.constant('SOA' as const),
      name: host,
      data: fc.record({
        mname: host,
        rname: host,
        serial: fc.nat(),
        refresh: fc.nat(),
        retry: fc.nat(),
        expire: fc.nat(),
        minimum: fc.nat(),
      }),
    }),
  );
  fc.assert(
    fc.property(host, fc.array(rr, { maxLength: 12 }), fc.array(rr, { maxLength: 4 }), (q, an, ar) => {
      const raw = new Uint8Array(
        dnsPacket.encode({
          type: 'response',
          id: 1,
          questions: [{ type: 'A', name: q }],
          answers: an.map((r) => ({ ...r, ttl: 5, class: 'IN' })) as dnsPacket.Answer[],
          additionals: ar.map((r) => ({ ...r, ttl: 5, class: 'IN' })) as dnsPacket.Answer[],
        }),
      );
      const out = compressMessage(raw);
      assert.ok(out.length <= raw.length);
      assert.deepEqual(decoded(out), decoded(raw));
    }),
    { numRuns: 500 },
  );
});
