// The node:http2 implementation of the Http2Client port against a real h2c server on loopback: PING,
// a grpc.health.v1 Check answered SERVING / NOT_FOUND, and a refused connection.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { nodeHttp2Client } from '../../../src/platform/node/http2-client.js';
import { runCheck, type CheckDef, type CheckPorts } from '../../../src/checks/runner.js';
import { systemTimers } from '../../../src/platform/node/timers.js';

const IP = '127.0.0.142';
const server = http2.createServer();
server.on('stream', (stream, headers) => {
  const chunks: Buffer[] = [];
  stream.on('data', (d: Buffer) => chunks.push(d));
  stream.on('end', () => {
    const req = Buffer.concat(chunks);
    const service = req.subarray(5).length > 2 ? req.subarray(7).toString() : '';
    assert.equal(headers[':path'], '/grpc.health.v1.Health/Check');
    if (service === 'gone') {
      stream.respond(
        {
          ':status': 200,
          'content-type': 'application/grpc',
          'grpc-status': '5',
          'grpc-message': 'unknown%20service',
        },
        { endStream: true },
      );
      return;
    }
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
    const status = service === 'down' ? 2 : 1;
    stream.end(Buffer.from([0, 0, 0, 0, 2, 0x08, status]));
  });
});
await new Promise<void>((r) => server.listen(18930, IP, r));
const port = (server.address() as AddressInfo).port;
after(() => server.close());

const ports = { timers: systemTimers, http2: nodeHttp2Client } as unknown as CheckPorts;
const def = (over: Partial<CheckDef>): CheckDef => ({
  id: 'c',
  name: 'c',
  serviceId: '',
  intervalNs: 1e9,
  timeoutNs: 2e9,
  ...over,
});

test('node http2 client: h2c ping and grpc health checks on a real server', async () => {
  assert.deepEqual(await runCheck(def({ h2ping: `${IP}:${port}`, h2pingUseTls: false }), ports), {
    status: 'passing',
    output: 'HTTP2 ping was successful',
  });
  assert.deepEqual(await runCheck(def({ grpc: `${IP}:${port}` }), ports), {
    status: 'passing',
    output: `gRPC check ${IP}:${port}: success`,
  });
  assert.deepEqual(await runCheck(def({ grpc: `${IP}:${port}/down` }), ports), {
    status: 'critical',
    output: `gRPC ${IP}:${port}/down serving status: NOT_SERVING`,
  });
  assert.deepEqual(await runCheck(def({ grpc: `${IP}:${port}/gone` }), ports), {
    status: 'critical',
    output: 'rpc error: code = NotFound desc = unknown service',
  });
  assert.deepEqual(await runCheck(def({ h2ping: `${IP}:18931`, h2pingUseTls: false }), ports), {
    status: 'critical',
    output: `Failed to dial to ${IP}:18931: dial tcp ${IP}:18931: connect: connection refused`,
  });
});
