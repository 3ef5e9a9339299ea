// A fake ProcessRunner on the scheduler: tests define programs by file name (a script check, a watch
// handler) as small scripted behaviours on virtual time. Unknown files exit 127 with no pid, as the real
// runner reports a failed spawn. Signals end a program with 128+signal unless it handles them.

import type { ChildProcess, ProcessRunner, SpawnOptions } from '../../src/runtime/process.js';
import type { Scheduler } from './scheduler.js';

type Signal = 'SIGTERM' | 'SIGKILL' | 'SIGINT' | 'SIGHUP';
const SIGNAL_NUMBER: Record<Signal, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

/** What a program sees and does. */
export interface FakeProc {
  readonly pid: number;
  readonly file: string;
  readonly args: readonly string[];
  readonly opts: SpawnOptions;
  /** The stdin bytes given to spawn, as text. */
  readonly stdin: string;
  stdout(text: string | Uint8Array): void;
  stderr(text: string | Uint8Array): void;
  exit(code: number): void;
  /** Runs fn ms of virtual time from now, unless the process has exited by then. */
  after(ms: number, fn: () => void): void;
  /** Handles a signal instead of dying (SIGKILL cannot be handled). */
  onSignal(fn: (sig: Signal) => void): void;
}

export type Program = (p: FakeProc) => void;

/** Common programs. */
export const programs = {
  /** Prints `out`, then exits with `code` after `ms`. */
  exitWith:
    (code: number, out = '', ms = 0): Program =>
    (p) =>
      p.after(ms, () => {
        if (out) p.stdout(out);
        p.exit(code);
      }),
  /** Never exits on its own (until killed). */
  hang: (): Program => () => {},
};

export interface SpawnRecord {
  pid: number | undefined;
  file: string;
  args: readonly string[];
  opts: SpawnOptions;
}

const enc = new TextEncoder();

export class SimProcessRunner implements ProcessRunner {
  private readonly programs = new Map<string, Program>();
  private readonly alive = new Set<number>();
  private nextPid = 1000;
  /** Every spawn, in order. */
  readonly spawned: SpawnRecord[] = [];

  constructor(private readonly sched: Scheduler) {}

  define(file: string, program: Program): this {
    this.programs.set(file, program);
    return this;
  }

  isAlive(pid: number): boolean {
    return this.alive.has(pid);
  }

  spawn(file: string, args: readonly string[], opts: SpawnOptions = {}): ChildProcess {
    const program = this.programs.get(file);
    const sched = this.sched;
    const outFns: Array<(c: Uint8Array) => void> = [];
    const errFns: Array<(c: Uint8Array) => void> = [];
    let resolveExit!: (code: number) => void;
    const exited = new Promise<number>((r) => (resolveExit = r));
    if (!program) {
      this.spawned.push({ pid: undefined, file, args, opts });
      sched.after(0, () => resolveExit(127), 'proc');
      return { pid: undefined, exited, onStdout: () => {}, onStderr: () => {}, kill: () => {} };
    }
    const pid = this.nextPid++;
    this.spawned.push({ pid, file, args, opts });
    this.alive.add(pid);
    let done = false;
    let sigHandler: ((sig: Signal) => void) | null = null;
    const exit = (code: number) => {
      if (done) return;
      done = true;
      this.alive.delete(pid);
      resolveExit(code);
    };
    const chunk = (t: string | Uint8Array) => (typeof t === 'string' ? enc.encode(t) : t.slice());
    const proc: FakeProc = {
      pid,
      file,
      args,
      opts,
      stdin:
        typeof opts.stdin === 'string'
          ? opts.stdin
          : new TextDecoder().decode(opts.stdin ?? new Uint8Array()),
      stdout: (t) => void (!done && outFns.forEach((fn) => fn(chunk(t)))),
      stderr: (t) => void (!done && errFns.forEach((fn) => fn(chunk(t)))),
      exit,
      after: (ms, fn) => void sched.after(ms, () => !done && fn(), 'proc'),
      onSignal: (fn) => void (sigHandler = fn),
    };
    // The program starts on a later event, so the caller can attach its output handlers first.
    sched.after(0, () => program(proc), 'proc');
    return {
      pid,
      exited,
      onStdout: (fn) => void outFns.push(fn),
      onStderr: (fn) => void errFns.push(fn),
      kill: (sig: Signal = 'SIGTERM') =>
        void sched.after(
          0,
          () => {
            if (done) return;
            if (sig !== 'SIGKILL' && sigHandler) sigHandler(sig);
            else exit(128 + SIGNAL_NUMBER[sig]);
          },
          'proc',
        ),
    };
  }
}
