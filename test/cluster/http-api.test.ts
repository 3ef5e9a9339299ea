// HTTP API v1 conventions against one -dev agent on 127.0.0.130: query parsing (?passing, ?seperator,
// ?node-meta, ?near), response headers, gzip, verbs, ?pretty and blocking-query wake-ups, each asserted
// on the wire as Consul answers them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request, type IncomingHttpHeaders } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { consul, startConsul, stop, waitFor, agentUp, type Proc, startDevAgent } from '../helpers/process.js';

const IP = '127.0.0.130';
const PORT = 19130;
const H = `http://${IP}:${PORT}`;
const NODE = 'http-node';
let agent: Proc;

before(async () => {
  agent = await startDevAgent(IP, PORT, 19131, [`-node=${NODE}`]);
});

after(async () => {
  await stop(agent);
});

async function http(method: string, path: string, body?: string, headers: Record<string, string> = {}) {
  const r = await fetch(`${H}${path}`, { method, body, headers, signal: AbortSignal.timeout(8000) });
  return { status: r.status, text: await r.text(), headers: r.headers };
}

async function register(node: string, address: string, service?: object, meta?: Record<string, string>) {
  const r = await http(
    'PUT',
    '/v1/catalog/register',
    JSON.stringify({ Node: node, Address: address, NodeMeta: meta, Service: service }),
  );
  assert.equal(r.status, 200, r.text);
}

test('?passing takes Go booleans; anything else is a 400 "Invalid value for ?passing"', async () => {
  await register('pass-node', '10.0.0.1', { Service: 'pass-svc', Port: 80 });
  for (const v of ['', '=1', '=true', '=T', '=0', '=false', '=F'])
    assert.equal((await http('GET', `/v1/health/service/pass-svc?passing${v}`)).status, 200, v);
  const bad = await http('GET', '/v1/health/service/pass-svc?passing=yes');
  assert.equal(bad.status, 400);
  assert.equal(bad.text, 'Invalid value for ?passing\n');
});

test('KV ?keys takes Consul\'s "seperator" spelling as well as "separator"', async () => {
  for (const k of ['sep/a', 'sep/b/c', 'sep/b/d'])
    assert.equal((await http('PUT', `/v1/kv/${k}`, 'x')).status, 200);
  for (const p of ['separator', 'seperator']) {
    const r = await http('GET', `/v1/kv/sep/?keys&${p}=/`);
    assert.equal(r.status, 200, p);
    assert.deepEqual(JSON.parse(r.text), ['sep/a', 'sep/b/'], p);
  }
});

test('reads carry X-Consul-Effective-Consistency for their mode, with the index and leader headers', async () => {
  assert.equal((await http('PUT', '/v1/kv/cons/a', 'x')).status, 200);
  const paths = ['/v1/kv/cons/a', '/v1/catalog/nodes', '/v1/health/node/' + NODE, '/v1/coordinate/nodes'];
  for (const p of paths)
    for (const [flag, mode] of [
      ['', 'leader'],
      ['?stale', 'stale'],
      ['?consistent', 'consistent'],
    ] as const) {
      const r = await http('GET', p + flag);
      assert.equal(r.status, 200, p + flag);
      assert.equal(r.headers.get('x-consul-effective-consistency'), mode, p + flag);
      assert.equal(r.headers.get('x-consul-knownleader'), 'true', p + flag);
      assert.equal(r.headers.get('x-consul-lastcontact'), '0', p + flag);
      assert.equal(r.headers.get('x-consul-query-backend'), 'blocking-query', p + flag);
      assert.ok(Number(r.headers.get('x-consul-index')) >= 1, p + flag);
    }
});

