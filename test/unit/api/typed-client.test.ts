import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiClient, ApiError, defaultApiConfig, kvValue } from '../../../src/api/client.js';
import type { HttpClient, HttpClientRequest, HttpClientResponse } from '../../../src/runtime/http.js';

/** Answers from a table of "METHOD /path" → [status, body, headers]; records every request. */
class Fake implements HttpClient {
  seen: Array<{ method: string; path: string; query: URLSearchParams; body: string }> = [];
  constructor(private readonly routes: Record<string, [number, string, Record<string, string>?]>) {}
  async request(req: HttpClientRequest): Promise<HttpClientResponse> {
    const u = new URL(req.url);
    const body =
      typeof req.body === 'string' ? req.body : new TextDecoder().decode(req.body ?? new Uint8Array());
    this.seen.push({ method: req.method, path: u.pathname, query: u.searchParams, body });
    const [status, text, headers] = this.routes[`${req.method} ${decodeURIComponent(u.pathname)}`] ?? [
      404,
      '',
    ];
    const b = new TextEncoder().encode(text);
    return { status, headers: headers ?? {}, body: async () => b, chunks: async function* () {} };
  }
}

const client = (routes: ConstructorParameters<typeof Fake>[0]) => {
  const http = new Fake(routes);
  const cfg = defaultApiConfig();
  cfg.address = '127.0.0.1:8500';
  return { c: new ApiClient(cfg, http), http };
};

test('kv.get: one entry with Flags exact past 2^53 and its QueryMeta; an absent key is null, not an error', async () => {
  const { c, http } = client({
    'GET /v1/kv/a b/c': [
      200,
      '[{"LockIndex":1,"Key":"a b/c","Flags":16045690984503098046,"Value":"aGk=","Session":"s1","CreateIndex":3,"ModifyIndex":9}]',
      { 'x-consul-index': '9', 'x-consul-knownleader': 'true', 'x-consul-lastcontact': '4' },
    ],
  });
  const r = await c.kv.get('a b/c', { index: '7', wait: '5s' });
  assert.equal(r.pair?.Flags, 16045690984503098046n);
  assert.equal(new TextDecoder().decode(kvValue(r.pair!)), 'hi');
  assert.deepEqual(r.meta, { lastIndex: '9', knownLeader: true, lastContactMs: 4 });
  assert.equal(http.seen[0]!.query.get('index'), '7');
  assert.equal(http.seen[0]!.query.get('wait'), '5s');
  const none = await c.kv.get('missing');
  assert.equal(none.pair, null);
});

test('kv.list / kv.keys: prefixes read with ?recurse and ?keys&separator; none is empty', async () => {
  const { c, http } = client({
    'GET /v1/kv/app/': [200, '[{"Key":"app/x","Value":null},{"Key":"app/y","Flags":3,"Value":"eQ=="}]'],
  });
  const { pairs } = await c.kv.list('app/');
  assert.deepEqual(
    pairs.map((p) => [p.Key, p.Flags, p.Value, p.Session]),
    [
      ['app/x', 0n, null, ''],
      ['app/y', 3n, 'eQ==', ''],
    ],
  );
  assert.ok(http.seen[0]!.query.has('recurse'));
  assert.deepEqual((await c.kv.keys('nothing/', '/')).keys, []);
  assert.equal(http.seen[1]!.query.get('separator'), '/');
  assert.ok(http.seen[1]!.query.has('keys'));
});

