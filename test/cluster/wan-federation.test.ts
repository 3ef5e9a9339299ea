// Two datacenters joined over the WAN pool: dc1 (three servers with bootstrap_expect, one client) and
// dc2 (one server). `consul join -wan`, `consul members -wan`, /v1/catalog/datacenters, and ?dc= reads
// and writes from either side, forwarded server to server.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { agentUp, consul, httpGet, startNodeAgent, stop, waitFor, type Proc } from '../helpers/process.js';

const procs: Proc[] = [];
const dirs: string[] = [];
after(async () => {
  await Promise.all(procs.map(stop));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

// Every agent shares one gossip key, so keyring operations can be shown across both datacenters.
const KEY = consul(['keygen']).out.trim();
const agent = (name: string, ip: string, extra: string[] = []): Proc =>
  startNodeAgent(name, ip, ['-encrypt', KEY, ...extra], { procs, dirs }, 'proconsul-wan-');

const up = (ip: string) => agentUp(ip);
const json = async (ip: string, p: string) =>
  JSON.parse((await httpGet(`http://${ip}:8500${p}`)).body) as unknown;
const put = async (ip: string, p: string, body: string) =>
  (await fetch(`http://${ip}:8500${p}`, { method: 'PUT', body })).text();

test(
  'two datacenters over WAN: members -wan, datacenters, ?dc= reads and writes both ways',
  { timeout: 150_000 },
  async () => {
    const dc1 = ['127.0.0.240', '127.0.0.241', '127.0.0.242'];
    dc1.forEach((ip, i) =>
      agent(`d1-s${i}`, ip, [
        '-server',
        '-bootstrap-expect=3',
        ...dc1.filter((x) => x !== ip).map((x) => `-retry-join=${x}`),
      ]),
    );
    agent('d2-s0', '127.0.0.243', ['-server', '-bootstrap', '-datacenter=dc2']);
    await Promise.all([...dc1, '127.0.0.243'].map(up));
    agent('d1-c0', '127.0.0.244', ['-retry-join=127.0.0.240']);
    await up('127.0.0.244');
    await waitFor('dc1 leader', async () => (await json(dc1[0]!, '/v1/status/leader')) !== '', 60_000);
    await waitFor('dc2 leader', async () => (await json('127.0.0.243', '/v1/status/leader')) !== '', 30_000);

    const r = consul(['join', '-wan', '-http-addr=127.0.0.243:8500', dc1[1]!]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'Successfully joined cluster by contacting 1 nodes.\n');
    // A client cannot join the WAN pool.
    const c = consul(['join', '-wan', '-http-addr=127.0.0.244:8500', '127.0.0.243']);
    assert.equal(c.code, 1);
    assert.match(c.err, /Must be a server to join WAN cluster/);

    await waitFor(
      'four servers in the WAN pool',
      () =>
        consul(['members', '-wan', '-http-addr=127.0.0.242:8500'])
          .out.trim()
          .split('\n')
          .filter((l) => / alive /.test(l)).length === 4,
      20_000,
    );
    const wanRows = consul(['members', '-wan', '-http-addr=127.0.0.243:8500']).out;
    assert.match(wanRows, /^d1-s0\.dc1 +127\.0\.0\.240:8302 +alive +server /m);
    assert.match(wanRows, /^d2-s0\.dc2 +127\.0\.0\.243:8302 +alive +server /m);

    assert.deepEqual(await json('127.0.0.244', '/v1/catalog/datacenters'), ['dc1', 'dc2']);
    assert.deepEqual(await json('127.0.0.243', '/v1/catalog/datacenters'), ['dc2', 'dc1']);

    // Writes and reads across: from dc1's client into dc2, and from dc2 into dc1.
    assert.equal(await put('127.0.0.244', '/v1/kv/where?dc=dc2', 'in-dc2'), 'true');
    assert.equal((await httpGet('http://127.0.0.243:8500/v1/kv/where?raw')).body, 'in-dc2');
    assert.equal(
      (await httpGet('http://127.0.0.244:8500/v1/kv/where?raw')).status,
      404,
      'dc1 has no such key',
    );
    assert.equal(await put('127.0.0.243', '/v1/kv/where?dc=dc1', 'in-dc1'), 'true');
    assert.equal((await httpGet('http://127.0.0.244:8500/v1/kv/where?raw')).body, 'in-dc1');
    assert.equal((await httpGet('http://127.0.0.241:8500/v1/kv/where?raw&dc=dc2')).body, 'in-dc2');
    const nodes2 = (await json('127.0.0.244', '/v1/catalog/nodes?dc=dc2')) as Array<{
      Node: string;
      Datacenter: string;
    }>;
    assert.deepEqual(
      nodes2.map((n) => [n.Node, n.Datacenter]),
      [['d2-s0', 'dc2']],
    );
    // An unknown datacenter is Consul's error.
    const nope = await httpGet('http://127.0.0.244:8500/v1/kv/where?dc=dc9');
    assert.equal(nope.status, 500);
    assert.equal(nope.body, 'No path to datacenter\n');

    // consul keyring reaches every datacenter: the WAN pool once, then each datacenter's LAN pool.
    const listed = consul(['keyring', '-list', '-http-addr=127.0.0.244:8500']);
    assert.equal(listed.code, 0, listed.err);
    assert.equal(
      listed.out,
      `==> Gathering installed encryption keys...\n\nWAN:\n  ${KEY} [4/4]\n\ndc1 (LAN):\n  ${KEY} [4/4]\n\ndc2 (LAN):\n  ${KEY} [1/1]\n`,
    );
    const k2 = consul(['keygen']).out.trim();
    assert.equal(consul(['keyring', '-install', k2, '-http-addr=127.0.0.240:8500']).code, 0);
    // dc2's own LAN pool (asked locally there) learnt the key from dc1's request.
    const inDc2 = consul(['keyring', '-list', '-local-only', '-http-addr=127.0.0.243:8500']);
    assert.match(
      inDc2.out,
      new RegExp(`dc2 \\(LAN\\):\\n(  .*\\n)*  ${k2.replace(/[+/=]/g, '\\$&')} \\[1/1\\]`),
    );
    assert.doesNotMatch(inDc2.out, /WAN:/);
  },
);