test('consul kv get -detailed, export and import keep uint64 flags above 2^53 exact', async () => {
  const big = '3304740253564472344';
  assert.equal((await http('PUT', `/v1/kv/big/lock?flags=${big}`, 'v')).status, 200);
  const addr = [`-http-addr=${IP}:${PORT}`];
  const got = consul(['kv', 'get', '-detailed', ...addr, 'big/lock']);
  assert.equal(got.code, 0, got.err);
  assert.match(got.out, new RegExp(`\\nFlags {12}${big}\\n`));
  const exported = consul(['kv', 'export', ...addr, 'big/']);
  assert.equal(exported.code, 0, exported.err);
  assert.match(exported.out, new RegExp(`"flags": ${big},`));
  const imported = consul(['kv', 'import', ...addr, '-prefix=copy', exported.out]);
  assert.equal(imported.code, 0, imported.err);
  const r = await http('GET', '/v1/kv/copy/big/lock');
  assert.match(r.text, new RegExp(`"Flags": ?${big},`));
});

test('?node-meta narrows /v1/catalog/services and /v1/health/checks|state to nodes with that meta', async () => {
  const reg = (node: string, env: string, svc: string) =>
    http(
      'PUT',
      '/v1/catalog/register',
      JSON.stringify({
        Node: node,
        Address: '10.1.0.1',
        NodeMeta: { env, rack: 'r1' },
        Service: { Service: svc, Tags: [env] },
        Check: { CheckID: `${svc}-chk`, Name: 'c', Status: 'passing', ServiceID: svc },
      }),
    );
  assert.equal((await reg('meta-a', 'prod', 'svc-m1')).status, 200);
  assert.equal((await reg('meta-b', 'dev', 'svc-m2')).status, 200);
  const j = async (p: string) => JSON.parse((await http('GET', p)).text) as unknown;
  assert.deepEqual(await j('/v1/catalog/services?node-meta=env:prod&node-meta=rack:r1'), {
    'svc-m1': ['prod'],
  });
  assert.deepEqual(await j('/v1/catalog/services?node-meta=env:prod&node-meta=rack:r2'), {});
  const state = (await j('/v1/health/state/any?node-meta=env:dev')) as Array<{ Node: string }>;
  assert.deepEqual(
    state.map((c) => c.Node),
    ['meta-b'],
  );
  assert.deepEqual(await j('/v1/health/checks/svc-m1?node-meta=env:dev'), []);
  const checks = (await j('/v1/health/checks/svc-m1?node-meta=env:prod')) as Array<{ CheckID: string }>;
  assert.deepEqual(
    checks.map((c) => c.CheckID),
    ['svc-m1-chk'],
  );
});

test("/v1/catalog/node-services/:node lists a node's services as an array; unknown node is null fields", async () => {
  await register('ns-node', '10.2.0.1', {
    ID: 'web-1',
    Service: 'web',
    Tags: ['v1'],
    Port: 8080,
    Meta: { a: 'b' },
  });
  await register('ns-node', '10.2.0.1', { ID: 'db-1', Service: 'db', Port: 5432 });
  const r = await http('GET', '/v1/catalog/node-services/ns-node');
  assert.equal(r.status, 200);
  assert.ok(Number(r.headers.get('x-consul-index')) >= 1);
  const body = JSON.parse(r.text) as {
    Node: { Node: string; Address: string };
    Services: Array<Record<string, unknown>>;
  };
  assert.equal(body.Node.Node, 'ns-node');
  assert.equal(body.Node.Address, '10.2.0.1');
  const web = body.Services.find((s) => s.ID === 'web-1')!;
  assert.deepEqual(Object.keys(web), [
    'ID',
    'Service',
    'Tags',
    'Address',
    'Meta',
    'Port',
    'Weights',
    'EnableTagOverride',
    'Proxy',
    'Connect',
    'CreateIndex',
    'ModifyIndex',
  ]);
  assert.deepEqual([web.Service, web.Tags, web.Port, web.Meta], ['web', ['v1'], 8080, { a: 'b' }]);
  assert.deepEqual(body.Services.map((s) => s.ID).sort(), ['db-1', 'web-1']);
  const filtered = JSON.parse(
    (await http('GET', '/v1/catalog/node-services/ns-node?filter=Port==5432')).text,
  ) as {
    Services: Array<{ ID: string }>;
  };
  assert.deepEqual(
    filtered.Services.map((s) => s.ID),
    ['db-1'],
  );
  const missing = await http('GET', '/v1/catalog/node-services/no-such-node');
  assert.equal(missing.status, 200);
  assert.deepEqual(JSON.parse(missing.text), { Node: null, Services: null });
});

