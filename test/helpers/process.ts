// Spawning our binary in tests, and polling with deadlines (never fixed sleeps).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const MAIN = fileURLToPath(new URL('../../src/main.js', import.meta.url));

export interface Proc {
  child: ChildProcess;
  out(): string;
  err(): string;
  exited: Promise<number | null>;
  exitCode(): number | null | undefined;
}

export function startConsul(args: string[], env: Record<string, string> = {}): Proc {
  const child = spawn(process.execPath, [MAIN, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let code: number | null | undefined;
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((r) =>
    child.on('exit', (c) => {
      code = c;
      r(c);
    }),
  );
  return { child, out: () => out, err: () => err, exited, exitCode: () => code };
}

export function consul(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [MAIN, ...args], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Polls fn until it returns a truthy value or the deadline passes (then throws with `what`). */
export async function waitFor<T>(
  what: string,
  fn: () => T | Promise<T>,
  timeoutMs = 10_000,
  everyMs = 25,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export async function httpGet(url: string): Promise<{ status: number; body: string; headers: Headers }> {
  const r = await fetch(url);
  return { status: r.status, body: await r.text(), headers: r.headers };
}

export async function stop(p: Proc): Promise<void> {
  if (p.exitCode() === undefined) {
    p.child.kill('SIGKILL');
    await p.exited;
  }
}

/** Waits until an agent answers /v1/agent/self on ip:port. */
export function agentUp(ip: string, port = 8500, timeoutMs = 10_000): Promise<boolean> {
  return waitFor(
    `agent on ${ip}:${port}`,
    () => httpGet(`http://${ip}:${port}/v1/agent/self`).then((r) => r.status === 200),
    timeoutMs,
  );
}

/**
 * `consul agent -node=<name>` bound to `ip` (HTTP, DNS and gossip on Consul's default ports there) with a
 * fresh data dir; the process and the dir are added to `track` for the test's cleanup.
 */
export function startNodeAgent(
  name: string,
  ip: string,
  extra: string[],
  track: { procs: Proc[]; dirs: string[] },
  prefix = 'proconsul-',
): Proc {
  const d = mkdtempSync(path.join(tmpdir(), prefix));
  track.dirs.push(d);
  const p = startConsul([
    'agent',
    `-node=${name}`,
    `-bind=${ip}`,
    `-client=${ip}`,
    `-data-dir=${d}`,
    ...extra,
  ]);
  track.procs.push(p);
  return p;
}

/**
 * `consul agent -dev` on `ip` (HTTP on `port`, DNS on `dnsPort`, no gRPC) plus `extra` flags, once it
 * answers and leads itself; throws with its stderr when it does not come up.
 */
export async function startDevAgent(
  ip: string,
  port: number,
  dnsPort: number,
  extra: string[] = [],
): Promise<Proc> {
  const p = startConsul([
    'agent',
    '-dev',
    `-bind=${ip}`,
    `-client=${ip}`,
    `-http-port=${port}`,
    `-dns-port=${dnsPort}`,
    '-grpc-port=-1',
    ...extra,
  ]);
  if (!(await agentUp(ip, port).catch(() => false))) throw new Error(`agent on ${ip}:${port}: ${p.err()}`);
  await waitFor(
    'a leader',
    async () => ((await (await fetch(`http://${ip}:${port}/v1/status/leader`)).json()) as string) !== '',
    10_000,
  );
  return p;
}
