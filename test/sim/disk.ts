// A simulated disk with real durability rules. Readers see the page cache (everything written); a crash
// keeps only what was synced. writeFileAtomic and createExclusive sync (the real ones fsync file and
// directory); appendFile does not until fsync(path). crash() drops every unsynced byte, except that with a
// seeded coin a file keeps a strict prefix of its unsynced tail — a torn last append, as a power cut
// leaves it. Directories and removals are durable at once (a simplification: the real disk fsyncs the
// directory only in writeFileAtomic). Errors carry Node's errno codes, as the real Disk port's would.
// Without options it is a plain in-memory Disk for unit tests (`put` and `text` help there).

import { SeededRng } from '../../src/lib/prng.js';
import type { DirEntry, Disk, FileStat } from '../../src/runtime/disk.js';
import type { Rng } from '../../src/runtime/rng.js';
import type { Scheduler } from './scheduler.js';

export type DiskOp =
  | 'readFile'
  | 'writeFileAtomic'
  | 'createExclusive'
  | 'appendFile'
  | 'fsync'
  | 'mkdirp'
  | 'readdir'
  | 'stat'
  | 'remove'
  | 'rename';

export interface SimDiskOptions {
  /** Decides torn tails on crash (default: a fixed-seed stream). */
  rng?: Rng;
  /** Virtual time for mtimeMs (default 0). */
  now?: () => number;
  /** Chance that a file with unsynced bytes keeps a torn prefix of them on crash (default 0.5). */
  tearProbability?: number;
  /**
   * Virtual time operations take (default: none, everything completes at once): opMs for reads, writes
   * and appends, syncMs more for fsync and the syncing writes. With latency, fsync
   * makes durable what was written before the call only when it completes; writeFileAtomic and
   * createExclusive take effect when they complete; and an operation pending at a crash never settles,
   * as the process that awaited it is dead (so code after `await fsync` cannot run for a lost write).
   */
  latency?: { sched: Scheduler; syncMs: number; opMs?: number };
}

/** What a crash did to one file that had unsynced bytes. */
export interface CrashLoss {
  path: string;
  /** Unsynced bytes that survived (a torn prefix), 0 when all were lost. */
  keptUnsynced: number;
  lostBytes: number;
  /** True when the file itself vanished (created by appends that were never synced). */
  vanished: boolean;
}

interface File {
  /** What a crash keeps; null when not even the file's existence is durable yet. */
  durable: Uint8Array | null;
  /** The page cache: what readers see. `durable` is always a prefix of it. */
  data: Uint8Array;
  mtimeMs: number;
}

const enc = new TextEncoder();
const toBytes = (d: Uint8Array | string): Uint8Array => (typeof d === 'string' ? enc.encode(d) : d.slice());

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** An error shaped like Node's fs errors (code, syscall, path). */
export function fsError(code: string, syscall: string, p: string): Error {
  const text: Record<string, string> = {
    ENOENT: 'no such file or directory',
    EEXIST: 'file already exists',
    EISDIR: 'illegal operation on a directory',
    ENOTDIR: 'not a directory',
    EIO: 'i/o error',
    ENOSPC: 'no space left on device',
  };
  const err = new Error(`${code}: ${text[code] ?? 'error'}, ${syscall} '${p}'`) as Error & {
    code: string;
    syscall: string;
    path: string;
  };
  err.code = code;
  err.syscall = syscall;
  err.path = p;
  return err;
}

/** "a//b/" → "/a/b"; relative paths count from "/". */
function norm(p: string): string {
  const parts = p.split('/').filter((s) => s !== '' && s !== '.');
  return `/${parts.join('/')}`;
}

function parentOf(p: string): string {
  const i = p.lastIndexOf('/');
  return i <= 0 ? '/' : p.slice(0, i);
}

