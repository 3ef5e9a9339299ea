#!/usr/bin/env node
// KV throughput and latency of a 3-server group (real processes, lmdb with fsync), side by side with a
// 3-member etcd cluster on the same machine when Debian's etcd-server is installed
// (`apt-get install etcd-server`). Both are driven the same way: N concurrent clients, each sending
// one request after another over its own keep-alive HTTP connection to the leader, for a fixed time
// (bench/http-load-client.mjs: a lean client, so the load generator does not set the figures). Operations:
//   put    — a write (Consul PUT /v1/kv/k; etcd /v3/kv/put)
//   get    — a default read (Consul's leader read; etcd's linearizable range)
//   stale  — a read any server may answer (Consul ?stale; etcd serializable range)
//
//   npm run build && node bench/raft-kv.mjs [seconds-per-run=5] [concurrency=1,16,64] [ops=put,get,stale]
//
// Figures vary with the machine's load: compare the two columns of one run, not runs with each other.

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { httpLoadClient } from './http-load-client.mjs';

const SECONDS = Number(process.argv[2] ?? 5);
const LEVELS = (process.argv[3] ?? '1,16,64').split(',').map(Number);
const OPS = (process.argv[4] ?? 'put,get,stale').split(',');
/** Keys the reads pick from (written before the read runs). */
const READ_KEYS = 100;
const MAIN = fileURLToPath(new URL('../dist/src/main.js', import.meta.url));
const VALUE = 'x'.repeat(64);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(fn, ms = 20000) {
  const end = Date.now() + ms;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch {
      /* not yet */
    }
    if (Date.now() > end) throw new Error('timed out');
    await sleep(50);
  }
}

/** One lean client per worker and target, made on first use. */
function perWorker(host, port) {
  const clients = [];
  return (w) => (clients[w] ??= httpLoadClient(host, port));
}

async function drive(concurrency, op) {
  const lat = [];
  let stop = false;
  let errors = 0;
  const worker = async (w) => {
    for (let i = 0; !stop; i++) {
      const t0 = performance.now();
      try {
        await op(w, i);
        lat.push(performance.now() - t0);
      } catch {
        errors++;
      }
    }
  };
  const started = performance.now();
  const workers = Array.from({ length: concurrency }, (_, w) => worker(w));
  await sleep(SECONDS * 1000);
  stop = true;
  await Promise.all(workers);
  const secs = (performance.now() - started) / 1000;
  lat.sort((a, b) => a - b);
  const q = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? NaN;
  return { ops: lat.length / secs, p50: q(0.5), p99: q(0.99), errors };
}

async function proconsul(dir) {
  const ips = ['127.0.0.101', '127.0.0.102', '127.0.0.103'];
  const ids = ips.map((_, i) => `00000000-0000-4000-8000-0000000001${String(i).padStart(2, '0')}`);
  const peers = ips.map((ip, i) => ({ id: ids[i], address: `${ip}:8300`, non_voter: false }));
  const procs = ips.map((ip, i) => {
    mkdirSync(`${dir}/pc${i}/raft`, { recursive: true });
    writeFileSync(`${dir}/pc${i}/raft/peers.json`, JSON.stringify(peers));
    return spawn(
      process.execPath,
      [
        MAIN,
        'agent',
        '-server',
        `-data-dir=${dir}/pc${i}`,
        `-node=b${i}`,
        `-node-id=${ids[i]}`,
        `-bind=${ip}`,
        `-client=${ip}`,
        '-http-port=18600',
        '-log-level=warn',
        '-hcl',
        'performance { raft_multiplier = 1 }',
      ],
      { stdio: 'ignore' },
    );
  });
  const leader = await waitFor(async () => {
    const r = await fetch(`http://${ips[0]}:18600/v1/status/leader`);
    const l = await r.json();
    return l ? l.split(':')[0] : '';
  });
  const client = perWorker(leader, 18600);
  const get = async (w, k, q) => {
    const r = await client(w)('GET', `/v1/kv/${k}${q}`);
    if (r.status !== 200) throw new Error(`get failed: ${r.status}`);
  };
  return {
    put: async (w, k, v) => {
      const r = await client(w)('PUT', `/v1/kv/${k}`, v);
      if (r.body.toString().trim() !== 'true') throw new Error(`put failed: ${r.status}`);
    },
    get: (w, k) => get(w, k, ''),
    stale: (w, k) => get(w, k, '?stale'),
    stop: () => procs.forEach((p) => p.kill('SIGKILL')),
  };
}

