import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FileSink, logFilePath } from '../../../src/platform/node/log-file.js';
import { SyslogSink, syslogMessage } from '../../../src/platform/node/syslog.js';
import type { LogRecord } from '../../../src/runtime/logger.js';
import { waitFor } from '../../helpers/process.js';

const unixDgram = createRequire(import.meta.url)('unix-dgram') as {
  createSocket(t: 'unix_dgram', fn: (m: Buffer) => void): { bind(p: string): void; close(): void };
};

const rec = (
  level: LogRecord['level'],
  message: string,
  timeMs = Date.UTC(2023, 4, 11, 10, 50, 14),
): LogRecord => ({
  timeMs,
  level,
  name: 'agent',
  message,
  kv: [],
});

test('log file naming follows Consul: directories get consul.log, names without extension get .log', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'logs-'));
  try {
    assert.equal(logFilePath(`${dir}/`), `${dir}/consul.log`);
    assert.equal(logFilePath(dir), `${dir}/consul.log`);
    assert.equal(logFilePath(`${dir}/agent`), `${dir}/agent.log`);
    assert.equal(logFilePath(`${dir}/my.log`), `${dir}/my.log`);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('rotation by size keeps every line and prunes to log_rotate_max_files', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'logs-'));
  let now = 1_700_000_000_000;
  const clock = { monotonicMs: () => now, wallMs: () => now };
  try {
    const sink = new FileSink({
      path: `${dir}/consul.log`,
      json: false,
      rotateBytes: 200,
      rotateDurationMs: 0,
      maxFiles: 2,
      clock,
    });
    for (let i = 0; i < 20; i++) {
      sink.write(rec('info', `line ${String(i).padStart(2, '0')}`));
      now += 1;
    }
    const archives = sink.archives();
    assert.equal(archives.length, 2);
    for (const a of archives) assert.match(path.basename(a), /^consul-\d+\.log$/);
    const kept = [...archives, `${dir}/consul.log`].map((f) => readFileSync(f, 'utf8')).join('');
    const lines = kept.trim().split('\n');
    // The newest lines survive in order; each file stays within the size bound.
    assert.ok(lines.at(-1)!.endsWith('line 19'));
    const nums = lines.map((l) => Number(/line (\d+)$/.exec(l)![1]));
    assert.deepEqual(
      nums,
      nums.map((_, k) => 20 - nums.length + k),
    ); // contiguous and in order: rotation lost nothing it kept
    for (const f of readdirSync(dir)) assert.ok(readFileSync(path.join(dir, f)).length <= 200, f);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('rotation by duration on the clock; max_files 0 keeps all, -1 keeps none', () => {
  for (const [maxFiles, want] of [
    [0, 3],
    [-1, 0],
  ] as const) {
    const dir = mkdtempSync(path.join(tmpdir(), 'logs-'));
    let now = 1_700_000_000_000;
    const clock = { monotonicMs: () => now, wallMs: () => now };
    try {
      const sink = new FileSink({
        path: `${dir}/`,
        json: true,
        rotateBytes: 0,
        rotateDurationMs: 1000,
        maxFiles,
        clock,
      });
      for (let i = 0; i < 4; i++) {
        sink.write(rec('info', `tick ${i}`));
        now += 1000;
      }
      assert.equal(sink.archives().length, want, `max_files=${maxFiles}`);
      assert.equal(JSON.parse(readFileSync(`${dir}/consul.log`, 'utf8'))['@message'], 'tick 3');
    } finally {
      rmSync(dir, { recursive: true });
    }
  }
});

test('syslog messages: PRI = facility*8 + severity, Go time.Stamp, tag consul[pid]', () => {
  const t = new Date(2017, 4, 11, 10, 50, 14).getTime(); // local time
  assert.equal(
    syslogMessage(rec('info', 'Consul agent running!', t), 16, 8902),
    '<133>May 11 10:50:14 consul[8902]:  agent: Consul agent running!\n',
  );
  assert.equal(syslogMessage(rec('error', 'x', t), 16, 1).slice(0, 5), '<131>');
  assert.equal(syslogMessage(rec('warn', 'x', t), 3, 1).slice(0, 4), '<28>');
  assert.equal(syslogMessage(rec('debug', 'x', t), 23, 1).slice(0, 5), '<190>');
  assert.equal(syslogMessage(rec('trace', 'x', t), 1, 1).slice(0, 4), '<15>');
});

test('syslog sink delivers to a unix datagram socket the test binds', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'syslog-'));
  const sockPath = path.join(dir, 'log');
  const got: string[] = [];
  const server = unixDgram.createSocket('unix_dgram', (m) => got.push(m.toString()));
  server.bind(sockPath);
  try {
    const sink = SyslogSink.open('local0', ['/nonexistent/log', sockPath]);
    assert.ok(!(sink instanceof Error));
    sink.write(rec('info', 'Consul agent running!'));
    sink.write(rec('warn', 'careful'));
    await waitFor('two datagrams', () => got.length === 2, 5000);
    assert.match(
      got[0]!,
      new RegExp(
        `^<133>\\w{3} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d consul\\[${process.pid}\\]:  agent: Consul agent running!\\n$`,
      ),
    );
    assert.match(got[1]!, /^<132>.* consul\[\d+\]: {2}agent: careful\n$/);
    sink.close();
  } finally {
    server.close();
    rmSync(dir, { recursive: true });
  }
});

test('no syslog socket and a bad facility are error values, not crashes', () => {
  const none = SyslogSink.open('LOCAL0', ['/nonexistent/a', '/tmp']);
  assert.ok(none instanceof Error);
  const bad = SyslogSink.open('LOCAL9', ['/tmp']);
  assert.ok(bad instanceof Error);
  assert.match(bad.message, /invalid syslog facility: LOCAL9/);
});
