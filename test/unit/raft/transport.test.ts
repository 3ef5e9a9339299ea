// The Raft transport's request timeout: a peer that keeps its connection open but stops answering is cut
// off after Consul's 10 s, so later requests go out on a fresh connection instead of queueing forever.
// And hashicorp's protocol-version check: requests of versions it does not serve get its error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Addr, StreamConn, StreamTransport } from '../../../src/runtime/transport.js';
import { RaftTransport, RPC_RAFT, RPC_TIMEOUT_MS } from '../../../src/raft/transport.js';
import { encodeRequest, readResponse, RpcType, UNSUPPORTED_PROTOCOL } from '../../../src/raft/wire.js';
import { concatBytes } from '../../../src/lib/bytes.js';
import type { Envelope } from '../../../src/raft/core/messages.js';
import { LogHub } from '../../../src/runtime/log.js';
import { Scheduler } from '../../sim/scheduler.js';

class SilentConn implements StreamConn {
  readonly local: Addr = { ip: '127.0.0.1', port: 1 };
  readonly remote: Addr = { ip: '127.0.0.2', port: 8300 };
  written = 0;
  destroyed = false;
  private closers: Array<(err?: Error) => void> = [];
  write(data: Uint8Array): boolean {
    this.written += data.length;
    return true;
  }
  onData(_fn: (d: Uint8Array) => void): void {}
  onClose(fn: (err?: Error) => void): void {
    this.closers.push(fn);
  }
  end(): void {
    this.destroy();
  }
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const fn of this.closers) fn();
  }
}

const append = (term: number): Envelope => ({
  from: 'a',
  to: 'b',
  msg: { type: 'append', term, leader: 'a', prevLogIndex: 0, prevLogTerm: 0, entries: [], leaderCommit: 0 },
});

test('a request unanswered for the transport timeout closes the connection; the next one reconnects', async () => {
  const sched = new Scheduler();
  const conns: SilentConn[] = [];
  const streams: StreamTransport = {
    listen: () => Promise.reject(new Error('not used')),
    connect: async () => {
      const c = new SilentConn();
      conns.push(c);
      return c;
    },
  };
  const hub = new LogHub(sched.clock(), 'error');
  const t = new RaftTransport(
    { id: 'a', addr: '127.0.0.1:8300' },
    streams,
    () => '127.0.0.2:8300',
    () => {},
    hub.logger('raft'),
    undefined,
    { clock: sched.clock(), timers: sched.timers() },
  );
  t.send(append(1));
  await new Promise((r) => setImmediate(r));
  assert.equal(conns.length, 1);
  assert.ok(conns[0]!.written > 0, 'the request was written');

  await sched.runForAsync(RPC_TIMEOUT_MS - 1500);
  assert.equal(conns[0]!.destroyed, false, 'still within the timeout');
  await sched.runForAsync(2500);
  assert.equal(conns[0]!.destroyed, true, 'cut off after the timeout');

  t.send(append(2));
  await new Promise((r) => setImmediate(r));
  assert.equal(conns.length, 2, 'a fresh connection');
  assert.equal(conns[1]!.destroyed, false);
  await t.close();
});

/** An inbound connection the test feeds and reads. */
class FedConn extends SilentConn {
  chunks: Uint8Array[] = [];
  feed: (d: Uint8Array) => void = () => {};
  override write(data: Uint8Array): boolean {
    this.chunks.push(data);
    return super.write(data);
  }
  override onData(fn: (d: Uint8Array) => void): void {
    this.feed = fn;
  }
}

/** An AppendEntries request from `a` as hashicorp's transport frames it, with its header's ProtocolVersion. */
function appendFrom(version: number, term: number): Uint8Array {
  const bytes = encodeRequest(append(term).msg, { id: 'a', addr: '127.0.0.1:8300' });
  const key = new TextEncoder().encode('ProtocolVersion');
  const at = Buffer.from(bytes).indexOf(Buffer.from(key)) + key.length;
  assert.equal(bytes[at], 3, 'our requests say version 3');
  const out = Uint8Array.from(bytes);
  out[at] = version;
  return out;
}

test('a request of a protocol version hashicorp/raft does not serve is refused with its error, in order', async () => {
  const sched = new Scheduler();
  let accept: (c: StreamConn) => void = () => {};
  const streams: StreamTransport = {
    listen: async (_at, onConn) => {
      accept = onConn;
      return { local: { ip: '127.0.0.2', port: 8300 }, close: async () => {} };
    },
    connect: () => Promise.reject(new Error('not used')),
  };
  const delivered: Envelope[] = [];
  const hub = new LogHub(sched.clock(), 'error');
  const t = new RaftTransport(
    { id: 'b', addr: '127.0.0.2:8300' },
    streams,
    () => undefined,
    (e) => delivered.push(e),
    hub.logger('raft'),
  );
  await t.listen({ ip: '127.0.0.2', port: 8300 });
  const conn = new FedConn();
  accept(conn);
  const tick = () => new Promise((r) => setImmediate(r));
  const answers = () => {
    const all = concatBytes(...conn.chunks);
    const out: Array<ReturnType<typeof readResponse>> = [];
    for (let at = 0; at < all.length;) {
      const r = readResponse(all.subarray(at), RpcType.AppendEntries)!;
      out.push(r);
      at += r.used;
    }
    return out;
  };

  conn.feed(concatBytes(Uint8Array.of(RPC_RAFT), appendFrom(1, 1)));
  await tick();
  assert.equal(delivered.length, 0, 'the core never sees it');
  assert.deepEqual(answers(), [{ msg: null, error: UNSUPPORTED_PROTOCOL, used: answers()[0]!.used }]);

  // Version 2 is still served (one below ours); a refusal behind it waits for the core's answer to it.
  conn.chunks = [];
  conn.feed(concatBytes(appendFrom(2, 1), appendFrom(0, 1)));
  await tick();
  assert.equal(delivered.length, 1);
  assert.equal(conn.chunks.length, 0, 'nothing is written before the answer owed first');
  t.send({ from: 'b', to: 'a', msg: { type: 'appendResp', term: 1, lastLog: 0, success: true } });
  await tick();
  assert.deepEqual(
    answers().map((r) => [r?.msg?.type ?? null, r?.error]),
    [
      ['appendResp', ''],
      [null, UNSUPPORTED_PROTOCOL],
    ],
  );
  await t.close();
});
