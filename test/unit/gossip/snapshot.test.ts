// Serf snapshot records: replay rules (names with spaces, not-alive, leave, rejoin_after_leave, bad
// lines, old coordinate lines) and the writer's clock lines and compaction threshold.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { replaySnapshot, SnapshotWriter } from '../../../src/gossip/serf/snapshot.js';

const LOG = [
  '# a comment',
  'alive: node one 10.0.0.1:8301',
  'alive: two 10.0.0.2:8301',
  'coordinate: {"Vec":[0]}',
  'clock: 7',
  'event-clock: 3',
  'not-alive: two',
  'query-clock: 2',
  'garbage here',
  '',
].join('\n');

test('replay keeps the last word on each member and restores the clocks', () => {
  const { state, bad } = replaySnapshot(LOG);
  assert.deepEqual([...state.alive], [['node one', '10.0.0.1:8301']]);
  assert.deepEqual([state.clock, state.eventClock, state.queryClock, state.left], [7, 3, 2, false]);
  assert.deepEqual(bad, ['garbage here']);
});

test('a leave forgets the members unless rejoin_after_leave', () => {
  const text = `${LOG}leave\nclock: 8\n`;
  const plain = replaySnapshot(text);
  assert.equal(plain.state.left, true);
  assert.equal(plain.state.alive.size, 0);
  assert.equal(plain.state.clock, 8);
  const rejoin = replaySnapshot(text, true);
  assert.equal(rejoin.ignoredLeave, true);
  assert.deepEqual([...rejoin.state.alive.keys()], ['node one']);
  // A later alive line means the agent was back in a cluster.
  assert.equal(replaySnapshot(`${text}alive: three 10.0.0.3:8301\n`).state.left, false);
});

test('the writer emits moved clocks only and compacts past Serf’s threshold', () => {
  const w = new SnapshotWriter();
  w.alive('a', '1.2.3.4:8301');
  w.clocks(2, 1, 1);
  w.clocks(2, 1, 1);
  w.clocks(3, 1, 1);
  assert.equal(w.take(), 'alive: a 1.2.3.4:8301\nclock: 2\nevent-clock: 1\nquery-clock: 1\nclock: 3\n');
  assert.equal(w.take(), '');
  assert.equal(w.needsCompaction(1), false);
  for (let i = 0; i < 5000; i++) w.alive(`n${i}`, '10.0.0.1:8301');
  w.take();
  assert.equal(w.needsCompaction(10), true);
  const text = w.compacted(new Map([['a', '1.2.3.4:8301']]), 9, 4, 5);
  assert.equal(text, 'alive: a 1.2.3.4:8301\nclock: 9\nevent-clock: 4\nquery-clock: 5\n');
  assert.equal(w.needsCompaction(1), false);
  assert.deepEqual([...replaySnapshot(text).state.alive], [['a', '1.2.3.4:8301']]);
});
