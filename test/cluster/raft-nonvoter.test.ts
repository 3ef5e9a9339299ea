// peers.json's non_voter entries survive into the Raft configuration: three real servers on
// 127.0.0.170-172, the third a nonvoter. It receives the data, shows Voter false in
// /v1/operator/raft/configuration and list-peers, never leads, and the two voters alone make a quorum.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { consul, startConsul, stop, waitFor, type Proc } from '../helpers/process.js';

const IPS = ['127.0.0.170', '127.0.0.171', '127.0.0.172'];
const IDS = IPS.map((_, i) => `00000000-0000-4000-8000-00000000017${i}`);
const HTTP = (i: number) => `http://${IPS[i]}:${18670 + i}`;
const dir = mkdtempSync(path.join(tmpdir(), 'raft-nonvoter-'));
const procs: Array<Proc | null> = [null, null, null];

after(async () => {
  await Promise.all(procs.map((p) => p && stop(p)));
  rmSync(dir, { recursive: true, force: true });
});

function start(i: number): void {
  procs[i] = startConsul([
    'agent',
    '-server',
    `-data-dir=${dir}/s${i}`,
    `-node=nv${i + 1}`,
    `-node-id=${IDS[i]}`,
    `-bind=${IPS[i]}`,
    `-client=${IPS[i]}`,
    `-http-port=${18670 + i}`,
    '-hcl',
    'performance { raft_multiplier = 1 }',
    // These servers never join each other's LAN pool, so autopilot would count them stale and
    // remove the nonvoter (as Consul does); this test is about the peers.json configuration.
    '-hcl',
    'autopilot { cleanup_dead_servers = false }',
  ]);
}

async function get(i: number, p: string): Promise<unknown> {
  const r = await fetch(`${HTTP(i)}${p}`, { signal: AbortSignal.timeout(2000) });
  return r.status === 200 ? r.json() : null;
}

test('a peers.json non_voter server is replicated to, shows Voter false and never leads', async () => {
  const peers = IPS.map((ip, i) => ({ id: IDS[i], address: `${ip}:8300`, non_voter: i === 2 }));
  for (let i = 0; i < 3; i++) {
    mkdirSync(`${dir}/s${i}/raft`, { recursive: true });
    writeFileSync(`${dir}/s${i}/raft/peers.json`, JSON.stringify(peers));
    start(i);
  }
  const leader = await waitFor(
    'a leader',
    async () => {
      const l = (await get(2, '/v1/status/leader').catch(() => null)) as string | null;
      return l ? l : null;
    },
    15_000,
  );
  assert.notEqual(leader, `${IPS[2]}:8300`, 'the nonvoter does not lead');
  const li = IPS.findIndex((ip) => leader === `${ip}:8300`);

  const conf = (await get(li, '/v1/operator/raft/configuration')) as {
    Servers: Array<{ ID: string; Voter: boolean }>;
  };
  assert.deepEqual(
    conf.Servers.map((s) => [s.ID, s.Voter]),
    IDS.map((id, i) => [id, i !== 2]),
  );
  const lp = consul(['operator', 'raft', 'list-peers', `-http-addr=${HTTP(li)}`]);
  assert.equal(lp.code, 0, lp.err);
  const row = lp.out.split('\n').find((l) => l.includes(IDS[2]!))!;
  assert.match(row, /\sfollower\s+false\s/);

  const put = await fetch(`${HTTP(li)}/v1/kv/nv/key`, { method: 'PUT', body: 'v' });
  assert.equal(await put.json(), true);
  await waitFor('the nonvoter applies the write', async () => {
    const kv = (await get(2, '/v1/kv/nv/key?stale')) as Array<{ Value: string }> | null;
    return kv?.[0]?.Value === Buffer.from('v').toString('base64');
  });

  // The two voters are the whole quorum: with the nonvoter gone, writes still commit.
  await stop(procs[2]!);
  procs[2] = null;
  const put2 = await fetch(`${HTTP(li)}/v1/kv/nv/key2`, {
    method: 'PUT',
    body: 'w',
    signal: AbortSignal.timeout(5000),
  });
  assert.equal(await put2.json(), true);
});
