// Script checks on the simulated process runner: exit codes to statuses, the 4 KiB tail of
// stdout+stderr, legacy `script` through sh -c, and a hanging command killed at its timeout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCheck, type CheckDef, type CheckPorts } from '../../../src/checks/runner.js';
import { TailBuffer } from '../../../src/checks/script.js';
import { programs, SimProcessRunner } from '../../sim/process.js';
import { Scheduler } from '../../sim/scheduler.js';

function setup() {
  const sched = new Scheduler();
  const procs = new SimProcessRunner(sched);
  const ports = { timers: sched.timers(), processes: procs } as unknown as CheckPorts;
  const def = (over: Partial<CheckDef>): CheckDef => ({
    id: 'c',
    name: 'c',
    serviceId: '',
    intervalNs: 10e9,
    timeoutNs: 30e9,
    ...over,
  });
  return { sched, procs, ports, def };
}

test('script check: exit 0 passing, 1 warning, other critical; output is stdout+stderr', async () => {
  const { sched, procs, ports, def } = setup();
  procs
    .define('/ok', programs.exitWith(0, 'all good\n'))
    .define('/warn', programs.exitWith(1, 'disk 91%\n'))
    .define('/bad', (p) => {
      p.stdout('out;');
      p.stderr('err');
      p.exit(2);
    });
  assert.deepEqual(await sched.settle(runCheck(def({ args: ['/ok'] }), ports)), {
    status: 'passing',
    output: 'all good\n',
  });
  assert.deepEqual(await sched.settle(runCheck(def({ args: ['/warn', '-x'] }), ports)), {
    status: 'warning',
    output: 'disk 91%\n',
  });
  assert.deepEqual(await sched.settle(runCheck(def({ args: ['/bad'] }), ports)), {
    status: 'critical',
    output: 'out;err',
  });
  assert.deepEqual(procs.spawned[1]!.args, ['-x']);
  assert.equal(procs.spawned[1]!.opts.group, true);
});

test('legacy script runs through /bin/sh -c', async () => {
  const { sched, procs, ports, def } = setup();
  procs.define('/bin/sh', programs.exitWith(0, 'ran'));
  const r = await sched.settle(runCheck(def({ script: 'echo ran; exit 0' }), ports));
  assert.equal(r.status, 'passing');
  assert.deepEqual(procs.spawned[0]!.args, ['-c', 'echo ran; exit 0']);
});

test('a command past its timeout is killed and reported critical with Consul’s text', async () => {
  const { sched, procs, ports, def } = setup();
  procs.define('/hang', (p) => p.stdout('started\n'));
  const start = sched.now();
  const r = await sched.settle(runCheck(def({ args: ['/hang'], timeoutNs: 2e9 }), ports));
  assert.equal(sched.now() - start, 2000);
  assert.deepEqual(r, {
    status: 'critical',
    output: 'Timed out (2s) running check\n\nstarted\n',
    direct: true,
  });
  assert.equal(procs.isAlive(procs.spawned[0]!.pid!), false);
  procs.define('/quiet', programs.hang());
  const q = await sched.settle(runCheck(def({ args: ['/quiet'], timeoutNs: 30e9 }), ports));
  assert.equal(q.output, 'Timed out (30s) running check');
});

test('output keeps the last bytes, with Consul’s "Captured" note', async () => {
  const b = new TailBuffer(8);
  b.write(new TextEncoder().encode('0123456789'));
  b.write(new TextEncoder().encode('abc'));
  assert.equal(b.text(), 'Captured 8 of 13 bytes\n...\n56789abc');
  const { sched, procs, ports, def } = setup();
  procs.define('/big', programs.exitWith(0, 'x'.repeat(5000) + 'END'));
  const r = await sched.settle(runCheck(def({ args: ['/big'], outputMax: 4096 }), ports));
  assert.ok(r.output.startsWith('Captured 4096 of 5003 bytes\n...\nxxx'), r.output.slice(0, 40));
  assert.ok(r.output.endsWith('END'));
});
