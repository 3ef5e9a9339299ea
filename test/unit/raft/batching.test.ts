// Group commit and AppendEntries sizing: proposals made before the host takes a Ready are persisted in
// one batch and travel in one AppendEntries per follower; no AppendEntries carries more than
// MaxAppendEntries (64) entries.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { timingsFor } from '../../../src/raft/core/raft-core.js';
import { elect, enc, harness } from './core-harness.js';

const quiet = {
  ...timingsFor(1),
  heartbeatTimeoutMs: 1e9,
  electionTimeoutMs: 1e9,
  leaderLeaseTimeoutMs: 1e9,
};

test('N proposals made before one ready() are one persist batch and one AppendEntries per follower', () => {
  const h = harness(['a', 'b', 'c'], quiet);
  const a = elect(h, 'a');
  h.run();
  const first = a.lastIndex + 1;
  for (let i = 0; i < 10; i++) assert.ok(!(a.propose(enc(`p${i}`)) instanceof Error));
  const rd = a.ready();
  assert.deepEqual(
    rd.entries.map((e) => e.index),
    Array.from({ length: 10 }, (_, i) => first + i),
    'the leader persists all ten at once',
  );
  const appends = rd.messages.filter((m) => m.msg.type === 'append');
  assert.deepEqual(
    appends.map((m) => [m.to, m.msg.type === 'append' && m.msg.entries.length]),
    [
      ['b', 10],
      ['c', 10],
    ],
  );
  a.advance(rd);
  assert.equal(a.hasReady(), false, 'nothing left over to send');
  const persistedBefore = h.persisted.get('b')!.length;
  for (const m of rd.messages) {
    h.core(m.to).step(m);
  }
  h.run();
  const batches = h.persisted.get('b')!.slice(persistedBefore);
  assert.deepEqual(
    batches.map((b) => b.entries.length),
    [10],
    'the follower persists them in one batch too',
  );
  assert.equal(a.commitIndex, first + 9);
});

test('an AppendEntries carries at most MaxAppendEntries (64) entries; the rest follow in order', () => {
  const t = { ...quiet, maxAppendEntries: timingsFor(1).maxAppendEntries };
  assert.equal(t.maxAppendEntries, 64);
  const h = harness(['a', 'b', 'c'], t);
  const a = elect(h, 'a');
  h.run();
  const before = h.delivered.length;
  const first = a.lastIndex + 1;
  for (let i = 0; i < 150; i++) a.propose(enc(`e${i}`));
  h.run();
  const toB = h.delivered
    .slice(before)
    .filter((e) => e.to === 'b' && e.msg.type === 'append')
    .map((e) => (e.msg.type === 'append' ? e.msg.entries : []));
  assert.deepEqual(
    toB.map((es) => es.length),
    [64, 64, 22],
  );
  assert.deepEqual(
    toB.flat().map((e) => e.index),
    Array.from({ length: 150 }, (_, i) => first + i),
  );
  assert.equal(h.core('b').lastIndex, first + 149);
  assert.equal(a.commitIndex, first + 149);
});
