// The agent's half of `consul exec` (consul-surface.md §7.9). A `_rexec` user event names a session;
// the job spec waits at <prefix>/<session>/job. The agent acks at <prefix>/<session>/<node>/ack, runs the
// command, uploads its output in chunks to .../out/00000, 00001, … (an empty chunk is a heartbeat
// while the command is quiet), and finally writes its exit code to .../exit. Every key is acquired
// with the CLI's session, so destroying that session (behavior "delete") removes them all.

import type { ProcessRunner } from '../runtime/process.js';
import type { Timers } from '../runtime/timers.js';
import type { Logger } from '../runtime/logger.js';
import type { UserEvent } from './events.js';

export const REXEC_EVENT = '_rexec';
/** Output is uploaded once this much is buffered… */
export const OUTPUT_CHUNK = 4096;
/** …or once the command has been silent this long. */
export const OUTPUT_IDLE_MS = 500;
/** Heartbeat period when the spec gives no Wait (the CLI always sends one). */
const DEFAULT_WAIT_NS = 2e9;

export interface RexecEvent {
  Prefix: string;
  Session: string;
}

/** The job as the CLI writes it: Go's JSON of {Command, Args, Script []byte (base64), Wait ns}. */
export interface RexecSpec {
  Command?: string;
  Args?: string[];
  Script?: string;
  Wait?: number;
}

export interface RemoteExecPorts {
  node: string;
  /** A key's value, or null when absent (stale: any server may answer). Throws on transport errors. */
  kvGet(key: string, stale: boolean): Promise<Uint8Array | null>;
  /** PUT ?acquire=<session>; true when the key was written. Throws on transport errors. */
  kvAcquire(key: string, value: Uint8Array, session: string): Promise<boolean>;
  processes: ProcessRunner | undefined;
  timers: Timers;
  logger: Logger;
  /** Shell for Command and Script ($SHELL in Consul, else /bin/sh). */
  shell?: string;
}

const enc = new TextEncoder();

function parseEvent(ev: UserEvent): RexecEvent | null {
  try {
    const v = JSON.parse(new TextDecoder().decode(ev.Payload ?? new Uint8Array())) as Partial<RexecEvent>;
    if (typeof v !== 'object' || v === null) return null;
    return { Prefix: String(v.Prefix ?? ''), Session: String(v.Session ?? '') };
  } catch {
    return null;
  }
}

function join(...parts: string[]): string {
  return parts
    .join('/')
    .replace(/\/+/g, '/')
    .replace(/^\/|\/$/g, '');
}

/** Fetches the spec: a stale read first, then a consistent one if the stale read saw nothing. */
async function getSpec(ev: RexecEvent, p: RemoteExecPorts): Promise<RexecSpec | null> {
  const key = join(ev.Prefix, ev.Session, 'job');
  let raw: Uint8Array | null;
  try {
    raw = await p.kvGet(key, true);
    if (raw === null) {
      p.logger.debug('trying consistent fetch of remote exec job spec');
      raw = await p.kvGet(key, false);
    }
  } catch (e) {
    p.logger.error('failed to get remote exec job', 'error', (e as Error).message);
    return null;
  }
  if (raw === null) {
    p.logger.debug('remote exec aborted, job spec missing');
    return null;
  }
  try {
    return JSON.parse(new TextDecoder().decode(raw)) as RexecSpec;
  } catch (e) {
    p.logger.error('failed to decode remote exec spec', 'error', (e as Error).message);
    return null;
  }
}

async function writeKey(
  ev: RexecEvent,
  p: RemoteExecPorts,
  suffix: string,
  value: Uint8Array,
): Promise<boolean> {
  try {
    if (await p.kvAcquire(join(ev.Prefix, ev.Session, p.node, suffix), value, ev.Session)) return true;
    throw new Error('write failed');
  } catch (e) {
    const msg =
      suffix === 'ack'
        ? 'failed to ack remote exec job'
        : suffix === 'exit'
          ? 'failed to write exit code for remote exec job'
          : 'failed to write output for remote exec job';
    p.logger.error(msg, 'error', (e as Error).message);
    return false;
  }
}

/**
 * Output buffering: bytes collect until OUTPUT_CHUNK is full or OUTPUT_IDLE_MS passes without more,
 * then one chunk is queued for upload.
 */
class OutputBuffer {
  private buf: Uint8Array[] = [];
  private len = 0;
  private idle: { cancel(): void } | null = null;
  readonly ready: Uint8Array[] = [];
  private wake: (() => void) | null = null;