test('kv.put / kv.delete: options become Consul query parameters; a failed CAS is false', async () => {
  const { c, http } = client({
    'PUT /v1/kv/k': [200, 'false'],
    'DELETE /v1/kv/k': [200, 'false'],
    'DELETE /v1/kv/t/': [200, 'true'],
  });
  assert.equal(await c.kv.put('k', 'v', { flags: 0xe0f69a2baa414de0n, cas: 0, acquire: 'sess' }), false);
  const q = http.seen[0]!.query;
  assert.deepEqual(
    [q.get('flags'), q.get('cas'), q.get('acquire'), http.seen[0]!.body],
    ['16210313421097356768', '0', 'sess', 'v'],
  );
  assert.equal(await c.kv.delete('k', { cas: 12 }), false);
  assert.equal(http.seen[1]!.query.get('cas'), '12');
  assert.equal(await c.kv.delete('t/', { recurse: true }), true);
  assert.ok(http.seen[2]!.query.has('recurse'));
});

test('errors read as the Go client words them', async () => {
  const { c } = client({
    'GET /v1/kv/k': [500, 'No cluster leader\n'],
    'PUT /v1/kv/k': [403, 'Permission denied'],
  });
  await assert.rejects(
    c.kv.get('k'),
    (e: ApiError) => e.status === 500 && e.message === 'Unexpected response code: 500 (No cluster leader)',
  );
  await assert.rejects(c.kv.put('k', ''), /Unexpected response code: 403 \(Permission denied\)/);
});

test('session, catalog, health and agent calls hit their endpoints and decode their answers', async () => {
  const { c, http } = client({
    'PUT /v1/session/create': [200, '{"ID":"s-1"}'],
    'PUT /v1/session/renew/s-1': [200, '[{"ID":"s-1","TTL":"15s"}]'],
    'PUT /v1/session/destroy/s-1': [200, 'true'],
    'GET /v1/session/info/s-1': [200, '[{"ID":"s-1","Node":"n1"}]', { 'x-consul-index': '5' }],
    'GET /v1/catalog/services': [200, '{"web":["a"]}', { 'x-consul-index': '11' }],
    'GET /v1/catalog/service/web': [200, '[{"Node":"n1","ServiceID":"web"}]'],
    'GET /v1/catalog/node/n1': [200, '{"Node":{"Node":"n1"},"Services":{}}'],
    'GET /v1/health/service/web': [200, '[{"Node":{"Node":"n1"},"Service":{"ID":"web"},"Checks":[]}]'],
    'GET /v1/agent/self': [200, '{"Config":{"Datacenter":"dc1","NodeName":"n1"}}'],
    'GET /v1/agent/checks': [200, '{"serfHealth":{"CheckID":"serfHealth","Status":"passing"}}'],
    'PUT /v1/agent/service/register': [200, ''],
  });
  assert.equal(await c.session.create({ Name: 'x', TTL: '15s', Behavior: 'delete' }), 's-1');
  assert.deepEqual(JSON.parse(http.seen[0]!.body), { Name: 'x', TTL: '15s', Behavior: 'delete' });
  assert.equal((await c.session.renew('s-1'))?.TTL, '15s');
  assert.equal(await c.session.renew('gone'), null); // 404: the session is gone
  await c.session.destroy('s-1');
  const info = await c.session.info('s-1');
  assert.deepEqual([info.session?.Node, info.meta.lastIndex], ['n1', '5']);
  const svcs = await c.catalog.services();
  assert.deepEqual([svcs.services, svcs.meta.lastIndex], [{ web: ['a'] }, '11']);
  assert.equal((await c.catalog.service('web', { tags: ['a', 'b'] })).items[0]?.ServiceID, 'web');
  assert.deepEqual(http.seen.at(-1)!.query.getAll('tag'), ['a', 'b']);
  assert.equal((await c.catalog.node('n1')).entry?.Node.Node, 'n1');
  assert.equal((await c.health.service('web', { passing: true })).items[0]?.Service.ID, 'web');
  assert.ok(http.seen.at(-1)!.query.has('passing'));
  assert.equal((await c.agent.self()).Config.NodeName, 'n1');
  assert.equal((await c.agent.checks()).serfHealth?.Status, 'passing');
  await c.agent.serviceRegister({ Name: 'web' });
  assert.equal(http.seen.at(-1)!.body, '{"Name":"web"}');
});
