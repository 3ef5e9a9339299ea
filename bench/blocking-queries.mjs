#!/usr/bin/env node
// Blocking queries at scale: N concurrent `GET /v1/kv/watched?index=X&wait=60s` against one -dev agent.
// A write to another key must wake none of them; a write to the watched key must wake all of them.
// Prints how many woke early and the time from the write's acknowledgement until the last watcher
// returned (Node's HTTP floor for 10,000 responses here is about 0.4 s).
//
//   npm run build && node bench/blocking-queries.mjs [watchers=10000]

import { spawn } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';

const N = Number(process.argv[2] ?? 10000);
const MAIN = fileURLToPath(new URL('../dist/src/main.js', import.meta.url));
const IP = '127.0.0.180';
const PORT = 18680;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });

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
    MAIN,
    'agent',
    '-dev',
    `-bind=${IP}`,
    `-client=${IP}`,
    `-http-port=${PORT}`,
    '-dns-port=18681',
    '-log-level=warn',
  ],
  { stdio: 'ignore' },
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
  const t0 = performance.now();
  await request('PUT', '/v1/kv/watched', 'v1');
  const acked = performance.now();
  const results = await Promise.all(watchers);
  const changed = results.filter(
    (r) => r.status === 200 && Number(r.headers['x-consul-index']) > Number(index),
  );
  console.log(`${N} blocking queries on one key (one -dev agent, keep-alive HTTP)`);
  console.log(`parked before the writes:           ${parked}`);
  console.log(`woken by a write to another key:    ${wokenByOther}`);
  console.log(`returned with the new index:        ${changed.length}`);
  console.log(`write acknowledged after:           ${(acked - t0).toFixed(1)} ms`);
  console.log(`last watcher returned after write:  ${(lastAt - t0).toFixed(1)} ms`);
} finally {
  proc.kill('SIGKILL');
  agent.destroy();
}
