// Prepared queries in the store: Consul's validation texts, name uniqueness and ID aliasing, template
// lookup (longest prefix, interpolation, regexp groups, RemoveEmptyTags), Raft apply with session-bound
// queries ending with their session, snapshot round-trip, and execute's health/tag/meta/near filtering.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeCommand, FSM, MessageTypes, StateStore } from '../../../src/fsm/fsm.js';
import { restoreState, snapshotState } from '../../../src/fsm/snapshot.js';
import {
  PreparedQueries,
  validateQuery,
  type PreparedQuery,
  type ServiceQuery,
} from '../../../src/state/prepared-queries.js';
import { executeQuery } from '../../../src/state/query-execute.js';

const ID1 = '11111111-1111-1111-1111-111111111111';
const ID2 = '22222222-2222-2222-2222-222222222222';
const ID3 = '33333333-3333-3333-3333-333333333333';

function query(over: Partial<Omit<PreparedQuery, 'Service'>> & { Service?: Partial<ServiceQuery> } = {}) {
  const { Service, ...rest } = over;
  const q: PreparedQuery = {
    ID: ID1,
    Name: '',
    Session: '',
    Token: '',
    Template: { Type: '', Regexp: '', RemoveEmptyTags: false },
    Service: {
      Service: 'web',
      Failover: { NearestN: 0, Datacenters: null, Targets: null },
      OnlyPassing: false,
      IgnoreCheckIDs: null,
      Near: '',
      Tags: null,
      NodeMeta: null,
      ServiceMeta: null,
      Peer: '',
      Connect: { Enabled: false },
      ...Service,
    },
    DNS: { TTL: '' },
    CreateIndex: 0,
    ModifyIndex: 0,
    ...rest,
  };
  return q;
}

const noSession = () => false;

test('validation refuses what Consul refuses, with its texts', () => {
  assert.equal(validateQuery(query())?.message, 'Must be bound to a session');
  assert.equal(validateQuery(query({ Name: 'x' })), null);
  assert.equal(validateQuery(query({ Session: 's' })), null);
  assert.equal(
    validateQuery(query({ Name: 'x', Service: { Service: '' } }))?.message,
    'Must provide a Service name to query',
  );
  assert.equal(
    validateQuery(query({ Name: 'x', Token: '<hidden>' }))?.message,
    "Bad Token '<hidden>', it looks like a query definition with a redacted token was submitted",
  );
  assert.equal(
    validateQuery(
      query({ Name: 'x', Service: { Failover: { NearestN: -1, Datacenters: null, Targets: null } } }),
    )?.message,
    "Bad NearestN '-1', must be >= 0",
  );
  assert.equal(
    validateQuery(query({ Name: 'x', Service: { NodeMeta: { 'a b': '1' } } }))?.message,
    'Key contains invalid characters',
  );
  assert.equal(
    validateQuery(query({ Name: 'x', Service: { NodeMeta: { 'consul-network-segment': '' } } })),
    null,
  );
  assert.equal(
    validateQuery(query({ Name: 'x', DNS: { TTL: 'soon' } }))?.message,
    `Bad DNS TTL 'soon': time: invalid duration "soon"`,
  );
  assert.equal(
    validateQuery(query({ Name: 'x', DNS: { TTL: '-1s' } }))?.message,
    "DNS TTL '-1000000000', must be >=0",
  );
});

test('names are unique case-insensitively and may not alias another query ID', () => {
  const t = new PreparedQueries();
  assert.equal(t.set(5, query({ Name: 'Geo' }), noSession), null);
  assert.equal(
    t.set(6, query({ ID: ID2, Name: 'geo' }), noSession)?.message,
    "name 'geo' aliases an existing query name",
  );
  assert.equal(
    t.set(7, query({ ID: ID2, Name: ID1 }), noSession)?.message,
    `name '${ID1}' aliases an existing query ID`,
  );
  assert.equal(t.set(8, query({ ID: ID2, Session: 'nope' }), noSession)?.message, 'invalid session "nope"');
  assert.equal(t.index, 5);
  // An update keeps CreateIndex and may keep its own name.
  assert.equal(t.set(9, query({ Name: 'Geo', DNS: { TTL: '10s' } }), noSession), null);
  assert.deepEqual([t.get(ID1)?.CreateIndex, t.get(ID1)?.ModifyIndex, t.index], [5, 9, 9]);
  assert.equal(t.resolve('GEO'), t.get(ID1));
  assert.equal(t.resolve(ID1), t.get(ID1));
  assert.equal(t.resolve('other'), null);
});

test('templates: longest prefix wins, interpolation and regexp groups render, one catch-all', () => {
  const t = new PreparedQueries();
  const tpl = (id: string, name: string, svc: Partial<ServiceQuery>, regexp = '', remove = false) =>
    t.set(
      1,
      query({
        ID: id,
        Name: name,
        Template: { Type: 'name_prefix_match', Regexp: regexp, RemoveEmptyTags: remove },
        Service: svc,
      }),
      noSession,
    );
  assert.equal(tpl(ID1, '', { Service: '${name.full}' }), null);
  assert.equal(tpl(ID2, '', { Service: 'x' })?.message, 'a query template with an empty name already exists');
  assert.equal(
    tpl(
      ID2,
      'geo-',
      { Service: '${match(1)}', Tags: ['${match(2)}', 'v${name.suffix}'] },
      '^geo-(\\w+)-?(\\w*)$',
      true,
    ),
    null,
  );
  const all = t.resolve('redis');
  assert.ok(all && !(all instanceof Error));
  assert.equal(all.Service.Service, 'redis');
  const geo = t.resolve('geo-db-primary');
  assert.ok(geo && !(geo instanceof Error));
  assert.deepEqual([geo.ID, geo.Service.Service, geo.Service.Tags], [ID2, 'db', ['primary', 'vdb-primary']]);
  // RemoveEmptyTags drops what rendered empty.
  const bare = t.resolve('geo-db');
  assert.ok(bare && !(bare instanceof Error));
  assert.deepEqual(bare.Service.Tags, ['vdb']);
  assert.equal(
    (t.resolve(ID2) as Error).message,
    'prepared query templates can only be resolved up by name, not by ID',
  );
  assert.equal(
    tpl(ID3, 'bad-', { Service: '${nope}' })?.message,
    "failed compiling template: Bad evaluation for '${nope}' in Service.Service: unknown variable accessed: nope",
  );
  assert.equal(
    tpl(ID3, 'bad-', { Service: 'x' }, '(')?.message.startsWith('failed compiling template: Bad Regexp: '),
    true,
  );
  assert.equal(
    t.set(
      1,
      query({ ID: ID3, Name: 'z', Template: { Type: 'glob', Regexp: '', RemoveEmptyTags: false } }),
      noSession,
    )?.message,
    "failed compiling template: Bad Template.Type 'glob'",
  );
});

