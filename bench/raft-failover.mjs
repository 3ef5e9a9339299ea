#!/usr/bin/env node
// Leader failover time of a 3-server group (real processes, raft_multiplier 1): kill -9 the leader and
// time until a surviving server reports a new leader at /v1/status/leader; repeated, min/median/max.
//
//   npm run build && node bench/raft-failover.mjs [rounds=5]

import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROUNDS = Number(process.argv[2] ?? 5);
const MAIN = fileURLToPath(new URL('../dist/src/main.js', import.meta.url));
const IPS = ['127.0.0.121', '127.0.0.122', '127.0.0.123'];
const IDS = IPS.map((_, i) => `00000000-0000-4000-8000-0000000002${String(i).padStart(2, '0')}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const dir = mkdtempSync(path.join(tmpdir(), 'bench-failover-'));
const procs = [];

function start(i) {
  procs[i] = spawn(
    process.execPath,
    [
      MAIN,
      'agent',
      '-server',
      `-data-dir=${dir}/s${i}`,
      `-node=f${i}`,
      `-node-id=${IDS[i]}`,
      `-bind=${IPS[i]}`,
      `-client=${IPS[i]}`,
      '-http-port=18620',
      '-log-level=warn',
      '-hcl',
      'performance { raft_multiplier = 1 }',
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

async function waitLeader(except = -1) {
  for (;;) {
    const l = await leader(except);
    if (l >= 0) return l;
    await sleep(10);
  }
}

try {
  const peers = IPS.map((ip, i) => ({ id: IDS[i], address: `${ip}:8300`, non_voter: false }));
  for (let i = 0; i < 3; i++) {
    mkdirSync(`${dir}/s${i}/raft`, { recursive: true });
    writeFileSync(`${dir}/s${i}/raft/peers.json`, JSON.stringify(peers));
    start(i);
  }
  const times = [];
  for (let round = 0; round < ROUNDS; round++) {
    const l = await waitLeader();
    await sleep(1500); // a settled cluster, as in production
    const t0 = performance.now();
    procs[l].kill('SIGKILL');
    await waitLeader(l);
    times.push(performance.now() - t0);
    start(l);
  }
  times.sort((a, b) => a - b);
  const ms = (x) => `${Math.round(x)} ms`;
  console.log(`leader failover after kill -9, 3 servers, raft_multiplier 1, ${ROUNDS} rounds`);
  console.log(
    `min ${ms(times[0])}  median ${ms(times[Math.floor(times.length / 2)])}  max ${ms(times[times.length - 1])}`,
  );
} finally {
  for (const p of procs) p?.kill('SIGKILL');
  await sleep(200);
  rmSync(dir, { recursive: true, force: true });
}
