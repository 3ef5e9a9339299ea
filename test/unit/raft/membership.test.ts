// Membership changes as hashicorp/raft makes them: a configuration entry takes effect when appended,
// one change at a time, new voters catch up from the leader's log, and a leader that removes itself
// steps down once the change commits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRng } from '../../../src/lib/prng.js';
import type { Envelope } from '../../../src/raft/core/messages.js';
import { ConfigChangeError, RaftCore, type ConfigServer } from '../../../src/raft/core/raft-core.js';

const timings = {
  heartbeatTimeoutMs: 1e9,
  electionTimeoutMs: 1e9,
  leaderLeaseTimeoutMs: 1e9,
  maxAppendEntries: 8,
};

function cluster(ids: string[], voters: (id: string) => string[]) {
  const cores = new Map(
    ids.map((id, i) => [
      id,
      new RaftCore({ id, voters: voters(id), timings, rng: new SeededRng(i + 7), nowMs: 0 }),
    ]),
  );
  const queue: Envelope[] = [];
  const applied = new Map<string, string[]>(ids.map((id) => [id, []]));
  const flush = (id: string) => {
    const c = cores.get(id)!;
    while (c.hasReady()) {
      const rd = c.ready();
      queue.push(...rd.messages);
      for (const e of rd.committed) if (e.type === 0) applied.get(id)!.push(new TextDecoder().decode(e.data));
      c.advance(rd);
    }
  };
  const run = (down: Set<string> = new Set()) => {
    for (const id of ids) flush(id);
    while (queue.length > 0) {
      const e = queue.shift()!;
      if (down.has(e.to) || down.has(e.from)) continue;
      cores.get(e.to)!.step(e);
      flush(e.to);
    }
  };
  /** One heartbeat round from `id` (carries the leader's commit index to followers). */
  const beat = (id: string, down: Set<string> = new Set()) => {
    const c = cores.get(id)!;
    c.tick(c.nextDeadline());
    run(down);
  };
  return { cores, run, applied, beat };
}

const srv = (id: string): ConfigServer => ({ id, address: `${id}:8300`, voter: true });

test('a bootstrapped leader adds two servers one at a time; they replicate and can take over', () => {
  const g = cluster(['s1', 's2', 's3'], (id) => (id === 's1' ? ['s1'] : []));
  const s1 = g.cores.get('s1')!;
  // A single voter elects itself on its first timeout.
  s1.tick(2e9);
  g.run();
  assert.equal(s1.role, 'leader');
  s1.propose(new TextEncoder().encode('before'));
  g.run();
  // Servers with no configuration never campaign.
  g.cores.get('s2')!.tick(5e9);
  assert.equal(g.cores.get('s2')!.role, 'follower');

  const r1 = s1.changeConfiguration([srv('s1'), srv('s2')]);
  assert.ok(!(r1 instanceof Error));
  // A second change before the first commits is refused.
  const busy = s1.changeConfiguration([srv('s1'), srv('s2'), srv('s3')]);
  assert.ok(busy instanceof ConfigChangeError);
  g.run();
  assert.deepEqual([...s1.votersList], ['s1', 's2']);
  assert.ok(s1.commitIndex >= r1.index);
  const r2 = s1.changeConfiguration([srv('s1'), srv('s2'), srv('s3')]);
  assert.ok(!(r2 instanceof Error));
  g.run();
  for (const id of ['s1', 's2', 's3']) {
    assert.deepEqual([...g.cores.get(id)!.votersList], ['s1', 's2', 's3'], id);
    assert.deepEqual(
      g.cores
        .get(id)!
        .configuration()
        .map((x) => x.address),
      ['s1:8300', 's2:8300', 's3:8300'],
    );
  }
  // The new servers caught up from the leader's log (no snapshot needed here).
  s1.propose(new TextEncoder().encode('after'));
  g.run();
  g.beat('s1');
  assert.deepEqual(g.applied.get('s3'), ['before', 'after']);

  // s1 dies: s2 and s3 form a majority of the new configuration and elect a leader.
  const s2 = g.cores.get('s2')!;
  s2.step({ from: 'test', to: 's2', msg: { type: 'timeoutNow', term: s2.term, leader: 'test' } });
  g.run(new Set(['s1']));
  assert.equal(s2.role, 'leader');
  s2.propose(new TextEncoder().encode('without s1'));
  g.run(new Set(['s1']));
  g.beat('s2', new Set(['s1']));
  assert.deepEqual(g.applied.get('s3'), ['before', 'after', 'without s1']);
});

