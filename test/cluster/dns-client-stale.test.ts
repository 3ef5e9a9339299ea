// dns_config.max_stale on client agents: a client answers DNS from its mirror of the servers' catalog,
// which ages from the moment its refreshes start failing. With the default max_stale (ten years) it
// keeps answering after the only server is killed; with max_stale = "1s" it stops trusting the mirror
// a second later and asks the servers, which are gone: SERVFAIL, as Consul's agent gives when no
// server answers.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { agentUp, startDevAgent, startNodeAgent, stop, waitFor, type Proc } from '../helpers/process.js';
import { dnsQuery } from '../helpers/dns.js';

const DEV = '127.0.0.205';
const LAX = '127.0.0.206';
const TIGHT = '127.0.0.207';
const DNS = 18653;
const track: { procs: Proc[]; dirs: string[] } = { procs: [], dirs: [] };

after(async () => {
  await Promise.all(track.procs.map(stop));
});

async function answer(ip: string): Promise<{ rcode: string; ips: string[] }> {
  const r = await dnsQuery(ip, DNS, 'api.service.consul', 'A');
  return {
    rcode: r.rcode ?? 'NOERROR',
    ips: (r.answers ?? []).filter((a) => a.type === 'A').map((a) => String((a as { data: unknown }).data)),
  };
}

test('a client answers from its catalog mirror until it is older than max_stale', async () => {
  const dev = await startDevAgent(DEV, 18650, -1, ['-hcl', 'service { name = "api" port = 9000 }']);
  const client = (name: string, ip: string, port: number, hcl: string[]) => {
    startNodeAgent(
      name,
      ip,
      [`-http-port=${port}`, `-dns-port=${DNS}`, '-grpc-port=-1', `-join=${DEV}`, ...hcl],
      track,
    );
    return port;
  };
  client('lax', LAX, 18651, []);
  client('tight', TIGHT, 18652, ['-hcl', 'dns_config { max_stale = "1s" }']);
  assert.ok(await agentUp(LAX, 18651, 20_000));
  assert.ok(await agentUp(TIGHT, 18652, 20_000));
  for (const ip of [LAX, TIGHT])
    await waitFor(`api.service.consul on ${ip}`, async () => (await answer(ip)).ips.join() === DEV, 15_000);

  dev.child.kill('SIGKILL');
  await dev.exited;
  // The tight client's mirror passes max_stale and its reads go to the (dead) servers.
  await waitFor(
    'SERVFAIL from the client with max_stale 1s',
    async () => (await answer(TIGHT)).rcode === 'SERVFAIL',
    20_000,
  );
  // Well past a second after the kill, the client with the default max_stale still answers from its mirror.
  assert.deepEqual(await answer(LAX), { rcode: 'NOERROR', ips: [DEV] });
});
