import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import dnsPacket from 'dns-packet';
import { answerQuery } from '../../../src/dns/server.js';
import { newAgentFlags } from '../../../src/config/agent-flags.js';
import { loadConfig } from '../../../src/config/load.js';
import { Catalog } from '../../../src/state/catalog.js';
import { fakeHost, MemDisk } from '../../helpers/fakes.js';

async function ctx() {
  const { flags, values } = newAgentFlags();
  flags.parse(['-dev']);
  const r = await loadConfig({ flags: values, disk: new MemDisk(), host: fakeHost(), cwd: '/' });
  assert.ok(r.ok);
  const catalog = new Catalog();
  catalog.register(1, { Node: 'n1', Address: '10.0.0.1', Service: { Service: 'web', Port: 80 } }, 'dc1');
  return {
    config: () => r.config,
    catalog: () => catalog,
    nowSeconds: () => 1_700_000_000,
    shuffle: <T>(x: T[]) => x,
  };
}

test('malformed queries get FORMERR or are dropped, never an exception', async () => {
  const c = await ctx();
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 120 }), (b) => {
      const out = answerQuery(b, 'udp', c);
      if (out === null) assert.ok(b.length < 12);
      else dnsPacket.decode(Buffer.from(out)); // a well-formed response
    }),
    { numRuns: 3000 },
  );
  const bad = new Uint8Array(20).fill(0xff);
  bad[0] = 0x12;
  bad[1] = 0x34;
  const resp = dnsPacket.decode(Buffer.from(answerQuery(bad, 'udp', c)!));
  assert.equal(resp.id, 0x1234);
  assert.equal((resp as { rcode?: string }).rcode, 'FORMERR');
});

test('a name compression loop is refused, not followed', async () => {
  const c = await ctx();
  // Header with one question whose name is a pointer to itself (offset 12).
  const q = new Uint8Array([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]);
  const out = answerQuery(q, 'udp', c);
  assert.ok(out !== null);
  assert.equal((dnsPacket.decode(Buffer.from(out)) as { rcode?: string }).rcode, 'FORMERR');
});

test('AXFR is not implemented', async () => {
  const c = await ctx();
  const q = dnsPacket.encode({ type: 'query', id: 1, questions: [{ type: 'AXFR', name: 'consul' }] });
  assert.equal(
    (dnsPacket.decode(Buffer.from(answerQuery(new Uint8Array(q), 'tcp', c)!)) as { rcode?: string }).rcode,
    'NOTIMP',
  );
});
