// Docker checks on real agents. Docker is not installed on this machine: a fake `docker` executable (a
// small shell script this test writes into a temp dir and puts first on the agent's PATH) stands in for
// it. It records every call's arguments, answers `docker inspect` from a per-container state file
// ("true false" = running, not paused; no file = no such container), and runs an `exec`'s command on
// this host, so its exit code and output are the check's. A second agent runs without any docker on its
// PATH and shows what Consul does without Docker: the registration is accepted and the check reports
// the failed exec create, critical.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { agentUp, startConsul, stop, waitFor, type Proc } from '../helpers/process.js';

const procs: Proc[] = [];
const dir = mkdtempSync(path.join(tmpdir(), 'proconsul-docker-'));
after(async () => {
  await Promise.all(procs.map(stop));
  rmSync(dir, { recursive: true, force: true });
});

const bin = path.join(dir, 'bin');
const states = path.join(dir, 'containers');
const calls = path.join(dir, 'calls.log');
mkdirSync(bin);
mkdirSync(states);
writeFileSync(
  path.join(bin, 'docker'),
  `#!/bin/sh
# Fake docker CLI for tests (Docker is absent here): logs its arguments, then behaves like docker.
printf '%s\\n' "$*" >> '${calls}'
case "$1" in
  inspect)
    for last; do :; done
    if [ -f '${states}'/"$last" ]; then cat '${states}'/"$last"; exit 0; fi
    echo "Error: No such container: $last" >&2
    exit 1 ;;
  exec)
    shift 2
    exec "$@" ;;
esac
echo "unexpected docker call: $*" >&2
exit 125
`,
);
chmodSync(path.join(bin, 'docker'), 0o755);
writeFileSync(path.join(states, 'web1'), 'true false\n');
writeFileSync(path.join(states, 'stopped1'), 'false false\n');
writeFileSync(path.join(states, 'paused1'), 'true true\n');

function agent(ip: string, port: number, extra: string[], env: Record<string, string>): Promise<boolean> {
  procs.push(
    startConsul(
      [
        'agent',
        '-dev',
        `-node=docker-${port}`,
        `-bind=${ip}`,
        `-client=${ip}`,
        `-http-port=${port}`,
        `-dns-port=-1`,
        `-serf-lan-port=${port + 2}`,
        `-server-port=${port + 3}`,
        '-grpc-port=-1',
        ...extra,
      ],
      env,
    ),
  );
  return agentUp(ip, port);
}

const put = async (base: string, p: string, body: unknown) => {
  const r = await fetch(`${base}${p}`, { method: 'PUT', body: JSON.stringify(body) });
  return { status: r.status, text: await r.text() };
};
type Check = { Status: string; Output: string; Type: string };
const agentChecks = async (base: string) =>
  (await (await fetch(`${base}/v1/agent/checks`)).json()) as Record<string, Check>;

