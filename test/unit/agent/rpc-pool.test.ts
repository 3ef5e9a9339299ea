// The client RPC pool on simulated time and network: many calls, blocking ones among them, share one
// connection per server as yamux streams; a closed connection is replaced on the next call; an idle
// one is closed after clientRPCConnMaxIdle; a server that cannot be reached is a connect failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRng } from '../../../src/lib/prng.js';
import { YamuxSession } from '../../../src/codec/yamux.js';
import { serveRpc, RPC_MULTIPLEX_V2, type RpcMethod } from '../../../src/agent/rpc.js';
import { RpcPool, CONN_MAX_IDLE_MS } from '../../../src/agent/rpc-pool.js';
import type { Logger } from '../../../src/runtime/logger.js';
import type { StreamConn } from '../../../src/runtime/transport.js';
import { SimNetwork } from '../../sim/network.js';
import { Scheduler } from '../../sim/scheduler.js';

const SERVER = { ip: '10.0.0.1', port: 8300 };
const log = { warn: () => {}, error: () => {} } as unknown as Logger;

async function world() {
  const sched = new Scheduler();
  const net = new SimNetwork(sched, new SeededRng(5).fork('net'));
  const accepted: StreamConn[] = [];
  const sessions: YamuxSession[] = [];
  const waiting: Array<() => void> = [];
  const methods = new Map<string, RpcMethod>([
    ['Echo.Now', async (args) => (w) => void w.str(`echo ${String(args)}`)],
    // Answers once the test lets it: a blocking query.
    ['Echo.Wait', () => new Promise((r) => waiting.push(() => r((w) => void w.str('woken'))))],
  ]);
  await net.host(SERVER.ip).listen(SERVER, (conn) => {
    accepted.push(conn);
    let head = true;
    conn.onData((c) => {
      if (!head) return;
      head = false;
      assert.equal(c[0], RPC_MULTIPLEX_V2, 'the pool opens with the multiplex byte');
      sessions.push(
        new YamuxSession(conn, 'server', (st) => serveRpc(st, new Uint8Array(), methods, log), c.subarray(1)),
      );
    });
  });
  const client = net.host('10.0.0.9');
  const pool = new RpcPool(client, sched.timers('pool'), sched.clock());
  const call = (method: string, arg: number) =>
    pool
      .call(SERVER, method, (w) => void w.int(arg), 11 * 60_000)
      .then((r) => {
        if (!r.ok) throw new Error(r.error);
        return new TextDecoder().decode(r.reply as Uint8Array);
      });
  return { sched, net, pool, accepted, sessions, waiting, call };
}

test('concurrent calls, blocking ones among them, share one connection', async () => {
  const { sched, pool, accepted, sessions, waiting, call } = await world();
  const blocked = [call('Echo.Wait', 0), call('Echo.Wait', 0)];
  const quick = await sched.settle(Promise.all(Array.from({ length: 50 }, (_, i) => call('Echo.Now', i))));
  assert.deepEqual(
    quick,
    Array.from({ length: 50 }, (_, i) => `echo ${i}`),
  );
  assert.equal(waiting.length, 2, 'the blocking calls are in flight on the server');
  for (const w of waiting) w();
  assert.deepEqual(await sched.settle(Promise.all(blocked)), ['woken', 'woken']);
  assert.equal(accepted.length, 1);
  assert.equal(pool.size, 1);
  await sched.runForAsync(100);
  assert.equal(sessions[0]!.size, 0, 'every finished call closed its stream on the server too');
  pool.close();
});

test('a connection the server closed is replaced on the next call', async () => {
  const { sched, accepted, call, pool } = await world();
  assert.equal(await sched.settle(call('Echo.Now', 1)), 'echo 1');
  accepted[0]!.destroy();
  await sched.runForAsync(100);
  assert.equal(await sched.settle(call('Echo.Now', 2)), 'echo 2');
  assert.equal(accepted.length, 2);
  pool.close();
});

test('an idle connection is closed after clientRPCConnMaxIdle, a busy one is kept', async () => {
  const { sched, accepted, waiting, call, pool } = await world();
  assert.equal(await sched.settle(call('Echo.Now', 1)), 'echo 1');
  const closed: boolean[] = [];
  accepted[0]!.onClose(() => closed.push(true));
  const busy = call('Echo.Wait', 0);
  await sched.runForAsync(CONN_MAX_IDLE_MS + 40_000);
  assert.deepEqual(closed, [], 'a stream is open: the connection stays');
  waiting[0]!();
  assert.equal(await sched.settle(busy), 'woken');
  await sched.runForAsync(CONN_MAX_IDLE_MS - 40_000);
  assert.deepEqual(closed, [], 'not idle long enough yet');
  await sched.runForAsync(70_000); // the idle check runs every 30 s
  assert.deepEqual(closed, [true]);
  assert.equal(pool.size, 0);
  pool.close();
});

test('a server that accepts no connection is a connect failure, so the caller tries another', async () => {
  const { sched, pool } = await world();
  const r = await sched.settle(
    pool.call({ ip: '10.0.0.2', port: 8300 }, 'Echo.Now', (w) => void w.int(1), 5_000),
  );
  assert.equal(r.ok, false);
  assert.ok(!r.ok && r.connect, 'marked as a connect failure');
  assert.match(!r.ok ? r.error : '', /^rpc error making call: dial tcp 10\.0\.0\.2:8300: /);
  pool.close();
});
