// Script checks on real agents through /v1/agent/check/register and /v1/agent/checks: refused with
// Consul's text unless enable_script_checks is on; exit codes become statuses; a hanging command is
// killed at its timeout (with its whole process group) and reported critical.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { agentUp, startConsul, stop, waitFor, type Proc } from '../helpers/process.js';

const procs: Proc[] = [];
const dir = mkdtempSync(path.join(tmpdir(), 'proconsul-script-'));
after(async () => {
  await Promise.all(procs.map(stop));
  rmSync(dir, { recursive: true, force: true });
});

function agent(ip: string, port: number, extra: string[]): Promise<boolean> {
  procs.push(
    startConsul([
      'agent',
      '-dev',
      `-node=script-${port}`,
      `-bind=${ip}`,
      `-client=${ip}`,
      `-http-port=${port}`,
      `-dns-port=${port + 1}`,
      `-serf-lan-port=${port + 2}`,
      `-server-port=${port + 3}`,
      '-grpc-port=-1',
      ...extra,
    ]),
  );
  return agentUp(ip, port);
}

const put = async (base: string, p: string, body: unknown) => {
  const r = await fetch(`${base}${p}`, { method: 'PUT', body: JSON.stringify(body) });
  return { status: r.status, text: await r.text() };
};
type Check = { Status: string; Output: string; Type: string; Timeout: string };
const agentChecks = async (base: string) =>
  (await (await fetch(`${base}/v1/agent/checks`)).json()) as Record<string, Check>;

test('script checks are refused unless enabled, with Consul’s texts', { timeout: 30_000 }, async () => {
  const base = 'http://127.0.0.141:18920';
  assert.ok(await agent('127.0.0.141', 18920, []), procs.at(-1)!.err());
  const r = await put(base, '/v1/agent/check/register', { Name: 'disk', Args: ['true'], Interval: '1s' });
  assert.deepEqual(r, {
    status: 500,
    text: "Scripts are disabled on this agent from remote calls; to enable, configure 'enable_script_checks' to true\n",
  });
  assert.deepEqual(await agentChecks(base), {});
  // Validation comes first and registers nothing either.
  assert.deepEqual(await put(base, '/v1/agent/check/register', { Name: 'x', Args: ['true'] }), {
    status: 400,
    text: 'Invalid check: Interval must be > 0 for Script, HTTP, H2PING, TCP, UDP or GRPC checks\n',
  });
  assert.deepEqual(await put(base, '/v1/agent/check/register', { Name: 'x' }), {
    status: 400,
    text: 'Invalid check: TTL must be > 0 for TTL checks\n',
  });
  assert.deepEqual(await put(base, '/v1/agent/check/register', { Name: 'x', TTL: '10s', Status: 'meh' }), {
    status: 400,
    text: 'Bad check status\n',
  });
  assert.deepEqual(await agentChecks(base), {});
});

test('enabled script checks: exit codes to statuses, output, timeout kill', { timeout: 40_000 }, async () => {
  const base = 'http://127.0.0.140:18910';
  assert.ok(await agent('127.0.0.140', 18910, ['-enable-script-checks']), procs.at(-1)!.err());
  const marker = path.join(dir, 'survivor');
  const reg = async (body: unknown) =>
    assert.equal((await put(base, '/v1/agent/check/register', body)).status, 200);
  await reg({ Name: 'ok', Args: ['sh', '-c', 'echo fine; exit 0'], Interval: '1s' });
  await reg({ Name: 'warn', Args: ['sh', '-c', 'echo high >&2; exit 1'], Interval: '1s' });
  await reg({ Name: 'crit', Script: 'echo down; exit 3', Interval: '1s' });
  // The child of the shell would touch the marker after 4 s if only the shell were killed.
  await reg({
    Name: 'hang',
    Args: ['sh', '-c', `(sleep 4; touch ${marker}) & sleep 30`],
    Interval: '10s',
    Timeout: '1s',
  });
  await waitFor(
    'all four ran',
    async () => Object.values(await agentChecks(base)).every((c) => c.Output !== ''),
    15_000,
  );
  const c = await agentChecks(base);
  assert.deepEqual(Object.fromEntries(Object.entries(c).map(([k, v]) => [k, [v.Status, v.Output, v.Type]])), {
    ok: ['passing', 'fine\n', 'script'],
    warn: ['warning', 'high\n', 'script'],
    crit: ['critical', 'down\n', 'script'],
    hang: ['critical', 'Timed out (1s) running check', 'script'],
  });
  assert.equal(c.ok!.Timeout, '30s', 'script checks default to a 30 s timeout');
  await new Promise((r) => setTimeout(r, 4500));
  assert.equal(existsSync(marker), false, 'the whole process group was killed');
});
