// A real Consul client library (npm `consul`) drives KV, sessions, locks, transactions, catalog and
// health against a running agent; raw HTTP checks what the library hides (status codes, error texts,
// blocking). The agent is -dev on 127.0.0.160 with session_ttl_min lowered so TTL expiry is quick.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import type ConsulClient from 'consul';
import { stop, waitFor, type Proc, startDevAgent } from '../helpers/process.js';

const IP = '127.0.0.160';
const PORT = 18660;
const H = `http://${IP}:${PORT}`;
let agent: Proc;
// The package is CommonJS (`export =`); require keeps its typings without esModuleInterop.
const Consul = createRequire(import.meta.url)('consul') as typeof ConsulClient;
let consul: InstanceType<typeof ConsulClient>;

before(async () => {
  agent = await startDevAgent(IP, PORT, 18661, ['-node=lib-node', '-hcl', 'session_ttl_min = "1s"']);
  consul = new Consul({ host: IP, port: PORT });
  // The node's serfHealth check must exist before sessions can bind to it.
  await waitFor(
    'serfHealth registered',
    async () => (await consul.health.node('lib-node')).length > 0,
    10_000,
  );
});

after(async () => {
  await stop(agent);
});

async function http(method: string, path: string, body?: string) {
  const r = await fetch(`${H}${path}`, { method, body, signal: AbortSignal.timeout(5000) });
  return { status: r.status, text: await r.text(), headers: r.headers };
}

const decode = (v: string | null | undefined) => Buffer.from(v ?? '', 'base64').toString();

/** A raw KV PUT's JSON answer (the library turns a `false` body into undefined). */
async function put(key: string, value: string, query: string): Promise<boolean> {
  const r = await http('PUT', `/v1/kv/${key}?${query}`, value);
  assert.equal(r.status, 200, r.text);
  return JSON.parse(r.text) as boolean;
}

test('KV through the client: set, get, keys, cas, delete', async () => {
  assert.equal(await consul.kv.set('lib/a', 'one'), true);
  assert.equal(await consul.kv.set({ key: 'lib/b/c', value: 'two', flags: 42 }), true);
  const a = await consul.kv.get('lib/a');
  assert.equal(a?.Value, 'one');
  assert.deepEqual(await consul.kv.keys({ key: 'lib/', separator: '/' }), ['lib/a', 'lib/b/']);
  assert.equal(await put('lib/a', 'x', `cas=${a!.ModifyIndex + 1000}`), false);
  assert.equal(await consul.kv.set({ key: 'lib/a', value: 'three', cas: a!.ModifyIndex }), true);
  assert.equal((await consul.kv.get('lib/a'))?.Value, 'three');
  // ?consistent goes through a barrier on the leader; ?stale and ?consistent together are refused.
  const consistent = await http('GET', '/v1/kv/lib/a?consistent');
  assert.equal(consistent.status, 200);
  assert.equal(decode((JSON.parse(consistent.text) as Array<{ Value: string }>)[0]!.Value), 'three');
  const both = await http('GET', '/v1/kv/lib/a?consistent&stale');
  assert.equal(both.status, 400);
  assert.equal(both.text, 'Cannot specify ?stale with ?consistent, conflicting semantics.\n');
  await consul.kv.del({ key: 'lib/', recurse: true });
  assert.equal(await consul.kv.get('lib/a'), undefined);
});

test('sessions: create with defaults, info, list, node, renew, destroy', async () => {
  const { ID } = await consul.session.create({ name: 'web-lock' });
  // The library hands back the first (only) element of /v1/session/info's array.
  const info = (await consul.session.info(ID)) as unknown as Record<string, unknown>;
  assert.deepEqual(Object.keys(info!), [
    'ID',
    'Name',
    'Node',
    'LockDelay',
    'Behavior',
    'TTL',
    'NodeChecks',
    'ServiceChecks',
    'CreateIndex',
    'ModifyIndex',
  ]);
  assert.equal(info!.Node, 'lib-node');
  assert.equal(info!.LockDelay, 15e9);
  assert.equal(info!.Behavior, 'release');
  assert.deepEqual(info!.NodeChecks, ['serfHealth']);
  assert.equal(info!.ServiceChecks, null);
  assert.ok((await consul.session.list()).some((s: { ID: string }) => s.ID === ID));
  assert.ok((await consul.session.node('lib-node')).some((s: { ID: string }) => s.ID === ID));
  const renewed = await http('PUT', `/v1/session/renew/${ID}`);
  assert.equal(renewed.status, 200);
  assert.equal((JSON.parse(renewed.text) as Array<{ ID: string }>)[0]!.ID, ID);
  await consul.session.destroy(ID);
  assert.equal(await consul.session.info(ID), undefined);
  const gone = await http('GET', `/v1/session/info/${ID}`);
  assert.equal(gone.status, 200);
  assert.equal(gone.text.trim().replace(/\s/g, ''), '[]');
  const renew404 = await http('PUT', `/v1/session/renew/${ID}`);
  assert.equal(renew404.status, 404);
  assert.equal(renew404.text, `Session id '${ID}' not found\n`);
});

