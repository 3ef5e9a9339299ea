import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  SyslogSink,
  facilityCode,
  openSyslogWithRetry,
  syslogMessage,
  syslogWrap,
} from '../../../src/platform/node/syslog.js';
import type { LogRecord } from '../../../src/runtime/logger.js';
import type { Timers } from '../../../src/runtime/timers.js';
import { waitFor } from '../../helpers/process.js';

const unixDgram = createRequire(import.meta.url)('unix-dgram') as {
  createSocket(t: 'unix_dgram', fn: (m: Buffer) => void): { bind(p: string): void; close(): void };
};

const T = Date.UTC(2017, 4, 1, 10, 50, 14);
const rec = (level: LogRecord['level'], message: string, ...kv: unknown[]): LogRecord => ({
  timeMs: T,
  level,
  name: 'agent',
  message,
  kv,
});

function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'syslog-'));
}

test('message framing: <PRI>Mon _2 hh:mm:ss consul[pid]: text after the level token', () => {
  assert.equal(
    syslogMessage(rec('info', 'Consul agent running!'), 16, 8902, { offsetMin: 0 }),
    '<133>May  1 10:50:14 consul[8902]: agent: Consul agent running!\n',
  );
  assert.equal(
    syslogMessage(rec('error', 'Reload config failed', 'error', new Error('bad file')), 16, 1, {
      offsetMin: 120,
    }),
    '<131>May  1 12:50:14 consul[1]: agent: Reload config failed: error="bad file"\n',
  );
  const later = { ...rec('info', 'x'), timeMs: Date.UTC(2017, 10, 23, 1, 2, 3) };
  assert.equal(syslogMessage(later, 16, 1, { offsetMin: 0 }), '<133>Nov 23 01:02:03 consul[1]: agent: x\n');
});

test("with -log-json the JSON line goes to syslog whole, at the wrapper's default severity", () => {
  assert.equal(
    syslogMessage(rec('error', 'json line', 'k', 1), 16, 7, { json: true, offsetMin: 0 }),
    '<133>May  1 10:50:14 consul[7]: {"@level":"error","@message":"json line","@module":"agent","@timestamp":"2017-05-01T10:50:14.000000Z","k":1}\n',
  );
});

test("Consul's wrapper: the first [TOKEN] picks the severity; text after it, leading spaces trimmed", () => {
  assert.deepEqual(syslogWrap('2017-05-01T10:50:14.000Z [TRACE] agent: t'), {
    severity: 7,
    text: 'agent: t',
  });
  assert.deepEqual(syslogWrap('[INFO]     x'), { severity: 5, text: 'x' });
  assert.deepEqual(syslogWrap('[CRIT]  x'), { severity: 2, text: 'x' });
  assert.deepEqual(syslogWrap('[INVALID]     x'), { severity: 5, text: 'x' });
  assert.deepEqual(syslogWrap('{"@message":"a [b] c"}'), { severity: 5, text: 'c"}' });
  assert.deepEqual(syslogWrap('no brackets'), { severity: 5, text: 'no brackets' });
});

test('PRI = facility*8 + severity, severities as Consul maps hclog levels', () => {
  const pri = (level: LogRecord['level'], fac: number) =>
    /^<(\d+)>/.exec(syslogMessage(rec(level, 'x'), fac, 1))![1];
  assert.equal(pri('trace', 16), String(16 * 8 + 7)); // debug
  assert.equal(pri('debug', 16), String(16 * 8 + 6)); // info
  assert.equal(pri('info', 16), String(16 * 8 + 5)); // notice
  assert.equal(pri('warn', 3), String(3 * 8 + 4)); // warning
  assert.equal(pri('error', 23), String(23 * 8 + 3)); // err
  assert.equal(pri('info', 1), '13');
});

test('facility names as go-syslog accepts them, in any case; others are its error', () => {
  assert.equal(facilityCode('LOCAL0'), 16);
  assert.equal(facilityCode('local7'), 23);
  assert.equal(facilityCode('Daemon'), 3);
  assert.equal(facilityCode('authpriv'), 10);
  assert.equal(facilityCode('kern'), 0);
  const bad = facilityCode('local9');
  assert.ok(bad instanceof Error);
  assert.equal(bad.message, 'invalid syslog facility: LOCAL9');
  assert.ok(facilityCode('toString') instanceof Error);
});

