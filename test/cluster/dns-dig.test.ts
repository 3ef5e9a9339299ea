// Our DNS interface read by dig (Debian's bind9-dnsutils, installed when missing) from one -dev agent:
// node, service, RFC 2782, tag, addr and PTR forms over UDP and TCP, with the exact sections dig shows,
// including the seed's `dig @IP -p 8600 <node>.node[.dc1].consul` and `web.service.consul SRV`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { agentUp, startConsul, stop, waitFor, type Proc } from '../helpers/process.js';
import { dig, ensureDig, type DigRecord } from '../helpers/dig.js';

const IP = '127.0.0.120';
const HTTP = 19101;
const DNS = 19102;
const H = `http://${IP}:${HTTP}`;
const NODE = 'dev-master-01';
const skip = ensureDig();
let agent: Proc | undefined;
let meta: Record<string, string> = {};

/** The node's meta as dig shows the TXT records under `name`. */
const metaRows = (name: string) =>
  Object.entries(meta)
    .map(([k, v]) => `${name} 0 TXT "${k.startsWith('rfc1035-') ? v : `${k}=${v}`}"`)
    .sort();

async function put(path: string, body: unknown): Promise<void> {
  const r = await fetch(`${H}${path}`, { method: 'PUT', body: JSON.stringify(body) });
  assert.equal(r.status, 200, await r.text());
}

before(async () => {
  if (skip) return;
  agent = startConsul([
    'agent',
    '-dev',
    `-node=${NODE}`,
    `-bind=${IP}`,
    `-client=${IP}`,
    `-http-port=${HTTP}`,
    `-dns-port=${DNS}`,
    '-grpc-port=-1',
    '-node-meta=rack:r1',
    '-node-meta=rfc1035-note:plain',
  ]);
  assert.ok(await agentUp(IP, HTTP), agent.err());
  await put('/v1/agent/service/register', {
    Name: 'web',
    Tags: ['master'],
    Port: 8080,
    Check: { TTL: '10m', Status: 'passing' },
  });
  await put('/v1/agent/service/register', {
    Name: 'api',
    Port: 9090,
    Address: '10.1.2.3',
    Check: { TTL: '10m', Status: 'warning' },
  });
  await put('/v1/agent/service/register', {
    Name: 'down',
    Port: 7070,
    Check: { TTL: '10m', Status: 'critical' },
  });
  await waitFor(
    'the services in the catalog',
    async () =>
      Object.keys((await (await fetch(`${H}/v1/catalog/services`)).json()) as object).length >= 4 &&
      dig(IP, DNS, ['web.service.consul', 'A']).answer.length === 1,
    15_000,
  );
  meta = (
    (await (await fetch(`${H}/v1/catalog/node/${NODE}`)).json()) as { Node: { Meta: Record<string, string> } }
  ).Node.Meta;
});

after(async () => {
  if (agent) await stop(agent);
});

const rows = (rs: DigRecord[]) => rs.map((r) => `${r.name} ${r.ttl} ${r.type} ${r.data}`);
const SOA = 'consul. 0 SOA ns.consul. hostmaster.consul. SERIAL 3600 600 86400 0';