test('session creation errors carry Consul texts', async () => {
  const cases: Array<[string, number, string]> = [
    ['{"TTL":"500ms"}', 500, "Invalid Session TTL '500000000', must be between [1s=24h0m0s]"],
    ['{"TTL":"soon"}', 500, 'Session TTL \'soon\' invalid: time: invalid duration "soon"'],
    ['{"Behavior":"keep"}', 500, "Invalid Behavior setting 'keep'"],
    ['{"Node":"nowhere"}', 500, 'apply failed: Missing node registration'],
    ['{"NodeChecks":["nope"]}', 500, "apply failed: Missing check 'nope' registration"],
    ['{"Name":', 400, 'Request decode failed: unexpected EOF'],
  ];
  for (const [body, status, text] of cases) {
    const r = await http('PUT', '/v1/session/create', body);
    assert.equal(r.status, status, body);
    assert.equal(r.text, `${text}\n`, body);
  }
  assert.equal((await http('PUT', '/v1/session/destroy/')).text, 'Missing session\n');
});

test('locks: acquire, LockIndex, contention, release, invalidation with lock-delay, delete behaviour', async () => {
  const s1 = (await consul.session.create({ lockdelay: '1s' })).ID;
  const s2 = (await consul.session.create({})).ID;
  assert.equal(await consul.kv.set({ key: 'locks/leader', value: 'n1', acquire: s1 }), true);
  assert.equal(await consul.kv.set({ key: 'locks/leader', value: 'n1b', acquire: s1 }), true, 're-acquire');
  assert.equal(await put('locks/leader', 'n2', `acquire=${s2}`), false, 'held by s1');
  let e = (await consul.kv.get('locks/leader')) as unknown as Record<string, unknown>;
  assert.equal(e.Session, s1);
  assert.equal(e.LockIndex, 1);
  assert.equal(e.Value, 'n1b');
  assert.equal(await put('locks/leader', 'free', `release=${s2}`), false, 'not the holder');
  assert.equal(await consul.kv.set({ key: 'locks/leader', value: 'free', release: s1 }), true);
  e = (await consul.kv.get('locks/leader')) as unknown as Record<string, unknown>;
  assert.equal(e.Session, undefined);
  assert.equal(e.LockIndex, 1);
  assert.equal(await consul.kv.set({ key: 'locks/leader', value: 'n2', acquire: s2 }), true);
  assert.equal(((await consul.kv.get('locks/leader')) as unknown as { LockIndex: number }).LockIndex, 2);
  await consul.kv.set({ key: 'locks/leader', value: 'x', release: s2 });
  // Invalidating the holder releases the key and starts its lock-delay (1 s for s1).
  assert.equal(await consul.kv.set({ key: 'locks/leader', value: 'n1', acquire: s1 }), true);
  await consul.session.destroy(s1);
  e = (await consul.kv.get('locks/leader')) as unknown as Record<string, unknown>;
  assert.equal(e.Session, undefined);
  assert.equal(await put('locks/leader', 'n2', `acquire=${s2}`), false, 'in lock-delay');
  await waitFor('lock-delay to pass', async () => await put('locks/leader', 'n2', `acquire=${s2}`), 5_000);
  // Behaviour "delete": the held key goes with the session.
  const s3 = (await consul.session.create({ behavior: 'delete', lockdelay: '0s' })).ID;
  assert.equal(await consul.kv.set({ key: 'locks/ephemeral', value: 'v', acquire: s3 }), true);
  await consul.session.destroy(s3);
  assert.equal(await consul.kv.get('locks/ephemeral'), undefined);
  // Wrong session and conflicting flags.
  const bad = await http('PUT', '/v1/kv/locks/x?acquire=00000000-0000-0000-0000-000000000000', 'v');
  assert.equal(bad.status, 500);
  assert.equal(bad.text, 'raft apply failed: invalid session "00000000-0000-0000-0000-000000000000"\n');
  const conflict = await http('PUT', `/v1/kv/locks/x?cas=0&acquire=${s2}`, 'v');
  assert.equal(conflict.status, 400);
  assert.equal(conflict.text, `Conflicting flags: acquire=${s2}&cas=0\n`);
  await consul.session.destroy(s2);
});

