import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CATALOG_WATCH, Catalog, nodeWatch, serviceWatch } from '../../../src/state/catalog.js';
import { StateStore } from '../../../src/fsm/fsm.js';
import { restoreState, snapshotState } from '../../../src/fsm/snapshot.js';

/** Arms one waiter per key; returns the keys woken so far (each waiter fires once). */
function watching(c: Catalog, keys: string[]): string[] {
  const woke: string[] = [];
  for (const key of keys) c.watches.add({ key, prefix: false, wake: () => woke.push(key) });
  return woke;
}

const reg = (c: Catalog, idx: number, node: string, svc: string, status?: string) =>
  c.register(
    idx,
    {
      Node: node,
      Address: '10.0.0.1',
      SkipNodeUpdate: true,
      Service: { ID: svc, Service: svc },
      ...(status ? { Check: { CheckID: `${svc}-chk`, ServiceID: svc, Status: status } } : {}),
    },
    'dc1',
  );

test('a write to service A wakes watchers of A and of the table, never of B', () => {
  const c = new Catalog();
  reg(c, 1, 'n1', 'a', 'passing');
  reg(c, 2, 'n2', 'b', 'passing');
  let woke = watching(c, [serviceWatch('a'), serviceWatch('b'), CATALOG_WATCH]);
  reg(c, 3, 'n1', 'a', 'critical'); // a health change of A
  assert.deepEqual(woke.sort(), [CATALOG_WATCH, serviceWatch('a')].sort());
  assert.equal(c.watches.size, 1); // B still waits

  // A new instance of A on B's node: still not B's business (no node-level data changed).
  woke = watching(c, [serviceWatch('a'), CATALOG_WATCH]);
  reg(c, 4, 'n2', 'a');
  assert.deepEqual(woke.sort(), [CATALOG_WATCH, serviceWatch('a')].sort());
  c.deregister(5, { Node: 'n2', ServiceID: 'a' });
  c.deregister(6, { Node: 'n1', CheckID: 'a-chk' });
  assert.equal(c.watches.size, 1); // only B's first waiter is left, never woken
});

test("a node's own data (its address, a node-level check) is part of every service on it", () => {
  const c = new Catalog();
  reg(c, 1, 'n1', 'a');
  reg(c, 2, 'n2', 'b');
  const woke = watching(c, [serviceWatch('a'), serviceWatch('b'), nodeWatch('n1'), nodeWatch('n2')]);
  c.register(
    3,
    { Node: 'n1', Address: '10.0.0.9', Check: { CheckID: 'serfHealth', Status: 'passing' } },
    'dc1',
  );
  assert.deepEqual(woke.sort(), [nodeWatch('n1'), serviceWatch('a')].sort());
  assert.equal(c.serviceIndex('a', true), 3);
  assert.equal(c.serviceIndex('b', true), 2);
});

test('a write on node n1 never wakes a watcher of node n2', () => {
  const c = new Catalog();
  c.register(1, { Node: 'n1', Address: 'x' }, 'dc1');
  c.register(2, { Node: 'n2', Address: 'y' }, 'dc1');
  const woke = watching(c, [nodeWatch('n1'), nodeWatch('n2')]);
  reg(c, 3, 'n1', 'web', 'passing');
  c.deregister(4, { Node: 'n1' });
  assert.deepEqual(woke, [nodeWatch('n1')]);
  assert.equal(c.watches.size, 1);
});

test("service indexes are Consul's maxIndexForService: own index, else last extinction, else tables", () => {
  const c = new Catalog();
  c.register(3, { Node: 'n1', Address: 'x' }, 'dc1');
  // Never registered, nothing ever went extinct: the table indexes (nodes, services[, checks]).
  assert.equal(c.serviceIndex('ghost', false), 3);
  reg(c, 5, 'n1', 'a');
  reg(c, 7, 'n1', 'b', 'passing');
  assert.equal(c.serviceIndex('a', false), 5);
  assert.equal(c.serviceIndex('b', false), 7);
  assert.equal(c.serviceIndex('ghost', true), 7);
  reg(c, 9, 'n1', 'b', 'critical'); // B's health changes; A's index stays
  assert.equal(c.serviceIndex('a', false), 5);
  assert.equal(c.serviceIndex('b', true), 9);
  // The last instance of A goes: A's and every absent name's index is that extinction.
  c.deregister(11, { Node: 'n1', ServiceID: 'a' });
  assert.equal(c.serviceIndex('a', false), 11);
  assert.equal(c.serviceIndex('ghost', false), 11);
  assert.equal(c.serviceIndex('b', false), 9);
  // Table indexes of node reads: nodes+services for catalog/node, checks for health/node.
  assert.equal(c.nodeServicesIndex, 11);
  assert.equal(c.checksIndex, 9);
  // A transaction's writes wake at commit; a rollback restores the indexes and wakes nobody.
  const before = c.begin();
  const woke = watching(c, [serviceWatch('b')]);
  reg(c, 12, 'n1', 'b', 'passing');
  assert.deepEqual(woke, []);
  c.rollback(before);
  assert.equal(c.serviceIndex('b', true), 9);
  c.begin();
  reg(c, 13, 'n1', 'b', 'passing');
  c.commit();
  assert.deepEqual(woke, [serviceWatch('b')]);
  assert.equal(c.serviceIndex('b', true), 13);
});

test('the index table survives a snapshot and restore exactly', () => {
  const s = new StateStore();
  reg(s.catalog, 5, 'n1', 'a');
  reg(s.catalog, 7, 'n1', 'b');
  s.catalog.deregister(8, { Node: 'n1', ServiceID: 'b' });
  const t = new StateStore();
  assert.equal(restoreState(t, snapshotState(s, 8)), 8);
  assert.equal(t.catalog.serviceIndex('a', false), 5);
  assert.equal(t.catalog.serviceIndex('b', false), 8);
  assert.equal(t.catalog.serviceIndex('ghost', false), 8);
  // A dump without the index table (an older server's) derives it from the entries.
  const d = s.catalog.exportAll();
  const u = new Catalog();
  u.replaceAll({ index: d.index, nodes: d.nodes });
  assert.equal(u.serviceIndex('a', false), 5);
});
