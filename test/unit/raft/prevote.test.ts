// PreVote (hashicorp/raft ≥ 1.4): a server cut off from the cluster asks "would you vote for me?"
// without raising its term, so when it comes back it neither forces a term change nor deposes a
// healthy leader.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { timingsFor } from '../../../src/raft/core/raft-core.js';
import { elect, harness } from './core-harness.js';

test('a partitioned follower keeps its term while it retries elections, and rejoining does not disrupt the leader', () => {
  const t = timingsFor(1);
  const h = harness(['a', 'b', 'c'], t);
  const a = elect(h, 'a');
  h.until(2_000, 50);
  assert.equal(a.role, 'leader');
  const term = a.term;
  const c = h.core('c');
  assert.equal(c.term, term);

  // c is cut off for ten election timeouts: it keeps trying (pre-votes) but never takes a new term.
  h.down.add('c');
  let tries = 0;
  for (const end = h.now + 10 * t.electionTimeoutMs; h.now < end;) {
    h.at(h.now + 50);
    c.tick(h.now);
    if (c.role === 'precandidate') tries++;
  }
  assert.ok(tries > 0, 'c campaigned (pre-vote) while cut off');
  assert.equal(c.term, term, 'no term was taken without a granted pre-vote');
  assert.equal(c.role, 'precandidate');

  // Back in the cluster: the leader and its term stand, and c follows it again.
  h.down.delete('c');
  h.until(h.now + 3 * t.electionTimeoutMs, 50);
  assert.equal(a.role, 'leader');
  assert.equal(a.term, term);
  assert.equal(h.core('b').term, term);
  assert.equal(c.role, 'follower');
  assert.equal(c.leader, 'a');
  assert.equal(c.term, term);
});

test('pre-vote requests carry the next term without taking it, and servers that follow a live leader refuse them', () => {
  const t = timingsFor(1);
  const h = harness(['a', 'b', 'c'], t);
  const a = elect(h, 'a');
  h.at(50);
  const c = h.core('c');
  const term = c.term;
  h.down.add('c');
  h.until(h.now + 2 * t.heartbeatTimeoutMs + 50, 50);
  c.tick(h.now); // the harness does not tick servers that are down
  assert.equal(c.role, 'precandidate');
  // Deliver c's pre-vote request to b by hand: b still hears from a, so it refuses.
  const rd = c.ready();
  const req = rd.messages.find((m) => m.to === 'b' && m.msg.type === 'vote')!;
  c.advance(rd);
  assert.ok(req.msg.type === 'vote' && req.msg.preVote);
  assert.equal(req.msg.term, term + 1);
  const b = h.core('b');
  b.step(req);
  const out = b.ready();
  b.advance(out);
  const resp = out.messages.find((m) => m.to === 'c')!.msg;
  assert.ok(resp.type === 'voteResp' && resp.preVote && !resp.granted);
  assert.equal(b.term, term, 'a pre-vote request does not raise the receiver’s term');
  assert.equal(a.role, 'leader');
});
