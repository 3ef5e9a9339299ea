import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StateStore } from '../../../src/fsm/fsm.js';
import { restoreState, snapshotState } from '../../../src/fsm/snapshot.js';
import type { ACLPolicy, ACLRole, ACLToken } from '../../../src/state/acl.js';

const policy: ACLPolicy = {
  ID: 'p-1',
  Name: 'readonly',
  Description: '',
  Rules: 'key_prefix "" { policy = "read" }',
  Datacenters: [],
  Hash: 'aGFzaA==',
  CreateIndex: 0,
  ModifyIndex: 0,
};
const role: ACLRole = {
  ID: 'r-1',
  Name: 'ops',
  Description: 'operators',
  Policies: [{ ID: 'p-1', Name: 'readonly' }],
  ServiceIdentities: [{ ServiceName: 'web' }],
  NodeIdentities: [],
  Hash: '',
  CreateIndex: 0,
  ModifyIndex: 0,
};
const token: ACLToken = {
  AccessorID: 'a-1',
  SecretID: 's-1',
  Description: 'ci',
  Policies: [],
  Roles: [{ ID: 'r-1', Name: 'ops' }],
  ServiceIdentities: [],
  NodeIdentities: [{ NodeName: 'n1', Datacenter: 'dc1' }],
  Local: false,
  ExpirationTime: '',
  CreateTime: '2026-12-04T21:00:00Z',
  Hash: '',
  CreateIndex: 0,
  ModifyIndex: 0,
};

test('ACL tables keep Consul indexes: CreateIndex stays, ModifyIndex and the table index move', () => {
  const s = new StateStore();
  assert.equal(s.acl.tokens.index, 1);
  s.acl.policies.set(3, policy);
  const p = s.acl.policies.set(5, { ...policy, Description: 'changed' });
  assert.deepEqual([p.CreateIndex, p.ModifyIndex, s.acl.policies.index], [3, 5, 5]);
  let woke = 0;
  s.acl.tokens.watches.add({ key: s.acl.tokens.watchKey, prefix: false, wake: () => woke++ });
  s.acl.policies.delete(6, 'p-1');
  assert.equal(woke, 0); // another table's write
  s.acl.tokens.set(7, token);
  assert.equal(woke, 1);
  assert.equal(s.acl.tokens.delete(8, 'nope'), false);
  assert.equal(s.acl.tokens.index, 7);
});

test('token, policy and role tables ride in the snapshot and come back exactly (empty ones too)', () => {
  const s = new StateStore();
  s.acl.policies.set(2, policy);
  s.acl.roles.set(3, role);
  s.acl.tokens.set(4, token);
  s.acl.tokens.set(5, { ...token, AccessorID: 'a-0', SecretID: 's-0' });
  const t = new StateStore();
  t.acl.tokens.set(9, { ...token, AccessorID: 'stale' }); // replaced by the restore
  assert.equal(restoreState(t, snapshotState(s, 5)), 5);
  for (const k of ['tokens', 'policies', 'roles'] as const)
    assert.deepEqual(t.acl[k].dump(), s.acl[k].dump(), k);
  assert.deepEqual(
    t.acl.tokens.list().map((x) => x.AccessorID),
    ['a-0', 'a-1'],
  );
  assert.equal(t.acl.tokens.get('a-1')?.SecretID, 's-1');

  // An empty store round-trips to empty tables; a restore wipes what was there.
  const empty = new StateStore();
  assert.equal(restoreState(t, snapshotState(empty, 1)), 1);
  for (const k of ['tokens', 'policies', 'roles'] as const) {
    assert.deepEqual(t.acl[k].list(), [], k);
    assert.equal(t.acl[k].index, 1, k);
  }
});
