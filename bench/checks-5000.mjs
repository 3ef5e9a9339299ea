#!/usr/bin/env node
// 5,000 HTTP checks on one agent: how closely each keeps its interval, and what they cost. A local HTTP
// server answers every check and records when each one arrives; the drift of a check run is how far
// the time since its previous run is from the interval. CPU is the agent process's user+system time
// over the measured window (from /proc), per check run and as a share of one core.
//
//   npm run build && node bench/checks-5000.mjs [checks=5000] [interval-s=10] [measure-s=60]

import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const N = Number(process.argv[2] ?? 5000);
const INTERVAL_S = Number(process.argv[3] ?? 10);
const MEASURE_S = Number(process.argv[4] ?? 60);
// BENCH_IP: the loopback address to bind (concurrent runs each use their own).
const IP = process.env.BENCH_IP ?? '127.0.0.157';
const HOOK_PORT = 19457;
const HTTP_PORT = 19458;
const MAIN = fileURLToPath(new URL('../dist/src/main.js', import.meta.url));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const arrivals = new Map();
let measuring = false;
const hook = createServer((req, res) => {
  const id = req.url.slice(3);
  if (measuring) {
    let a = arrivals.get(id);
    if (!a) arrivals.set(id, (a = []));
    a.push(performance.now());
  }
  res.end('ok');
});
await new Promise((r) => hook.listen(HOOK_PORT, IP, r));

const dir = mkdtempSync(path.join(tmpdir(), 'bench-checks-'));
const checks = Array.from({ length: N }, (_, i) => ({
  id: `c${i}`,
  name: `c${i}`,
  http: `http://${IP}:${HOOK_PORT}/c/${i}`,
  interval: `${INTERVAL_S}s`,
  timeout: '5s',
}));
writeFileSync(path.join(dir, 'checks.json'), JSON.stringify({ checks }));
const agent = spawn(
  process.execPath,
  [
    MAIN,
    'agent',
    '-dev',
    `-bind=${IP}`,
    `-client=${IP}`,
    `-http-port=${HTTP_PORT}`,
    '-dns-port=-1',
    '-grpc-port=-1',
    '-log-level=error',
    `-config-file=${path.join(dir, 'checks.json')}`,
  ],
  { stdio: 'ignore' },
);

const cpuMs = () => {
  const f = readFileSync(`/proc/${agent.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const ticks = Number(f[11]) + Number(f[12]); // utime + stime, in clock ticks (100 per second here)
  return ticks * 10;
};

try {
  // Let every check start and settle into its rhythm, then measure.
  for (let i = 0; i < 100; i++) {
    try {
      const r = await fetch(`http://${IP}:${HTTP_PORT}/v1/agent/checks`);
      if (Object.keys(await r.json()).length === N) break;
    } catch {
      /* not up yet */
    }
    await sleep(200);
  }
  await sleep(INTERVAL_S * 1000 * 1.5);
  measuring = true;
  const cpu0 = cpuMs();
  const t0 = performance.now();
  await sleep(MEASURE_S * 1000);
  measuring = false;
  const cpu = cpuMs() - cpu0;
  const wall = performance.now() - t0;
  const drift = [];
  let runs = 0;
  for (const a of arrivals.values()) {
    runs += a.length;
    for (let i = 1; i < a.length; i++) drift.push(Math.abs(a[i] - a[i - 1] - INTERVAL_S * 1000));
  }
  drift.sort((x, y) => x - y);
  const q = (p) => drift[Math.min(drift.length - 1, Math.floor(p * drift.length))] ?? NaN;
  const missing = N - arrivals.size;
  console.log(`${N} http checks every ${INTERVAL_S}s, measured ${MEASURE_S}s on one -dev agent`);
  console.log(`check runs: ${runs} (${(runs / (wall / 1000)).toFixed(0)}/s), checks never seen: ${missing}`);
  console.log(
    `interval drift ms: p50 ${q(0.5).toFixed(1)}  p99 ${q(0.99).toFixed(1)}  max ${(drift.at(-1) ?? NaN).toFixed(1)}`,
  );
  console.log(
    `agent CPU: ${((100 * cpu) / wall).toFixed(1)}% of a core, ${((cpu * 1000) / Math.max(1, runs)).toFixed(0)} µs per check run`,
  );
} finally {
  agent.kill('SIGKILL');
  hook.close();
  rmSync(dir, { recursive: true, force: true });
}
