#!/usr/bin/env node
// DNS throughput: dnsperf (Debian's `dnsperf`) against a -dev agent answering from its catalog, side by
// side with unbound (Debian's `unbound`) serving the same names as local data, in one run. Queries mix
// node A, service A and SRV lookups. Prints queries/s and p50/p99 latency for both, and the ratios, at
// full speed and at a fixed load both keep up with. A third column, node-floor (bench/dns-floor.mjs), is
// the least a Node.js responder does per query (dgram in, a stored answer out): it shows how much of the
// gap to unbound is the runtime's. dnsperf and unbound are installed with apt-get (test/helpers/apt.ts)
// when missing.
//
//   npm run build && node bench/dns-perf.mjs [seconds=10] [clients=4] [rounds=3]

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SECONDS = Number(process.argv[2] ?? 10);
const CLIENTS = Number(process.argv[3] ?? 4);
// Runs alternate between the two servers this many times; each figure is the median (a shared
// machine's load comes and goes).
const ROUNDS = Number(process.argv[4] ?? 3);
const MAIN = fileURLToPath(new URL('../dist/src/main.js', import.meta.url));
const AGENT = '127.0.6.20';
const UNBOUND = '127.0.6.21';
const FLOOR = '127.0.6.22';
const PORT = 18653;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const missing = () => ['dnsperf', 'unbound'].filter((bin) => spawnSync('which', [bin]).status !== 0);
if (missing().length > 0) {
  const { aptInstall } = await import('../dist/test/helpers/apt.js');
  const why = aptInstall(['dnsperf', 'unbound']);
  if (missing().length > 0) {
    console.log(`${missing().join(', ')} missing and apt-get could not install it: ${why ?? '?'}`);
    process.exit(1);
  }
}

const dir = mkdtempSync(path.join(tmpdir(), 'dnsperf-'));
const NODES = Array.from({ length: 5 }, (_, i) => ({ name: `web-${i + 1}`, ip: `10.10.0.${i + 1}` }));
writeFileSync(
  path.join(dir, 'queries.txt'),
  [
    ...NODES.map((n) => `${n.name}.node.consul A`),
    'web.service.consul A',
    'web.service.consul SRV',
    'web.service.dc1.consul A',
  ].join('\n') + '\n',
);

// unbound with the same answers as local data (static, so it is the faster baseline).
const local = [
  ...NODES.map((n) => `local-data: "${n.name}.node.consul. 0 IN A ${n.ip}"`),
  ...NODES.map((n) => `local-data: "web.service.consul. 0 IN A ${n.ip}"`),
  ...NODES.map((n) => `local-data: "web.service.dc1.consul. 0 IN A ${n.ip}"`),
  ...NODES.map((n) => `local-data: "web.service.consul. 0 IN SRV 1 1 80 ${n.name}.node.dc1.consul."`),
  ...NODES.map((n) => `local-data: "${n.name}.node.dc1.consul. 0 IN A ${n.ip}"`),
];
writeFileSync(
  path.join(dir, 'unbound.conf'),
  `server:
  interface: ${UNBOUND}@${PORT}
  access-control: 127.0.0.0/8 allow
  do-daemonize: no
  username: ""
  chroot: ""
  directory: "${dir}"
  pidfile: ""
  use-syslog: no
  verbosity: 0
  num-threads: 1
  local-zone: "consul." static
  ${local.join('\n  ')}
`,
);

/** One dnsperf run; `rate` caps queries/s (latency at a load both keep up with), 0 = as fast as possible. */
function dnsperf(server, rate) {
  const args = ['-s', server, '-p', String(PORT), '-d', path.join(dir, 'queries.txt')];
  args.push('-l', String(SECONDS), '-c', String(CLIENTS), '-v');
  if (rate) args.push('-Q', String(rate));
  const r = spawnSync('dnsperf', args, { encoding: 'utf8', maxBuffer: 1 << 30 });
  const qps = Number(/Queries per second:\s+([\d.]+)/.exec(r.stdout)?.[1] ?? NaN);
  // With -v each answer's latency (seconds) ends its line: the percentiles.
  const each = [...r.stdout.matchAll(/^> NOERROR .* ([\d.]+)$/gm)]
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
  const at = (q) => (each.length ? each[Math.min(each.length - 1, Math.floor(each.length * q))] * 1000 : NaN);
  const lat = Number(/Average Latency \(s\):\s+([\d.]+)/.exec(r.stdout)?.[1] ?? NaN) * 1000;
  const lost = /Queries lost:\s+(\d+)/.exec(r.stdout)?.[1] ?? '?';
  return { qps, lat, p50: at(0.5), p99: at(0.99), lost, raw: r.stdout.slice(0, 2000) };
}

