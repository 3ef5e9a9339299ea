// Docker checks (docker_container_id with args, or a legacy script run by `shell -c`): the command runs
// inside the container, exit 0 is passing, 1 warning, anything else critical, and the output keeps the
// last output_max_size bytes with Consul's "Captured N of M bytes" note. Consul talks to the Docker
// Engine API over $DOCKER_HOST; here the docker CLI does it (`docker inspect`, then `docker exec`) through
// the processes port, and a failure to reach the container reports Consul's create-exec texts.

import type { ProcessRunner } from '../runtime/process.js';
import type { CheckStatus } from './runner.js';
import { TailBuffer } from './script.js';

/** The docker executable, looked up on the agent's PATH. */
export const DOCKER_CLI = 'docker';

/** Consul's shell for a docker check's script when `shell` is unset. */
export const DOCKER_DEFAULT_SHELL = '/bin/sh';

/**
 * What Consul's client reports when no Docker daemon listens at the default DOCKER_HOST
 * (unix:///var/run/docker.sock); without a docker CLI there is no Docker to reach either.
 */
export function noDockerError(containerId: string): string {
  return (
    `Post "http://%2Fvar%2Frun%2Fdocker.sock/containers/${encodeURIComponent(containerId)}/exec": ` +
    'dial unix /var/run/docker.sock: connect: no such file or directory'
  );
}

export interface DockerCommand {
  containerId: string;
  args?: readonly string[];
  script?: string;
  shell?: string;
  outputMax: number;
}

interface Ran {
  /** False when the docker CLI could not be started (not on PATH). */
  started: boolean;
  code: number;
  stdout: string;
  stderr: string;
  /** stdout and stderr together, as the check's output. */
  out: TailBuffer;
}

const dec = new TextDecoder();

/** Runs the docker CLI to completion, keeping (bounded) stdout and stderr apart. */
async function docker(processes: ProcessRunner, args: string[], max: number): Promise<Ran> {
  const child = processes.spawn(DOCKER_CLI, args, { group: true });
  const out = new TailBuffer(max);
  const err = new TailBuffer(max);
  let stdout = '';
  child.onStdout((c) => {
    out.write(c);
    if (stdout.length < max) stdout += dec.decode(c);
  });
  child.onStderr((c) => {
    out.write(c);
    err.write(c);
  });
  const code = await child.exited;
  return { started: child.pid !== undefined, code, stdout, stderr: err.text(), out };
}

/** One run of a docker check. */
export async function runDocker(
  cmd: DockerCommand,
  ports: { processes: ProcessRunner },
): Promise<{ status: CheckStatus; output: string }> {
  const id = cmd.containerId;
  const critical = (output: string) => ({ status: 'critical' as const, output });
  // Consul's exec create fails on an unknown (404) or a paused or stopped (409) container; inspecting
  // first tells those apart from the command's own exit codes (docker exec exits 1 for both).
  const state = await docker(
    ports.processes,
    ['inspect', '--type', 'container', '--format', '{{.State.Running}} {{.State.Paused}}', id],
    4096,
  );
  if (!state.started) return critical(`create exec failed for container ${id}: ${noDockerError(id)}`);
  if (state.code !== 0) {
    if (/no such (container|object)/i.test(state.stderr))
      return critical(`create exec failed for unknown container ${id}`);
    const why = state.stderr.trim() || `exit status ${state.code}`;
    return critical(`create exec failed for container ${id}: ${why}`);
  }
  if (state.stdout.trim() !== 'true false')
    return critical(`create exec failed since container ${id} is paused or stopped`);
  const argv =
    cmd.args && cmd.args.length > 0
      ? [...cmd.args]
      : [cmd.shell || DOCKER_DEFAULT_SHELL, '-c', cmd.script ?? ''];
  const ran = await docker(ports.processes, ['exec', id, ...argv], cmd.outputMax);
  if (!ran.started) return critical(`create exec failed for container ${id}: ${noDockerError(id)}`);
  const status: CheckStatus = ran.code === 0 ? 'passing' : ran.code === 1 ? 'warning' : 'critical';
  return { status, output: ran.out.text() };
}
