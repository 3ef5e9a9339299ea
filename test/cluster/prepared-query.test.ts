// Prepared queries on a real -dev agent: create/list/get/update/delete/execute/explain over HTTP with
// Consul's status codes and texts, and <name>.query.consul answered over DNS from the execute result.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { agentUp, startConsul, stop, waitFor, type Proc } from '../helpers/process.js';
import { dnsQuery } from '../helpers/dns.js';

const IP = '127.0.0.190';
const PORT = 18790;
const DNS_PORT = 18791;
const H = `http://${IP}:${PORT}`;
let agent: Proc;

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const r = await fetch(`${H}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await r.text();
  let json: unknown = undefined;
  try {
    json = JSON.parse(text);
  } catch {
    // plain-text error
  }
  return { status: r.status, text: text.trim(), json };
}

const register = (node: string, addr: string, status: string, tags: string[], port: number) =>
  call('PUT', '/v1/catalog/register', {
    Node: node,
    Address: addr,
    Service: { ID: 'web', Service: 'web', Tags: tags, Port: port },
    Checks: [{ CheckID: 'web-alive', Name: 'web', Status: status, ServiceID: 'web' }],
  });

before(async () => {
  agent = startConsul([
    'agent',
    '-dev',
    '-node=pq-node',
    `-bind=${IP}`,
    `-client=${IP}`,
    `-http-port=${PORT}`,
    `-dns-port=${DNS_PORT}`,
    '-grpc-port=-1',
    '-serf-lan-port=18792',
    '-serf-wan-port=18793',
    '-server-port=18794',
  ]);
  assert.ok(await agentUp(IP, PORT), agent.err());
  await waitFor('a leader', async () => (await call('GET', '/v1/status/leader')).json !== '', 15_000);
  for (const [node, addr, status, tags, port] of [
    ['web-1', '10.1.0.1', 'passing', ['v1'], 8001],
    ['web-2', '10.1.0.2', 'warning', ['v1'], 8002],
    ['web-3', '10.1.0.3', 'critical', ['v1'], 8003],
    ['web-4', '10.1.0.4', 'passing', ['canary'], 8004],
  ] as const)
    assert.equal((await register(node, addr, status, [...tags], port)).status, 200);
});

after(async () => {
  await stop(agent);
});

const nodesOf = (j: unknown) =>
  (j as { Nodes: Array<{ Node: { Node: string } }> }).Nodes.map((n) => n.Node.Node).sort();

test('HTTP: create, list, get, update, execute, explain, delete with Consul texts', async () => {
  assert.deepEqual(await call('GET', '/v1/query'), { status: 200, text: '[]', json: [] });
  assert.deepEqual(await call('POST', '/v1/query', {}), {
    status: 500,
    text: 'Invalid prepared query: Must be bound to a session',
    json: undefined,
  });
  assert.equal(
    (await call('POST', '/v1/query', { Name: 'x' })).text,
    'Invalid prepared query: Must provide a Service name to query',
  );
  assert.equal((await call('POST', '/v1/query', '{"Name":')).status, 400);
  assert.match((await call('POST', '/v1/query', '{"Name":')).text, /^Request decode failed: /);

  const created = await call('POST', '/v1/query', {
    Name: 'web-q',
    Service: { Service: 'web', Tags: ['!canary'] },
    DNS: { TTL: '7s' },
  });
  assert.equal(created.status, 200, created.text);
  const id = (created.json as { ID: string }).ID;
  assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  assert.deepEqual(await call('POST', '/v1/query', { Name: 'WEB-Q', Service: { Service: 'web' } }), {
    status: 500,
    text: "raft apply failed: name 'WEB-Q' aliases an existing query name",
    json: undefined,
  });

  const list = await call('GET', '/v1/query');
  const [q] = list.json as Array<Record<string, unknown>>;
  assert.deepEqual(Object.keys(q!), [
    'ID',
    'Name',
    'Session',
    'Token',
    'Template',
    'Service',
    'DNS',
    'CreateIndex',
    'ModifyIndex',
  ]);
  assert.deepEqual(q!.Service, {
    Service: 'web',
    Failover: { NearestN: 0, Datacenters: null, Targets: null },
    OnlyPassing: false,
    IgnoreCheckIDs: null,
    Near: '',
    Tags: ['!canary'],
    NodeMeta: null,
    ServiceMeta: null,
    Peer: '',
    Connect: { Enabled: false },
  });
  const got = await call('GET', `/v1/query/${id}`);
  assert.deepEqual(got.json, list.json);
  assert.deepEqual(await call('GET', '/v1/query/00000000-0000-0000-0000-000000000000'), {
    status: 404,
    text: 'Query not found',
    json: undefined,
  });

  // Execute: critical out, canary excluded by "!canary", warning kept (not OnlyPassing).
  const ex = await call('GET', '/v1/query/web-q/execute');
  assert.equal(ex.status, 200, ex.text);
  assert.deepEqual(nodesOf(ex.json), ['web-1', 'web-2']);
  const exj = ex.json as Record<string, unknown>;
  assert.deepEqual(
    { Service: exj.Service, DNS: exj.DNS, Datacenter: exj.Datacenter, Failovers: exj.Failovers },
    { Service: 'web', DNS: { TTL: '7s' }, Datacenter: 'dc1', Failovers: 0 },
  );
  assert.deepEqual(nodesOf((await call('GET', `/v1/query/${id}/execute?limit=1`)).json).length, 1);
  assert.deepEqual(
    (await call('GET', '/v1/query/web-q/execute?near=web-2')).json &&
      (
        (await call('GET', '/v1/query/web-q/execute?near=web-2')).json as {
          Nodes: Array<{ Node: { Node: string } }>;
        }
      ).Nodes[0]!.Node.Node,
    'web-2',
  );
  // near=_ip: the node at the requester's address (X-Forwarded-For first) answers first.
  for (let i = 0; i < 5; i++) {
    const ip = await call('GET', '/v1/query/web-q/execute?near=_ip', undefined, {
      'X-Forwarded-For': '10.1.0.2',
    });
    assert.equal((ip.json as { Nodes: Array<{ Node: { Node: string } }> }).Nodes[0]!.Node.Node, 'web-2');
  }
  assert.deepEqual(await call('GET', '/v1/query/web-q/execute?limit=x'), {
    status: 500,
    text: 'Bad limit: strconv.Atoi: parsing "x": invalid syntax',
    json: undefined,
  });
  assert.deepEqual(await call('GET', '/v1/query/nope/execute'), {
    status: 404,
    text: 'Query not found',
    json: undefined,
  });
  assert.equal((await call('PUT', '/v1/query/web-q/execute')).status, 405);

  // Update: the URL's ID wins; OnlyPassing now drops the warning instance.
  const upd = await call('PUT', `/v1/query/${id}`, {
    ID: 'ignored',
    Name: 'web-q',
    Service: { Service: 'web', OnlyPassing: true, Tags: ['!canary'] },
  });
  assert.deepEqual([upd.status, upd.text], [200, '']);
  const after = (await call('GET', `/v1/query/${id}`)).json as Array<{
    CreateIndex: number;
    ModifyIndex: number;
  }>;
  assert.ok(after[0]!.ModifyIndex > after[0]!.CreateIndex);
  assert.deepEqual(nodesOf((await call('GET', '/v1/query/web-q/execute')).json), ['web-1']);
  const missing = '00000000-0000-0000-0000-000000000001';
  assert.deepEqual(await call('PUT', `/v1/query/${missing}`, { Name: 'z', Service: { Service: 'web' } }), {
    status: 500,
    text: `Cannot modify non-existent prepared query: '${missing}'`,
    json: undefined,
  });

  // A template: longest prefix match, rendered per name; explain shows the rendering.
  const tpl = await call('POST', '/v1/query', {
    Name: 'geo-',
    Template: { Type: 'name_prefix_match', Regexp: '^geo-(.*)$' },
    Service: { Service: '${match(1)}', Tags: ['v1'] },
  });
  assert.equal(tpl.status, 200, tpl.text);
  assert.deepEqual(nodesOf((await call('GET', '/v1/query/geo-web/execute')).json), ['web-1', 'web-2']);
  const explain = (await call('GET', '/v1/query/geo-web/explain')).json as {
    Query: { Service: { Service: string } };
  };
  assert.equal(explain.Query.Service.Service, 'web');
  assert.deepEqual(
    (await call('POST', '/v1/query', { Name: 'bad-', Template: { Type: 'glob' }, Service: { Service: 'x' } }))
      .text,
    "raft apply failed: failed compiling template: Bad Template.Type 'glob'",
  );

  assert.deepEqual(await call('DELETE', `/v1/query/${(tpl.json as { ID: string }).ID}`), {
    status: 200,
    text: '',
    json: undefined,
  });
  assert.equal((await call('GET', '/v1/query/geo-web/execute')).status, 404);
});

test('DNS: <name>.query.consul SRV and A from the execute result, TTL from the query, NXDOMAIN for an unknown one', async () => {
  const created = await call('POST', '/v1/query', {
    Name: 'dns-q',
    Service: { Service: 'web', Tags: ['!canary'] },
    DNS: { TTL: '9s' },
  });
  assert.equal(created.status, 200, created.text);
  const srv = await dnsQuery(IP, DNS_PORT, 'dns-q.query.consul', 'SRV');
  assert.equal(srv.rcode, 'NOERROR');
  const targets = (srv.answers ?? []).map((a) => {
    const d = (a as { data: { port: number; target: string } }).data;
    return `${d.target}:${d.port}`;
  });
  assert.deepEqual(targets.sort(), ['web-1.node.dc1.consul:8001', 'web-2.node.dc1.consul:8002']);
  assert.ok((srv.answers ?? []).every((a) => (a as { ttl: number }).ttl === 9));
  assert.deepEqual((srv.additionals ?? []).map((a) => (a as { data: string }).data).sort(), [
    '10.1.0.1',
    '10.1.0.2',
  ]);
  const a = await dnsQuery(IP, DNS_PORT, 'dns-q.query.dc1.consul', 'A');
  assert.deepEqual((a.answers ?? []).map((x) => (x as { data: string }).data).sort(), [
    '10.1.0.1',
    '10.1.0.2',
  ]);
  assert.equal((a.answers ?? [])[0]?.name, 'dns-q.query.dc1.consul');

  const nx = await dnsQuery(IP, DNS_PORT, 'no-such-query.query.consul', 'A');
  assert.equal(nx.rcode, 'NXDOMAIN');
  assert.equal(nx.authorities?.[0]?.type, 'SOA');

  // dig, when the machine has it, reads the same answer.
  const dig = spawnSync('dig', ['+short', '-p', String(DNS_PORT), `@${IP}`, 'dns-q.query.consul', 'SRV'], {
    encoding: 'utf8',
  });
  if (dig.error === undefined && dig.status === 0)
    assert.deepEqual(
      dig.stdout
        .trim()
        .split('\n')
        .map((l) => l.split(' ').slice(2).join(' '))
        .sort(),
      ['8001 web-1.node.dc1.consul.', '8002 web-2.node.dc1.consul.'],
    );
});

test('a session-bound query goes away with its session; an unknown session is refused', async () => {
  assert.deepEqual(await call('POST', '/v1/query', { Session: 'nope', Service: { Service: 'web' } }), {
    status: 500,
    text: 'raft apply failed: invalid session "nope"',
    json: undefined,
  });
  const sess = await waitFor('a session on the agent node', async () => {
    const r = await call('PUT', '/v1/session/create', {});
    return r.status === 200 ? (r.json as { ID: string }).ID : null;
  });
  const created = await call('POST', '/v1/query', { Session: sess, Service: { Service: 'web' } });
  assert.equal(created.status, 200, created.text);
  const id = (created.json as { ID: string }).ID;
  assert.equal((await call('GET', `/v1/query/${id}/execute`)).status, 200);
  assert.equal((await call('PUT', `/v1/session/destroy/${sess}`)).status, 200);
  assert.deepEqual(await call('GET', `/v1/query/${id}`), {
    status: 404,
    text: 'Query not found',
    json: undefined,
  });
});

test('GET /v1/query blocks on ?index until a query changes', async () => {
  const first = await fetch(`${H}/v1/query`);
  const index = Number(first.headers.get('x-consul-index'));
  assert.ok(index > 0);
  const t0 = Date.now();
  const blocked = fetch(`${H}/v1/query?index=${index}&wait=5s`);
  // Gives the read time to park; should the write land first the read answers at once, also correct.
  await new Promise((r) => setTimeout(r, 200));
  const created = await call('POST', '/v1/query', { Name: 'blocking-q', Service: { Service: 'web' } });
  assert.equal(created.status, 200, created.text);
  const woke = await blocked;
  assert.ok(Date.now() - t0 < 4000, 'woken by the write, not the timeout');
  assert.ok(Number(woke.headers.get('x-consul-index')) > index);
  const names = ((await woke.json()) as Array<{ Name: string }>).map((q) => q.Name);
  assert.ok(names.includes('blocking-q'));
});