function fsmSetup() {
  const state = new StateStore();
  const fsm = new FSM(state);
  let idx = 0;
  const apply = (type: number, body: unknown) => fsm.apply(++idx, encodeCommand(type, body));
  const reg = (
    node: string,
    addr: string,
    status: string,
    tags: string[] = [],
    meta: Record<string, string> = {},
  ) =>
    apply(MessageTypes.Register, {
      Node: node,
      Address: addr,
      NodeMeta: meta,
      Service: { ID: 'web', Service: 'web', Tags: tags, Port: 80 },
      Checks: [
        { CheckID: 'serfHealth', Name: 'Serf Health Status', Status: 'passing' },
        { CheckID: 'web-check', Name: 'web', Status: status, ServiceID: 'web' },
      ],
    });
  return { state, apply, reg };
}

test('Raft apply: create, update, delete; a session-bound query ends with its session; snapshots keep queries', () => {
  const { state, apply, reg } = fsmSetup();
  reg('n1', '10.0.0.1', 'passing');
  const sess = '44444444-4444-4444-4444-444444444444';
  apply(MessageTypes.Session, {
    Op: 'create',
    Session: {
      ID: sess,
      Name: '',
      Node: 'n1',
      LockDelay: 0,
      Behavior: 'release',
      TTL: '',
      NodeChecks: ['serfHealth'],
      ServiceChecks: null,
      CreateIndex: 0,
      ModifyIndex: 0,
    },
  });
  assert.equal(apply(MessageTypes.PreparedQuery, { Op: 'create', Query: query({ Name: 'a' }) }), true);
  assert.equal(
    apply(MessageTypes.PreparedQuery, { Op: 'create', Query: query({ ID: ID2, Session: sess }) }),
    true,
  );
  const err = apply(MessageTypes.PreparedQuery, { Op: 'create', Query: query({ ID: ID3, Name: 'A' }) });
  assert.equal((err as Error).message, "name 'A' aliases an existing query name");
  assert.deepEqual(
    state.queries.list().map((q) => q.ID),
    [ID1, ID2],
  );

  const copy = new StateStore();
  restoreState(copy, snapshotState(state, 10));
  assert.deepEqual(copy.queries.dump(), state.queries.dump());

  apply(MessageTypes.Session, { Op: 'destroy', ID: sess });
  assert.deepEqual(
    state.queries.list().map((q) => q.ID),
    [ID1],
  );
  apply(MessageTypes.PreparedQuery, { Op: 'delete', Query: { ID: ID1 } });
  assert.deepEqual(state.queries.list(), []);
});

test('execute filters by health, tags with ! negation and meta; near sorts with that node first; limit last', () => {
  const { state, reg } = fsmSetup();
  reg('n1', '10.0.0.1', 'passing', ['primary', 'v1'], { rack: 'a' });
  reg('n2', '10.0.0.2', 'warning', ['v1'], { rack: 'b' });
  reg('n3', '10.0.0.3', 'critical', ['v1']);
  reg('n4', '10.0.0.4', 'passing', ['v2'], { rack: 'a' });
  const run = (svc: Partial<ServiceQuery>, near = '', limit = 0) =>
    executeQuery(query({ Name: 'q', Service: svc }), state.catalog, state.coordinates, {
      datacenter: 'dc1',
      near,
      limit,
      shuffle: (xs) => [...xs].reverse(),
    }).Nodes.map((n) => n.node.Node);
  assert.deepEqual(run({}), ['n4', 'n2', 'n1']);
  assert.deepEqual(run({ OnlyPassing: true }), ['n4', 'n1']);
  assert.deepEqual(run({ IgnoreCheckIDs: ['web-check'] }), ['n4', 'n3', 'n2', 'n1']);
  assert.deepEqual(run({ Tags: ['V1', '!primary'] }), ['n2']);
  assert.deepEqual(run({ NodeMeta: { rack: 'a' } }), ['n4', 'n1']);
  assert.deepEqual(run({}, 'n1'), ['n1', 'n2', 'n4']);
  assert.deepEqual(run({}, '', 2), ['n4', 'n2']);
  const c = (x: number) => ({ Vec: [x, 0, 0, 0, 0, 0, 0, 0], Error: 0.1, Adjustment: 0, Height: 0.0001 });
  state.coordinates.update(50, [
    { Node: 'n1', Coord: c(0.05) },
    { Node: 'n2', Coord: c(0.01) },
    { Node: 'n4', Coord: c(0) },
  ]);
  assert.deepEqual(run({ Near: 'n4' }), ['n4', 'n2', 'n1']);
});
