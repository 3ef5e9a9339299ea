// Child processes through node:child_process.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { constants } from 'node:os';
import type { ChildProcess, ProcessRunner, SpawnOptions } from '../../runtime/process.js';

export const nodeProcessRunner: ProcessRunner = {
  spawn(file: string, args: readonly string[], opts: SpawnOptions = {}): ChildProcess {
    const cp = spawn(file, [...args], {
      env: opts.env ?? (opts.extraEnv ? { ...process.env, ...opts.extraEnv } : undefined),
      cwd: opts.cwd,
      detached: opts.group === true,
      stdio: [opts.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    if (opts.stdin !== undefined && cp.stdin) {
      cp.stdin.on('error', () => {}); // a child that exits early must not crash us with EPIPE
      cp.stdin.end(opts.stdin);
    }
    const exited = new Promise<number>((resolve) => {
      cp.on('error', () => resolve(127));
      cp.on('close', (code, signal) => {
        if (code !== null) resolve(code);
        else resolve(128 + (signal ? (constants.signals[signal] ?? 0) : 0));
      });
    });
    return {
      pid: cp.pid,
      exited,
      onStdout: (fn) => void cp.stdout?.on('data', (c: Buffer) => fn(new Uint8Array(c))),
      onStderr: (fn) => void cp.stderr?.on('data', (c: Buffer) => fn(new Uint8Array(c))),
      kill: (sig = 'SIGTERM') => {
        if (opts.group && cp.pid !== undefined) {
          try {
            process.kill(-cp.pid, sig);
            return;
          } catch {
            // the group is gone already; fall back to the child itself
          }
        }
        cp.kill(sig);
      },
    };
  },
  isAlive(pid: number): boolean {
    try {
      process.kill(pid, 0);
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'EPERM';
    }
    // A killed process its parent has not reaped yet still answers signal 0: a zombie holds nothing.
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      return state !== 'Z' && state !== 'X';
    } catch {
      return true; // no /proc here: signal 0 is all we know
    }
  },
};
