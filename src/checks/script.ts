// Script checks: `args` run directly, legacy `script` through `sh -c`. Exit 0 is passing, 1 warning,
// anything else critical; stdout and stderr share one buffer that keeps the last OutputMaxSize bytes.

import { formatGoDuration } from '../lib/duration.js';
import type { ProcessRunner } from '../runtime/process.js';
import type { Timers } from '../runtime/timers.js';
import type { CheckStatus } from './runner.js';

/** Consul's default for script checks without a timeout. */
export const SCRIPT_TIMEOUT_NS = 30e9;

/** Keeps the last `max` bytes written and counts all of them (Consul's circular output buffer). */
export class TailBuffer {
  private chunks: Uint8Array[] = [];
  private held = 0;
  total = 0;

  constructor(private readonly max: number) {}

  write(c: Uint8Array): void {
    this.total += c.length;
    this.chunks.push(c);
    this.held += c.length;
    while (this.held - (this.chunks[0]?.length ?? 0) >= this.max) this.held -= this.chunks.shift()!.length;
  }

  /** The output text, with Consul's note when earlier bytes were dropped. */
  text(): string {
    const all = new Uint8Array(this.held);
    let o = 0;
    for (const c of this.chunks) {
      all.set(c, o);
      o += c.length;
    }
    const kept = all.subarray(Math.max(0, this.held - this.max));
    const s = new TextDecoder().decode(kept);
    return this.total > kept.length ? `Captured ${kept.length} of ${this.total} bytes\n...\n${s}` : s;
  }
}

export interface ScriptResult {
  status: CheckStatus;
  output: string;
  /** A timed-out run reports critical at once, past the thresholds (as Consul's monitor does). */
  direct?: boolean;
}

export async function runScript(
  cmd: { args?: readonly string[]; script?: string; timeoutNs: number; outputMax: number },
  ports: { processes: ProcessRunner; timers: Timers },
): Promise<ScriptResult> {
  const argv = cmd.args && cmd.args.length > 0 ? cmd.args : ['/bin/sh', '-c', cmd.script ?? ''];
  const out = new TailBuffer(cmd.outputMax);
  const child = ports.processes.spawn(argv[0]!, argv.slice(1), { group: true });
  child.onStdout((c) => out.write(c));
  child.onStderr((c) => out.write(c));
  const timeoutNs = cmd.timeoutNs > 0 ? cmd.timeoutNs : SCRIPT_TIMEOUT_NS;
  let timedOut = false;
  const t = ports.timers.after(timeoutNs / 1e6, () => {
    timedOut = true;
    child.kill('SIGKILL');
  });
  // Waiting for the exit even after a kill means two runs of one check never overlap.
  const code = await child.exited;
  t.cancel();
  if (timedOut) {
    const text = out.text();
    const msg = `Timed out (${formatGoDuration(timeoutNs)}) running check`;
    return { status: 'critical', output: text.length > 0 ? `${msg}\n\n${text}` : msg, direct: true };
  }
  const status: CheckStatus = code === 0 ? 'passing' : code === 1 ? 'warning' : 'critical';
  return { status, output: out.text() };
}
