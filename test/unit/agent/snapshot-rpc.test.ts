// The snapshot RPC on one connection: the request header and archive may arrive in any chunks, the
// work starts at the caller's half-close, and the answer is the response header then (for a save) the
// archive; a header that is not msgpack closes the connection with Consul's log line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serveSnapshotRpc } from '../../../src/agent/snapshot-rpc.js';
import { MsgMap, MsgReader, MsgWriter, utf8 } from '../../../src/codec/msgpack.js';
import type { HttpAnswer, HttpCall } from '../../../src/agent/rpc.js';
import type { Logger } from '../../../src/runtime/logger.js';
import type { StreamConn } from '../../../src/runtime/transport.js';
import { concatBytes } from '../../../src/lib/bytes.js';

function conn() {
  const written: Uint8Array[] = [];
  let data: (c: Uint8Array) => void = () => {};
  let end: () => void = () => {};
  const st = { ended: false, destroyed: false };
  const c = {
    remote: { ip: '127.0.0.9', port: 4000 },
    write: (b: Uint8Array) => (written.push(b), true),
    onData: (fn: (c: Uint8Array) => void) => void (data = fn),
    onEnd: (fn: () => void) => void (end = fn),
    onClose: () => {},
    end: () => void (st.ended = true),
    destroy: () => void (st.destroyed = true),
  } as unknown as StreamConn;
  return { c, written, st, send: (b: Uint8Array) => data(b), fin: () => end() };
}

const request = (op: number, extra: Record<string, (w: MsgWriter) => void> = {}) =>
  new MsgWriter().struct({ Datacenter: (w) => void w.str(''), Op: (w) => void w.uint(op), ...extra }).bytes();

const settle = () => new Promise((r) => setImmediate(r));
const errors: string[] = [];
const log = {
  error: (m: string, ...kv: unknown[]) => void errors.push([m, ...kv].join(' ')),
} as unknown as Logger;

test('save: the response header (index, no error) and then the archive', async () => {
  const calls: HttpCall[] = [];
  const archive = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
  const local = async (call: HttpCall): Promise<HttpAnswer> => {
    calls.push(call);
    return { status: 200, headers: new Map([['x-consul-index', '42']]), body: archive };
  };
  const k = conn();
  serveSnapshotRpc(k.c, new Uint8Array(), local, log);
  const req = request(0, { AllowStale: (w) => void w.bool(true), Token: (w) => void w.str('t0k') });
  // Split mid-header: nothing runs before the half-close.
  k.send(req.subarray(0, 5));
  k.send(req.subarray(5));
  await settle();
  assert.equal(calls.length, 0);
  k.fin();
  await settle();
  assert.equal(calls[0]!.method, 'GET');
  assert.equal(calls[0]!.url, '/v1/snapshot?stale');
  assert.equal(calls[0]!.headers.get('x-consul-token'), 't0k');
  const out = concatBytes(...k.written);
  const r = new MsgReader(out);
  const header = r.read() as MsgMap;
  assert.equal(utf8(header.get('Error') as Uint8Array), '');
  assert.equal(Number(header.get('Index')), 42);
  assert.deepEqual(out.subarray(r.offset), archive);
  assert.ok(k.st.ended);
});

test('restore: the bytes after the header are the archive; a refusal comes back in Error', async () => {
  let body: Uint8Array = new Uint8Array();
  const local = async (call: HttpCall): Promise<HttpAnswer> => {
    body = call.body;
    assert.equal(call.method, 'PUT');
    return {
      status: 500,
      headers: new Map(),
      body: new TextEncoder().encode('failed to read snapshot file: bad\n'),
    };
  };
  const k = conn();
  const archive = new TextEncoder().encode('archive bytes');
  const all = concatBytes(request(1), archive);
  serveSnapshotRpc(k.c, all.subarray(0, 3), local, log);
  for (let i = 3; i < all.length; i += 4) k.send(all.subarray(i, i + 4));
  k.fin();
  await settle();
  assert.deepEqual(body, archive);
  const r = new MsgReader(concatBytes(...k.written));
  assert.equal(utf8((r.read() as MsgMap).get('Error') as Uint8Array), 'failed to read snapshot file: bad');
  assert.equal(r.remaining, 0);
});

test('a header that is not msgpack closes the connection with the Snapshot RPC error line', async () => {
  const k = conn();
  let called = false;
  serveSnapshotRpc(
    k.c,
    new Uint8Array(),
    async () => ((called = true), { status: 200, headers: new Map(), body: new Uint8Array() }),
    log,
  );
  k.send(Uint8Array.of(0xc1, 0x00));
  k.fin();
  await settle();
  assert.ok(k.st.destroyed);
  assert.equal(called, false);
  assert.match(
    errors.at(-1)!,
    /^Snapshot RPC error error failed to decode request: .* conn from=127\.0\.0\.9:4000$/,
  );
  // A caller that hangs up before the header is whole.
  const e = conn();
  serveSnapshotRpc(
    e.c,
    new Uint8Array(),
    async () => ({ status: 200, headers: new Map(), body: new Uint8Array() }),
    log,
  );
  e.send(request(0).subarray(0, 4));
  e.fin();
  await settle();
  assert.ok(e.st.destroyed);
  assert.match(errors.at(-1)!, /failed to decode request: EOF/);
});