test('a leader that removes itself steps down once the change commits', () => {
  const g = cluster(['a', 'b', 'c'], () => ['a', 'b', 'c']);
  const a = g.cores.get('a')!;
  a.step({ from: 'test', to: 'a', msg: { type: 'timeoutNow', term: 0, leader: 'test' } });
  g.run();
  assert.equal(a.role, 'leader');
  const r = a.changeConfiguration([srv('b'), srv('c')]);
  assert.ok(!(r instanceof Error));
  g.run();
  assert.equal(a.role, 'follower');
  assert.deepEqual([...g.cores.get('b')!.votersList], ['b', 'c']);
  // A removed server does not campaign any more.
  a.tick(1e12);
  assert.equal(a.role, 'follower');
});

test('a truncated configuration entry stops being in force', () => {
  const g = cluster(['x', 'y', 'z'], () => ['x', 'y', 'z']);
  const x = g.cores.get('x')!;
  x.step({ from: 'test', to: 'x', msg: { type: 'timeoutNow', term: 0, leader: 'test' } });
  g.run();
  // x appends a change that reaches nobody, then loses leadership to y.
  x.changeConfiguration([srv('x'), srv('y')]);
  assert.deepEqual([...x.votersList], ['x', 'y']);
  g.run(new Set(['x']));
  const y = g.cores.get('y')!;
  y.step({ from: 'test', to: 'y', msg: { type: 'timeoutNow', term: y.term, leader: 'test' } });
  g.run(new Set(['x']));
  y.propose(new TextEncoder().encode('y leads'));
  g.run(new Set(['x']));
  // x rejoins: y's log overwrites x's uncommitted configuration entry.
  y.propose(new TextEncoder().encode('again'));
  g.run();
  assert.deepEqual([...x.votersList], ['x', 'y', 'z']);
});

test('a leader whose entries contradict committed ones (another cluster’s data) is refused, never merged', () => {
  const a = new RaftCore({ id: 'a', voters: ['a'], timings, rng: new SeededRng(3), nowMs: 0 });
  const drain = () => {
    const out: Envelope[] = [];
    while (a.hasReady()) {
      const rd = a.ready();
      out.push(...rd.messages);
      a.advance(rd);
    }
    return out;
  };
  a.tick(2e9); // a lone voter elects itself
  a.propose(new TextEncoder().encode('ours'));
  drain();
  assert.equal(a.commitIndex, 2);
  const before = a.entriesFrom(1).map((e) => [e.index, e.term]);
  a.step({
    from: 'stranger',
    to: 'a',
    msg: {
      type: 'append',
      term: 9,
      leader: 'stranger',
      prevLogIndex: 0,
      prevLogTerm: 0,
      entries: [1, 2, 3].map((index) => ({
        index,
        term: 9,
        type: 0,
        data: new TextEncoder().encode('theirs'),
      })),
      leaderCommit: 3,
    },
  });
  const replies = drain();
  assert.deepEqual(
    a.entriesFrom(1).map((e) => [e.index, e.term]),
    before,
    'log unchanged',
  );
  assert.equal(a.commitIndex, 2);
  const reply = replies.find((m) => m.msg.type === 'appendResp')!.msg;
  assert.equal(reply.type === 'appendResp' && reply.success, false);
  assert.deepEqual(a.refusals, [
    'refusing entries from stranger (term 9): entry 1 of term 9 contradicts the committed entry of term 1',
  ]);
});