  constructor(private readonly timers: Timers) {}

  write(b: Uint8Array): void {
    this.idle?.cancel();
    this.idle = null;
    let rest = b;
    while (this.len + rest.length >= OUTPUT_CHUNK) {
      const take = OUTPUT_CHUNK - this.len;
      this.buf.push(rest.subarray(0, take));
      this.len += take;
      rest = rest.subarray(take);
      this.flush();
    }
    if (rest.length > 0) {
      this.buf.push(rest);
      this.len += rest.length;
    }
    if (this.len > 0) this.idle = this.timers.after(OUTPUT_IDLE_MS, () => this.flush());
  }

  flush(): void {
    this.idle?.cancel();
    this.idle = null;
    if (this.len === 0) return;
    const out = new Uint8Array(this.len);
    let o = 0;
    for (const c of this.buf) {
      out.set(c, o);
      o += c.length;
    }
    this.buf = [];
    this.len = 0;
    this.ready.push(out);
    this.notify();
  }

  notify(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  /** Resolves true when a chunk is ready or notify() is called, false after ms of nothing. */
  wait(ms: number): Promise<boolean> {
    if (this.ready.length > 0) return Promise.resolve(true);
    return new Promise((r) => {
      const t = this.timers.after(ms, () => {
        this.wake = null;
        r(false);
      });
      this.wake = () => {
        t.cancel();
        r(true);
      };
    });
  }
}

/** Runs one remote exec job end to end; resolves when the exit code is written (or the job is abandoned). */
export async function handleRemoteExec(msg: UserEvent, p: RemoteExecPorts): Promise<void> {
  p.logger.debug('received remote exec event', 'id', msg.ID);
  const ev = parseEvent(msg);
  if (!ev) return p.logger.error('failed to decode remote exec event');
  if (ev.Session === '') return p.logger.error('remote exec event missing session');
  const spec = await getSpec(ev, p);
  if (!spec) return;
  if (!(await writeKey(ev, p, 'ack', new Uint8Array()))) return;

  let exitCode = 0;
  try {
    exitCode = await run(ev, spec, p);
  } finally {
    await writeKey(ev, p, 'exit', enc.encode(String(exitCode)));
  }
}

async function run(ev: RexecEvent, spec: RexecSpec, p: RemoteExecPorts): Promise<number> {
  const shell = p.shell ?? '/bin/sh';
  let argv: string[];
  if (spec.Args && spec.Args.length > 0) argv = [...spec.Args];
  else {
    // A Script runs through the shell like a Command (Consul spills it to a temp file first).
    const script =
      spec.Script !== undefined && spec.Script !== ''
        ? Buffer.from(spec.Script, 'base64').toString('utf8')
        : (spec.Command ?? '');
    argv = [shell, '-c', script];
  }
  p.logger.info('remote exec', 'script', argv.join(' '));
  if (!p.processes) {
    p.logger.debug('failed to start remote exec', 'error', 'no process runner');
    return 255;
  }
  let child;
  try {
    child = p.processes.spawn(argv[0]!, argv.slice(1), { group: true });
  } catch (e) {
    p.logger.debug('failed to start remote exec', 'error', (e as Error).message);
    return 255;
  }
  const out = new OutputBuffer(p.timers);
  child.onStdout((c) => out.write(c));
  child.onStderr((c) => out.write(c));
  let exited: number | null = null;
  void child.exited.then((code) => {
    out.flush();
    exited = code;
    out.notify();
  });
  const waitMs = (spec.Wait && spec.Wait > 0 ? spec.Wait : DEFAULT_WAIT_NS) / 1e6;
  for (let seq = 0; ;) {
    const chunk = out.ready.shift();
    if (chunk) {
      if (!(await writeKey(ev, p, `out/${seq.toString(16).padStart(5, '0')}`, chunk))) {
        child.kill('SIGKILL');
        return 255;
      }
      seq++;
      continue;
    }
    if (exited !== null) return exited;
    // Nothing arrived for a whole Wait: an empty chunk tells the CLI this node is still working.
    if (!(await out.wait(waitMs)) && exited === null) {
      if (!(await writeKey(ev, p, `out/${seq.toString(16).padStart(5, '0')}`, new Uint8Array()))) {
        child.kill('SIGKILL');
        return 255;
      }
      seq++;
    }
  }
}
