// CheckQuorum (hashicorp's leader lease): a leader that has not heard from a quorum of voters within
// LeaderLeaseTimeout steps down, so a leader cut off from the majority stops accepting writes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NotLeaderError, timingsFor } from '../../../src/raft/core/raft-core.js';
import { elect, enc, harness } from './core-harness.js';

const t = timingsFor(1);

test('a leader cut off from a quorum steps down within two lease periods and refuses proposals', () => {
  const h = harness(['a', 'b', 'c'], t);
  const a = elect(h, 'a');
  h.until(1_000, 10);
  assert.equal(a.role, 'leader');
  const cut = h.now;
  h.down.add('b');
  h.down.add('c');
  h.until(cut + t.leaderLeaseTimeoutMs / 2, 10);
  assert.equal(a.role, 'leader', 'not before the lease can have run out');
  let steppedDownAt = -1;
  while (h.now < cut + 2 * t.leaderLeaseTimeoutMs && steppedDownAt < 0) {
    h.at(h.now + 10);
    if (a.role !== 'leader') steppedDownAt = h.now;
  }
  assert.ok(steppedDownAt > 0, 'stepped down');
  assert.ok(steppedDownAt - cut <= 2 * t.leaderLeaseTimeoutMs);
  assert.ok(steppedDownAt - cut <= t.electionTimeoutMs, 'before the others could elect a new leader');
  assert.equal(a.leader, '');
  assert.ok(a.propose(enc('x')) instanceof NotLeaderError);
});

test('a leader that still reaches a quorum (one of three down) stays leader', () => {
  const h = harness(['a', 'b', 'c'], t);
  const a = elect(h, 'a');
  h.down.add('c');
  h.until(20 * t.leaderLeaseTimeoutMs, 50);
  assert.equal(a.role, 'leader');
  assert.equal(a.term, 1);
});