async function etcd(dir) {
  if (spawnSync('which', ['etcd']).status !== 0) return null;
  const ips = ['127.0.0.111', '127.0.0.112', '127.0.0.113'];
  const cluster = ips.map((ip, i) => `e${i}=http://${ip}:2380`).join(',');
  const procs = ips.map((ip, i) =>
    spawn(
      'etcd',
      [
        `--name=e${i}`,
        `--data-dir=${dir}/etcd${i}`,
        `--listen-peer-urls=http://${ip}:2380`,
        `--initial-advertise-peer-urls=http://${ip}:2380`,
        `--listen-client-urls=http://${ip}:2379`,
        `--advertise-client-urls=http://${ip}:2379`,
        `--initial-cluster=${cluster}`,
        '--initial-cluster-state=new',
        '--log-level=error',
      ],
      { stdio: 'ignore' },
    ),
  );
  const b64 = (s) => Buffer.from(s).toString('base64');
  await waitFor(
    async () =>
      (
        await fetch(`http://${ips[0]}:2379/v3/kv/put`, {
          method: 'POST',
          body: JSON.stringify({ key: b64('probe'), value: b64('x') }),
        })
      ).ok,
  );
  // Talk to the leader, as the proconsul side does.
  const leaderId = await waitFor(async () => {
    const r = await fetch(`http://${ips[0]}:2379/v3/maintenance/status`, { method: 'POST', body: '{}' });
    return (await r.json()).leader;
  });
  let at = ips[0];
  for (const ip of ips) {
    const r = await fetch(`http://${ip}:2379/v3/maintenance/status`, { method: 'POST', body: '{}' });
    if ((await r.json()).header.member_id === leaderId) at = ip;
  }
  const client = perWorker(at, 2379);
  const range = async (w, k, serializable) => {
    const r = await client(w)('POST', '/v3/kv/range', JSON.stringify({ key: b64(k), serializable }));
    if (r.status !== 200) throw new Error(`etcd range ${r.status}`);
    if (!JSON.parse(r.body.toString()).kvs) throw new Error('etcd range: missing key');
  };
  return {
    put: async (w, k, v) => {
      const r = await client(w)('POST', '/v3/kv/put', JSON.stringify({ key: b64(k), value: b64(v) }));
      if (r.status !== 200) throw new Error(`etcd put ${r.status}`);
    },
    get: (w, k) => range(w, k, false),
    stale: (w, k) => range(w, k, true),
    stop: () => procs.forEach((p) => p.kill('SIGKILL')),
  };
}

const dir = mkdtempSync(path.join(tmpdir(), 'bench-raft-'));
const fmt = (x) => (Number.isFinite(x) ? x.toFixed(1).padStart(9) : '        -');
try {
  if (!existsSync(MAIN)) throw new Error('run `npm run build` first');
  const targets = [['proconsul', await proconsul(dir)]];
  const e = await etcd(dir);
  if (e) targets.push(['etcd', e]);
  else console.log('(etcd not installed: apt-get install etcd-server to compare)');
  console.log(`3 servers, fsync on, ${SECONDS}s per run, 64-byte values, requests to the leader`);
  for (const [, t] of targets) for (let k = 0; k < READ_KEYS; k++) await t.put(0, `read/${k}`, VALUE);
  console.log('op     clients  target       ops/s    p50 ms    p99 ms  errors   ratio');
  for (const opName of OPS) {
    for (const c of LEVELS) {
      const rows = [];
      for (const [name, t] of targets) {
        const op =
          opName === 'put'
            ? (w, i) => t.put(w, `bench/${w}/${i}`, VALUE)
            : (w, i) => t[opName](w, `read/${(w * 7 + i) % READ_KEYS}`);
        rows.push([name, await drive(c, op)]);
      }
      const base = rows.find(([n]) => n === 'etcd')?.[1].ops;
      for (const [name, r] of rows)
        console.log(
          `${opName.padEnd(6)} ${String(c).padStart(7)}  ${name.padEnd(9)} ${fmt(r.ops)} ${fmt(r.p50)} ${fmt(r.p99)}  ${String(r.errors).padStart(6)}  ${base ? (r.ops / base).toFixed(2).padStart(6) : '     -'}`,
        );
    }
  }
  for (const [, t] of targets) t.stop();
} finally {
  await sleep(200);
  rmSync(dir, { recursive: true, force: true });
}
