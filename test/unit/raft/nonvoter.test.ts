// Nonvoters as hashicorp/raft has them: in the configuration and replicated to, but never counted in a
// commit quorum, an election or CheckQuorum, and never campaigning. AddNonvoter, AddVoter (promotes an
// existing nonvoter), DemoteVoter and RemoveServer each append one configuration, one at a time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigChangeError, timingsFor } from '../../../src/raft/core/raft-core.js';
import { elect, enc, harness } from './core-harness.js';

const quiet = {
  ...timingsFor(1),
  heartbeatTimeoutMs: 1e9,
  electionTimeoutMs: 1e9,
  leaderLeaseTimeoutMs: 1e9,
};

test('a nonvoter of the initial configuration is replicated to and applies, but does not count toward a commit', () => {
  const h = harness(['a', 'b', 'n'], quiet, { nonVoters: ['n'] });
  const a = elect(h, 'a');
  assert.equal(a.role, 'leader');
  assert.deepEqual([...a.votersList], ['a', 'b']);
  assert.deepEqual([...a.nonVotersList], ['n']);
  assert.deepEqual(
    a.configuration().map((x) => [x.id, x.voter]),
    [
      ['a', true],
      ['b', true],
      ['n', false],
    ],
  );
  a.propose(enc('one'));
  h.run();
  h.at(1); // CommitTimeout carries the commit index to the followers
  h.at(60);
  assert.deepEqual(h.applied.get('n'), ['one'], 'the nonvoter receives and applies entries');
  // With b down, a and n hold the entry — two of three servers, but only one of two voters.
  h.down.add('b');
  const r = a.propose(enc('two'));
  assert.ok(!(r instanceof Error));
  h.run();
  assert.equal(h.core('n').lastIndex, r.index, 'the nonvoter stores it');
  assert.ok(a.commitIndex < r.index, 'not committed without a voter majority');
  h.down.delete('b');
  h.at(h.now + quiet.heartbeatTimeoutMs / 10); // a heartbeat lets b catch up
  assert.equal(a.commitIndex, r.index);
});

test('a nonvoter never campaigns, ignores TimeoutNow, is not asked for votes and cannot be a transfer target', () => {
  const h = harness(['a', 'b', 'n'], timingsFor(1), { nonVoters: ['n'] });
  const n = h.core('n');
  n.tick(1e7);
  h.run();
  assert.equal(n.role, 'follower');
  assert.equal(n.term, 0);
  n.step({ from: 'test', to: 'n', msg: { type: 'timeoutNow', term: 0, leader: 'test' } });
  assert.equal(n.role, 'follower');
  assert.equal(n.term, 0);
  const a = elect(h, 'a');
  assert.deepEqual(
    h.delivered.filter((e) => e.msg.type === 'vote').map((e) => e.to),
    ['b'],
    'vote requests go to voters only',
  );
  assert.equal(a.transferLeadership('n'), false);
  // A vote request from a server the configuration names as a nonvoter is refused.
  const b = h.core('b');
  b.tick(1e8); // b's leader went quiet: leader stickiness no longer applies
  b.step({
    from: 'n',
    to: 'b',
    msg: {
      type: 'vote',
      term: 99,
      candidate: 'n',
      lastLogIndex: 99,
      lastLogTerm: 99,
      preVote: false,
      leadershipTransfer: false,
    },
  });
  const rd = b.ready();
  const resp = rd.messages.find((m) => m.msg.type === 'voteResp' && m.to === 'n')!.msg;
  assert.equal(resp.type === 'voteResp' && resp.granted, false);
  b.advance(rd);
});

test('CheckQuorum counts voters only: contact with a nonvoter does not keep a cut-off leader in office', () => {
  const t = timingsFor(1);
  const h = harness(['a', 'b', 'n'], t, { nonVoters: ['n'] });
  const a = elect(h, 'a');
  h.down.add('b');
  h.until(3 * t.leaderLeaseTimeoutMs, 50);
  assert.equal(a.role, 'follower');
});

test('AddNonvoter, promotion by AddVoter, DemoteVoter and RemoveServer, one change at a time', () => {
  const h = harness(['a', 'n'], quiet, { voters: (id) => (id === 'a' ? ['a'] : []) });
  const a = h.core('a');
  h.at(3e9); // a lone voter elects itself
  assert.equal(a.role, 'leader');
  a.propose(enc('before'));
  h.run();

  const add = a.addNonvoter('n', 'n:8300');
  assert.ok(!(add instanceof Error));
  assert.ok(a.addVoter('n', 'n:8300') instanceof ConfigChangeError, 'refused while the first is uncommitted');
  h.run();
  assert.ok(a.commitIndex >= add.index, 'a nonvoter is not needed to commit its own addition');
  assert.deepEqual([...a.votersList], ['a']);
  assert.deepEqual(
    h
      .core('n')
      .configuration()
      .map((x) => [x.id, x.address, x.voter]),
    [
      ['a', '', true],
      ['n', 'n:8300', false],
    ],
  );
  h.at(h.now + 50); // CommitTimeout
  assert.deepEqual(h.applied.get('n'), ['before'], 'caught up from the leader’s log');

  const promote = a.addVoter('n', 'n:8300');
  assert.ok(!(promote instanceof Error));
  h.run();
  assert.deepEqual([...a.votersList], ['a', 'n']);
  assert.deepEqual([...a.nonVotersList], []);
  assert.deepEqual([...h.core('n').votersList], ['a', 'n']);
  // Now n's acknowledgement is needed: with n down nothing commits.
  h.down.add('n');
  const r = a.propose(enc('needs n'));
  assert.ok(!(r instanceof Error));
  h.run();
  assert.ok(a.commitIndex < r.index);
  h.down.delete('n');
  h.at(h.now + quiet.heartbeatTimeoutMs / 10); // a heartbeat lets n catch up
  assert.equal(a.commitIndex, r.index);

  const demote = a.demoteVoter('n');
  assert.ok(!(demote instanceof Error));
  h.run();
  assert.deepEqual([...a.votersList], ['a']);
  assert.deepEqual([...a.nonVotersList], ['n']);
  assert.equal(
    h
      .core('n')
      .configuration()
      .find((x) => x.id === 'n')?.voter,
    false,
  );
  // AddNonvoter of an existing voter keeps its vote (hashicorp): check with a itself.
  const keep = a.addNonvoter('a', 'a:8300');
  assert.ok(!(keep instanceof Error));
  h.run();
  assert.deepEqual([...a.votersList], ['a']);

  const rm = a.removeServer('n');
  assert.ok(!(rm instanceof Error));
  h.run();
  assert.deepEqual(
    a.configuration().map((x) => x.id),
    ['a'],
  );
  const sent = h.delivered.length;
  a.propose(enc('after'));
  h.run();
  assert.equal(
    h.delivered.slice(sent).filter((e) => e.to === 'n').length,
    0,
    'a removed server gets no entries',
  );
});

test('a leader that demotes itself steps down once the change commits', () => {
  const h = harness(['a', 'b', 'c'], quiet);
  const a = elect(h, 'a');
  const r = a.demoteVoter('a');
  assert.ok(!(r instanceof Error));
  h.run();
  assert.equal(a.role, 'follower');
  assert.deepEqual([...h.core('b').votersList], ['b', 'c']);
  a.tick(1e12);
  assert.equal(a.role, 'follower', 'a nonvoter does not campaign');
});
