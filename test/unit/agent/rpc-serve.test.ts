// The server's RPC reader on one connection: a good request is answered, and bytes that are not a
// request (a header that is not a msgpack map, undecodable bytes) close that connection and nothing else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serveRpc, type RpcMethod } from '../../../src/agent/rpc.js';
import { MsgReader, MsgWriter } from '../../../src/codec/msgpack.js';
import type { Logger } from '../../../src/runtime/logger.js';
import type { StreamConn } from '../../../src/runtime/transport.js';

const warnings: string[] = [];
const log = { warn: (m: string) => void warnings.push(m) } as unknown as Logger;

function conn() {
  const written: Uint8Array[] = [];
  let data: (c: Uint8Array) => void = () => {};
  let destroyed = false;
  const c = {
    write: (b: Uint8Array) => (written.push(b), true),
    onData: (fn: (c: Uint8Array) => void) => void (data = fn),
    onClose: () => {},
    end: () => {},
    destroy: () => void (destroyed = true),
  } as unknown as StreamConn;
  return { c, written, send: (b: Uint8Array) => data(b), destroyed: () => destroyed };
}

const methods = new Map<string, RpcMethod>([['Status.Ping', async () => (w) => void w.bool(true)]]);

test('a request is answered with its Seq and the method reply', async () => {
  const k = conn();
  const w = new MsgWriter('v05');
  w.struct({ Seq: (x) => void x.uint(7), ServiceMethod: (x) => void x.str('Status.Ping') });
  w.struct({});
  serveRpc(k.c, new Uint8Array(), methods, log);
  k.send(w.bytes());
  await new Promise((r) => setImmediate(r));
  assert.equal(k.written.length, 1);
  const r = new MsgReader(k.written[0]!);
  const header = r.read() as { get(k: string): unknown };
  assert.equal(Number(header.get('Seq')), 7);
  assert.equal(Buffer.from(header.get('Error') as Uint8Array).toString(), '', 'no error');
  assert.equal(r.read(), true);
  assert.equal(k.destroyed(), false);
});

test('a header that is not a map, or bytes that are not msgpack, close the connection without throwing', () => {
  for (const bad of [Uint8Array.of(0x00, 0x80), Uint8Array.of(0xc1, 0xc1)]) {
    const k = conn();
    assert.doesNotThrow(() => serveRpc(k.c, bad, methods, log));
    assert.equal(k.destroyed(), true, `closed after ${Buffer.from(bad).toString('hex')}`);
    assert.equal(k.written.length, 0);
  }
  assert.equal(warnings.length, 2);
});

test('a request sent in many chunks is answered once whole; one over 64 MiB closes the connection', async () => {
  const k = conn();
  serveRpc(k.c, new Uint8Array(), methods, log);
  const w = new MsgWriter('v05');
  w.struct({ Seq: (x) => void x.uint(9), ServiceMethod: (x) => void x.str('Status.Ping') });
  w.str(new Uint8Array(1 << 20)); // a 1 MiB raw argument
  const whole = w.bytes();
  for (let i = 0; i < whole.length; i += 1000) k.send(whole.subarray(i, i + 1000));
  await new Promise((r) => setImmediate(r));
  assert.equal(k.written.length, 1, 'answered once, after the last chunk');
  assert.equal(Number((new MsgReader(k.written[0]!).read() as { get(k: string): unknown }).get('Seq')), 9);

  const big = conn();
  serveRpc(big.c, new Uint8Array(), methods, log);
  const h = new MsgWriter('v05');
  h.struct({ Seq: (x) => void x.uint(1), ServiceMethod: (x) => void x.str('Status.Ping') });
  // A raw32 header announcing 100 MiB, then its bytes a megabyte at a time.
  big.send(Buffer.concat([h.bytes(), Uint8Array.of(0xdb, 0x06, 0x40, 0x00, 0x00)]));
  const mib = new Uint8Array(1 << 20);
  let sent = 0;
  while (!big.destroyed() && sent < 100) {
    big.send(mib);
    sent++;
  }
  assert.equal(big.destroyed(), true);
  assert.equal(sent, 64, 'closed when the buffered request passed 64 MiB');
  assert.equal(big.written.length, 0);
  assert.equal(warnings.at(-1), 'rpc: request too large, closing connection');
});
