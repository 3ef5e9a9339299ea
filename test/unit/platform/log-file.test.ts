import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  FileSink,
  logFilePath,
  splitLogFilePath,
  type LogFileOptions,
} from '../../../src/platform/node/log-file.js';
import type { LogRecord } from '../../../src/runtime/logger.js';

const START = 1_700_000_000_000;

const rec = (message: string, timeMs = START): LogRecord => ({
  timeMs,
  level: 'info',
  name: 'agent',
  message,
  kv: [],
});

/** A temp dir, a settable clock and a sink factory; cleans up after the test body. */
function withDir(
  body: (t: { dir: string; clock: { now: number }; open: (o: Partial<LogFileOptions>) => FileSink }) => void,
) {
  const dir = mkdtempSync(path.join(tmpdir(), 'logfile-'));
  const clock = { now: START };
  const sinks: FileSink[] = [];
  try {
    body({
      dir,
      clock,
      open: (o) => {
        const s = new FileSink({
          path: `${dir}/`,
          json: false,
          rotateBytes: 0,
          rotateDurationMs: 0,
          maxFiles: 0,
          clock: { monotonicMs: () => clock.now, wallMs: () => clock.now },
          ...o,
        });
        sinks.push(s);
        return s;
      },
    });
  } finally {
    for (const s of sinks) {
      try {
        s.close();
      } catch {
        /* closed by the test */
      }
    }
    rmSync(dir, { recursive: true });
  }
}

const messages = (f: string) =>
  readFileSync(f, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => /agent: (.*)$/.exec(l)![1]!);

test('file naming as Consul 1.16 splits -log-file: trailing "/" → consul.log, else the name as given', () => {
  assert.deepEqual(splitLogFilePath('/var/log/consul/'), { dir: '/var/log/consul/', name: 'consul.log' });
  assert.deepEqual(splitLogFilePath('/var/log/agent'), { dir: '/var/log/', name: 'agent' });
  assert.equal(logFilePath('/var/log/consul/'), '/var/log/consul/consul.log');
  assert.equal(logFilePath('/var/log/agent'), '/var/log/agent');
  assert.equal(logFilePath('/var/log/my.log'), '/var/log/my.log');
  assert.equal(logFilePath('consul.log'), 'consul.log');
});

test('lines go to the active file in hclog text or JSON', () => {
  withDir(({ dir, open }) => {
    open({}).write(rec('Consul agent running!'));
    assert.match(
      readFileSync(`${dir}/consul.log`, 'utf8'),
      /^\d{4}-\d\d-\d\dT[\d:.]+(Z|[+-]\d{4}) \[INFO\] {2}agent: Consul agent running!\n$/,
    );
    const j = open({ path: `${dir}/json.log`, json: true });
    j.write(rec('json line'));
    assert.equal(JSON.parse(readFileSync(`${dir}/json.log`, 'utf8'))['@message'], 'json line');
  });
});

test('size rotation: the file is archived once it holds log_rotate_bytes; every line is kept in order', () => {
  withDir(({ dir, clock, open }) => {
    const sink = open({ rotateBytes: 200 });
    for (let i = 0; i < 30; i++) {
      sink.write(rec(`line ${String(i).padStart(2, '0')}`));
      clock.now += 1;
    }
    const archives = sink.archives();
    assert.ok(archives.length >= 4, `archives: ${archives.length}`);
    for (const a of archives) {
      assert.match(path.basename(a), /^consul-\d{19}\.log$/);
      // Consul checks before a write, so an archive ends with the line that reached the limit.
      const size = statSync(a).size;
      assert.ok(size >= 200 && size < 200 + 80, `${a}: ${size}`);
    }
    const all = [...archives, `${dir}/consul.log`].flatMap(messages);
    assert.deepEqual(
      all,
      Array.from({ length: 30 }, (_, i) => `line ${String(i).padStart(2, '0')}`),
    );
  });
});

test('log_rotate_max_files keeps the newest archives; 0 keeps all; -1 keeps none', () => {
  for (const [maxFiles, want] of [
    [2, 2],
    [0, 9],
    [-1, 0],
  ] as const) {
    withDir(({ dir, clock, open }) => {
      const sink = open({ rotateBytes: 1, maxFiles });
      for (let i = 0; i < 10; i++) {
        sink.write(rec(`n${i}`));
        clock.now += 1;
      }
      const archives = sink.archives();
      assert.equal(archives.length, want, `max_files=${maxFiles}`);
      assert.deepEqual(messages(`${dir}/consul.log`), ['n9']);
      // the survivors are the newest ones, oldest first
      assert.deepEqual(
        archives.flatMap(messages),
        Array.from({ length: want }, (_, k) => `n${9 - want + k}`),
      );
      assert.equal(readdirSync(dir).length, want + 1);
    });
  }
});

