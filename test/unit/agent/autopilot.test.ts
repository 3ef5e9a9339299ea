// Autopilot's decisions as raft-autopilot makes them: stable healthy nonvoters are promoted (the
// stabilization time is waived while autopilot is young), and dead servers are removed stale-first,
// never past a majority of potential voters or below min_quorum, and only with cleanup_dead_servers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promotions, removals, type AutopilotServer } from '../../../src/agent/autopilot.js';

const rules = { cleanupDeadServers: true, stabilizationMs: 10_000, minQuorum: 0 };
const srv = (id: string, over: Partial<AutopilotServer> = {}): AutopilotServer => ({
  id,
  name: `n-${id}`,
  voter: true,
  known: true,
  alive: true,
  healthy: true,
  healthySinceMs: 0,
  ...over,
});

test('promotion: healthy nonvoters stable for server_stabilization_time', () => {
  const servers = [
    srv('a'),
    srv('b', { voter: false, healthySinceMs: 50_000 }),
    srv('c', { voter: false, healthySinceMs: 45_000 }),
    srv('d', { voter: false, healthy: false }),
  ];
  // Autopilot has run for a while: only c has been healthy for 10 s.
  assert.deepEqual(promotions(rules, servers, 55_000, 0), ['c']);
  assert.deepEqual(promotions(rules, servers, 60_000, 0), ['b', 'c']);
  // Within 110% of the stabilization time of autopilot starting, any healthy nonvoter goes.
  assert.deepEqual(promotions(rules, servers, 51_000, 45_000), ['b', 'c']);
  assert.deepEqual(promotions(rules, servers, 57_000, 45_000), ['c']);
});

test('cleanup: a failed voter of three goes, one at a time; none of two', () => {
  assert.deepEqual(removals(rules, [srv('a'), srv('b'), srv('c', { alive: false, healthy: false })]), {
    stale: [],
    failed: ['n-c'],
  });
  // Of three, at most (3 − 1) / 2 = 1 goes at a time, however many failed.
  assert.deepEqual(removals(rules, [srv('a'), srv('b', { alive: false }), srv('c', { alive: false })]), {
    stale: [],
    failed: ['n-b'],
  });
  // Two voters: none can go ((2 − 1) / 2 = 0).
  assert.deepEqual(removals(rules, [srv('a'), srv('b', { alive: false })]).failed, []);
  // Five voters: two failed can go (leaving three), not three.
  const five = ['a', 'b', 'c', 'd', 'e'].map((id, i) => srv(id, { alive: i < 2 }));
  assert.deepEqual(removals(rules, five).failed, ['n-c', 'n-d']);
});

test('cleanup: stale servers (in Raft, unknown to Serf) first; nonvoters regardless of the voter cap', () => {
  const servers = [
    srv('a'),
    srv('b'),
    srv('c'),
    srv('s1', { known: false, voter: false, alive: false }),
    srv('s2', { known: false, alive: false }),
    srv('f1', { voter: false, alive: false }),
  ];
  assert.deepEqual(removals(rules, servers), { stale: ['s1', 's2'], failed: ['n-f1'] });
  // A lone known server never prunes the unknown voters it cannot count on.
  assert.deepEqual(removals(rules, [srv('a'), srv('x', { known: false }), srv('y', { known: false })]), {
    stale: [],
    failed: [],
  });
});

test('cleanup respects min_quorum and cleanup_dead_servers=false', () => {
  const servers = [srv('a'), srv('b'), srv('c', { alive: false })];
  assert.deepEqual(removals({ ...rules, minQuorum: 3 }, servers).failed, []);
  assert.deepEqual(removals({ ...rules, cleanupDeadServers: false }, servers), { stale: [], failed: [] });
});
