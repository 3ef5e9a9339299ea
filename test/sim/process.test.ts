import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ProcessRunner } from '../../src/runtime/process.js';
import { programs, SimProcessRunner } from './process.js';
import { Scheduler } from './scheduler.js';

test('scripted programs: output, exit code after virtual time, signals, unknown files', async () => {
  const sched = new Scheduler();
  const sim = new SimProcessRunner(sched)
    .define('/bin/check', programs.exitWith(2, 'WARNING: disk 91%\n', 500))
    .define('/bin/server', programs.hang())
    .define('/bin/graceful', (p) =>
      p.onSignal((sig) => p.after(100, () => p.exit(sig === 'SIGTERM' ? 0 : 1))),
    )
    .define('/bin/cat', (p) => {
      p.stdout(p.stdin.toUpperCase());
      p.exit(0);
    });
  const runner: ProcessRunner = sim;

  const chk = runner.spawn('/bin/check', ['-x'], { env: { A: '1' } });
  let out = '';
  chk.onStdout((c) => (out += new TextDecoder().decode(c)));
  assert.equal(runner.isAlive(chk.pid!), true);
  assert.equal(await sched.settle(chk.exited), 2);
  assert.equal(sched.now(), 500);
  assert.equal(out, 'WARNING: disk 91%\n');
  assert.equal(runner.isAlive(chk.pid!), false);

  const srv = runner.spawn('/bin/server', []);
  srv.kill();
  assert.equal(await sched.settle(srv.exited), 143);
  const g = runner.spawn('/bin/graceful', []);
  g.kill('SIGTERM');
  const t0 = sched.now();
  assert.equal(await sched.settle(g.exited), 0);
  assert.equal(sched.now() - t0, 100);
  const g2 = runner.spawn('/bin/graceful', []);
  g2.kill('SIGKILL');
  assert.equal(await sched.settle(g2.exited), 137);

  const cat = runner.spawn('/bin/cat', [], { stdin: 'hi' });
  let catOut = '';
  cat.onStdout((c) => (catOut += new TextDecoder().decode(c)));
  assert.equal(await sched.settle(cat.exited), 0);
  assert.equal(catOut, 'HI');

  const missing = runner.spawn('/bin/nope', []);
  assert.equal(missing.pid, undefined);
  assert.equal(await sched.settle(missing.exited), 127);
  assert.deepEqual(
    sim.spawned.map((s) => s.file),
    ['/bin/check', '/bin/server', '/bin/graceful', '/bin/graceful', '/bin/cat', '/bin/nope'],
  );
  assert.deepEqual(sim.spawned[0]!.opts.env, { A: '1' });
});