test('duration rotation follows the clock, on the next write only, with the rotation time in the name', () => {
  withDir(({ dir, clock, open }) => {
    const sink = open({ rotateDurationMs: 1000 });
    sink.write(rec('a'));
    clock.now = START + 999;
    sink.write(rec('b'));
    assert.equal(sink.archives().length, 0);
    clock.now = START + 5000; // no write: nothing happens without one
    assert.equal(sink.archives().length, 0);
    sink.write(rec('c'));
    assert.deepEqual(
      sink.archives().map((a) => path.basename(a)),
      [`consul-${BigInt(START + 5000) * 1_000_000n}.log`],
    );
    assert.deepEqual(messages(sink.archives()[0]!), ['a', 'b']);
    assert.deepEqual(messages(`${dir}/consul.log`), ['c']);
    // the new file's age counts from its own creation
    clock.now = START + 5999;
    sink.write(rec('d'));
    assert.equal(sink.archives().length, 1);
  });
});

test('0 means the default 24h duration', () => {
  withDir(({ clock, open }) => {
    const sink = open({ rotateDurationMs: 0 });
    sink.write(rec('a'));
    clock.now = START + 24 * 3600_000 - 1;
    sink.write(rec('b'));
    assert.equal(sink.archives().length, 0);
    clock.now = START + 24 * 3600_000;
    sink.write(rec('c'));
    assert.equal(sink.archives().length, 1);
  });
});

test('a name without extension stays the active name; archives get ".log"', () => {
  withDir(({ dir, clock, open }) => {
    const sink = open({ path: `${dir}/agent`, rotateBytes: 1 });
    sink.write(rec('one'));
    clock.now += 1;
    sink.write(rec('two'));
    assert.equal(sink.file, `${dir}/agent`);
    assert.deepEqual(messages(`${dir}/agent`), ['two']);
    assert.match(path.basename(sink.archives()[0]!), /^agent-\d+\.log$/);
  });
});

test('a restart appends to the active file and counts its bytes toward rotation', () => {
  withDir(({ dir, open }) => {
    writeFileSync(`${dir}/consul.log`, 'x'.repeat(150) + '\n');
    const sink = open({ rotateBytes: 150 });
    sink.write(rec('after restart'));
    // the carried-over file already held 151 bytes, so the first write rotated it
    assert.equal(sink.archives().length, 1);
    assert.equal(readFileSync(sink.archives()[0]!, 'utf8'), 'x'.repeat(150) + '\n');
    assert.deepEqual(messages(`${dir}/consul.log`), ['after restart']);
    sink.close();
    const again = open({ rotateBytes: 10_000 });
    again.write(rec('second run'));
    assert.deepEqual(messages(`${dir}/consul.log`), ['after restart', 'second run']);
  });
});

test('archives beyond max_files are pruned at startup; a missing directory is created', () => {
  withDir(({ dir, open }) => {
    for (const ns of ['1000000000000000001', '1000000000000000002', '1000000000000000003'])
      writeFileSync(`${dir}/consul-${ns}.log`, `${ns}\n`);
    writeFileSync(`${dir}/other.log`, 'kept\n');
    const sink = open({ maxFiles: 1 });
    assert.deepEqual(
      sink.archives().map((a) => path.basename(a)),
      ['consul-1000000000000000003.log'],
    );
    assert.deepEqual(readdirSync(dir).sort(), ['consul-1000000000000000003.log', 'consul.log', 'other.log']);
    const nested = open({ path: `${dir}/a/b/` });
    nested.write(rec('deep'));
    assert.deepEqual(messages(`${dir}/a/b/consul.log`), ['deep']);
  });
});

test("an unopenable path is an error value with Consul's text", () => {
  const opts = {
    json: false,
    rotateBytes: 0,
    rotateDurationMs: 0,
    maxFiles: 0,
    clock: { monotonicMs: () => 0, wallMs: () => 0 },
  };
  const dir = mkdtempSync(path.join(tmpdir(), 'logfile-'));
  try {
    writeFileSync(`${dir}/file`, '');
    // the parent is a file, so neither the directory nor the log can exist
    const r = FileSink.open({ ...opts, path: `${dir}/file/consul.log` });
    assert.ok(r instanceof Error);
    assert.equal(r.message, `Failed to setup logging: open ${dir}/file/consul.log: not a directory`);
    // a directory where the file should be
    const d = FileSink.open({ ...opts, path: dir });
    assert.ok(d instanceof Error);
    assert.equal(d.message, `Failed to setup logging: open ${dir}: is a directory`);
  } finally {
    rmSync(dir, { recursive: true });
  }
});
