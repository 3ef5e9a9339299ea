// CommitTimeout (hashicorp/raft, 50 ms): once the leader's commit index advances, followers holding the
// entries hear of it within CommitTimeout, not only at the next heartbeat (100 ms × raft_multiplier).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { timingsFor } from '../../../src/raft/core/raft-core.js';
import { elect, enc, harness } from './core-harness.js';

test('followers apply a committed entry within CommitTimeout, long before the next heartbeat', () => {
  const t = timingsFor(5); // heartbeats every 500 ms
  assert.equal(t.commitTimeoutMs, 50);
  const h = harness(['a', 'b', 'c'], t);
  const a = elect(h, 'a');
  h.at(100);
  const r = a.propose(enc('x'));
  assert.ok(!(r instanceof Error));
  h.run();
  assert.equal(a.commitIndex, r.index, 'committed on the leader once the followers acknowledged');
  assert.deepEqual(h.applied.get('a'), ['x']);
  assert.deepEqual(h.applied.get('b'), [], 'followers do not know yet');
  h.at(100 + 49);
  assert.deepEqual(h.applied.get('b'), []);
  h.at(100 + 50);
  assert.deepEqual(h.applied.get('b'), ['x']);
  assert.deepEqual(h.applied.get('c'), ['x']);
  assert.ok(h.now < t.heartbeatTimeoutMs / 10, 'before any heartbeat');
});

test('the commit notice carries no entries and is sent once; without CommitTimeout followers wait for a heartbeat', () => {
  const t = timingsFor(5);
  const h = harness(['a', 'b', 'c'], t);
  const a = elect(h, 'a');
  h.at(60); // the no-op's commit reaches the followers
  a.propose(enc('y'));
  h.run();
  const before = h.delivered.length;
  h.at(110);
  const notices = h.delivered.slice(before).filter((e) => e.msg.type === 'append');
  assert.deepEqual(
    notices.map((e) => [e.to, e.msg.type === 'append' && e.msg.entries.length]),
    [
      ['b', 0],
      ['c', 0],
    ],
  );
  // Nothing more to tell: the leader's next deadline is its heartbeat again.
  assert.equal(a.nextDeadline(), t.heartbeatTimeoutMs / 10);

  const slow = harness(['a', 'b', 'c'], { ...t, commitTimeoutMs: undefined });
  const sa = elect(slow, 'a');
  slow.at(100);
  sa.propose(enc('z'));
  slow.until(t.heartbeatTimeoutMs / 10 - 1, 10);
  assert.deepEqual(slow.applied.get('b'), []);
  slow.at(t.heartbeatTimeoutMs / 10);
  assert.deepEqual(slow.applied.get('b'), ['z']);
});

test('a leader alone in its configuration has no deadline to wake for; once it has a peer it heartbeats', () => {
  const t = timingsFor(1);
  const h = harness(['a', 'b'], t, { voters: (id) => (id === 'a' ? ['a'] : ['a', 'b']) });
  h.down.add('b');
  h.until(t.electionTimeoutMs * 3, 10);
  const a = h.core('a');
  assert.equal(a.role, 'leader');
  h.run();
  // Heartbeats and lease checks need someone to reach: an idle -dev agent must not spin on them.
  assert.equal(a.nextDeadline(), Infinity);
  h.down.delete('b');
  const r = a.addVoter('b', 'b:8300');
  assert.ok(!(r instanceof Error));
  h.run();
  const next = a.nextDeadline();
  assert.ok(Number.isFinite(next) && next <= h.now + t.heartbeatTimeoutMs / 10, String(next));
});
