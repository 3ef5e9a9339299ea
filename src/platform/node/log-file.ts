// -log-file as Consul 1.16.4 writes it. The path splits like Go's filepath.Split: a path ending in "/"
// names the directory and the file is "consul.log"; otherwise the last element is the file name, used
// as given (no extension added, no directory check). Old archives are pruned at startup, then the
// active file keeps that name and is appended to across restarts. (One deliberate difference: a missing
// directory is created, where Consul fails with "no such file or directory".) Before a write, if log_rotate_bytes (> 0) have been written to it or
// log_rotate_duration (0 = 24h) has passed since it was created, it is renamed to
// <stem>-<unix nanoseconds><ext> (ext defaults to ".log") and archives beyond log_rotate_max_files are
// removed, oldest first (0 keeps all, a negative value keeps none). Rotation happens only on a write,
// as in Consul, so time-based rotation reads the Clock and needs no timer.
import {
  closeSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import type { Clock } from '../../runtime/clock.js';
import { formatHclog, formatJsonLog } from '../../runtime/log-format.js';
import type { LogRecord, LogSink } from '../../runtime/logger.js';
import { localOffset } from './log-console.js';

export const DEFAULT_LOG_FILE_NAME = 'consul.log';
export const DEFAULT_ROTATE_DURATION_MS = 24 * 60 * 60 * 1000;

export interface LogFileOptions {
  /** -log-file / log_file as configured. */
  path: string;
  json: boolean;
  /** log_rotate_bytes; 0 turns size rotation off. */
  rotateBytes: number;
  /** log_rotate_duration in ms; 0 means Consul's default, 24h. */
  rotateDurationMs: number;
  /** log_rotate_max_files: 0 keeps every archive, a negative value keeps none. */
  maxFiles: number;
  clock: Clock;
}

/** Directory and file name of the active log, as Consul derives them from -log-file. */
export function splitLogFilePath(p: string): { dir: string; name: string } {
  const cut = p.lastIndexOf('/') + 1;
  const name = p.slice(cut);
  return { dir: p.slice(0, cut), name: name === '' ? DEFAULT_LOG_FILE_NAME : name };
}

/** Path of the active log file for a -log-file value. */
export function logFilePath(p: string): string {
  const { dir, name } = splitLogFilePath(p);
  return dir === '' ? name : path.join(dir, name);
}

/** Stem and extension of archive names: "consul.log" → consul-<ns>.log, "agent" → agent-<ns>.log. */
function archiveParts(name: string): { stem: string; ext: string } {
  const ext = path.extname(name);
  return ext === '' ? { stem: name, ext: '.log' } : { stem: name.slice(0, -ext.length), ext };
}

/** Go's error text for the errno codes a log file open meets. */
function goErrno(e: unknown): string {
  const code = (e as { code?: string }).code;
  const text: Record<string, string> = {
    ENOENT: 'no such file or directory',
    EACCES: 'permission denied',
    EISDIR: 'is a directory',
    ENOTDIR: 'not a directory',
    EROFS: 'read-only file system',
    ENOSPC: 'no space left on device',
  };
  return (code && text[code]) ?? (e instanceof Error ? e.message : String(e));
}

export class FileSink implements LogSink {
  /** The active file. */
  readonly file: string;
  private readonly dir: string;
  private readonly stem: string;
  private readonly ext: string;
  private readonly durationMs: number;
  private fd: number;
  private written = 0;
  /** Wall-clock ms at which the active file was created. */
  private createdMs = 0;
  private lastArchiveNs = 0n;

  /** Prunes and opens as Consul's setup does, or returns its "Failed to …" error as a value. */
  static open(o: LogFileOptions): FileSink | Error {
    try {
      return new FileSink(o);
    } catch (e) {
      return e instanceof Error ? e : new Error(String(e));
    }
  }

  /** Prefer `open`; the constructor throws Consul's setup error when the file cannot be opened. */
  constructor(private readonly o: LogFileOptions) {
    this.file = logFilePath(o.path);
    this.dir = path.dirname(this.file);
    ({ stem: this.stem, ext: this.ext } = archiveParts(path.basename(this.file)));
    this.durationMs = o.rotateDurationMs > 0 ? o.rotateDurationMs : DEFAULT_ROTATE_DURATION_MS;
    try {
      mkdirSync(this.dir, { recursive: true });
    } catch (e) {
      // Where Consul's open would fail on the missing directory, report it the same way.
      const why = (e as { code?: string }).code === 'EEXIST' ? 'not a directory' : goErrno(e);
      throw new Error(`Failed to setup logging: open ${this.file}: ${why}`, { cause: e });
    }
    try {
      this.prune();
    } catch (e) {
      throw new Error(`Failed to prune log files: ${goErrno(e)}`, { cause: e });
    }
    try {
      this.fd = this.openActive(true);
    } catch (e) {
      throw new Error(`Failed to setup logging: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  }

  write(rec: LogRecord): void {
    const off = localOffset(rec.timeMs);
    const line = Buffer.from(`${this.o.json ? formatJsonLog(rec, off) : formatHclog(rec, off)}\n`);
    if (this.rotationDue()) this.rotate();
    // One synchronous write per line: lines stay whole and in order, and are in the kernel once
    // the log call returns, so a crash right after it keeps them.
    this.written += writeSync(this.fd, line);
  }

  private rotationDue(): boolean {
    return (
      (this.o.rotateBytes > 0 && this.written >= this.o.rotateBytes) ||
      this.o.clock.wallMs() - this.createdMs >= this.durationMs
    );
  }

  /** Moves the active file to a timestamped archive, prunes old archives and starts a new file. */
  rotate(): void {
    closeSync(this.fd);
    try {
      renameSync(this.file, path.join(this.dir, `${this.stem}-${this.archiveNs()}${this.ext}`));
      this.prune();
    } finally {
      // Even if the rename failed the sink keeps a file to write to, so no line is dropped.
      this.fd = this.openActive(false);
    }
  }

  /** Archives of this log, oldest first (Consul's glob "<stem>-*<ext>", sorted by name). */
  archives(): string[] {
    return readdirSync(this.dir)
      .filter((n) => n.startsWith(`${this.stem}-`) && n.endsWith(this.ext) && n !== path.basename(this.file))
      .sort()
      .map((n) => path.join(this.dir, n));
  }

  close(): void {
    closeSync(this.fd);
  }

  private openActive(first: boolean): number {
    let fd: number;
    try {
      fd = openSync(this.file, 'a', 0o640);
    } catch (e) {
      throw new Error(`open ${this.file}: ${goErrno(e)}`, { cause: e });
    }
    const st = fstatSync(fd);
    this.written = st.size;
    // A file carried over from an earlier run dates from its inode change time, as Consul reads
    // it on Linux; a file created now dates from the Clock (which tests control).
    this.createdMs = first && st.size > 0 ? st.ctimeMs : this.o.clock.wallMs();
    return fd;
  }

  /** Unix nanoseconds for an archive name, kept increasing so two rotations never share a name. */
  private archiveNs(): bigint {
    let ns = BigInt(Math.round(this.o.clock.wallMs() * 1000)) * 1000n;
    if (ns <= this.lastArchiveNs) ns = this.lastArchiveNs + 1n;
    this.lastArchiveNs = ns;
    return ns;
  }

  private prune(): void {
    if (this.o.maxFiles === 0) return;
    const all = this.archives();
    const keep = Math.max(0, this.o.maxFiles);
    for (const f of all.slice(0, Math.max(0, all.length - keep))) rmSync(f, { force: true });
  }
}