test('a session is invalidated by its TTL (2 × TTL on the leader) and by a bound check going critical', async () => {
  const ttl = (await consul.session.create({ ttl: '1s', lockdelay: '0s' })).ID;
  assert.equal(await consul.kv.set({ key: 'ttl/lock', value: 'v', acquire: ttl }), true);
  const created = Date.now();
  await waitFor(
    'the TTL session to expire',
    async () => (await consul.session.info(ttl)) === undefined,
    6_000,
  );
  assert.ok(Date.now() - created >= 1_800, `expired after ${Date.now() - created} ms`);
  assert.equal(((await consul.kv.get('ttl/lock')) as unknown as Record<string, unknown>).Session, undefined);

  await consul.catalog.register({
    node: 'ext-1',
    address: '10.1.1.1',
    check: { name: 'disk', checkid: 'disk', status: 'passing' } as never,
  });
  const bound = await http('PUT', '/v1/session/create', '{"Node":"ext-1","NodeChecks":["disk"]}');
  assert.equal(bound.status, 200, bound.text);
  const id = (JSON.parse(bound.text) as { ID: string }).ID;
  // A blocking read of the session wakes when the check's failure destroys it.
  const idx = (await http('GET', `/v1/session/info/${id}`)).headers.get('x-consul-index');
  const blocked = http('GET', `/v1/session/info/${id}?index=${idx}&wait=5s`);
  await consul.catalog.register({
    node: 'ext-1',
    address: '10.1.1.1',
    check: { name: 'disk', checkid: 'disk', status: 'critical' } as never,
  });
  const woke = await blocked;
  assert.equal(woke.text.replace(/\s/g, ''), '[]');
  assert.ok(Number(woke.headers.get('x-consul-index')) > Number(idx));
  const critical = await http('PUT', '/v1/session/create', '{"Node":"ext-1","NodeChecks":["disk"]}');
  assert.equal(critical.text, "apply failed: Check 'disk' is in critical state\n");
  await consul.catalog.deregister({ node: 'ext-1' });
});

test('transactions: all or nothing, results for reads and writes, 409 with every error', async () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const ok = (await consul.transaction.create([
    { KV: { Verb: 'set', Key: 'txn/a', Value: b64('1') } },
    { KV: { Verb: 'set', Key: 'txn/b', Value: b64('2'), Flags: 7 } },
    { KV: { Verb: 'get', Key: 'txn/a' } },
    { Node: { Verb: 'set', Node: { Node: 'txn-node', Address: '10.2.2.2' } } },
    { Service: { Verb: 'set', Node: 'txn-node', Service: { Service: 'api', Port: 9000 } } },
  ] as never)) as unknown as { Results: Array<Record<string, Record<string, unknown>>>; Errors: null };
  assert.equal(ok.Errors, null);
  assert.equal(ok.Results.length, 5);
  assert.equal(ok.Results[0]!.KV!.Value, null, 'writes come back without their value');
  assert.equal(decode(ok.Results[2]!.KV!.Value as string), '1');
  assert.equal(ok.Results[3]!.Node!.Address, '10.2.2.2');
  assert.equal(ok.Results[4]!.Service!.Port, 9000);
  const aIndex = ok.Results[2]!.KV!.ModifyIndex as number;

  const failed = await http(
    'PUT',
    '/v1/txn',
    JSON.stringify([
      { KV: { Verb: 'set', Key: 'txn/c', Value: b64('3') } },
      { KV: { Verb: 'check-index', Key: 'txn/a', Index: aIndex + 100 } },
      { KV: { Verb: 'get', Key: 'txn/missing' } },
      { KV: { Verb: 'delete', Key: 'txn/a' } },
    ]),
  );
  assert.equal(failed.status, 409);
  assert.deepEqual(JSON.parse(failed.text), {
    Results: null,
    Errors: [
      {
        OpIndex: 1,
        What: `failed index check for key "txn/a", current modify index ${aIndex} != ${aIndex + 100}`,
      },
      { OpIndex: 2, What: 'key "txn/missing" doesn\'t exist' },
    ],
  });
  assert.equal(await consul.kv.get('txn/c'), undefined, 'nothing of a failed transaction is applied');
  assert.equal((await consul.kv.get('txn/a'))?.Value, '1');

  const tooMany = await http(
    'PUT',
    '/v1/txn',
    JSON.stringify(Array.from({ length: 129 }, () => ({ KV: { Verb: 'get', Key: 'txn/a' } }))),
  );
  assert.equal(tooMany.status, 413);
  assert.equal(tooMany.text, 'Transaction contains too many operations (129 > 128)\n');
  const readOnly = await http('PUT', '/v1/txn', JSON.stringify([{ KV: { Verb: 'get-tree', Key: 'txn/' } }]));
  assert.equal(readOnly.status, 200);
  assert.equal(readOnly.headers.get('x-consul-knownleader'), 'true');
  assert.equal((JSON.parse(readOnly.text) as { Results: unknown[] }).Results.length, 2);
  await consul.kv.del({ key: 'txn/', recurse: true });
});