test('delivers to a unix datagram socket the test binds (first path missing)', async () => {
  const dir = tempDir();
  const sockPath = path.join(dir, 'log');
  const got: string[] = [];
  const server = unixDgram.createSocket('unix_dgram', (m) => got.push(m.toString()));
  server.bind(sockPath);
  try {
    const sink = SyslogSink.open('local3', { paths: [path.join(dir, 'missing'), sockPath] });
    assert.ok(!(sink instanceof Error), String(sink));
    sink.write(rec('info', 'Consul agent running!'));
    sink.write(rec('warn', 'careful', 'k', 'v w'));
    sink.write(rec('trace', 'fine detail'));
    await waitFor('three datagrams', () => got.length === 3, 5000);
    sink.close();
    const head = `\\w{3} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d consul\\[${process.pid}\\]: `;
    assert.match(got[0]!, new RegExp(`^<${19 * 8 + 5}>${head}agent: Consul agent running!\\n$`));
    assert.match(got[1]!, new RegExp(`^<${19 * 8 + 4}>${head}agent: careful: k="v w"\\n$`));
    assert.match(got[2]!, new RegExp(`^<${19 * 8 + 7}>${head}agent: fine detail\\n$`));
  } finally {
    server.close();
    rmSync(dir, { recursive: true });
  }
});

test('falls back to a stream socket when no datagram socket answers', async () => {
  const dir = tempDir();
  const sockPath = path.join(dir, 'stream.sock');
  let data = '';
  const server = net.createServer((c) => c.on('data', (b) => (data += b.toString())));
  await new Promise<void>((r) => server.listen(sockPath, r));
  try {
    const sink = SyslogSink.open('USER', { paths: [sockPath], pid: 4242 });
    assert.ok(!(sink instanceof Error), String(sink));
    sink.write(rec('error', 'over a stream'));
    await waitFor('stream message', () => data.includes('\n'), 5000);
    sink.close();
    assert.match(data, /^<11>\w{3} [ \d]\d \d\d:\d\d:\d\d consul\[4242\]: agent: over a stream\n$/);
  } finally {
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true });
  }
});

test('no syslog socket, a non-socket path, or a bad facility: error values, not crashes', () => {
  const dir = tempDir();
  try {
    writeFileSync(path.join(dir, 'plain'), '');
    const none = SyslogSink.open('LOCAL0', { paths: [path.join(dir, 'nope'), path.join(dir, 'plain'), dir] });
    assert.ok(none instanceof Error);
    assert.equal(none.message, 'Unix syslog delivery error');
    const bad = SyslogSink.open('LOCAL9', { paths: [path.join(dir, 'nope')] });
    assert.ok(bad instanceof Error);
    assert.equal(bad.message, 'invalid syslog facility: LOCAL9');
  } finally {
    rmSync(dir, { recursive: true });
  }
});

/** Timers that fire on the next turn and record the delays asked for. */
function instantTimers(delays: number[], onFire: () => void = () => {}): Timers {
  return {
    after(ms, fn) {
      delays.push(ms);
      void Promise.resolve().then(() => {
        onFire();
        fn();
      });
      return { cancel() {} };
    },
    every() {
      throw new Error('not used');
    },
  };
}

test("setup retries 12 times, 5s apart, then fails with Consul's timeout text", async () => {
  const delays: number[] = [];
  const r = await openSyslogWithRetry('LOCAL0', instantTimers(delays), { paths: ['/nonexistent/log'] });
  assert.ok(r instanceof Error);
  assert.equal(r.message, 'Syslog setup did not succeed within timeout (1m0s).');
  assert.deepEqual(delays, Array(12).fill(5000));
});

test('setup succeeds once the daemon appears', async () => {
  const dir = tempDir();
  const sockPath = path.join(dir, 'log');
  const got: string[] = [];
  let server: { close(): void } | null = null;
  const delays: number[] = [];
  try {
    const r = await openSyslogWithRetry(
      'LOCAL0',
      instantTimers(delays, () => {
        if (delays.length === 3 && !server) {
          server = unixDgram.createSocket('unix_dgram', (m) => got.push(m.toString()));
          (server as unknown as { bind(p: string): void }).bind(sockPath);
        }
      }),
      { paths: [sockPath] },
    );
    assert.ok(!(r instanceof Error), String(r));
    assert.equal(delays.length, 3);
    r.write(rec('info', 'hello'));
    await waitFor('datagram', () => got.length === 1, 5000);
    r.close();
  } finally {
    (server as { close(): void } | null)?.close();
    rmSync(dir, { recursive: true });
  }
});
