// udp, grpc and h2ping checks against fake ports: statuses and Consul's output texts; the hand-made
// grpc.health.v1 messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCheck, type CheckDef, type CheckPorts } from '../../../src/checks/runner.js';
import { decodeHealthCheckResponse, encodeHealthCheckRequest } from '../../../src/checks/grpc.js';
import type { GrpcResult, Http2Client, Http2Options, PingResult } from '../../../src/runtime/http2.js';
import type { Addr, PacketSocket, PacketTransport } from '../../../src/runtime/transport.js';
import { Scheduler } from '../../sim/scheduler.js';

const def = (over: Partial<CheckDef>): CheckDef => ({
  id: 'c',
  name: 'c',
  serviceId: '',
  intervalNs: 10e9,
  timeoutNs: 2e9,
  ...over,
});

/** UDP where `replyFrom` ports answer and every other port stays silent. */
function fakeUdp(sched: Scheduler, replyFrom: Set<number>): { t: PacketTransport; sent: Addr[] } {
  const sent: Addr[] = [];
  return {
    sent,
    t: {
      async bind(a: Addr): Promise<PacketSocket> {
        let fn: (from: Addr, d: Uint8Array) => void = () => {};
        return {
          local: { ip: a.ip, port: 40000 },
          send: (to) => {
            sent.push(to);
            if (to.port === 0) throw new Error('sendto: invalid argument');
            if (replyFrom.has(to.port)) sched.after(5, () => fn(to, new Uint8Array([1])));
          },
          onPacket: (f) => void (fn = f),
          close: async () => {},
        };
      },
    },
  };
}

test('udp: a reply or a silent timeout is passing, a send error critical', async () => {
  const sched = new Scheduler();
  const udp = fakeUdp(sched, new Set([53]));
  const ports = { timers: sched.timers(), packets: udp.t } as unknown as CheckPorts;
  let start = sched.now();
  assert.deepEqual(await sched.settle(runCheck(def({ udp: '127.0.0.1:53' }), ports)), {
    status: 'passing',
    output: 'UDP connect 127.0.0.1:53: Success',
  });
  assert.equal(sched.now() - start, 5, 'a reply ends the wait');
  start = sched.now();
  assert.equal((await sched.settle(runCheck(def({ udp: '127.0.0.1:9' }), ports))).status, 'passing');
  assert.equal(sched.now() - start, 2000, 'silence until the timeout');
  const bad = await sched.settle(runCheck(def({ udp: '127.0.0.1:0' }), ports));
  assert.deepEqual(bad, {
    status: 'critical',
    output: 'write udp 0.0.0.0:40000->127.0.0.1:0: sendto: invalid argument',
  });
  assert.deepEqual(udp.sent[0], { ip: '127.0.0.1', port: 53 });
});

function fakeH2(ping: PingResult, grpc: GrpcResult) {
  const calls: Array<{ target: string; path?: string; message?: Uint8Array; opts: Http2Options }> = [];
  const h2: Http2Client = {
    ping: async (target, opts) => (calls.push({ target, opts }), ping),
    grpcUnary: async (target, path, message, opts) => (calls.push({ target, path, message, opts }), grpc),
  };
  return { h2, calls };
}

const serving = (st: number): GrpcResult => ({
  ok: true,
  status: 0,
  message: '',
  body: st === 0 ? new Uint8Array(0) : new Uint8Array([0x08, st]),
});

