// consul exec against a real -dev agent: with disable_remote_exec = false the node runs the command and
// the CLI prints its output and exit code; with the default (disabled) nobody acknowledges. Either way the
// CLI leaves nothing behind under _rexec/.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { agentUp, consul, MAIN, startConsul, stop, waitFor, type Proc } from '../helpers/process.js';

const IP = '127.0.0.100';
const PORT = 19300;
const env = { CONSUL_HTTP_ADDR: `${IP}:${PORT}` };
const procs: Proc[] = [];

function devAgent(node: string, extra: string[]): Proc {
  const p = startConsul([
    'agent',
    '-dev',
    `-node=${node}`,
    `-bind=${IP}`,
    `-client=${IP}`,
    `-http-port=${PORT}`,
    '-dns-port=19301',
    '-serf-lan-port=19302',
    '-serf-wan-port=19303',
    '-server-port=19304',
    '-grpc-port=-1',
    ...extra,
  ]);
  procs.push(p);
  return p;
}

async function ready(p: Proc): Promise<void> {
  assert.ok(await agentUp(IP, PORT), p.err());
  await waitFor(
    'a leader',
    async () => (await (await fetch(`http://${IP}:${PORT}/v1/status/leader`)).json()) !== '',
    15_000,
  );
}

async function rexecKeys(): Promise<number> {
  const r = await fetch(`http://${IP}:${PORT}/v1/kv/_rexec/?keys`);
  return r.status === 404 ? 0 : ((await r.json()) as string[]).length;
}

after(async () => {
  for (const p of procs) await stop(p);
});

test('consul exec runs on an agent with remote exec enabled, and nobody acks when it is disabled', async () => {
  const on = devAgent('rexec-on', ['-hcl', 'disable_remote_exec = false']);
  await ready(on);
  const r = consul(['exec', 'echo hello'], env);
  assert.equal(r.code, 0, r.err);
  assert.equal(
    r.out,
    [
      '    rexec-on: hello',
      '    rexec-on:',
      '==> rexec-on: finished with exit code 0',
      '1 / 1 node(s) completed / acknowledged',
      '',
    ].join('\n'),
  );
  assert.equal(await rexecKeys(), 0, 'the job, ack, output and exit keys are gone');
  const listed = await (await fetch(`http://${IP}:${PORT}/v1/event/list`)).json();
  assert.deepEqual(listed, [], 'remote exec events are not user events in /v1/event/list');

  // A script on stdin (`-`) runs through the shell; a node filter that matches nobody gets no acks.
  const script = spawnSync(process.execPath, [MAIN, 'exec', '-wait=500ms', '-'], {
    env: { ...process.env, ...env },
    input: 'echo one\necho two >&2\n',
    encoding: 'utf8',
    timeout: 20_000,
  });
  assert.equal(script.status, 0, script.stderr);
  assert.match(script.stdout, /^ {4}rexec-on: one$/m);
  assert.match(script.stdout, /^ {4}rexec-on: two$/m);
  const filtered = consul(['exec', '-wait=500ms', '-node=^other$', 'echo hello'], env);
  assert.deepEqual(filtered, { code: 0, out: '0 / 0 node(s) completed / acknowledged\n', err: '' });

  // A failing command makes the CLI exit 2 (Consul's "bad exit").
  const bad = consul(['exec', '-wait=500ms', 'exit 7'], env);
  assert.equal(bad.code, 2, bad.err);
  assert.match(bad.out, /==> rexec-on: finished with exit code 7\n1 \/ 1 node\(s\) completed/);
  await stop(on);

  const off = devAgent('rexec-off', []);
  await ready(off);
  const none = consul(['exec', '-wait=500ms', 'echo hello'], env);
  assert.deepEqual(none, { code: 0, out: '0 / 0 node(s) completed / acknowledged\n', err: '' });
  await waitFor('the agent to log the ignored event', () =>
    off.out().includes('ignoring remote exec event, disabled.'),
  );
  assert.equal(await rexecKeys(), 0);
});
