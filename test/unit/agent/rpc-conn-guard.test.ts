// The server RPC listener's defences on simulated time and network: a source IP may hold at most
// rpc_max_conns_per_client connections (others are unaffected, a closed one frees its place, 0 turns
// the limit off), and a connection that sends no first byte within rpc_handshake_timeout is closed
// with Consul's log line, while one that sends its byte in time is kept.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRng } from '../../../src/lib/prng.js';
import { guardRpcListener, type ConnLimits } from '../../../src/agent/rpc-conn-guard.js';
import type { Logger } from '../../../src/runtime/logger.js';
import type { StreamConn } from '../../../src/runtime/transport.js';
import { SimNetwork } from '../../sim/network.js';
import { Scheduler } from '../../sim/scheduler.js';

const SERVER = { ip: '10.0.0.1', port: 8300 };

async function world(limits: ConnLimits) {
  const sched = new Scheduler();
  const net = new SimNetwork(sched, new SeededRng(9).fork('net'));
  const logged: unknown[][] = [];
  const log = { error: (...a: unknown[]) => logged.push(a) } as unknown as Logger;
  const got: Array<{ conn: StreamConn; data: number[] }> = [];
  const guarded = guardRpcListener(net.host(SERVER.ip), () => limits, sched.timers('guard'), log);
  await guarded.listen(SERVER, (conn) => {
    const entry = { conn, data: [] as number[] };
    got.push(entry);
    conn.onData((c) => entry.data.push(...c));
  });
  /** A client connection from `ip`, and whether the server has closed it. */
  const dial = async (ip: string) => {
    const conn = await sched.settle(net.host(ip).connect(SERVER, 1_000));
    const st = { conn, closed: false };
    conn.onClose(() => (st.closed = true));
    await sched.runForAsync(10);
    return st;
  };
  return { sched, guarded, got, logged, dial };
}

test('rpc_max_conns_per_client refuses the connection over the limit from one IP, and only that', async () => {
  const limits = { maxConnsPerClient: 3, handshakeTimeoutMs: 0 };
  const { sched, guarded, got, logged, dial } = await world(limits);
  const a = [await dial('10.0.0.9'), await dial('10.0.0.9'), await dial('10.0.0.9')];
  assert.deepEqual(
    a.map((c) => c.closed),
    [false, false, false],
  );
  const over = await dial('10.0.0.9');
  assert.equal(over.closed, true, 'the fourth from one IP is closed');
  assert.equal(got.length, 3, 'and never reaches the protocol handler');
  assert.deepEqual(logged, [
    [
      'rejecting RPC conn from because rpc_max_conns_per_client exceeded',
      'conn',
      `from=10.0.0.9:${over.conn.local.port}`,
    ],
  ]);
  const other = await dial('10.0.0.8');
  assert.equal(other.closed, false, 'another IP has its own count');
  assert.equal(guarded.openFrom('10.0.0.9'), 3);

  a[0]!.conn.destroy();
  await sched.runForAsync(10);
  assert.equal(guarded.openFrom('10.0.0.9'), 2, 'a closed connection frees its place');
  assert.equal((await dial('10.0.0.9')).closed, false);

  limits.maxConnsPerClient = 0; // reload: 0 is no limit
  const more = [await dial('10.0.0.9'), await dial('10.0.0.9')];
  assert.deepEqual(
    more.map((c) => c.closed),
    [false, false],
  );
  assert.equal(guarded.openFrom('10.0.0.9'), 5);
});

test('rpc_handshake_timeout closes a connection that sends no first byte, and keeps one that does', async () => {
  const { sched, got, logged, dial } = await world({ maxConnsPerClient: 100, handshakeTimeoutMs: 5_000 });
  const silent = await dial('10.0.0.9');
  const talker = await dial('10.0.0.9');
  await sched.runForAsync(1_000);
  talker.conn.write(Uint8Array.of(0x01, 0x02));
  await sched.runForAsync(3_900);
  assert.equal(silent.closed, false, 'not before the timeout');
  await sched.runForAsync(200);
  assert.equal(silent.closed, true, 'closed once 5 s passed without a byte');
  const [srv] = got;
  assert.deepEqual(logged, [
    [
      'failed to read byte',
      'conn',
      `from=10.0.0.9:${silent.conn.local.port}`,
      'error',
      `read tcp 10.0.0.1:8300->10.0.0.9:${srv!.conn.remote.port}: i/o timeout`,
    ],
  ]);
  await sched.runForAsync(60_000);
  assert.equal(talker.closed, false, 'the deadline ends with the first byte');
  assert.deepEqual(got[1]!.data, [0x01, 0x02], 'the bytes reach the protocol handler unchanged');
});
