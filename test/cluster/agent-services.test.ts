// Services and checks registered through the agent API: a service with a TTL check enters the catalog
// with its check, follows check/pass|warn|fail|update, expires to critical after its TTL, and leaves on
// deregister; Consul's error texts for unknown IDs and non-TTL checks.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { agentUp, httpGet, startConsul, stop, waitFor, type Proc } from '../helpers/process.js';

const procs: Proc[] = [];
const dir = mkdtempSync(path.join(tmpdir(), 'proconsul-svc-'));
after(async () => {
  await Promise.all(procs.map(stop));
  rmSync(dir, { recursive: true, force: true });
});

const IP = '127.0.0.238';
const put = async (p: string, body?: string) => {
  const r = await fetch(`http://${IP}:8500${p}`, { method: 'PUT', body });
  return { status: r.status, text: await r.text() };
};
const checks = async (service: string) =>
  JSON.parse((await httpGet(`http://${IP}:8500/v1/health/checks/${service}`)).body) as Array<{
    CheckID: string;
    Status: string;
    Output: string;
    Type: string;
  }>;

/** The one server of this test, on the same data dir each time (restarts keep its registrations). */
async function startServer(): Promise<void> {
  procs.push(
    startConsul([
      'agent',
      '-server',
      '-bootstrap',
      '-node=svc',
      `-bind=${IP}`,
      `-client=${IP}`,
      `-data-dir=${dir}`,
    ]),
  );
  await agentUp(IP);
}

test(
  'agent API services with TTL checks: register, pass/warn/fail/update, TTL expiry, deregister',
  { timeout: 90_000 },
  async () => {
    await startServer();
    await waitFor(
      'a leader',
      async () => JSON.parse((await httpGet(`http://${IP}:8500/v1/status/leader`)).body) !== '',
      30_000,
    );

    const reg = await put(
      '/v1/agent/service/register',
      JSON.stringify({
        Name: 'api',
        ID: 'api-1',
        Tags: ['v1'],
        Port: 9000,
        Meta: { Ver: '1' },
        Check: { TTL: '4s', Name: 'api ttl' },
      }),
    );
    assert.deepEqual(reg, { status: 200, text: 'null' });
    const local = JSON.parse((await httpGet(`http://${IP}:8500/v1/agent/services`)).body) as Record<
      string,
      { Service: string; Meta: object }
    >;
    assert.equal(local['api-1']?.Service, 'api');
    assert.deepEqual(local['api-1']?.Meta, { Ver: '1' });
    // In the catalog together with its check, critical until the first report.
    await waitFor(
      'registered with its check',
      async () => (await checks('api')).some((c) => c.CheckID === 'service:api-1'),
      10_000,
    );
    assert.equal((await checks('api'))[0]!.Status, 'critical');
    assert.equal((await checks('api'))[0]!.Type, 'ttl');

    assert.equal((await put('/v1/agent/check/pass/service:api-1?note=all%20good')).status, 200);
    await waitFor('passing', async () => (await checks('api'))[0]?.Status === 'passing', 5000);
    assert.equal((await checks('api'))[0]!.Output, 'all good');
    assert.equal((await put('/v1/agent/check/warn/service:api-1')).status, 200);
    await waitFor('warning', async () => (await checks('api'))[0]?.Status === 'warning', 5000);
    assert.equal(
      (await put('/v1/agent/check/update/service:api-1', '{"Status":"passing","Output":"fine"}')).status,
      200,
    );
    await waitFor('passing again', async () => (await checks('api'))[0]?.Output === 'fine', 5000);
    // No report within the TTL: critical, with Consul's output.
    await waitFor('TTL expired', async () => (await checks('api'))[0]?.Status === 'critical', 10_000);
    assert.equal((await checks('api'))[0]!.Output, 'TTL expired (last output before timeout follows): fine');

    assert.deepEqual(await put('/v1/agent/check/pass/nope'), {
      status: 404,
      text: 'Unknown check ID "nope". Ensure that the check ID is passed, not the check name.\n',
    });
    assert.equal((await put('/v1/agent/check/update/service:api-1', '{"Status":"bogus"}')).status, 400);
    assert.equal((await put('/v1/agent/service/register', '{"Port": 1}')).text, 'Missing service name\n');

    // Registrations survive a restart (persisted under the data dir, as Consul's services/ and checks/).
    // A TTL check's last report survives too while its TTL has not run out (Consul's checks/state).
    assert.equal(
      (await put('/v1/agent/check/register', JSON.stringify({ Name: 'disk', CheckID: 'disk', TTL: '30s' })))
        .status,
      200,
    );
    assert.equal((await put('/v1/agent/check/warn/disk?note=filling')).status, 200);
    await stop(procs.pop()!);
    await startServer();
    const after = JSON.parse((await httpGet(`http://${IP}:8500/v1/agent/checks`)).body) as Record<
      string,
      { Name: string; Status: string; Output: string }
    >;
    assert.deepEqual(Object.keys(after).sort(), ['disk', 'service:api-1']);
    assert.deepEqual([after.disk?.Status, after.disk?.Output], ['warning', 'filling']);
    await waitFor(
      'a leader again',
      async () => JSON.parse((await httpGet(`http://${IP}:8500/v1/status/leader`)).body) !== '',
      30_000,
    );
    assert.equal((await put('/v1/agent/check/deregister/disk')).status, 200);

    assert.equal((await put('/v1/agent/service/deregister/api-1')).status, 200);
    await waitFor(
      'gone from the catalog',
      async () =>
        (JSON.parse((await httpGet(`http://${IP}:8500/v1/catalog/service/api`)).body) as unknown[]).length ===
        0,
      10_000,
    );
    assert.deepEqual(await checks('api'), []);
    assert.equal((await put('/v1/agent/service/deregister/api-1')).status, 404);
    // Deregistered means gone from disk too: a restart brings nothing back.
    await stop(procs.pop()!);
    await startServer();
    assert.deepEqual(JSON.parse((await httpGet(`http://${IP}:8500/v1/agent/services`)).body), {});
    assert.deepEqual(JSON.parse((await httpGet(`http://${IP}:8500/v1/agent/checks`)).body), {});
  },
);