for (const transport of ['udp', 'tcp'] as const) {
  const D = (...args: string[]) => dig(IP, DNS, transport === 'tcp' ? ['+tcp', ...args] : args);

  test(`dig over ${transport}: node lookups (A, .dc1, AAAA, TXT, ANY)`, { skip: skip ?? false }, async () => {
    for (const name of [`${NODE}.node.consul.`, `${NODE}.node.dc1.consul.`]) {
      const a = D(name, 'A');
      assert.equal(a.status, 'NOERROR');
      assert.ok(a.flags.includes('aa'), a.flags.join(' '));
      assert.deepEqual(rows(a.answer), [`${name} 0 A ${IP}`]);
      assert.deepEqual(rows(a.authority), []);
      // The node's meta in ADDITIONAL (enable_additional_node_meta_txt defaults to true).
      assert.deepEqual(rows(a.additional).sort(), metaRows(name));
    }
    // AAAA for an IPv4-only node: NOERROR, no answer and no SOA (node lookups add none, as Consul).
    const six = D(`${NODE}.node.consul`, 'AAAA');
    assert.equal(six.status, 'NOERROR');
    assert.deepEqual([six.answer, six.authority], [[], []]);
    assert.deepEqual(rows(six.additional).sort(), metaRows(`${NODE}.node.consul.`));
    const txt = metaRows(`${NODE}.node.consul.`);
    assert.ok(txt.includes(`${NODE}.node.consul. 0 TXT "rack=r1"`), txt.join('\n'));
    assert.ok(txt.includes(`${NODE}.node.consul. 0 TXT "plain"`), txt.join('\n'));
    assert.deepEqual(rows(D(`${NODE}.node.consul`, 'TXT').answer).sort(), txt);
    assert.deepEqual(
      rows(D(`${NODE}.node.consul`, 'ANY').answer).sort(),
      [`${NODE}.node.consul. 0 A ${IP}`, ...txt].sort(),
    );
  });

  test(
    `dig over ${transport}: services (SRV with additional A, tag, RFC 2782, health)`,
    { skip: skip ?? false },
    () => {
      // The seed's `dig web.service.consul SRV`: the node as target, its A record in ADDITIONAL.
      const srv = D('web.service.consul', 'SRV');
      assert.equal(srv.status, 'NOERROR');
      assert.deepEqual(rows(srv.answer), [`web.service.consul. 0 SRV 1 1 8080 ${NODE}.node.dc1.consul.`]);
      const [first, ...rest] = rows(srv.additional);
      assert.equal(first, `${NODE}.node.dc1.consul. 0 A ${IP}`);
      assert.deepEqual(rest.sort(), metaRows(`${NODE}.node.dc1.consul.`));
      assert.deepEqual(rows(D('master.web.service.consul', 'A').answer), [
        `master.web.service.consul. 0 A ${IP}`,
      ]);
      assert.equal(D('other.web.service.consul', 'A').status, 'NXDOMAIN');
      assert.deepEqual(rows(D('_web._tcp.service.consul', 'SRV').answer), [
        `_web._tcp.service.consul. 0 SRV 1 1 8080 ${NODE}.node.dc1.consul.`,
      ]);
      assert.deepEqual(rows(D('_web._master.service.consul', 'SRV').answer), [
        `_web._master.service.consul. 0 SRV 1 1 8080 ${NODE}.node.dc1.consul.`,
      ]);
      // A warning instance is still answered; its own IP gives a <hex>.addr target.
      const api = D('api.service.consul', 'SRV');
      assert.deepEqual(rows(api.answer), ['api.service.consul. 0 SRV 1 1 9090 0a010203.addr.dc1.consul.']);
      const [apiA, ...apiMeta] = rows(api.additional);
      assert.equal(apiA, '0a010203.addr.dc1.consul. 0 A 10.1.2.3');
      assert.deepEqual(apiMeta.sort(), metaRows(`${NODE}.node.dc1.consul.`));
      assert.deepEqual(rows(D('0a010203.addr.dc1.consul', 'A').answer), [
        '0a010203.addr.dc1.consul. 0 A 10.1.2.3',
      ]);
      assert.deepEqual(rows(D('0a010203.addr.consul', 'A').answer), ['0a010203.addr.consul. 0 A 10.1.2.3']);
      // A critical instance is not answered: NXDOMAIN with the SOA.
      const down = D('down.service.consul', 'A');
      assert.equal(down.status, 'NXDOMAIN');
      assert.deepEqual(rows(down.authority), [SOA]);
      // AAAA for an IPv4-only service: NODATA with the SOA.
      const nodata = D('web.service.consul', 'AAAA');
      assert.equal(nodata.status, 'NOERROR');
      assert.deepEqual([rows(nodata.answer), rows(nodata.authority)], [[], [SOA]]);
    },
  );

  test(`dig over ${transport}: PTR, unknown names, virtual and ingress`, { skip: skip ?? false }, () => {
    const ptr = D('-x', IP);
    assert.equal(ptr.status, 'NOERROR');
    assert.deepEqual(rows(ptr.answer), [`120.0.0.127.in-addr.arpa. 0 PTR ${NODE}.node.dc1.consul.`]);
    for (const name of [
      'nope.consul',
      'nope.node.consul',
      'nope.service.consul',
      'web.virtual.consul',
      'web.ingress.consul',
    ]) {
      const r = D(name, 'A');
      assert.equal(r.status, 'NXDOMAIN', name);
      assert.deepEqual([rows(r.answer), rows(r.authority)], [[], [SOA]], name);
    }
  });
}
