// The agent's half of `consul exec` against fake KV, processes and timers: what it reads, which keys it
// acquires with the session and in what order, how output is chunked, heartbeats, and exit codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { handleRemoteExec, OUTPUT_CHUNK, type RemoteExecPorts } from '../../../src/agent/remote-exec.js';
import type { UserEvent } from '../../../src/agent/events.js';
import type { ChildProcess, ProcessRunner } from '../../../src/runtime/process.js';
import type { TimerHandle, Timers } from '../../../src/runtime/timers.js';
import type { Logger } from '../../../src/runtime/logger.js';

const SESSION = '1c1e7d7a-0000-4000-8000-000000000001';
const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};

class FakeTimers implements Timers {
  now = 0;
  private pending: Array<{ at: number; fn: () => void; live: boolean }> = [];
  after(ms: number, fn: () => void): TimerHandle {
    const t = { at: this.now + Math.max(ms, 0), fn, live: true };
    this.pending.push(t);
    return { cancel: () => (t.live = false) };
  }
  every(): TimerHandle {
    throw new Error('unused');
  }
  /** Moves virtual time forward, firing due timers in order and letting promises run after each. */
  async advance(ms: number): Promise<void> {
    const end = this.now + ms;
    await settle();
    for (;;) {
      const due = this.pending.filter((t) => t.live && t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      due.live = false;
      this.now = due.at;
      due.fn();
      await settle();
    }
    this.now = end;
  }
}

class FakeChild implements ChildProcess {
  readonly pid = 4242;
  private out: Array<(c: Uint8Array) => void> = [];
  private resolveExit!: (c: number) => void;
  readonly exited = new Promise<number>((r) => (this.resolveExit = r));
  killed: string[] = [];
  onStdout(fn: (c: Uint8Array) => void): void {
    this.out.push(fn);
  }
  onStderr(fn: (c: Uint8Array) => void): void {
    this.out.push(fn);
  }
  kill(sig = 'SIGTERM'): void {
    this.killed.push(sig);
  }
  emit(s: string | Uint8Array): void {
    const b = typeof s === 'string' ? new TextEncoder().encode(s) : s;
    this.out[0]!(b);
  }
  exit(code: number): void {
    this.resolveExit(code);
  }
}

const quiet: Logger = {
  name: 'agent',
  named: () => quiet,
  isEnabled: () => false,
  log() {},
  trace() {},
  debug() {},
  info() {},
  warn() {},
  error() {},
};

function rig(job: unknown, opts: { staleMiss?: boolean } = {}) {
  const timers = new FakeTimers();
  const writes: Array<{ key: string; value: string; session: string }> = [];
  const reads: Array<{ key: string; stale: boolean }> = [];
  const spawned: string[][] = [];
  let child: FakeChild | null = null;
  const processes: ProcessRunner = {
    spawn(file, args) {
      spawned.push([file, ...args]);
      child = new FakeChild();
      return child;
    },
    isAlive: () => false,
  };
  const ports: RemoteExecPorts = {
    node: 'node-a',
    async kvGet(key, stale) {
      reads.push({ key, stale });
      if (job === undefined || (stale && opts.staleMiss)) return null;
      return new TextEncoder().encode(JSON.stringify(job));
    },
    async kvAcquire(key, value, session) {
      writes.push({ key, value: new TextDecoder().decode(value), session });
      return true;
    },
    processes,
    timers,
    logger: quiet,
  };
  return { ports, timers, writes, reads, spawned, child: () => child! };
}

function event(payload: unknown): UserEvent {
  return {
    ID: 'e1',
    Name: '_rexec',
    Payload: new TextEncoder().encode(JSON.stringify(payload)),
    NodeFilter: '',
    ServiceFilter: '',
    TagFilter: '',
    Version: 1,
    LTime: 1,
  };
}

const EV = event({ Prefix: '_rexec', Session: SESSION });
const K = `_rexec/${SESSION}/node-a`;

test('remote exec: ack, shell command, output chunk, exit code, all acquired with the session', async () => {
  const r = rig({ Command: 'echo hello', Wait: 2e9 });
  const done = handleRemoteExec(EV, r.ports);
  await r.timers.advance(0);
  assert.deepEqual(r.reads, [{ key: `_rexec/${SESSION}/job`, stale: true }]);
  assert.deepEqual(r.spawned, [['/bin/sh', '-c', 'echo hello']]);
  r.child().emit('hello\n');
  await r.timers.advance(100);
  assert.equal(r.writes.length, 1, 'output waits for the idle deadline or the exit');
  r.child().exit(0);
  await r.timers.advance(0);
  await done;
  assert.deepEqual(r.writes, [
    { key: `${K}/ack`, value: '', session: SESSION },
    { key: `${K}/out/00000`, value: 'hello\n', session: SESSION },
    { key: `${K}/exit`, value: '0', session: SESSION },
  ]);
});

test('remote exec: output idle for 500ms is uploaded before exit; quiet Wait sends an empty heartbeat', async () => {
  const r = rig({ Command: 'slow', Wait: 1e9 });
  const done = handleRemoteExec(EV, r.ports);
  await r.timers.advance(0);
  r.child().emit('part1');
  await r.timers.advance(499);
  assert.equal(r.writes.length, 1);
  await r.timers.advance(1);
  assert.deepEqual(r.writes[1], { key: `${K}/out/00000`, value: 'part1', session: SESSION });
  await r.timers.advance(1000);
  assert.deepEqual(r.writes[2], { key: `${K}/out/00001`, value: '', session: SESSION });
  r.child().exit(3);
  await r.timers.advance(0);
  await done;
  assert.deepEqual(r.writes.at(-1), { key: `${K}/exit`, value: '3', session: SESSION });
  assert.equal(r.writes.length, 4);
});

test('remote exec: output over 4KB is split into 4KB chunks with hex sequence numbers', async () => {
  const r = rig({ Command: 'big', Wait: 2e9 });
  const done = handleRemoteExec(EV, r.ports);
  await r.timers.advance(0);
  r.child().emit('x'.repeat(OUTPUT_CHUNK * 4 + 10));
  r.child().exit(0);
  await r.timers.advance(0);
  await done;
  const outs = r.writes.filter((w) => w.key.includes('/out/'));
  assert.deepEqual(
    outs.map((w) => [w.key.slice(K.length), w.value.length]),
    [
      ['/out/00000', 4096],
      ['/out/00001', 4096],
      ['/out/00002', 4096],
      ['/out/00003', 4096],
      ['/out/00004', 10],
    ],
  );
});

test('remote exec: Args run without a shell; Script (base64) runs through the shell', async () => {
  const a = rig({ Args: ['uptime', '-p'], Wait: 2e9 });
  const d1 = handleRemoteExec(EV, a.ports);
  await a.timers.advance(0);
  a.child().exit(0);
  await d1;
  assert.deepEqual(a.spawned, [['uptime', '-p']]);

  const s = rig({ Script: Buffer.from('echo from script\n').toString('base64'), Wait: 2e9 });
  const d2 = handleRemoteExec(EV, s.ports);
  await s.timers.advance(0);
  s.child().exit(0);
  await d2;
  assert.deepEqual(s.spawned, [['/bin/sh', '-c', 'echo from script\n']]);

  const b = rig({ Command: 'echo $0', Wait: 2e9 });
  const d3 = handleRemoteExec(EV, { ...b.ports, shell: '/bin/bash' });
  await b.timers.advance(0);
  b.child().exit(0);
  await d3;
  assert.deepEqual(b.spawned, [['/bin/bash', '-c', 'echo $0']], "the agent's $SHELL runs commands");
});

test('remote exec: a stale miss retries consistently; a missing job or session is not acked or run', async () => {
  const r = rig({ Command: 'true', Wait: 2e9 }, { staleMiss: true });
  const done = handleRemoteExec(EV, r.ports);
  await r.timers.advance(0);
  r.child().exit(0);
  await done;
  assert.deepEqual(
    r.reads.map((x) => x.stale),
    [true, false],
  );
  assert.equal(r.spawned.length, 1);

  const missing = rig(undefined);
  await handleRemoteExec(EV, missing.ports);
  assert.deepEqual(missing.writes, []);
  assert.deepEqual(missing.spawned, []);

  const noSession = rig({ Command: 'true' });
  await handleRemoteExec(event({ Prefix: '_rexec', Session: '' }), noSession.ports);
  await handleRemoteExec({ ...EV, Payload: new TextEncoder().encode('not json') }, noSession.ports);
  assert.deepEqual(noSession.reads, []);
  assert.deepEqual(noSession.writes, []);
});

test('remote exec: no process runner still writes exit code 255 after the ack', async () => {
  const r = rig({ Command: 'echo', Wait: 2e9 });
  await handleRemoteExec(EV, { ...r.ports, processes: undefined });
  assert.deepEqual(
    r.writes.map((w) => [w.key.slice(K.length), w.value]),
    [
      ['/ack', ''],
      ['/exit', '255'],
    ],
  );
});
