// HAProxy's server-template resolving a service through our DNS (SRV with A records in the additional
// section): three registered instances all receive traffic; an instance whose check turns critical
// drops out of DNS and out of rotation, and comes back when it passes again. The test installs
// Debian's haproxy when missing.
import { aptInstall } from '../helpers/apt.js';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { agentUp, startConsul, stop, waitFor, type Proc } from '../helpers/process.js';

const AGENT = '127.0.0.175';
const DNS_PORT = 18701;
const BACKENDS = ['127.0.0.176', '127.0.0.177', '127.0.0.178'];
const BACKEND_PORT = 18702;
const FRONTEND = '127.0.0.179:18703';
const dir = mkdtempSync(path.join(tmpdir(), 'haproxy-'));
let agent: Proc;
let haproxy: ChildProcess;
let haproxyLog = '';
const servers: http.Server[] = [];

function haproxyBinary(): string {
  for (const p of ['/usr/sbin/haproxy', '/usr/bin/haproxy']) if (existsSync(p)) return p;
  const why = aptInstall(['haproxy']);
  if (!existsSync('/usr/sbin/haproxy'))
    throw new Error(`haproxy is not installed and apt-get could not install it: ${why}`);
  return '/usr/sbin/haproxy';
}

async function register(i: number, status: 'passing' | 'critical') {
  const r = await fetch(`http://${AGENT}:18700/v1/catalog/register`, {
    method: 'PUT',
    body: JSON.stringify({
      Node: `web-${i + 1}`,
      Address: BACKENDS[i],
      Service: { ID: 'web', Service: 'web', Port: BACKEND_PORT },
      Check: { CheckID: 'web-http', Name: 'web http', ServiceID: 'web', Status: status },
    }),
  });
  assert.equal(r.status, 200, await r.text());
}

/** Which backends answer `n` requests through HAProxy. */
async function served(n: number): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) {
    try {
      const r = await fetch(`http://${FRONTEND}/`, { signal: AbortSignal.timeout(2000) });
      if (r.status === 200) seen.add(await r.text());
      else await r.arrayBuffer();
    } catch {
      /* HAProxy without a usable server yet */
    }
  }
  return seen;
}

before(async () => {
  const bin = haproxyBinary();
  for (const [i, ip] of BACKENDS.entries()) {
    const s = http.createServer((_, res) => res.end(`web-${i + 1}`));
    await new Promise<void>((r) => s.listen(BACKEND_PORT, ip, r));
    servers.push(s);
  }
  agent = startConsul([
    'agent',
    '-dev',
    `-bind=${AGENT}`,
    `-client=${AGENT}`,
    '-http-port=18700',
    `-dns-port=${DNS_PORT}`,
    '-grpc-port=-1',
  ]);
  assert.ok(await agentUp(AGENT, 18700), agent.err());
  await waitFor(
    'a leader',
    async () => (await (await fetch(`http://${AGENT}:18700/v1/status/leader`)).json()) !== '',
    10_000,
  );
  for (let i = 0; i < 3; i++) await register(i, 'passing');
  const cfg = path.join(dir, 'haproxy.cfg');
  writeFileSync(
    cfg,
    `global
  maxconn 256

defaults
  mode http
  timeout connect 1s
  timeout client 5s
  timeout server 5s

resolvers consul
  nameserver consul ${AGENT}:${DNS_PORT}
  accepted_payload_size 8192
  resolve_retries 3
  timeout resolve 100ms
  timeout retry 100ms
  hold valid 200ms
  hold obsolete 200ms

frontend fe
  bind ${FRONTEND}
  default_backend be

backend be
  balance roundrobin
  server-template web 5 _web._tcp.service.consul resolvers consul resolve-prefer ipv4
`,
  );
  haproxy = spawn(bin, ['-db', '-f', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
  haproxy.stdout!.on('data', (c: Buffer) => (haproxyLog += c.toString()));
  haproxy.stderr!.on('data', (c: Buffer) => (haproxyLog += c.toString()));
});

after(async () => {
  haproxy?.kill('SIGKILL');
  await stop(agent);
  for (const s of servers) s.close();
  rmSync(dir, { recursive: true, force: true });
});

test(
  'HAProxy server-template over our SRV records routes only to passing instances',
  { timeout: 90_000 },
  async () => {
    const all = ['web-1', 'web-2', 'web-3'];
    await waitFor(
      `HAProxy to use all three instances (log: ${haproxyLog.slice(-300)})`,
      async () => [...(await served(9))].sort().join() === all.join(),
      30_000,
    );
    await register(1, 'critical');
    // Once DNS drops web-2, twelve requests in a row never reach it.
    await waitFor('web-2 to leave the rotation', async () => !(await served(12)).has('web-2'), 30_000);
    assert.deepEqual([...(await served(12))].sort(), ['web-1', 'web-3']);
    await register(1, 'passing');
    await waitFor('web-2 to come back', async () => (await served(9)).has('web-2'), 30_000);
  },
);