function byteOrder(a: string, b: string): number {
  const x = enc.encode(a);
  const y = enc.encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

export class SimDisk implements Disk {
  private readonly files = new Map<string, File>();
  private readonly dirs = new Set<string>(['/']);
  private readonly rng: Rng;
  private readonly now: () => number;
  private readonly tearProbability: number;
  private fault: ((op: DiskOp, path: string) => string | undefined) | null = null;
  private readonly latency: SimDiskOptions['latency'];
  /** Counts crashes, so operations that were pending at one never complete. */
  private epoch = 0;
  /** Operations so far, by kind (a test can assert that something was, or was not, synced). */
  readonly stats = { writes: 0, appends: 0, fsyncs: 0, crashes: 0 };

  /** `new SimDisk()`, `new SimDisk({ rng, now })`, or the older `new SimDisk(rng, now)`. */
  constructor(opts: SimDiskOptions | Rng = {}, now?: () => number) {
    const o: SimDiskOptions = 'float' in opts ? { rng: opts, ...(now ? { now } : {}) } : opts;
    this.rng = o.rng ?? new SeededRng(0);
    this.now = o.now ?? (() => 0);
    this.tearProbability = o.tearProbability ?? 0.5;
    this.latency = o.latency;
  }

  /** Waits `ms` of virtual time (nothing without latency); never returns if a crash happens meanwhile. */
  private pause(ms: number): Promise<void> | null {
    if (!this.latency || ms <= 0) return null; // no await at all: effects stay synchronous
    const epoch = this.epoch;
    const sched = this.latency.sched;
    return new Promise<void>((resolve) => sched.after(ms, () => epoch === this.epoch && resolve(), 'disk'));
  }

  private get opMs(): number {
    return this.latency?.opMs ?? 0;
  }

  private get syncMs(): number {
    return this.latency?.syncMs ?? 0;
  }

  /**
   * Makes operations fail: fn sees each operation before it takes effect and returns an errno code
   * ("EIO", "ENOSPC") to reject it with, or undefined to let it through. null removes the hook.
   */
  injectFaults(fn: ((op: DiskOp, path: string) => string | undefined) | null): void {
    this.fault = fn;
  }

  private check(op: DiskOp, syscall: string, p: string): void {
    const code = this.fault?.(op, p);
    if (code) throw fsError(code, syscall, p);
  }

  private needParentDir(p: string, syscall: string): void {
    const d = parentOf(p);
    if (!this.dirs.has(d)) throw fsError(this.files.has(d) ? 'ENOTDIR' : 'ENOENT', syscall, p);
  }

  // --- the Disk port ---

  async readFile(path: string): Promise<Uint8Array | null> {
    const p = norm(path);
    this.check('readFile', 'open', p);
    const wait = this.pause(this.opMs);
    if (wait) await wait;
    if (this.dirs.has(p)) throw fsError('EISDIR', 'read', p);
    return this.files.get(p)?.data.slice() ?? null;
  }

  async writeFileAtomic(path: string, data: Uint8Array | string, _mode?: number): Promise<void> {
    const p = norm(path);
    this.check('writeFileAtomic', 'open', p);
    this.needParentDir(p, 'open');
    if (this.dirs.has(p)) throw fsError('EISDIR', 'rename', p);
    const b = toBytes(data);
    // The rename is the commit point: until it, readers and crashes see the old file.
    const wait = this.pause(this.opMs + this.syncMs);
    if (wait) await wait;
    this.needParentDir(p, 'rename');
    this.files.set(p, { durable: b, data: b, mtimeMs: this.now() });
    this.stats.writes++;
  }

  async createExclusive(path: string, data: Uint8Array | string, _mode?: number): Promise<boolean> {
    const p = norm(path);
    this.check('createExclusive', 'open', p);
    if (this.files.has(p) || this.dirs.has(p)) return false;
    this.needParentDir(p, 'open');
    const b = toBytes(data);
    const f: File = { durable: null, data: b, mtimeMs: this.now() };
    this.files.set(p, f);
    const wait = this.pause(this.opMs + this.syncMs);
    if (wait) await wait;
    f.durable = b;
    this.stats.writes++;
    return true;
  }

  async appendFile(path: string, data: Uint8Array | string): Promise<void> {
    const p = norm(path);
    this.check('appendFile', 'open', p);
    if (this.dirs.has(p)) throw fsError('EISDIR', 'open', p);
    this.needParentDir(p, 'open');
    const f = this.files.get(p);
    const b = toBytes(data);
    if (f) {
      f.data = concat(f.data, b);
      f.mtimeMs = this.now();
    } else this.files.set(p, { durable: null, data: b, mtimeMs: this.now() });
    this.stats.appends++;
    const wait = this.pause(this.opMs);
    if (wait) await wait;
  }

  async mkdirp(path: string, _mode?: number): Promise<void> {
    const p = norm(path);
    this.check('mkdirp', 'mkdir', p);
    const parts = p.split('/').slice(1);
    let d = '';
    for (const part of parts) {
      d += `/${part}`;
      if (this.files.has(d)) throw fsError(d === p ? 'EEXIST' : 'ENOTDIR', 'mkdir', p);
    }
    d = '';
    for (const part of parts) {
      d += `/${part}`;
      this.dirs.add(d);
    }
  }

  async readdir(path: string): Promise<DirEntry[] | null> {
    const dir = norm(path);
    this.check('readdir', 'scandir', dir);
    if (this.files.has(dir)) throw fsError('ENOTDIR', 'scandir', dir);
    if (!this.dirs.has(dir)) return null;
    const prefix = dir === '/' ? '/' : `${dir}/`;
    const out: DirEntry[] = [];
    for (const f of this.files.keys()) {
      const rest = f.startsWith(prefix) ? f.slice(prefix.length) : '';
      if (rest !== '' && !rest.includes('/')) out.push({ name: rest, isFile: true, isDirectory: false });
    }
    for (const d of this.dirs) {
      const rest = d.startsWith(prefix) ? d.slice(prefix.length) : '';
      if (rest !== '' && !rest.includes('/')) out.push({ name: rest, isFile: false, isDirectory: true });
    }
    return out.sort((a, b) => byteOrder(a.name, b.name));
  }

  async stat(path: string): Promise<FileStat | null> {
    const p = norm(path);
    this.check('stat', 'stat', p);
    const f = this.files.get(p);
    if (f) return { isFile: true, isDirectory: false, size: f.data.length, mtimeMs: f.mtimeMs };
    if (this.dirs.has(p)) return { isFile: false, isDirectory: true, size: 0, mtimeMs: 0 };
    return null;
  }

  /** rm -rf: missing paths are fine. */
  async remove(path: string): Promise<void> {
    const p = norm(path);
    this.check('remove', 'rm', p);
    if (p === '/') throw fsError('EISDIR', 'rm', p);
    const under = `${p}/`;
    for (const f of [...this.files.keys()]) if (f === p || f.startsWith(under)) this.files.delete(f);
    for (const d of [...this.dirs]) if (d === p || d.startsWith(under)) this.dirs.delete(d);
  }

  /** Renames a file (replacing a file at `to`) or a directory; durable at once, like a synced rename. */
  async rename(from: string, to: string): Promise<void> {
    const a = norm(from);
    const b = norm(to);
    this.check('rename', 'rename', a);
    if (a === b) return;
    this.needParentDir(b, 'rename');
    const f = this.files.get(a);
    if (f) {
      if (this.dirs.has(b)) throw fsError('EISDIR', 'rename', b);
      this.files.delete(a);
      this.files.set(b, f);
      return;
    }
    if (!this.dirs.has(a) || a === '/') throw fsError('ENOENT', 'rename', a);
    if (b.startsWith(`${a}/`)) throw fsError('EINVAL', 'rename', a);
    if (this.files.has(b)) throw fsError('ENOTDIR', 'rename', b);
    const moved = (x: string) => b + x.slice(a.length);
    for (const d of [...this.dirs])
      if (d === a || d.startsWith(`${a}/`)) {
        this.dirs.delete(d);
        this.dirs.add(moved(d));
      }
    for (const [k, v] of [...this.files])
      if (k.startsWith(`${a}/`)) {
        this.files.delete(k);
        this.files.set(moved(k), v);
      }
  }

  // --- durability and crashes ---

  /** fsync(path): everything written to the file so far survives a crash. */
  async fsync(path: string): Promise<void> {
    const p = norm(path);
    this.check('fsync', 'fsync', p);
    const f = this.files.get(p);
    if (!f) throw fsError('ENOENT', 'open', p);
    // Only what was written before the call is covered; later appends stay volatile.
    const covered = f.data;
    const wait = this.pause(this.syncMs);
    if (wait) await wait;
    if (this.files.get(p) === f && covered.length > (f.durable?.length ?? -1)) f.durable = covered;
    this.stats.fsyncs++;
  }

  /** The older name of fsync. */
  sync(path: string): Promise<void> {
    return this.fsync(path);
  }

  /** Bytes of the file a crash would lose now (0 for absent or fully synced files). */
  unsyncedBytes(path: string): number {
    const f = this.files.get(norm(path));
    return f ? f.data.length - (f.durable?.length ?? 0) : 0;
  }

  /** Power loss: unsynced bytes vanish, a file may keep a torn prefix of them. Returns what was lost. */
  crash(): CrashLoss[] {
    this.stats.crashes++;
    this.epoch++;
    const losses: CrashLoss[] = [];
    for (const [p, f] of [...this.files]) {
      const durable = f.durable ?? new Uint8Array();
      const extra = f.data.length - durable.length;
      if (extra === 0 && f.durable !== null) continue;
      const kept = extra > 0 && this.rng.float() < this.tearProbability ? this.rng.int(extra) : 0;
      const survivor = f.data.slice(0, durable.length + kept);
      const vanished = f.durable === null && survivor.length === 0;
      if (vanished) this.files.delete(p);
      else this.files.set(p, { durable: survivor, data: survivor, mtimeMs: f.mtimeMs });
      losses.push({ path: p, keptUnsynced: kept, lostBytes: extra - kept, vanished });
    }
    return losses;
  }

  // --- conveniences for unit tests (synchronous, durable) ---

  /** Creates a file, and its directories, as already synced. */
  put(path: string, content: Uint8Array | string): void {
    const p = norm(path);
    let d = parentOf(p);
    while (d !== '/') {
      this.dirs.add(d);
      d = parentOf(d);
    }
    const b = toBytes(content);
    this.files.set(p, { durable: b, data: b, mtimeMs: this.now() });
  }

  /** What a reader would see, as text; undefined when absent. */
  text(path: string): string | undefined {
    const f = this.files.get(norm(path));
    return f && new TextDecoder().decode(f.data);
  }

  /** Every file path, sorted (for assertions and traces). */
  paths(): string[] {
    return [...this.files.keys()].sort(byteOrder);
  }
}
