#!/usr/bin/env node
// Leader failover of a 3-server group plus one client agent (real processes): kill -9 the leader, then
// time (a) until a surviving server reports a new leader at /v1/status/leader and (b) until a KV write
// through the client succeeds; for each raft_multiplier given; repeated, min/median/max.
//
//   npm run build && node bench/raft-failover.mjs [rounds=5] [multipliers=1,5]

import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROUNDS = Number(process.argv[2] ?? 5);
const MULTIPLIERS = (process.argv[3] ?? '1,5').split(',').map(Number);
const CLIENT_IP = '127.0.0.124';
const MAIN = fileURLToPath(new URL('../dist/src/main.js', import.meta.url));
const IPS = ['127.0.0.121', '127.0.0.122', '127.0.0.123'];
const IDS = IPS.map((_, i) => `00000000-0000-4000-8000-0000000002${String(i).padStart(2, '0')}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const dir = mkdtempSync(path.join(tmpdir(), 'bench-failover-'));
const procs = [];

let multiplier = 1;
let clientProc = null;

function startClient() {
  clientProc = spawn(
    process.execPath,
    [
      MAIN,
      'agent',
      `-data-dir=${dir}/c-${multiplier}`,
      '-node=fc',
      `-bind=${CLIENT_IP}`,
      `-client=${CLIENT_IP}`,
      '-http-port=18620',
      '-log-level=warn',
      '-retry-interval=1s',
      ...IPS.map((ip) => `-retry-join=${ip}`),
    ],
    { stdio: 'ignore' },
  );
}

async function clientWrite() {
  try {
    const r = await fetch(`http://${CLIENT_IP}:18620/v1/kv/bench`, {
      method: 'PUT',
      body: 'x',
      signal: AbortSignal.timeout(2000),
    });
    return (await r.text()).trim() === 'true';
  } catch {
    return false;
  }
}

function start(i) {
  procs[i] = spawn(
    process.execPath,
    [
      MAIN,
      'agent',
      '-server',
      `-data-dir=${dir}/s${i}-${multiplier}`,
      `-node=f${i}`,
      `-node-id=${IDS[i]}`,
      `-bind=${IPS[i]}`,
      `-client=${IPS[i]}`,
      '-http-port=18620',
      '-log-level=warn',
      // Servers join each other too, as deployments do: a client that happened to reach only one of
      // them at start would otherwise be the pool's only link, and lost with that server.
      '-retry-interval=1s',
      ...IPS.filter((ip) => ip !== IPS[i]).map((ip) => `-retry-join=${ip}`),
      '-hcl',
      `performance { raft_multiplier = ${multiplier} }`,
    ],
    { stdio: 'ignore' },
  );
}

async function leader(except = -1) {
  for (let i = 0; i < 3; i++) {
    if (i === except) continue;
    try {
      const r = await fetch(`http://${IPS[i]}:18620/v1/status/leader`, { signal: AbortSignal.timeout(500) });
      const l = await r.json();
      const at = IPS.findIndex((ip) => l === `${ip}:8300`);
      if (at >= 0 && at !== except) return at;
    } catch {
      /* down */
    }
  }
  return -1;
}

async function threeVoters(l) {
  try {
    const r = await fetch(`http://${IPS[l]}:18620/v1/operator/raft/configuration`, {
      signal: AbortSignal.timeout(1000),
    });
    const c = await r.json();
    return c.Servers.length === 3 && c.Servers.every((x) => x.Voter);
  } catch {
    return false;
  }
}

async function waitLeader(except = -1) {
  for (;;) {
    const l = await leader(except);
    if (l >= 0) return l;
    await sleep(10);
  }
}

const ms = (x) => `${Math.round(x)} ms`;
const stats = (xs) => {
  const t = [...xs].sort((a, b) => a - b);
  return `min ${ms(t[0])}  median ${ms(t[Math.floor(t.length / 2)])}  max ${ms(t[t.length - 1])}`;
};

try {
  const peers = IPS.map((ip, i) => ({ id: IDS[i], address: `${ip}:8300`, non_voter: false }));
  for (const m of MULTIPLIERS) {
    multiplier = m;
    for (let i = 0; i < 3; i++) {
      mkdirSync(`${dir}/s${i}-${m}/raft`, { recursive: true });
      writeFileSync(`${dir}/s${i}-${m}/raft/peers.json`, JSON.stringify(peers));
      start(i);
    }
    startClient();
    const leaderTimes = [];
    const writeTimes = [];
    for (let round = 0; round < ROUNDS; round++) {
      const l = await waitLeader();
      if (process.env.BENCH_DEBUG) console.error('leader', l);
      while (!(await clientWrite())) await sleep(50);
      if (process.env.BENCH_DEBUG) console.error('client write ok');
      await sleep(1500); // a settled cluster, as in production
      // A restarted server that autopilot removed while it was down comes back as a nonvoter: kill
      // the next leader only once all three vote again, or there would be no quorum left.
      while (!(await threeVoters(l))) await sleep(200);
      const t0 = performance.now();
      procs[l].kill('SIGKILL');
      const leaderP = waitLeader(l).then(() => leaderTimes.push(performance.now() - t0));
      while (!(await clientWrite())) await sleep(10);
      writeTimes.push(performance.now() - t0);
      await leaderP;
      start(l);
    }
    console.log(`kill -9 of the leader, 3 servers + 1 client, raft_multiplier ${m}, ${ROUNDS} rounds`);
    console.log(`  new leader:                    ${stats(leaderTimes)}`);
    console.log(`  first write through the client: ${stats(writeTimes)}`);
    for (const p of procs) p?.kill('SIGKILL');
    clientProc?.kill('SIGKILL');
    await sleep(500);
  }
} finally {
  for (const p of procs) p?.kill('SIGKILL');
  clientProc?.kill('SIGKILL');
  await sleep(200);
  rmSync(dir, { recursive: true, force: true });
}
