// The Raft transport's request timeout: a peer that keeps its connection open but stops answering is cut
// off after Consul's 10 s, so later requests go out on a fresh connection instead of queueing forever.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Addr, StreamConn, StreamTransport } from '../../../src/runtime/transport.js';
import { RaftTransport, RPC_TIMEOUT_MS } from '../../../src/raft/transport.js';
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
  onData(): void {}
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
