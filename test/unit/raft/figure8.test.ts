// Raft paper §5.4.2 / Figure 8, driven message by message: a leader must not commit an entry from an
// earlier term just because a majority now stores it; only an entry of its own term commits it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRng } from '../../../src/lib/prng.js';
import type { Envelope } from '../../../src/raft/core/messages.js';
import { RaftCore } from '../../../src/raft/core/raft-core.js';

const IDS = ['s1', 's2', 's3', 's4', 's5'];
const timings = {
  heartbeatTimeoutMs: 1e9,
  electionTimeoutMs: 1e9,
  leaderLeaseTimeoutMs: 1e9,
  maxAppendEntries: 1,
};

function group() {
  const cores = new Map(
    IDS.map((id, i) => [id, new RaftCore({ id, voters: IDS, timings, rng: new SeededRng(i + 1), nowMs: 0 })]),
  );
  const queue: Envelope[] = [];
  const flush = (id: string) => {
    const c = cores.get(id)!;
    while (c.hasReady()) {
      const rd = c.ready();
      queue.push(...rd.messages);
      c.advance(rd); // storage is instant here
    }
  };
  /** Delivers queued messages that `allow` accepts (others are dropped), until nothing is left. */
  const run = (allow: (e: Envelope) => boolean) => {
    for (const id of IDS) flush(id);
    while (queue.length > 0) {
      const e = queue.shift()!;
      if (!allow(e)) continue;
      cores.get(e.to)!.step(e);
      flush(e.to);
    }
  };
  const campaign = (id: string) => {
    const c = cores.get(id)!;
    c.step({ from: 'test', to: id, msg: { type: 'timeoutNow', term: c.term, leader: 'test' } });
  };
  return { cores, run, campaign, queue };
}

const only =
  (...ids: string[]) =>
  (e: Envelope) =>
    ids.includes(e.from) && ids.includes(e.to);

test('Figure 8: an old-term entry on a majority is not committed until an entry of the leader’s term is', () => {
  const g = group();
  const c = (id: string) => g.cores.get(id)!;
  // (a) s1 leads term 1; everyone has the no-op at index 1; entry 2 (term 1) reaches s2 only.
  g.campaign('s1');
  g.run(() => true);
  assert.equal(c('s1').role, 'leader');
  c('s1').propose(new TextEncoder().encode('A'));
  g.run(only('s1', 's2'));
  assert.equal(c('s2').lastIndex, 2);
  assert.equal(c('s1').commitIndex, 1);
  // (b) s1 is gone; s5 wins term 2 with s3 and s4 and appends its own entry 2 (term 2) nobody receives.
  const votesOnly = (e: Envelope) => e.msg.type === 'vote' || e.msg.type === 'voteResp';
  g.campaign('s5');
  g.run((e) => only('s3', 's4', 's5')(e) && votesOnly(e));
  assert.equal(c('s5').role, 'leader');
  assert.equal(c('s5').termAt(2), 2);
  // (c) s1 restarts (it still believed it led term 1) and wins term 3 (s2, s3 vote: their logs are no
  // newer); it sends entry 2 to s3.
  const old = c('s1');
  g.cores.set(
    's1',
    new RaftCore(
      { id: 's1', voters: IDS, timings, rng: new SeededRng(9), nowMs: 0 },
      { hard: { term: old.term, vote: old.vote }, entries: old.entriesFrom(1) },
    ),
  );
  g.campaign('s1'); // term 2: refused (s3 voted for s5)
  g.run(only('s1', 's2', 's3'));
  // s3 may refuse the leader's first append (it lacks entry 2), then take entry 2; the leader's own
  // term-3 entry never reaches it.
  const holdBackOwnEntry = (e: Envelope) =>
    !(
      e.msg.type === 'append' &&
      e.to === 's3' &&
      e.msg.entries.some((x) => x.index === 3) &&
      c('s3').lastIndex >= 2
    );
  if (c('s1').role !== 'leader') g.campaign('s1');
  g.run((e) => only('s1', 's2')(e) || (only('s1', 's3')(e) && holdBackOwnEntry(e)));
  assert.equal(c('s1').role, 'leader');
  assert.ok(c('s1').term >= 3);
  assert.equal(c('s3').termAt(2), 1, 's3 now stores the old-term entry 2');
  // Entry 2 is on s1, s2 and s3 — a majority — yet it is from term 1: not committed.
  assert.ok(c('s1').commitIndex < 2, `commitIndex ${c('s1').commitIndex}`);
  // (d) That is what makes it safe for s5 (log ends in term 2) to win again and overwrite entry 2 on s3.
  const s5 = c('s5');
  g.cores.set(
    's5',
    new RaftCore(
      { id: 's5', voters: IDS, timings, rng: new SeededRng(10), nowMs: 0 },
      { hard: { term: s5.term, vote: s5.vote }, entries: s5.entriesFrom(1) },
    ),
  );
  for (let tries = 0; tries < 3 && c('s5').role !== 'leader'; tries++) {
    g.campaign('s5');
    g.run(only('s3', 's4', 's5'));
  }
  assert.equal(c('s5').role, 'leader');
  assert.equal(c('s3').termAt(2), 2);
});