test('grpc: SERVING passes; other serving states, grpc errors and dial failures are critical', async () => {
  const sched = new Scheduler();
  const run = async (g: GrpcResult, over: Partial<CheckDef>) => {
    const f = fakeH2({ ok: true }, g);
    const ports = { timers: sched.timers(), http2: f.h2 } as unknown as CheckPorts;
    return { r: await runCheck(def(over), ports), calls: f.calls };
  };
  const a = await run(serving(1), { grpc: '127.0.0.1:9090/web' });
  assert.deepEqual(a.r, { status: 'passing', output: 'gRPC check 127.0.0.1:9090/web: success' });
  assert.equal(a.calls[0]!.target, '127.0.0.1:9090');
  assert.equal(a.calls[0]!.path, '/grpc.health.v1.Health/Check');
  assert.deepEqual([...a.calls[0]!.message!], [0x0a, 3, 0x77, 0x65, 0x62]);
  assert.equal(a.calls[0]!.opts.tls, false, 'grpc_use_tls defaults to false');
  assert.equal(a.calls[0]!.opts.timeoutMs, 2000);
  assert.deepEqual((await run(serving(2), { grpc: 'h:1' })).r, {
    status: 'critical',
    output: 'gRPC h:1 serving status: NOT_SERVING',
  });
  assert.equal((await run(serving(0), { grpc: 'h:1' })).r.output, 'gRPC h:1 serving status: UNKNOWN');
  const nf = await run(
    { ok: true, status: 5, message: 'unknown service', body: new Uint8Array(0) },
    {
      grpc: 'h:1/x',
      grpcUseTls: true,
    },
  );
  assert.deepEqual(nf.r, { status: 'critical', output: 'rpc error: code = NotFound desc = unknown service' });
  assert.equal(nf.calls[0]!.opts.tls, true);
  const down = await run(
    { ok: false, stage: 'dial', message: 'rpc error: code = Unavailable desc = x' },
    { grpc: 'h:1' },
  );
  assert.deepEqual(down.r, { status: 'critical', output: 'rpc error: code = Unavailable desc = x' });
});

test('grpc health messages: request and response encodings', () => {
  assert.deepEqual([...encodeHealthCheckRequest('')], []);
  assert.deepEqual([...encodeHealthCheckRequest('a'.repeat(200)).subarray(0, 3)], [0x0a, 0xc8, 0x01]);
  assert.equal(decodeHealthCheckResponse(new Uint8Array([0x08, 0x01])), 1);
  assert.equal(decodeHealthCheckResponse(new Uint8Array([])), 0);
  assert.equal(
    decodeHealthCheckResponse(new Uint8Array([0x12, 0x01, 0x00, 0x08, 0x02])),
    2,
    'skips unknown fields',
  );
  assert.equal(decodeHealthCheckResponse(new Uint8Array([0x08])), null);
});

test('h2ping: success, dial failure and ping failure texts; TLS on by default', async () => {
  const sched = new Scheduler();
  const run = async (p: PingResult, over: Partial<CheckDef>) => {
    const f = fakeH2(p, serving(1));
    const r = await runCheck(def(over), { timers: sched.timers(), http2: f.h2 } as unknown as CheckPorts);
    return { r, opts: f.calls[0]!.opts };
  };
  const ok = await run({ ok: true }, { h2ping: '127.0.0.1:8443' });
  assert.deepEqual(ok.r, { status: 'passing', output: 'HTTP2 ping was successful' });
  assert.equal(ok.opts.tls, true);
  const h2c = await run({ ok: true }, { h2ping: '127.0.0.1:8080', h2pingUseTls: false, tlsSkipVerify: true });
  assert.deepEqual([h2c.opts.tls, h2c.opts.skipVerify], [false, true]);
  assert.deepEqual(
    (
      await run(
        { ok: false, stage: 'dial', message: 'dial tcp 127.0.0.1:1: connect: connection refused' },
        { h2ping: '127.0.0.1:1' },
      )
    ).r,
    {
      status: 'critical',
      output: 'Failed to dial to 127.0.0.1:1: dial tcp 127.0.0.1:1: connect: connection refused',
    },
  );
  assert.deepEqual(
    (await run({ ok: false, stage: 'exchange', message: 'context deadline exceeded' }, { h2ping: 'h:1' })).r,
    {
      status: 'critical',
      output: 'HTTP2 ping failed: context deadline exceeded',
    },
  );
});
