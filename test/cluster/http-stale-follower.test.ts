// A follower answering ?stale reads reports its own view of the leader: two servers on 127.0.0.131-132
// elect a leader, the leader is killed -9, and the survivor's catalog, health, coordinate and KV reads
// carry the time since it last heard from the leader in X-Consul-LastContact. Before that, a read it
// forwards to the leader is relayed gzip-encoded. With no leader, a write is held for rpc_hold_timeout:
// Consul's "No cluster leader" after it, or success once the killed server returns and an election is won.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { request, type IncomingHttpHeaders } from 'node:http';
import { gunzipSync } from 'node:zlib';
import {
  startConsul,
  startNodeAgent,
  stop,
  waitFor,
  agentUp,
  httpGet,
  type Proc,
} from '../helpers/process.js';

const IPS = ['127.0.0.131', '127.0.0.132'];
const PORT = 19132;
const track: { procs: Proc[]; dirs: string[] } = { procs: [], dirs: [] };

function gzGet(ip: string, path: string) {
  return new Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
    const req = request({ host: ip, port: PORT, path, headers: { 'accept-encoding': 'gzip' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

after(async () => {
  await Promise.all(track.procs.map(stop));
  for (const d of track.dirs) rmSync(d, { recursive: true, force: true });
});

test(
  'a follower serving ?stale reads reports real X-Consul-LastContact and KnownLeader, and honours ?max_stale',
  { timeout: 90_000 },
  async () => {
    const flags = (i: number) => [
      '-server',
      '-bootstrap-expect=2',
      `-http-port=${PORT}`,
      '-dns-port=-1',
      '-grpc-port=-1',
      '-retry-interval=1s',
      `-retry-join=${IPS[1 - i]}`,
      '-hcl',
      'performance { raft_multiplier = 1 rpc_hold_timeout = "8s" }',
    ];
    const procs = IPS.map((ip, i) => startNodeAgent(`stale-${i}`, ip, flags(i), track));
    for (const ip of IPS) assert.ok(await agentUp(ip, PORT, 20_000));
    const leader = await waitFor(
      'a leader',
      async () => {
        const l = JSON.parse((await httpGet(`http://${IPS[0]}:${PORT}/v1/status/leader`)).body) as string;
        return IPS.findIndex((ip) => l === `${ip}:8300`) + 1;
      },
      30_000,
    );
    const follower = IPS[2 - leader]!;
    // The follower has the leader's node registered before the leader goes away.
    await waitFor('catalog replicated', async () =>
      (await httpGet(`http://${follower}:${PORT}/v1/catalog/nodes?stale`)).body.includes('stale-'),
    );
    // A read the follower forwards to the leader comes back gzip-encoded when the client accepts it.
    const fwd = await gzGet(follower, '/v1/catalog/nodes');
    assert.equal(fwd.status, 200);
    assert.equal(fwd.headers['content-encoding'], 'gzip');
    assert.equal(fwd.headers['x-consul-effective-consistency'], 'leader');
    assert.match(gunzipSync(fwd.body).toString(), /"Node": ?"stale-0"/);
    procs[leader - 1]!.child.kill('SIGKILL');
    await procs[leader - 1]!.exited;
    const get = (p: string) => httpGet(`http://${follower}:${PORT}${p}`);
    await waitFor('the follower notices', async () => {
      const r = await get('/v1/kv/x?stale');
      return Number(r.headers.get('x-consul-lastcontact')) >= 300;
    });
    for (const p of [
      '/v1/catalog/nodes',
      '/v1/catalog/services',
      '/v1/health/state/any',
      '/v1/coordinate/nodes',
    ]) {
      const r = await get(`${p}?stale`);
      assert.equal(r.status, 200, `${p}: ${r.body}`);
      assert.ok(
        Number(r.headers.get('x-consul-lastcontact')) >= 300,
        `${p}: ${r.headers.get('x-consul-lastcontact')}`,
      );
      assert.equal(r.headers.get('x-consul-effective-consistency'), 'stale', p);
      assert.ok(['true', 'false'].includes(r.headers.get('x-consul-knownleader')!), p);
    }
    // ?max_stale bounds that: once the survivor knows there is no leader, a bound it is past makes the
    // read a default one, which needs the leader; a loose bound is served stale; a bad one is a 400.
    await waitFor(
      'no leader known',
      async () => (await get('/v1/kv/x?stale')).headers.get('x-consul-knownleader') === 'false',
    );
    // (Polled: the Raft core restarts its last-contact clock at each election it starts.)
    const tight = await waitFor('a too-stale read refused', async () => {
      const r = await get('/v1/kv/x?max_stale=50ms');
      return r.status === 500 ? r : null;
    });
    assert.equal(tight.body, 'No cluster leader\n');
    const loose = await get('/v1/catalog/nodes?max_stale=1h');
    assert.equal(loose.status, 200, loose.body);
    assert.equal(loose.headers.get('x-consul-effective-consistency'), 'stale');
    const bad = await get('/v1/kv/x?max_stale=soon');
    assert.equal(bad.status, 400);
    assert.equal(bad.body, 'Invalid max_stale value "soon"\n');

    // A write while no leader is known is held for rpc_hold_timeout (8 s here) before Consul's error...
    const put = (key: string) =>
      fetch(`http://${follower}:${PORT}/v1/kv/${key}`, { method: 'PUT', body: 'v' }).then(async (r) => ({
        status: r.status,
        body: await r.text(),
      }));
    const t0 = Date.now();
    assert.deepEqual(await put('held-out'), { status: 500, body: 'No cluster leader\n' });
    const held = Date.now() - t0;
    assert.ok(held >= 7_900 && held < 12_000, `held ${held} ms`);
    // ...and one sent now succeeds once the killed server is back and a leader is elected within it.
    const pending = put('held-in');
    const dead = leader - 1;
    const ip = IPS[dead]!;
    const again = [
      'agent',
      `-node=stale-${dead}`,
      `-bind=${ip}`,
      `-client=${ip}`,
      `-data-dir=${track.dirs[dead]}`,
    ];
    track.procs.push(startConsul([...again, ...flags(dead)]));
    assert.deepEqual(await pending, { status: 200, body: 'true' });
    assert.equal((await get('/v1/kv/held-in?raw')).body, 'v');
  },
);
