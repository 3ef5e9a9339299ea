// The server RPC port of the real binary refuses what Consul's refuses before any protocol byte: a
// connection over limits.rpc_max_conns_per_client from one IP, and one that stays silent longer than
// limits.rpc_handshake_timeout, each with Consul's log line; a connection that speaks in time works;
// an unknown protocol byte is logged and closed.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { agentUp, startConsul, stop, waitFor, type Proc } from '../helpers/process.js';

const procs: Proc[] = [];
after(() => Promise.all(procs.map(stop)));

/** Consul's RPC byte, then a Status.Ping request header {ServiceMethod, Seq: 1} and empty args. */
const PING = Buffer.concat([
  Buffer.of(0x00, 0x82, 0xad),
  Buffer.from('ServiceMethod'),
  Buffer.of(0xab),
  Buffer.from('Status.Ping'),
  Buffer.of(0xa3),
  Buffer.from('Seq'),
  Buffer.of(0x01, 0x80),
]);

/** A raw TCP connection to `port`, and when the server closed it (ms after opening). */
function open(ip: string, port: number, from = ip) {
  const s = net.connect({ host: ip, port, localAddress: from });
  const opened = Date.now();
  const st = { s, closedAfter: -1, data: Buffer.alloc(0) };
  s.on('data', (d) => (st.data = Buffer.concat([st.data, d])));
  s.on('error', () => {});
  s.on('close', () => (st.closedAfter = Date.now() - opened));
  return new Promise<typeof st>((resolve) => s.once('connect', () => resolve(st)));
}

test('rpc_max_conns_per_client and rpc_handshake_timeout on the server port', async () => {
  const ip = '127.0.10.1';
  const p = startConsul([
    'agent',
    '-dev',
    '-node=rpc-limits',
    `-bind=${ip}`,
    `-client=${ip}`,
    '-hcl',
    'limits { rpc_max_conns_per_client = 2 rpc_handshake_timeout = "1s" }',
  ]);
  procs.push(p);
  await agentUp(ip, 8500);
  const a = await open(ip, 8300);
  const b = await open(ip, 8300);
  const c = await open(ip, 8300);
  await waitFor('the third connection closed', () => c.closedAfter >= 0, 5_000);
  await waitFor('the rejection logged', () =>
    /\[ERROR\] agent\.server\.rpc: rejecting RPC conn from because rpc_max_conns_per_client exceeded: conn=from=127\.0\.10\.1:\d+/.test(
      p.out(),
    ),
  );
  // b speaks Consul's RPC; a says nothing.
  b.s.write(PING);
  await waitFor('the silent connection closed', () => a.closedAfter >= 0, 10_000);
  assert.ok(a.closedAfter >= 900, `closed after ${a.closedAfter} ms, not before the 1 s timeout`);
  assert.match(
    p.out(),
    /\[ERROR\] agent\.server\.rpc: failed to read byte: conn=from=127\.0\.10\.1:\d+ error="read tcp 127\.0\.10\.1:8300->127\.0\.10\.1:\d+: i\/o timeout"/,
  );
  await waitFor('the ping answered', () => b.data.includes(Buffer.from('Status.Ping')), 5_000);
  assert.equal(b.closedAfter, -1, 'the connection that spoke in time stays open');
  // The silent one freed its place: a new connection is accepted.
  const d = await open(ip, 8300);
  d.s.write(PING);
  await waitFor('the new connection answered', () => d.data.includes(Buffer.from('Status.Ping')), 5_000);
  b.s.destroy();
  d.s.destroy();
  // A first byte that selects no protocol (here 0x7f) is logged as Consul logs it and the connection closed.
  // (From another address: b and d may still count against 127.0.10.1 until the server sees them close.)
  const e = await open(ip, 8300, '127.0.10.3');
  e.s.write(Buffer.of(0x7f, 0x00));
  await waitFor('the unknown protocol closed', () => e.closedAfter >= 0, 5_000);
  await waitFor('the unknown byte logged', () =>
    /\[ERROR\] agent\.server\.rpc: unrecognized RPC byte: byte=127 conn=from=127\.0\.10\.3:\d+/.test(p.out()),
  );
  // TLS (0x03) with no TLS configured fails as Consul's handshake does without a certificate.
  const tls = await open(ip, 8300, '127.0.10.3');
  tls.s.write(Buffer.of(0x03, 0x16, 0x03, 0x01));
  await waitFor('the TLS attempt closed', () => tls.closedAfter >= 0, 5_000);
  await waitFor('the TLS refusal logged', () =>
    /\[ERROR\] agent\.server\.rpc: failed to read byte: conn=from=127\.0\.10\.3:\d+ error="tls: no certificates configured"/.test(
      p.out(),
    ),
  );
});
