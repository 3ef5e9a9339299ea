// Consul's raft_multiplier scales hashicorp/raft's heartbeat (1 s), election (1 s) and leader lease
// (500 ms) timeouts; CommitTimeout and MaxAppendEntries stay as they are. The core's timers follow.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { timingsFor } from '../../../src/raft/core/raft-core.js';
import { elect, harness } from './core-harness.js';

test('timingsFor scales heartbeat, election and lease timeouts by raft_multiplier', () => {
  for (const m of [1, 5, 10, 0.05]) {
    assert.deepEqual(timingsFor(m), {
      heartbeatTimeoutMs: 1000 * m,
      electionTimeoutMs: 1000 * m,
      leaderLeaseTimeoutMs: 500 * m,
      maxAppendEntries: 64,
      commitTimeoutMs: 50,
    });
  }
});

test('at raft_multiplier 5 a follower waits 5–10 s of silence before campaigning and a leader beats every 500 ms', () => {
  const t = timingsFor(5);
  const h = harness(['a', 'b', 'c'], t);
  const b = h.core('b');
  // The heartbeat timeout is randomized in [base, 2·base) as hashicorp's randomTimeout.
  assert.ok(b.nextDeadline() >= 5_000 && b.nextDeadline() < 10_000, String(b.nextDeadline()));
  h.until(4_990, 10);
  assert.ok([...h.cores.values()].every((c) => c.role === 'follower' && c.term === 0));
  h.until(10_000, 10);
  assert.ok(h.leader(), 'someone was elected by 2·heartbeat');

  // Heartbeats (heartbeatTimeout / 10, as hashicorp) from the leader to b at 500, 1000, 1500, 2000.
  const g = harness(['a', 'b', 'c'], t);
  const a = elect(g, 'a');
  g.at(100); // CommitTimeout notices go out
  const beatTimes: number[] = [];
  for (let now = 110; now <= 2_000; now += 10) {
    const before = g.delivered.length;
    g.at(now);
    if (g.delivered.slice(before).some((e) => e.from === 'a' && e.to === 'b' && e.msg.type === 'append'))
      beatTimes.push(now);
  }
  assert.equal(a.role, 'leader');
  assert.deepEqual(beatTimes, [500, 1000, 1500, 2000]);
});
