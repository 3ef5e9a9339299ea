#!/usr/bin/env node
// Blocking queries at scale: N concurrent `GET /v1/kv/watched?index=X&wait=60s` against one -dev agent.
// A write to another key must wake none of them; a write to the watched key must wake all of them.
// Prints how many woke early and the time from the write's acknowledgement until the last watcher
// returned (Node's HTTP floor for 10,000 responses here is about 0.4 s).
//
//   npm run build && node bench/blocking-queries.mjs [watchers=10000]
// BENCH_IP / BENCH_PORT pick the agent's address (default 127.0.0.180:18680; DNS on the port + 1).

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { fileURLToPath } from 'node:url';

const N = Number(process.argv[2] ?? 10000);
const MAIN = fileURLToPath(new URL('../dist/src/main.js', import.meta.url));
const IP = process.env.BENCH_IP ?? '127.0.0.180';
const PORT = Number(process.env.BENCH_PORT ?? 18680);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** CPU ms [user, system] a process has used so far, from /proc (Linux; NaN elsewhere). */
function cpuMs(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return [Number(f[11]) * 10, Number(f[12]) * 10]; // utime, stime in USER_HZ (100)
  } catch {
    return [NaN, NaN];
  }
}
// Every connection stays open once answered, as a watcher's does (it blocks again on it); the default
// maxFreeSockets (256) made the client close the other 9,744 mid-measurement, which cost the agent as
// much as answering them.
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: Infinity });

function request(method, path, body) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: IP, port: PORT, method, path, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

const proc = spawn(
  process.execPath,
  [
    // e.g. BENCH_NODE_ARGS=--prof to profile the agent.
    ...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean),
    MAIN,
    'agent',
    '-dev',
    `-bind=${IP}`,
    `-client=${IP}`,
    `-http-port=${PORT}`,
    `-dns-port=${PORT + 1}`,
    '-log-level=warn',
  ],
  { stdio: process.env.BENCH_AGENT_OUTPUT ? 'inherit' : 'ignore' },
);
try {
  for (let i = 0; ; i++) {
    try {
      const r = await request('GET', '/v1/status/leader');
      if (JSON.parse(r.body)) break;
    } catch {
      /* starting */
    }
    if (i > 200) throw new Error('agent did not start');
    await sleep(50);
  }
  await request('PUT', '/v1/kv/watched', 'v0');
  await request('PUT', '/v1/kv/other', 'v0');
  const index = (await request('GET', '/v1/kv/watched')).headers['x-consul-index'];

  let returned = 0;
  let lastAt = 0;
  const watchers = Array.from({ length: N }, () =>
    request('GET', `/v1/kv/watched?index=${index}&wait=60s`).then((r) => {
      returned++;
      lastAt = performance.now();
      return r;
    }),
  );
  // Let every watcher reach the agent and park.
  await sleep(Math.max(2000, N / 2));
  const parked = N - returned;
  const before = returned;
  await request('PUT', '/v1/kv/other', 'v1');
  await sleep(1000);
  const wokenByOther = returned - before;
  const agentCpu0 = cpuMs(proc.pid);
  const benchCpu0 = process.cpuUsage();
  const t0 = performance.now();
  await request('PUT', '/v1/kv/watched', 'v1');
  const acked = performance.now();
  const results = await Promise.all(watchers);
  const agentCpu = cpuMs(proc.pid).map((v, i) => v - agentCpu0[i]);
  const benchCpu = process.cpuUsage(benchCpu0);
  const changed = results.filter(
    (r) => r.status === 200 && Number(r.headers['x-consul-index']) > Number(index),
  );
  console.log(`${N} blocking queries on one key (one -dev agent, keep-alive HTTP)`);
  console.log(`parked before the writes:           ${parked}`);
  console.log(`woken by a write to another key:    ${wokenByOther}`);
  console.log(`returned with the new index:        ${changed.length}`);
  console.log(`write acknowledged after:           ${(acked - t0).toFixed(1)} ms`);
  console.log(`last watcher returned after write:  ${(lastAt - t0).toFixed(1)} ms`);
  console.log(`  of which after the acknowledgement: ${(lastAt - acked).toFixed(1)} ms`);
  // On a shared machine the wall times above include waiting for a core; these do not.
  console.log(
    `agent CPU for the wake-up:          ${agentCpu[0] + agentCpu[1]} ms (user ${agentCpu[0]}, system ${agentCpu[1]})`,
  );
  console.log(
    `bench client CPU for the responses: ${((benchCpu.user + benchCpu.system) / 1000).toFixed(0)} ms`,
  );
} finally {
  // A profiled agent must exit on its own to write its profile.
  proc.kill(process.env.BENCH_NODE_ARGS ? 'SIGINT' : 'SIGKILL');
  agent.destroy();
}
