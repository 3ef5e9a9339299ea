// consul services register|deregister (files and flags), GET /v1/agent/service/:id with its ContentHash
// and hash blocking, /v1/agent/health/service/name|id as status codes, and anti-entropy putting back a
// service deleted from the catalog behind the agent's back.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { consul, stop, waitFor, type Proc, startDevAgent } from '../helpers/process.js';

const IP = '127.0.0.245';
const PORT = 18745;
const H = `http://${IP}:${PORT}`;
const env = { CONSUL_HTTP_ADDR: `${IP}:${PORT}` };
const dir = mkdtempSync(path.join(tmpdir(), 'local-svc-'));
let agent: Proc;

before(async () => {
  agent = await startDevAgent(IP, PORT, 18746, [
    '-node=local-svc',
    '-hcl',
    'check_update_interval = "3s"',
    // Full syncs every 2 s (plus a stagger of up to 2 s) instead of Consul's minute, for the repair test.
    '-hcl',
    'ae_interval = "2s"',
  ]);
});

after(async () => {
  await stop(agent);
  rmSync(dir, { recursive: true, force: true });
});

const get = async (p: string, init?: RequestInit) => {
  const r = await fetch(`${H}${p}`, init);
  return { status: r.status, headers: r.headers, text: await r.text() };
};

test('consul services register/deregister from a file and from flags', async () => {
  const file = path.join(dir, 'api.hcl');
  writeFileSync(file, 'service {\n  name = "api"\n  port = 9090\n  tags = ["v1"]\n}\n');
  assert.deepEqual(consul(['services', 'register', '-tag=extra', file], env), {
    code: 0,
    out: 'Registered service: api\n',
    err: '',
  });
  assert.equal(
    consul(['services', 'register', '-name=cache', '-port=6379', '-meta=tier=hot'], env).out,
    'Registered service: cache\n',
  );
  const services = JSON.parse((await get('/v1/agent/services')).text) as Record<
    string,
    { Port: number; Tags: string[]; Meta: Record<string, string> }
  >;
  assert.equal(services.api?.Port, 9090);
  assert.deepEqual(services.api?.Tags, ['v1', 'extra']);
  assert.deepEqual(services.cache?.Meta, { tier: 'hot' });
  assert.equal(
    consul(['services', 'register'], env).err,
    'Service registration requires at least one argument or flags.\n',
  );
  assert.equal(
    consul(['services', 'deregister', '-id=x', file], env).err,
    'Service deregistration requires arguments or -id, not both.\n',
  );
  assert.equal(consul(['services', 'deregister', file], env).out, 'Deregistered service: api\n');
  assert.equal(consul(['services', 'deregister', '-id=cache'], env).out, 'Deregistered service: cache\n');
  assert.deepEqual(JSON.parse((await get('/v1/agent/services')).text), {});
});

test('agent/service/:id carries a ContentHash and ?hash blocks until the service changes', async () => {
  const reg = (tags: string[]) =>
    fetch(`${H}/v1/agent/service/register`, {
      method: 'PUT',
      body: JSON.stringify({ Name: 'web', Port: 80, Tags: tags, Check: { TTL: '10m' } }),
    });
  assert.equal((await reg(['a'])).status, 200);
  const first = await get('/v1/agent/service/web');
  assert.equal(first.status, 200);
  const hash = first.headers.get('x-consul-contenthash');
  assert.match(hash ?? '', /^[0-9a-f]+$/);
  assert.equal((JSON.parse(first.text) as { ContentHash: string }).ContentHash, hash);
  // Unchanged: the wait runs out and the same hash comes back.
  const t0 = Date.now();
  const same = await get(`/v1/agent/service/web?hash=${hash}&wait=300ms`);
  assert.ok(Date.now() - t0 >= 250, 'it waited');
  assert.equal(same.headers.get('x-consul-contenthash'), hash);
  // A change ends the wait early with the new hash.
  const pending = get(`/v1/agent/service/web?hash=${hash}&wait=30s`);
  await new Promise((r) => setTimeout(r, 200));
  assert.equal((await reg(['a', 'b'])).status, 200);
  const changed = await pending;
  assert.notEqual(changed.headers.get('x-consul-contenthash'), hash);
  assert.deepEqual((JSON.parse(changed.text) as { Tags: string[] }).Tags, ['a', 'b']);
  assert.deepEqual(await get('/v1/agent/service/nope').then((r) => [r.status, r.text]), [
    404,
    'unknown service ID: nope\n',
  ]);
});

test('agent/health/service: 503 critical, 429 warning, 200 passing, 404 unknown; text format', async () => {
  const status = async (p: string) => (await get(p)).status;
  // The TTL check starts critical.
  assert.equal(await status('/v1/agent/health/service/id/web'), 503);
  const body = JSON.parse((await get('/v1/agent/health/service/name/web')).text) as Array<{
    AggregatedStatus: string;
    Service: { ID: string };
  }>;
  assert.equal(body[0]?.AggregatedStatus, 'critical');
  assert.equal(body[0]?.Service.ID, 'web');
  await fetch(`${H}/v1/agent/check/warn/service:web`, { method: 'PUT' });
  assert.equal(await status('/v1/agent/health/service/name/web'), 429);
  await fetch(`${H}/v1/agent/check/pass/service:web`, { method: 'PUT' });
  const text = await get('/v1/agent/health/service/id/web?format=text');
  assert.deepEqual([text.status, text.text], [200, 'passing']);
  assert.equal(await status('/v1/agent/health/service/name/nope'), 404);
  assert.equal((await get('/v1/agent/health/service/id/nope?format=text')).text, 'ServiceId nope not found');
  // Maintenance counts as critical.
  await fetch(`${H}/v1/agent/service/maintenance/web?enable=true`, { method: 'PUT' });
  assert.equal((await get('/v1/agent/health/service/id/web?format=text')).text, 'maintenance');
  await fetch(`${H}/v1/agent/service/maintenance/web?enable=false`, { method: 'PUT' });
});