const agent = spawn(
  process.execPath,
  [
    MAIN,
    'agent',
    '-dev',
    `-bind=${AGENT}`,
    `-client=${AGENT}`,
    '-http-port=18654',
    `-dns-port=${PORT}`,
    '-log-level=warn',
  ],
  { stdio: 'ignore' },
);
const unbound = spawn('unbound', ['-d', '-c', path.join(dir, 'unbound.conf')], { stdio: 'ignore' });
const floor = spawn(
  process.execPath,
  [fileURLToPath(new URL('./dns-floor.mjs', import.meta.url)), FLOOR, String(PORT), AGENT],
  { stdio: 'ignore' },
);
try {
  for (let i = 0; ; i++) {
    try {
      const l = await (await fetch(`http://${AGENT}:18654/v1/status/leader`)).json();
      if (l) break;
    } catch {
      /* starting */
    }
    if (i > 200) throw new Error('agent did not start');
    await sleep(50);
  }
  for (const n of NODES)
    await fetch(`http://${AGENT}:18654/v1/catalog/register`, {
      method: 'PUT',
      body: JSON.stringify({
        Node: n.name,
        Address: n.ip,
        Service: { Service: 'web', Port: 80 },
        Check: { CheckID: 'web', Name: 'web', ServiceID: 'web', Status: 'passing' },
      }),
    });
  await sleep(1000);
  // The floor learns each question from the agent the first time it sees it.
  for (let i = 0; i < 3; i++)
    spawnSync('dnsperf', ['-s', FLOOR, '-p', String(PORT), '-d', path.join(dir, 'queries.txt'), '-n', '1']);
  console.log(
    `dnsperf, ${SECONDS}s per run, ${CLIENTS} clients, ${NODES.length} nodes; node A, service A, SRV; median of ${ROUNDS} alternating runs`,
  );
  console.log('load      target       queries/s   avg ms   p50 ms   p99 ms   lost');
  const ratios = [];
  for (const rate of [0, 2000]) {
    const runs = { ours: [], theirs: [], floor: [] };
    for (let i = 0; i < ROUNDS; i++) {
      runs.ours.push(dnsperf(AGENT, rate));
      runs.theirs.push(dnsperf(UNBOUND, rate));
      runs.floor.push(dnsperf(FLOOR, rate));
    }
    const median = (rs) => {
      const m = (k) => rs.map((r) => r[k]).sort((a, b) => a - b)[Math.floor(rs.length / 2)];
      const lost = rs.map((r) => r.lost).join('/');
      return { qps: m('qps'), lat: m('lat'), p50: m('p50'), p99: m('p99'), lost, raw: rs[0].raw };
    };
    const ours = median(runs.ours);
    const theirs = median(runs.theirs);
    const fl = median(runs.floor);
    const load = rate ? `${rate}/s` : 'max';
    const ms = (x) => (Number.isFinite(x) ? x.toFixed(3).padStart(8) : '       -');
    for (const [name, r] of [
      ['proconsul', ours],
      ['unbound', theirs],
      ['node-floor', fl],
    ])
      console.log(
        `${load.padEnd(9)} ${name.padEnd(10)} ${r.qps.toFixed(0).padStart(11)} ${ms(r.lat)} ${ms(r.p50)} ${ms(r.p99)}   ${r.lost}`,
      );
    const x = (a, b) => (a / b).toFixed(2);
    ratios.push(
      `${load}: qps ${x(ours.qps, theirs.qps)}, p50 ${x(ours.p50, theirs.p50)}, p99 ${x(ours.p99, theirs.p99)}` +
        ` (node-floor / unbound: qps ${x(fl.qps, theirs.qps)}, p50 ${x(fl.p50, theirs.p50)})`,
    );
    if (!Number.isFinite(ours.qps) || !Number.isFinite(theirs.qps)) console.log(ours.raw, theirs.raw);
  }
  console.log(`ratio proconsul / unbound — ${ratios.join('; ')}`);
} finally {
  agent.kill('SIGKILL');
  unbound.kill('SIGKILL');
  floor.kill('SIGKILL');
  await sleep(100);
  rmSync(dir, { recursive: true, force: true });
}
