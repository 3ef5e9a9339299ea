// yamux framing and flow control, a client session against a server session over an in-memory pipe
// (and raw frames where the wire itself is the point): streams open with SYN/ACK, carry data both
// ways, respect the 256 KiB window, half-close with FIN, reset with RST; pings are answered; a bad
// version or an oversized frame ends the session with a protocol-error GoAway.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  FLAG,
  header,
  INITIAL_WINDOW,
  TYPE,
  YamuxSession,
  type YamuxStream,
} from '../../../src/codec/yamux.js';
import type { StreamConn } from '../../../src/runtime/transport.js';

interface End extends StreamConn {
  sent: Uint8Array[];
  data: Array<(c: Uint8Array) => void>;
  close: Array<(e?: Error) => void>;
  closed: boolean;
  link(p: End): void;
}

/** Two connected ends; bytes written on one arrive (synchronously, in order) on the other. */
function pipe(): [End, End] {
  const make = (): End => {
    const data: Array<(c: Uint8Array) => void> = [];
    const close: Array<(e?: Error) => void> = [];
    let peer: End | null = null;
    const end: End = {
      local: { ip: '127.0.0.1', port: 1 },
      remote: { ip: '127.0.0.1', port: 2 },
      sent: [] as Uint8Array[],
      data,
      close,
      closed: false,
      write(b: Uint8Array) {
        end.sent.push(b.slice());
        for (const fn of [...peer!.data]) fn(b.slice());
        return true;
      },
      onData: (fn: (c: Uint8Array) => void) => void data.push(fn),
      onClose: (fn: (e?: Error) => void) => void close.push(fn),
      end: () => {},
      destroy: () => {
        end.closed = true;
      },
      link(p: End) {
        peer = p;
      },
    };
    return end;
  };
  const a = make();
  const b = make();
  a.link(b);
  b.link(a);
  return [a, b];
}

const text = (chunks: Uint8Array[]) => Buffer.concat(chunks).toString();

test('a stream opens with SYN and is acknowledged with ACK; data flows both ways; FIN closes it', () => {
  const [c, s] = pipe();
  const accepted: YamuxStream[] = [];
  const got: Uint8Array[] = [];
  new YamuxSession(s, 'server', (st) => {
    accepted.push(st);
    st.onData((d) => {
      got.push(d);
      st.write(Buffer.from(`echo:${Buffer.from(d).toString()}`));
    });
  });
  const client = new YamuxSession(c, 'client');
  const st = client.open();
  // The open is a window update with SYN on stream 1; the answer one with ACK.
  assert.deepEqual(c.sent[0], header(TYPE.windowUpdate, FLAG.syn, 1, 0));
  assert.deepEqual(s.sent[0], header(TYPE.windowUpdate, FLAG.ack, 1, 0));
  const back: Uint8Array[] = [];
  st.onData((d) => back.push(d));
  st.write(Buffer.from('hello'));
  assert.equal(text(got), 'hello');
  assert.equal(text(back), 'echo:hello');
  assert.equal(accepted.length, 1);
  let closed = 0;
  st.onClose(() => closed++);
  accepted[0]!.onClose(() => closed++);
  st.end();
  accepted[0]!.end();
  assert.equal(closed, 2, 'both ends closed after FIN each way');
  assert.equal(client.size, 0);
});

test('a writer never sends more than the window; credit comes back as the reader consumes', () => {
  const [c, s] = pipe();
  let received = 0;
  new YamuxSession(s, 'server', (st) => st.onData((d) => (received += d.length)));
  const st = new YamuxSession(c, 'client').open();
  const big = new Uint8Array(1024 * 1024 + 17).fill(7);
  st.write(big);
  assert.equal(received, big.length, 'all of it, in window-sized pieces');
  const dataFrames = c.sent.filter((f) => f[1] === TYPE.data);
  for (const f of dataFrames) assert.ok(new DataView(f.buffer, f.byteOffset).getUint32(8) <= INITIAL_WINDOW);
  const updates = s.sent.filter(
    (f) => f[1] === TYPE.windowUpdate && new DataView(f.buffer, f.byteOffset).getUint32(8) > 0,
  );
  assert.ok(updates.length >= 4, 'the server granted credit as it read');
});

test('without credit the data waits; a window update releases it', () => {
  const [c] = pipe();
  const client = new YamuxSession(c, 'client');
  const st = client.open();
  st.write(new Uint8Array(INITIAL_WINDOW + 10));
  const sentData = () => c.sent.filter((f) => f[1] === TYPE.data).reduce((n, f) => n + f.length - 12, 0);
  assert.equal(sentData(), INITIAL_WINDOW, 'stops at the window');
  // The peer grants 10 more bytes.
  for (const fn of c.data) fn(header(TYPE.windowUpdate, 0, 1, 10));
  assert.equal(sentData(), INITIAL_WINDOW + 10);
});

test('pings are answered with the same opaque value; RST ends a stream at once', () => {
  const [c, s] = pipe();
  const server: YamuxStream[] = [];
  new YamuxSession(s, 'server', (st) => server.push(st));
  const client = new YamuxSession(c, 'client');
  client.ping(0xdeadbeef);
  assert.deepEqual(s.sent.at(-1), header(TYPE.ping, FLAG.ack, 0, 0xdeadbeef));
  const st = client.open();
  let err: Error | undefined;
  server[0]!.onClose((e) => (err = e));
  st.destroy();
  assert.match(String(err), /reset/);
});

test('a bad version, an oversized frame or a stream ID of the wrong parity is a protocol error', () => {
  for (const bad of [
    Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0),
    Buffer.concat([header(TYPE.data, FLAG.syn, 1, INITIAL_WINDOW + 1), new Uint8Array(INITIAL_WINDOW + 1)]),
    header(TYPE.windowUpdate, FLAG.syn, 2, 0),
  ]) {
    const [c, s] = pipe();
    new YamuxSession(s, 'server');
    c.write(bad);
    assert.deepEqual(s.sent.at(-1), header(TYPE.goAway, 0, 0, 1), Buffer.from(bad).toString('hex'));
    assert.equal(s.closed, true);
  }
});

test('frames split at any byte are put back together', () => {
  const [c, s] = pipe();
  const got: Uint8Array[] = [];
  new YamuxSession(s, 'server', (st) => st.onData((d) => got.push(d)));
  const frames = Buffer.concat([
    header(TYPE.windowUpdate, FLAG.syn, 1, 0),
    header(TYPE.data, 0, 1, 5),
    Buffer.from('abcde'),
    header(TYPE.data, 0, 1, 3),
    Buffer.from('fgh'),
  ]);
  for (const b of frames) c.write(Uint8Array.of(b));
  assert.equal(text(got), 'abcdefgh');
});