test('anti-entropy puts back a service deleted from the catalog behind the agent (next full sync)', async () => {
  const inCatalog = async () =>
    ((await (await fetch(`${H}/v1/catalog/service/web`)).json()) as unknown[]).length;
  await waitFor('web in the catalog', async () => (await inCatalog()) === 1, 10_000);
  const r = await fetch(`${H}/v1/catalog/deregister`, {
    method: 'PUT',
    body: JSON.stringify({ Node: 'local-svc', ServiceID: 'web' }),
  });
  assert.equal(r.status, 200);
  assert.equal(await inCatalog(), 0);
  await waitFor('web back in the catalog', async () => (await inCatalog()) === 1, 10_000);
});

test('service weights reach the agent view and the catalog, from the agent API and catalog register', async () => {
  const r = await fetch(`${H}/v1/agent/service/register`, {
    method: 'PUT',
    body: JSON.stringify({ Name: 'weighted', Port: 81, Weights: { Passing: 5, Warning: 2 } }),
  });
  assert.equal(r.status, 200);
  const agentView = JSON.parse((await get('/v1/agent/service/weighted')).text) as { Weights: unknown };
  assert.deepEqual(agentView.Weights, { Passing: 5, Warning: 2 });
  await waitFor(
    'the weights in the catalog',
    async () => {
      const c = (await (await fetch(`${H}/v1/catalog/service/weighted`)).json()) as Array<{
        ServiceWeights: { Passing: number; Warning: number };
      }>;
      return c[0]?.ServiceWeights.Passing === 5 && c[0].ServiceWeights.Warning === 2;
    },
    10_000,
  );
  const reg = await fetch(`${H}/v1/catalog/register`, {
    method: 'PUT',
    body: JSON.stringify({
      Node: 'ext',
      Address: '10.1.1.1',
      Service: { Service: 'heavy', Port: 1, Weights: { Passing: 7, Warning: 3 } },
    }),
  });
  assert.equal(reg.status, 200);
  const heavy = (await (await fetch(`${H}/v1/catalog/service/heavy`)).json()) as Array<{
    ServiceWeights: unknown;
  }>;
  assert.deepEqual(heavy[0]?.ServiceWeights, { Passing: 7, Warning: 3 });
});

test('enable_tag_override: tags changed in the catalog are kept, not overwritten by anti-entropy', async () => {
  for (const [name, override] of [
    ['tagged-own', false],
    ['tagged-free', true],
  ] as const) {
    const r = await fetch(`${H}/v1/agent/service/register`, {
      method: 'PUT',
      body: JSON.stringify({ Name: name, Port: 82, Tags: ['local'], EnableTagOverride: override }),
    });
    assert.equal(r.status, 200);
  }
  const catalogTags = async (name: string) =>
    ((await (await fetch(`${H}/v1/catalog/service/${name}`)).json()) as Array<{ ServiceTags: string[] }>)[0]
      ?.ServiceTags;
  await waitFor('both in the catalog', async () => (await catalogTags('tagged-free')) !== undefined, 10_000);
  await waitFor('both in the catalog', async () => (await catalogTags('tagged-own')) !== undefined, 10_000);
  // Someone rewrites the tags in the catalog directly (as an external tool would).
  for (const name of ['tagged-own', 'tagged-free']) {
    const r = await fetch(`${H}/v1/catalog/register`, {
      method: 'PUT',
      body: JSON.stringify({
        Node: 'local-svc',
        Address: IP,
        SkipNodeUpdate: true,
        Service: { ID: name, Service: name, Port: 82, Tags: ['external'] },
      }),
    });
    assert.equal(r.status, 200);
  }
  await waitFor(
    'the agent restores its own tags',
    async () => (await catalogTags('tagged-own'))?.[0] === 'local',
    10_000,
  );
  assert.deepEqual(await catalogTags('tagged-free'), ['external']);
  const local = JSON.parse((await get('/v1/agent/service/tagged-free')).text) as {
    Tags: string[];
    EnableTagOverride: boolean;
  };
  assert.deepEqual([local.Tags, local.EnableTagOverride], [['external'], true]);
});

test('check_update_interval: new output of a check whose status holds reaches the catalog at most that often', async () => {
  const reg = await fetch(`${H}/v1/agent/service/register`, {
    method: 'PUT',
    body: JSON.stringify({ Name: 'steady', Port: 83, Check: { TTL: '10m' } }),
  });
  assert.equal(reg.status, 200);
  const catalogOutput = async () =>
    ((await (await fetch(`${H}/v1/health/checks/steady`)).json()) as Array<{ Output: string }>)[0]?.Output;
  // A status change goes at once.
  await fetch(`${H}/v1/agent/check/pass/service:steady?note=first`, { method: 'PUT' });
  await waitFor('the first output in the catalog', async () => (await catalogOutput()) === 'first', 5_000);
  // Same status, new output: held back (the agent has it; the catalog still shows the old one).
  await fetch(`${H}/v1/agent/check/pass/service:steady?note=second`, { method: 'PUT' });
  await new Promise((r) => setTimeout(r, 1500));
  const local = JSON.parse((await get('/v1/agent/checks')).text) as Record<string, { Output: string }>;
  assert.equal(local['service:steady']?.Output, 'second');
  assert.equal(await catalogOutput(), 'first');
  await waitFor(
    'the second output once the interval passed',
    async () => (await catalogOutput()) === 'second',
    6_000,
  );
});
