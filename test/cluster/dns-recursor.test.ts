// DNS recursion on a real agent: names outside consul. go to the recursors (an upstream this test runs
// on 127.0.0.172, over UDP and TCP), a recursor that does not answer is skipped after
// recursor_timeout, and when none answers the client gets SERVFAIL within the timeouts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import { agentUp, startConsul, stop, waitFor, type Proc } from '../helpers/process.js';
import { dnsQuery } from '../helpers/dns.js';

const IP = '127.0.0.171';
const UPSTREAM = '127.0.0.172';
const DNS_PORT = 18691;
let agent: Proc;
let udp: dgram.Socket;
let tcp: net.Server;
const seen: string[] = [];

/** The upstream's answer: example.org → 192.0.2.1, slow.example → no answer at all. */
function answer(query: Buffer): Buffer | null {
  const q = dnsPacket.decode(query);
  const name = q.questions?.[0]?.name ?? '';
  seen.push(name);
  if (name === 'slow.example') return null;
  return dnsPacket.encode({
    type: 'response',
    id: q.id,
    flags: dnsPacket.RECURSION_AVAILABLE | dnsPacket.RECURSION_DESIRED,
    questions: q.questions,
    answers: name === 'example.org' ? [{ type: 'A', name, ttl: 300, data: '192.0.2.1' }] : [],
  });
}

before(async () => {
  udp = dgram.createSocket('udp4');
  udp.on('message', (m, r) => {
    const a = answer(m);
    if (a) udp.send(a, r.port, r.address);
  });
  await new Promise<void>((res) => udp.bind(15353, UPSTREAM, res));
  tcp = net.createServer((s) =>
    s.on('data', (b) => {
      const a = answer(b.subarray(2, 2 + b.readUInt16BE(0)));
      if (a) s.end(dnsPacket.streamEncode(dnsPacket.decode(a)));
    }),
  );
  await new Promise<void>((res) => tcp.listen(15353, UPSTREAM, res));
  agent = startConsul([
    'agent',
    '-dev',
    `-bind=${IP}`,
    `-client=${IP}`,
    '-http-port=18690',
    `-dns-port=${DNS_PORT}`,
    '-grpc-port=-1',
    '-node=rec-node',
    // The first recursor answers nothing (nobody listens there); the second is the upstream.
    '-recursor=127.0.0.173:15353',
    `-recursor=${UPSTREAM}:15353`,
    '-hcl',
    'dns_config { recursor_timeout = "300ms" }',
  ]);
  assert.ok(await agentUp(IP, 18690), agent.err());
});

after(async () => {
  await stop(agent);
  udp.close();
  tcp.close();
});

test('names outside the domain are forwarded over UDP and TCP; our own names are not', async () => {
  await waitFor(
    'the DNS listener',
    async () => (await dnsQuery(IP, DNS_PORT, 'consul', 'SOA')).rcode === 'NOERROR',
    10_000,
  );
  const t0 = Date.now();
  const r = await dnsQuery(IP, DNS_PORT, 'example.org', 'A');
  assert.equal(r.rcode, 'NOERROR');
  assert.deepEqual(
    r.answers?.map((a) => (a as { data: unknown }).data),
    ['192.0.2.1'],
  );
  assert.ok(Date.now() - t0 >= 250, 'the silent first recursor was waited for');
  const viaTcp = await dnsQuery(IP, DNS_PORT, 'example.org', 'A', { tcp: true });
  assert.deepEqual(
    viaTcp.answers?.map((a) => (a as { data: unknown }).data),
    ['192.0.2.1'],
  );
  const before = seen.length;
  const own = (await dnsQuery(IP, DNS_PORT, 'rec-node.node.consul', 'A')) as dnsPacket.Packet & {
    rcode?: string;
    flag_ra?: boolean;
  };
  assert.equal(own.rcode, 'NOERROR');
  assert.equal(own.flag_ra, true, 'RA: recursion is available');
  assert.equal(seen.length, before, 'consul. names never leave the agent');
});

test('when no recursor answers, SERVFAIL comes back within the timeouts', async () => {
  const t0 = Date.now();
  const r = await dnsQuery(IP, DNS_PORT, 'slow.example', 'A');
  const took = Date.now() - t0;
  assert.equal(r.rcode, 'SERVFAIL');
  assert.ok(took >= 550 && took < 3000, `took ${took} ms for two 300 ms timeouts`);
});
