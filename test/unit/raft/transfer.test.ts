// Leadership transfer as hashicorp/raft does it: the leader catches the target up and sends it
// TimeoutNow, refusing proposals meanwhile; a target that never takes over does not leave the cluster
// without a working leader — after ElectionTimeout the transfer is abandoned.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NotLeaderError, timingsFor } from '../../../src/raft/core/raft-core.js';
import { elect, enc, harness } from './core-harness.js';

const timings = timingsFor(1);

test('leadership transfer to a live server hands leadership over', () => {
  const h = harness(['a', 'b', 'c'], timings);
  const a = elect(h, 'a');
  assert.equal(a.role, 'leader');
  assert.ok(a.transferLeadership('b'));
  h.run();
  assert.equal(h.core('b').role, 'leader');
  assert.equal(a.role, 'follower');
  assert.equal(a.leader, 'b');
});

test('a leadership transfer to a down server is abandoned after ElectionTimeout and proposals resume', () => {
  const h = harness(['a', 'b', 'c'], timings);
  const a = elect(h, 'a');
  h.down.add('b');
  h.at(10);
  assert.ok(a.transferLeadership('b'));
  assert.ok(!a.transferLeadership('c'), 'one transfer at a time');
  assert.ok(a.propose(enc('refused')) instanceof NotLeaderError, 'proposals refused while transferring');
  // Still transferring just before the deadline (heartbeats keep c following, so a stays leader).
  h.until(10 + timings.electionTimeoutMs - 1, 50);
  assert.equal(a.role, 'leader');
  assert.ok(a.transferInProgress);
  assert.ok(a.propose(enc('still refused')) instanceof NotLeaderError);
  h.until(10 + timings.electionTimeoutMs, 50);
  assert.equal(a.role, 'leader');
  assert.equal(a.transferInProgress, false);
  assert.equal(a.transferTimeouts, 1);
  const r = a.propose(enc('accepted'));
  assert.ok(!(r instanceof Error), 'proposals accepted again');
  h.until(h.now + 500, 50);
  assert.deepEqual(h.applied.get('c'), ['accepted']);
});

test('the transfer deadline is one of the leader’s timer deadlines', () => {
  const h = harness(['a', 'b', 'c'], {
    ...timings,
    heartbeatTimeoutMs: 1e9,
    leaderLeaseTimeoutMs: 1e9,
    commitTimeoutMs: undefined,
  });
  const a = elect(h, 'a');
  h.down.add('b');
  a.transferLeadership('b');
  assert.equal(a.nextDeadline(), timings.electionTimeoutMs);
  a.tick(a.nextDeadline());
  assert.equal(a.transferInProgress, false);
});
