// Consul's trimDNSResponse, measured on the message as sent (compressed unless disable_compression):
// TCP replies keep at most 4096 answers (1024 SRV) and 65523 bytes; a trimmed SRV reply's additional
// section is rebuilt with each remaining target's first record, as Consul's syncExtra.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dnsPacket from 'dns-packet';
import { answerQuery, type DnsContext } from '../../../src/dns/server.js';
import { newAgentFlags } from '../../../src/config/agent-flags.js';
import { loadConfig } from '../../../src/config/load.js';
import { Catalog } from '../../../src/state/catalog.js';
import { fakeHost, MemDisk } from '../../helpers/fakes.js';
import { queryBytes } from '../../helpers/dns.js';

type Packet = dnsPacket.Packet & { flag_tc?: boolean };

async function ctx(hcl: string, n: number, meta: Record<string, string> = {}) {
  const { flags, values } = newAgentFlags();
  flags.parse(['-dev', ...(hcl ? ['-hcl', hcl] : [])]);
  const r = await loadConfig({ flags: values, disk: new MemDisk(), host: fakeHost(), cwd: '/' });
  assert.ok(r.ok, JSON.stringify(r));
  const catalog = new Catalog();
  for (let i = 0; i < n; i++)
    catalog.register(
      i + 1,
      {
        Node: `n${i}`,
        Address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
        NodeMeta: meta,
        Service: { Service: 'web', Port: 80 },
      },
      'dc1',
    );
  const c: DnsContext = {
    config: () => r.config,
    catalog: () => catalog,
    nowSeconds: () => 1_700_000_000,
    shuffle: <T>(x: T[]) => x,
    exchange: () => Promise.reject(new Error('no network in unit tests')),
  };
  return c;
}

function ask(
  c: DnsContext,
  type: string,
  transport: 'udp' | 'tcp',
  edns = 0,
): { raw: Uint8Array; p: Packet } {
  const raw = answerQuery(queryBytes('web.service.consul', type, { edns }), transport, c);
  assert.ok(raw instanceof Uint8Array);
  return { raw, p: dnsPacket.decode(Buffer.from(raw)) as Packet };
}

test('TCP: a reply too big for 64 KiB is cut to fit, more answers fitting compressed; TC only with enable_truncate', async () => {
  const on = await ctx('dns_config { enable_truncate = true }', 5000);
  const off = await ctx('dns_config { disable_compression = true }', 5000);
  const a = ask(on, 'A', 'tcp');
  const b = ask(off, 'A', 'tcp');
  assert.ok(a.raw.length <= 65523 && b.raw.length <= 65523, `${a.raw.length}, ${b.raw.length} bytes`);
  const na = a.p.answers!.length;
  const nb = b.p.answers!.length;
  assert.ok(na <= 4096 && nb < na && nb > 1000, `${na} compressed, ${nb} not`);
  assert.equal(a.p.flag_tc, true);
  assert.equal(b.p.flag_tc, false, 'no TC without enable_truncate');
  // Small enough: not trimmed, no TC.
  const small = await ctx('dns_config { enable_truncate = true }', 50);
  assert.deepEqual([ask(small, 'A', 'tcp').p.answers!.length, ask(small, 'A', 'tcp').p.flag_tc], [50, false]);
});

test('TCP: at most 1024 SRV answers before measuring', async () => {
  const c = await ctx('', 1100);
  const { raw, p } = ask(c, 'SRV', 'tcp');
  assert.ok(raw.length <= 65523);
  assert.equal(p.answers!.length, 1024);
});

test('a trimmed SRV reply keeps each remaining target first additional record only (syncExtra)', async () => {
  const c = await ctx('', 40, { rack: 'r1' });
  const full = ask(c, 'SRV', 'udp', 65000);
  // Not trimmed: A and the node meta TXT for every target.
  assert.equal(full.p.answers!.length, 40);
  assert.equal(full.p.additionals!.filter((a) => a.type === 'TXT').length, 40);
  const cut = ask(c, 'SRV', 'udp', 1232);
  assert.ok(cut.raw.length <= 1232);
  const n = cut.p.answers!.length;
  assert.ok(n > 1 && n < 40, `${n}`);
  const extra = cut.p.additionals!.filter((a) => a.type !== 'OPT');
  // Consul's handleQuery sets EDNS on the reply after dispatch has trimmed it: the OPT record stays,
  // and the reply with it still fits the size the client offered.
  const opt = cut.p.additionals!.filter((a) => a.type === 'OPT') as Array<{ udpPayloadSize?: number }>;
  assert.equal(opt.length, 1, 'the trimmed reply answers EDNS with EDNS');
  assert.equal(cut.raw.at(-11), 0, 'the OPT record comes last, after the A records');
  assert.deepEqual(
    extra.map((a) => a.type),
    Array<string>(n).fill('A'),
  );
});
