// consul maint on a real agent: node and service maintenance register Consul's critical checks with the
// reason as notes (so the instance leaves ?passing answers and DNS), list what is in maintenance,
// survive a restart, and go away when disabled.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { agentUp, consul, startConsul, stop, waitFor, type Proc } from '../helpers/process.js';
import { dnsQuery } from '../helpers/dns.js';

const IP = '127.0.0.163';
const PORT = 18664;
const H = `http://${IP}:${PORT}`;
const env = { CONSUL_HTTP_ADDR: `${IP}:${PORT}` };
const dir = mkdtempSync(path.join(tmpdir(), 'maint-'));
let agent: Proc;

function start(): Proc {
  return startConsul([
    'agent',
    '-server',
    '-bootstrap',
    `-data-dir=${dir}`,
    '-node=maint-node',
    `-bind=${IP}`,
    `-client=${IP}`,
    `-http-port=${PORT}`,
    '-dns-port=18665',
    '-grpc-port=-1',
    '-hcl',
    'performance { raft_multiplier = 1 }',
  ]);
}

before(async () => {
  agent = start();
  assert.ok(await agentUp(IP, PORT), agent.err());
  await waitFor('a leader', async () => (await (await fetch(`${H}/v1/status/leader`)).json()) !== '', 15_000);
  const r = await fetch(`${H}/v1/agent/service/register`, {
    method: 'PUT',
    body: JSON.stringify({ Name: 'web', Port: 80, Check: { TTL: '10m', Status: 'passing' } }),
  });
  assert.equal(r.status, 200, await r.text());
});

after(async () => {
  await stop(agent);
  rmSync(dir, { recursive: true, force: true });
});

const passing = async () =>
  ((await (await fetch(`${H}/v1/health/service/web?passing`)).json()) as unknown[]).length;

test('node and service maintenance: checks, listing, health and DNS, restart, disable', async () => {
  await waitFor('web passing in the catalog', async () => (await passing()) === 1, 10_000);
  assert.deepEqual(consul(['maint', '-enable', '-reason', 'kernel upgrade'], env), {
    code: 0,
    out: 'Node maintenance is now enabled\n',
    err: '',
  });
  const checks = (await (await fetch(`${H}/v1/agent/checks`)).json()) as Record<
    string,
    { Status: string; Notes: string; Name: string; Type: string }
  >;
  assert.deepEqual(
    {
      Status: checks._node_maintenance?.Status,
      Notes: checks._node_maintenance?.Notes,
      Name: checks._node_maintenance?.Name,
      Type: checks._node_maintenance?.Type,
    },
    { Status: 'critical', Notes: 'kernel upgrade', Name: 'Node Maintenance Mode', Type: 'maintenance' },
  );
  await waitFor('web to leave ?passing', async () => (await passing()) === 0, 10_000);
  const dns = await dnsQuery(IP, 18665, 'web.service.consul', 'A');
  assert.equal(dns.answers?.length ?? 0, 0);

  assert.equal(
    consul(['maint', '-enable', '-service', 'web'], env).out,
    'Service maintenance is now enabled for "web"\n',
  );
  assert.equal(
    consul(['maint'], env).out,
    'Node:\n  Name:   maint-node\n  Reason: kernel upgrade\n\nService:\n  ID:     web\n  Reason: Maintenance mode is enabled for this service, but no reason was provided. This is a default message.\n\n',
  );

  // Maintenance is persistent: a restart keeps both.
  agent.child.kill('SIGTERM');
  await agent.exited;
  agent = start();
  assert.ok(await agentUp(IP, PORT), agent.err());
  await waitFor(
    'maintenance after the restart',
    async () => (consul(['maint'], env).out.match(/Reason:/g) ?? []).length === 2,
    15_000,
  );

  assert.equal(consul(['maint', '-disable'], env).out, 'Node maintenance is now disabled\n');
  assert.equal(
    consul(['maint', '-disable', '-service', 'web'], env).out,
    'Service maintenance is now disabled for "web"\n',
  );
  assert.equal(consul(['maint'], env).out, '');
  await waitFor('web back in ?passing', async () => (await passing()) === 1, 15_000);

  // Errors as Consul words them.
  assert.equal(
    consul(['maint', '-enable', '-disable'], env).err,
    'Only one of -enable or -disable may be provided\n',
  );
  assert.equal(consul(['maint', '-reason', 'x'], env).err, 'Reason may only be provided with -enable\n');
  assert.equal(
    consul(['maint', '-service', 'web'], env).err,
    'Service requires either -enable or -disable\n',
  );
  const unknown = consul(['maint', '-enable', '-service', 'nope'], env);
  assert.equal(unknown.code, 1);
  assert.match(
    unknown.err,
    /^Error enabling service maintenance: Unexpected response code: 404 \(No service registered with ID "nope"\)/,
  );
  const bad = await fetch(`${H}/v1/agent/maintenance?enable=maybe`, { method: 'PUT' });
  assert.equal(bad.status, 400);
  assert.equal(await bad.text(), 'Invalid value for enable: "maybe"\n');
  const missing = await fetch(`${H}/v1/agent/maintenance`, { method: 'PUT' });
  assert.equal(await missing.text(), 'Missing value for enable\n');
});