/** A GET through node:http (fetch would decode the body and hide what came on the wire). */
function rawGet(path: string, headers: Record<string, string>) {
  return new Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
    const req = request({ host: IP, port: PORT, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

test('gzip: any non-empty body is gzip-encoded for a client that accepts it; Vary on every response', async () => {
  assert.equal((await http('PUT', '/v1/kv/gz/a', 'small')).status, 200);
  const plain = await rawGet('/v1/kv/gz/a', {});
  assert.equal(plain.headers['content-encoding'], undefined);
  assert.equal(plain.headers.vary, 'Accept-Encoding');
  const gz = await rawGet('/v1/kv/gz/a', { 'accept-encoding': 'gzip' });
  assert.equal(gz.status, 200);
  assert.equal(gz.headers['content-encoding'], 'gzip');
  assert.equal(gz.headers.vary, 'Accept-Encoding');
  assert.equal(Number(gz.headers['content-length']), gz.body.length);
  assert.deepEqual(gunzipSync(gz.body), plain.body);
  // Plain-text errors too; an empty body (a KV miss) stays as it is.
  const err = await rawGet('/v1/health/state/bogus', { 'accept-encoding': 'gzip' });
  assert.equal(err.status, 400);
  assert.equal(err.headers['content-encoding'], 'gzip');
  assert.equal(gunzipSync(err.body).toString(), 'Bad state: bogus\n');
  const miss = await rawGet('/v1/kv/gz/none', { 'accept-encoding': 'gzip' });
  assert.equal(miss.status, 404);
  assert.equal(miss.headers['content-encoding'], undefined);
  assert.equal(miss.headers.vary, 'Accept-Encoding');
  assert.equal(miss.body.length, 0);
  assert.equal(
    (await rawGet('/v1/kv/gz/a', { 'accept-encoding': 'gzip;q=0' })).headers['content-encoding'],
    undefined,
  );
});

test('a ?token in a request URL is logged as <hidden>', async () => {
  assert.equal((await http('GET', '/v1/kv/tok/a?token=sekrit-4242&stale')).status, 404);
  const line = await waitFor('the request logged', () =>
    agent
      .out()
      .split('\n')
      .find((l) => l.includes('/v1/kv/tok/a')),
  );
  assert.match(line, /url="\/v1\/kv\/tok\/a\?token=<hidden>&stale"/);
  assert.ok(!agent.out().includes('sekrit-4242'));
});

test('consul catalog nodes -service/-node-meta/-filter/-detailed and services -node/-node-meta/-tags/-filter', async () => {
  await register(
    'cli-a',
    '10.3.0.1',
    { Service: 'cli-web', Tags: ['v1', 'blue'] },
    { role: 'web', rack: 'r1' },
  );
  await register('cli-b', '10.3.0.2', { Service: 'cli-db', Tags: ['primary'] }, { role: 'db' });
  await register('cli-b', '10.3.0.2', { Service: 'cli-web', Tags: ['v2'] }, { role: 'db' });
  const run = (...a: string[]) => consul([...a, `-http-addr=${IP}:${PORT}`]);
  const nodesOf = (out: string) =>
    out
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(/\s+/)[0]);

  const bySvc = run('catalog', 'nodes', '-service=cli-web');
  assert.equal(bySvc.code, 0, bySvc.err);
  assert.match(bySvc.out, /^Node\s+ID\s+Address\s+DC\n/);
  assert.deepEqual(nodesOf(bySvc.out), ['cli-a', 'cli-b']);
  assert.deepEqual(nodesOf(run('catalog', 'nodes', '-node-meta=role=db').out), ['cli-b']);
  assert.deepEqual(nodesOf(run('catalog', 'nodes', '-filter', 'Meta.role == "web"').out), ['cli-a']);
  assert.deepEqual(nodesOf(run('catalog', 'nodes', '-service=cli-web', '-node-meta', 'role=web').out), [
    'cli-a',
  ]);
  const detailed = run('catalog', 'nodes', '-detailed', '-node-meta=role=web');
  assert.match(detailed.out, /^Node\s+ID\s+Address\s+DC\s+TaggedAddresses\s+Meta\n/);
  assert.match(detailed.out, /\ncli-a\s.*10\.3\.0\.1\s+dc1\s.*rack=r1, role=web\n$/);
  const bad = run('catalog', 'nodes', '-node-meta=nokey');
  assert.equal(bad.code, 1);
  assert.match(bad.err, /invalid value "nokey" for flag -node-meta: Missing "=" value in argument: nokey/);
  const none = run('catalog', 'nodes', '-service=no-such-svc');
  assert.equal(none.code, 0);
  assert.equal(none.err, 'No nodes match the given query - try expanding your search.\n');

  const onB = run('catalog', 'services', '-node=cli-b', '-tags');
  assert.equal(onB.code, 0, onB.err);
  assert.match(onB.out, /^cli-db\s+primary\ncli-web\s+v2\n$/);
  assert.equal(run('catalog', 'services', '-node-meta=role=web').out, 'cli-web\n');
  assert.equal(run('catalog', 'services', '-filter', 'ServiceTags contains "primary"').out, 'cli-db\n');
  const noNode = run('catalog', 'services', '-node=no-such-node');
  assert.equal(noNode.code, 0);
  assert.equal(noNode.err, 'No services match the given query - try expanding your search.\n');
});

test('?near sorts nodes, service instances, health entries and checks by RTT; no coordinate = last', async () => {
  const coord = (x: number) => ({
    Vec: [x, 0, 0, 0, 0, 0, 0, 0],
    Error: 0.2,
    Adjustment: 0,
    Height: 0.00001,
  });
  const layout: Array<[string, number | null]> = [
    ['near-far', 0.05],
    ['near-none', null],
    ['near-mid', 0.01],
    ['near-close', 0.001],
  ];
  for (const [n] of layout)
    await http(
      'PUT',
      '/v1/catalog/register',
      JSON.stringify({
        Node: n,
        Address: '10.4.0.1',
        NodeMeta: { grp: 'near' },
        Service: { Service: 'near-svc' },
        Check: { CheckID: 'near-chk', Name: 'c', Status: 'passing' },
      }),
    );
  await register('near-src', '10.4.0.9', undefined, { grp: 'near' });
  const updates: Array<[string, number]> = [
    ['near-src', 0],
    ...(layout.filter(([, x]) => x !== null) as Array<[string, number]>),
  ];
  for (const [n, x] of updates)
    assert.equal(
      (await http('PUT', '/v1/coordinate/update', JSON.stringify({ Node: n, Coord: coord(x) }))).status,
      200,
    );
  await waitFor('coordinates applied', async () => {
    const r = JSON.parse((await http('GET', '/v1/coordinate/nodes')).text) as Array<{ Node: string }>;
    return updates.every(([n]) => r.some((e) => e.Node === n));
  });
  const want = ['near-close', 'near-mid', 'near-far', 'near-none'];
  const j = async <T>(p: string) => JSON.parse((await http('GET', p)).text) as T;
  const nodes = await j<Array<{ Node: string }>>('/v1/catalog/nodes?near=near-src&node-meta=grp:near');
  assert.deepEqual(
    nodes.map((n) => n.Node),
    ['near-src', ...want],
  );
  const svc = await j<Array<{ Node: string }>>('/v1/catalog/service/near-svc?near=near-src');
  assert.deepEqual(
    svc.map((n) => n.Node),
    want,
  );
  const health = await j<Array<{ Node: { Node: string } }>>('/v1/health/service/near-svc?near=near-src');
  assert.deepEqual(
    health.map((e) => e.Node.Node),
    want,
  );
  const checks = await j<Array<{ Node: string; CheckID: string }>>(
    '/v1/health/state/passing?near=near-src&node-meta=grp:near',
  );
  assert.deepEqual(
    checks.filter((c) => c.CheckID === 'near-chk').map((c) => c.Node),
    want,
  );
  const cli = consul([
    'catalog',
    'nodes',
    '-near=near-src',
    '-node-meta=grp=near',
    `-http-addr=${IP}:${PORT}`,
  ]);
  assert.equal(cli.code, 0, cli.err);
  assert.deepEqual(
    cli.out
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(/\s+/)[0]),
    ['near-src', ...want],
  );
  // Without ?near (or from a node with no coordinate) the order is by node name.
  const plain = await j<Array<{ Node: string }>>('/v1/catalog/service/near-svc?near=near-none');
  assert.deepEqual(
    plain.map((n) => n.Node),
    [...want].sort(),
  );
});

test('a known path with the wrong verb is 405 with Allow (OPTIONS first); OPTIONS answers 200 with Allow', async () => {
  const bad = await http('DELETE', '/v1/status/leader');
  assert.equal(bad.status, 405);
  assert.equal(bad.headers.get('allow'), 'OPTIONS,GET');
  assert.equal(bad.text, 'method DELETE not allowed\n');
  const post = await http('POST', '/v1/kv/some/key');
  assert.equal(post.status, 405);
  assert.equal(post.headers.get('allow'), 'OPTIONS,GET,PUT,DELETE');
  const opts = await http('OPTIONS', '/v1/kv/some/key');
  assert.equal(opts.status, 200);
  assert.equal(opts.headers.get('allow'), 'OPTIONS,GET,PUT,DELETE');
  assert.equal(opts.text, '');
  const unknown = await http('GET', '/v1/no/such/endpoint');
  assert.equal(unknown.status, 404);
  assert.equal(unknown.text, '404 page not found\n');
});

test('?pretty (any value) indents JSON with 4 spaces and a newline; without it JSON is compact', async () => {
  // A -dev agent always pretty-prints, so this asks a plain client agent (no servers needed).
  const dir = mkdtempSync(path.join(tmpdir(), 'http-pretty-'));
  const ip = '127.0.0.133';
  const port = 19133;
  const client = startConsul([
    'agent',
    `-bind=${ip}`,
    `-client=${ip}`,
    `-http-port=${port}`,
    '-dns-port=-1',
    '-grpc-port=-1',
    `-data-dir=${dir}`,
    '-node=pretty-client',
  ]);
  try {
    assert.ok(await agentUp(ip, port), client.err());
    const get = async (q: string) => (await fetch(`http://${ip}:${port}/v1/agent/members${q}`)).text();
    const compact = await get('');
    assert.ok(!compact.includes('\n'), compact);
    const members = JSON.parse(compact) as unknown;
    for (const q of ['?pretty', '?pretty=0', '?pretty=true']) {
      const pretty = await get(q);
      assert.equal(pretty, `${JSON.stringify(members, null, 4)}\n`, q);
    }
  } finally {
    await stop(client);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a blocking GET on KV key B is not woken by a write to key A, and is by a write to B', async () => {
  assert.equal((await http('PUT', '/v1/kv/blk/b', 'b0')).status, 200);
  const idx = Number((await http('GET', '/v1/kv/blk/b')).headers.get('x-consul-index'));
  assert.ok(idx > 0);
  // Writes to A while B waits out a 1.5 s wait: B answers at the timeout, index unchanged.
  let t0 = Date.now();
  const blocked = http('GET', `/v1/kv/blk/b?index=${idx}&wait=1500ms`);
  for (let i = 0; i < 3; i++) assert.equal((await http('PUT', '/v1/kv/blk/a', `a${i}`)).status, 200);
  const r1 = await blocked;
  assert.ok(Date.now() - t0 >= 1400, `answered after ${Date.now() - t0} ms`);
  assert.equal(r1.headers.get('x-consul-index'), String(idx));
  // A write to B wakes it well before a 6 s wait runs out, with the new index and value.
  t0 = Date.now();
  const woken = http('GET', `/v1/kv/blk/b?index=${idx}&wait=6s`);
  assert.equal((await http('PUT', '/v1/kv/blk/b', 'b1')).status, 200);
  const r2 = await woken;
  assert.ok(Date.now() - t0 < 4000, `answered after ${Date.now() - t0} ms`);
  assert.ok(Number(r2.headers.get('x-consul-index')) > idx);
  const [e] = JSON.parse(r2.text) as Array<{ Value: string }>;
  assert.equal(Buffer.from(e!.Value, 'base64').toString(), 'b1');
});
