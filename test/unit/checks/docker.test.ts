// Docker checks on the simulated process runner, where a scripted `docker` program stands in for the
// docker CLI (Docker is not installed here): inspect first, then exec; exit codes to statuses; the output
// tail; Consul's create-exec texts for unknown, stopped or paused containers and for no Docker at all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkKind, runCheck, type CheckDef, type CheckPorts } from '../../../src/checks/runner.js';
import { SimProcessRunner, type FakeProc } from '../../sim/process.js';
import { Scheduler } from '../../sim/scheduler.js';

/** Containers by ID → `{{.State.Running}} {{.State.Paused}}`; exec runs `exit <n>` after printing. */
function fakeDocker(containers: Record<string, string>) {
  return (p: FakeProc) => {
    const [verb, ...rest] = p.args;
    if (verb === 'inspect') {
      const id = rest.at(-1)!;
      if (containers[id] === undefined) {
        p.stderr(`Error: No such container: ${id}\n`);
        return p.exit(1);
      }
      p.stdout(`${containers[id]}\n`);
      return p.exit(0);
    }
    if (verb === 'exec') {
      // `exec <id> sh -c "<text>; exit <n>"` or `exec <id> <cmd> <n> <text>`
      const cmd = rest.slice(1);
      const code = Number(cmd[1]);
      p.stdout(cmd[2] ?? '');
      return p.exit(Number.isInteger(code) ? code : 0);
    }
    p.exit(125);
  };
}

function setup(containers: Record<string, string> | null) {
  const sched = new Scheduler();
  const procs = new SimProcessRunner(sched);
  if (containers) procs.define('docker', fakeDocker(containers));
  const ports = { timers: sched.timers(), processes: procs } as unknown as CheckPorts;
  const def = (over: Partial<CheckDef>): CheckDef => ({
    id: 'c',
    name: 'c',
    serviceId: '',
    intervalNs: 10e9,
    timeoutNs: 30e9,
    dockerContainerId: 'web1',
    ...over,
  });
  const run = (over: Partial<CheckDef>) => sched.settle(runCheck(def(over), ports));
  return { procs, def, run };
}

test('a docker check is kind docker only with a container ID and a command', () => {
  const { def } = setup({});
  assert.equal(checkKind(def({ args: ['x'] })), 'docker');
  assert.equal(checkKind(def({ script: 'x' })), 'docker');
  assert.equal(checkKind(def({ args: ['x'], dockerContainerId: undefined })), 'script');
  assert.equal(checkKind(def({})), '');
});

test('docker exec: exit 0 passing, 1 warning, other critical, with the command’s output', async () => {
  const { procs, run } = setup({ web1: 'true false' });
  assert.deepEqual(await run({ args: ['cmd', '0', 'fine\n'] }), { status: 'passing', output: 'fine\n' });
  assert.deepEqual(await run({ args: ['cmd', '1', 'high\n'] }), { status: 'warning', output: 'high\n' });
  assert.deepEqual(await run({ args: ['cmd', '2', 'down\n'] }), { status: 'critical', output: 'down\n' });
  assert.deepEqual(await run({ args: ['cmd', '126', ''] }), { status: 'critical', output: '' });
  assert.deepEqual(
    procs.spawned.slice(0, 2).map((s) => [s.file, ...s.args]),
    [
      [
        'docker',
        'inspect',
        '--type',
        'container',
        '--format',
        '{{.State.Running}} {{.State.Paused}}',
        'web1',
      ],
      ['docker', 'exec', 'web1', 'cmd', '0', 'fine\n'],
    ],
  );
});

test('a legacy script runs as `<shell> -c <script>` (default /bin/sh)', async () => {
  const { procs, run } = setup({ web1: 'true false' });
  await run({ script: 'echo hi' });
  await run({ script: 'echo hi', shell: '/bin/bash' });
  const execs = procs.spawned.filter((s) => s.args[0] === 'exec').map((s) => s.args.join(' '));
  assert.deepEqual(execs, ['exec web1 /bin/sh -c echo hi', 'exec web1 /bin/bash -c echo hi']);
});

test('output keeps the last output_max_size bytes with Consul’s note', async () => {
  const { run } = setup({ web1: 'true false' });
  const r = await run({ args: ['cmd', '0', `${'a'.repeat(10)}${'b'.repeat(90)}`], outputMax: 90 });
  assert.deepEqual(r, { status: 'passing', output: `Captured 90 of 100 bytes\n...\n${'b'.repeat(90)}` });
});

test('container errors: Consul’s create-exec texts, and no exec is tried', async () => {
  const { procs, run } = setup({ stopped1: 'false false', paused1: 'true true' });
  assert.deepEqual(await run({ dockerContainerId: 'ghost', args: ['true'] }), {
    status: 'critical',
    output: 'create exec failed for unknown container ghost',
  });
  assert.deepEqual(await run({ dockerContainerId: 'stopped1', args: ['true'] }), {
    status: 'critical',
    output: 'create exec failed since container stopped1 is paused or stopped',
  });
  assert.deepEqual(await run({ dockerContainerId: 'paused1', args: ['true'] }), {
    status: 'critical',
    output: 'create exec failed since container paused1 is paused or stopped',
  });
  assert.equal(procs.spawned.filter((s) => s.args[0] === 'exec').length, 0);
});

test('a docker CLI that cannot reach its daemon: its error, after Consul’s prefix', async () => {
  const sched = new Scheduler();
  const procs = new SimProcessRunner(sched).define('docker', (p) => {
    p.stderr(
      'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n',
    );
    p.exit(1);
  });
  const ports = { timers: sched.timers(), processes: procs } as unknown as CheckPorts;
  const def: CheckDef = {
    id: 'c',
    name: 'c',
    serviceId: '',
    intervalNs: 1e10,
    timeoutNs: 1e10,
    dockerContainerId: 'w',
    args: ['x'],
  };
  assert.deepEqual(await sched.settle(runCheck(def, ports)), {
    status: 'critical',
    output:
      'create exec failed for container w: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?',
  });
});

test('no docker CLI: critical with the error Consul reports when no Docker answers', async () => {
  const { run } = setup(null);
  assert.deepEqual(await run({ args: ['true'] }), {
    status: 'critical',
    output:
      'create exec failed for container web1: Post "http://%2Fvar%2Frun%2Fdocker.sock/containers/web1/exec": dial unix /var/run/docker.sock: connect: no such file or directory',
  });
});