test('catalog and health through the client', async () => {
  await consul.catalog.register({
    node: 'web-1',
    address: '10.3.3.3',
    service: { service: 'web', port: 80, tags: ['v1'] } as never,
    check: { name: 'web alive', serviceid: 'web', status: 'passing' } as never,
  });
  const services = await consul.catalog.service.list();
  assert.deepEqual(services.web, ['v1']);
  const nodes = await consul.catalog.service.nodes('web');
  assert.equal(nodes[0]!.Address, '10.3.3.3');
  const healthy = await consul.health.service({ service: 'web', passing: true });
  assert.equal(healthy.length, 1);
  assert.equal(healthy[0]!.Service.Port, 80);
  await consul.catalog.deregister({ node: 'web-1' });
  assert.equal((await consul.health.service('web')).length, 0);
});

test('?filter and ?node-meta on listing endpoints; a bad expression is a 500 with the parser text', async () => {
  for (const [node, env, port] of [
    ['flt-1', 'prod', 80],
    ['flt-2', 'dev', 8080],
  ] as const)
    await http(
      'PUT',
      '/v1/catalog/register',
      JSON.stringify({
        Node: node,
        Address: '10.4.4.4',
        NodeMeta: { env },
        Service: { Service: 'flt', Port: port, Tags: [env] },
      }),
    );
  const names = async (path: string, pick: (x: Record<string, unknown>) => unknown) => {
    const r = await http('GET', path);
    assert.equal(r.status, 200, r.text);
    return (JSON.parse(r.text) as Array<Record<string, unknown>>).map(pick);
  };
  const q = encodeURIComponent;
  assert.deepEqual(await names(`/v1/catalog/nodes?filter=${q('Meta.env == "prod"')}`, (x) => x.Node), [
    'flt-1',
  ]);
  assert.deepEqual(await names('/v1/catalog/nodes?node-meta=env:dev', (x) => x.Node), ['flt-2']);
  assert.deepEqual(
    await names(
      `/v1/catalog/service/flt?filter=${q('ServicePort == 8080 or "prod" in ServiceTags')}`,
      (x) => x.Node,
    ),
    ['flt-1', 'flt-2'],
  );
  assert.deepEqual(
    await names(
      `/v1/health/service/flt?filter=${q('Service.Port != 80 and Node.Meta.env == dev')}`,
      (x) => (x.Node as { Node: string }).Node,
    ),
    ['flt-2'],
  );
  const bad = await http('GET', `/v1/catalog/nodes?filter=${q('Bogus == 1')}`);
  assert.equal(bad.status, 500);
  assert.equal(bad.text, 'Selector "Bogus" is not valid\n');
  const syntax = await http('GET', `/v1/health/service/flt?filter=${q('Service.Port ==')}`);
  assert.equal(syntax.status, 500);
  assert.match(syntax.text, /^1:16 \(15\): no match found/);
  for (const node of ['flt-1', 'flt-2'])
    await http('PUT', '/v1/catalog/deregister', JSON.stringify({ Node: node }));
});
