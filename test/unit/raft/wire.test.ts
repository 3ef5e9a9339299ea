import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EntryType, type RaftMessage } from '../../../src/raft/core/messages.js';
import {
  encodeRequest,
  encodeResponse,
  readRequest,
  readResponse,
  RpcType,
  rpcTypeOf,
} from '../../../src/raft/wire.js';

const me = { id: 'a1b2', addr: '127.0.0.1:8300' };

test('requests round-trip through hashicorp-style framing, split at any byte', () => {
  const reqs: RaftMessage[] = [
    {
      type: 'append',
      term: 7,
      leader: 'a1b2',
      prevLogIndex: 41,
      prevLogTerm: 6,
      entries: [
        { index: 42, term: 7, type: EntryType.Command, data: new Uint8Array([2, 123, 125]) },
        { index: 43, term: 7, type: EntryType.Noop, data: new Uint8Array() },
      ],
      leaderCommit: 40,
    },
    {
      type: 'vote',
      term: 8,
      candidate: 'a1b2',
      lastLogIndex: 43,
      lastLogTerm: 7,
      preVote: false,
      leadershipTransfer: true,
    },
    {
      type: 'vote',
      term: 9,
      candidate: 'a1b2',
      lastLogIndex: 43,
      lastLogTerm: 7,
      preVote: true,
      leadershipTransfer: false,
    },
    { type: 'timeoutNow', term: 7, leader: 'a1b2' },
  ];
  for (const m of reqs) {
    const bytes = encodeRequest(m, me);
    assert.equal(bytes[0], rpcTypeOf(m));
    for (let cut = 0; cut < bytes.length; cut++)
      assert.equal(readRequest(bytes.subarray(0, cut)), null, `partial at ${cut}`);
    const r = readRequest(bytes)!;
    assert.ok(!('need' in r));
    assert.equal(r.used, bytes.length);
    assert.deepEqual(r.from, me);
    assert.deepEqual(r.msg, m);
  }
});

test('InstallSnapshot: the data follows the request; a reader asks for the whole of it', () => {
  const data = new Uint8Array(5000).map((_, i) => i & 0xff);
  const m: RaftMessage = {
    type: 'installSnapshot',
    term: 4,
    leader: 'a1b2',
    meta: { index: 99, term: 3, configuration: [{ id: 'a1b2', address: '127.0.0.1:8300', voter: true }] },
    data,
  };
  const bytes = encodeRequest(m, me);
  assert.equal(bytes[0], RpcType.InstallSnapshot);
  const partial = readRequest(bytes.subarray(0, bytes.length - 10));
  assert.deepEqual(partial, { need: bytes.length });
  const r = readRequest(bytes)!;
  assert.ok(!('need' in r));
  assert.equal(r.used, bytes.length);
  assert.deepEqual(r.msg, m);
  const resp = encodeResponse({ type: 'installSnapshotResp', term: 4, success: true, lastIndex: 99 }, me);
  assert.deepEqual(readResponse(resp, RpcType.InstallSnapshot)?.msg, {
    type: 'installSnapshotResp',
    term: 4,
    success: true,
    lastIndex: 0,
  });
});

test('responses round-trip and carry the error string first', () => {
  const cases: Array<[RaftMessage, number]> = [
    [{ type: 'appendResp', term: 7, lastLog: 43, success: true }, RpcType.AppendEntries],
    [{ type: 'voteResp', term: 8, granted: false, preVote: false }, RpcType.RequestVote],
    [{ type: 'voteResp', term: 8, granted: true, preVote: true }, RpcType.RequestPreVote],
  ];
  for (const [m, rpc] of cases) {
    const bytes = encodeResponse(m, me);
    assert.equal(bytes[0], 0xa0); // empty error string
    assert.equal(readResponse(bytes.subarray(0, bytes.length - 1), rpc), null);
    assert.deepEqual(readResponse(bytes, rpc), { error: '', used: bytes.length, msg: m });
  }
});
