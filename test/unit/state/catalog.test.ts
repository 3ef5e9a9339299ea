import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Catalog } from '../../../src/state/catalog.js';

test('register and deregister nodes, services and checks with Consul indexes', () => {
  const c = new Catalog();
  c.register(
    5,
    { Node: 'n1', Address: '10.0.0.1', Service: { Service: 'web', Tags: ['a'], Port: 80 } },
    'dc1',
  );
  c.register(
    6,
    {
      Node: 'n2',
      Address: '10.0.0.2',
      Service: { ID: 'web-2', Service: 'web', Tags: ['b'], Port: 81 },
      Check: { Name: 'alive', ServiceID: 'web-2', Status: 'passing' },
    },
    'dc1',
  );
  c.register(7, { Node: 'n1', Address: '10.0.0.9' }, 'dc1');
  assert.deepEqual(
    c.listNodes().map((n) => [n.Node, n.Address, n.CreateIndex, n.ModifyIndex]),
    [
      ['n1', '10.0.0.9', 5, 7],
      ['n2', '10.0.0.2', 6, 6],
    ],
  );
  assert.deepEqual(c.listServices(), { web: ['a', 'b'] });
  assert.deepEqual(
    c.serviceNodes('web', ['b']).map((x) => x.service.ID),
    ['web-2'],
  );
  const [check] = c.nodeChecks('n2');
  assert.equal(check!.ServiceName, 'web');
  assert.deepEqual(check!.ServiceTags, ['b']);
  assert.equal(c.index, 7);
  c.deregister(8, { Node: 'n2', ServiceID: 'web-2' });
  assert.deepEqual(c.nodeChecks('n2'), []); // a service's checks go with it
  assert.deepEqual(c.listServices(), { web: ['a'] });
  c.deregister(9, { Node: 'n1' });
  assert.deepEqual(
    c.listNodes().map((n) => n.Node),
    ['n2'],
  );
  assert.equal(c.node('n1'), null);
});

test("validation uses Consul's texts", () => {
  assert.equal(Catalog.validate({ Node: '', Address: 'x' })?.message, 'Missing node name');
  assert.equal(Catalog.validate({ Node: 'n', Address: '' })?.message, 'Missing node address');
  assert.equal(
    Catalog.validate({ Node: 'n', Address: 'a', Check: { Status: 'ok' } })?.message,
    "Invalid check status: 'ok'",
  );
  assert.equal(Catalog.validate({ Node: 'n', Address: 'a' }), null);
});