test(
  'docker checks run through the docker CLI: exit codes, output, container errors',
  { timeout: 40_000 },
  async () => {
    const ip = '127.0.7.20';
    const base = `http://${ip}:18720`;
    const env = { PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}` };
    assert.ok(await agent(ip, 18720, ['-enable-script-checks'], env), procs.at(-1)!.err());
    // Consul's validation: a docker check needs args (without them it is no interval check at all).
    assert.deepEqual(
      await put(base, '/v1/agent/check/register', { Name: 'x', DockerContainerID: 'web1', Interval: '1s' }),
      {
        status: 400,
        text: 'Invalid check: TTL must be > 0 for TTL checks\n',
      },
    );
    const reg = async (body: unknown) =>
      assert.deepEqual(await put(base, '/v1/agent/check/register', body), { status: 200, text: 'null\n' });
    await reg({ Name: 'ok', DockerContainerID: 'web1', Args: ['sh', '-c', 'echo fine'], Interval: '1s' });
    await reg({
      Name: 'warn',
      DockerContainerID: 'web1',
      Args: ['sh', '-c', 'echo high >&2; exit 1'],
      Interval: '1s',
    });
    await reg({
      Name: 'crit',
      DockerContainerID: 'web1',
      Args: ['sh', '-c', 'echo down; exit 3'],
      Interval: '1s',
    });
    await reg({
      Name: 'legacy',
      DockerContainerID: 'web1',
      Shell: '/bin/sh',
      Script: 'echo shell; exit 0',
      Interval: '1s',
    });
    await reg({
      Name: 'big',
      DockerContainerID: 'web1',
      Args: ['sh', '-c', 'head -c 5000 /dev/zero | tr "\\0" x'],
      Interval: '1s',
    });
    await reg({ Name: 'ghost', DockerContainerID: 'ghost', Args: ['true'], Interval: '1s' });
    await reg({ Name: 'stopped', DockerContainerID: 'stopped1', Args: ['true'], Interval: '1s' });
    await reg({ Name: 'paused', DockerContainerID: 'paused1', Args: ['true'], Interval: '1s' });
    // Args without a container ID make a plain script check, which never goes near docker.
    await reg({ Name: 'local', Args: ['sh', '-c', 'echo here'], Interval: '1s' });
    await waitFor(
      'every check ran',
      async () => Object.values(await agentChecks(base)).every((c) => c.Output !== ''),
      15_000,
    );
    const c = await agentChecks(base);
    const big = c.big!.Output;
    assert.equal(big, `Captured 4096 of 5000 bytes\n...\n${'x'.repeat(4096)}`);
    delete c.big;
    assert.deepEqual(
      Object.fromEntries(Object.entries(c).map(([k, v]) => [k, [v.Status, v.Output, v.Type]])),
      {
        ok: ['passing', 'fine\n', 'docker'],
        warn: ['warning', 'high\n', 'docker'],
        crit: ['critical', 'down\n', 'docker'],
        legacy: ['passing', 'shell\n', 'docker'],
        ghost: ['critical', 'create exec failed for unknown container ghost', 'docker'],
        stopped: ['critical', 'create exec failed since container stopped1 is paused or stopped', 'docker'],
        paused: ['critical', 'create exec failed since container paused1 is paused or stopped', 'docker'],
        local: ['passing', 'here\n', 'script'],
      },
    );
    const log = readFileSync(calls, 'utf8').split('\n');
    assert.ok(log.includes('exec web1 sh -c echo fine'), log.join('\n'));
    assert.ok(log.includes('exec web1 /bin/sh -c echo shell; exit 0'), 'a script runs as `shell -c script`');
    assert.ok(log.includes('inspect --type container --format {{.State.Running}} {{.State.Paused}} web1'));
    assert.ok(
      !log.some((l) => l.startsWith('exec ghost') || l.startsWith('exec stopped1')),
      'no exec into a missing or stopped container',
    );
    assert.ok(
      !log.some((l) => l.includes('echo here')),
      'a check without a container ID does not use docker',
    );
  },
);

test(
  'without docker on PATH: the registration is accepted and the check fails as Consul’s does without Docker',
  { timeout: 30_000 },
  async () => {
    const ip = '127.0.7.21';
    const base = `http://${ip}:18730`;
    const empty = path.join(dir, 'empty-path');
    mkdirSync(empty);
    assert.equal(existsSync(path.join(empty, 'docker')), false);
    assert.ok(await agent(ip, 18730, [], { PATH: empty }), procs.at(-1)!.err());
    const body = { Name: 'web', DockerContainerID: 'web1', Args: ['true'], Interval: '1s' };
    // Docker checks run scripts: refused unless enable_script_checks, with Consul's text.
    assert.deepEqual(await put(base, '/v1/agent/check/register', body), {
      status: 500,
      text: "Scripts are disabled on this agent from remote calls; to enable, configure 'enable_script_checks' to true\n",
    });
    await stop(procs.pop()!);
    assert.ok(await agent(ip, 18730, ['-enable-script-checks'], { PATH: empty }), procs.at(-1)!.err());
    assert.deepEqual(await put(base, '/v1/agent/check/register', body), { status: 200, text: 'null\n' });
    const web = await waitFor('the check ran', async () => {
      const w = (await agentChecks(base)).web;
      return w && w.Output !== '' ? w : null;
    });
    assert.deepEqual(
      [web.Status, web.Output, web.Type],
      [
        'critical',
        'create exec failed for container web1: Post "http://%2Fvar%2Frun%2Fdocker.sock/containers/web1/exec": dial unix /var/run/docker.sock: connect: no such file or directory',
        'docker',
      ],
    );
  },
);
