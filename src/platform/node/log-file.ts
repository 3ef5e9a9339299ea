// -log-file with Consul's rotation rules: the active file keeps its name (a directory, or a path ending
// in "/", gets "consul.log" inside it; a name without an extension gets ".log"); when it reaches
// log_rotate_bytes or is log_rotate_duration old it is renamed to <name>-<unix-nanos><ext> and a new one
// begins; log_rotate_max_files keeps that many archives (0 keeps all, -1 keeps none).
import { appendFileSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, existsSync } from 'node:fs';
import path from 'node:path';
import type { Clock } from '../../runtime/clock.js';
import { formatHclog, formatJsonLog } from '../../runtime/log-format.js';
import type { LogRecord, LogSink } from '../../runtime/logger.js';
import { localOffset } from './log-console.js';

export interface LogFileOptions {
  path: string;
  json: boolean;
  rotateBytes: number;
  rotateDurationMs: number;
  maxFiles: number;
  clock: Clock;
}

export function logFilePath(p: string): string {
  let isDir = p.endsWith('/');
  if (!isDir && existsSync(p)) isDir = statSync(p).isDirectory();
  if (isDir) return path.join(p, 'consul.log');
  return path.extname(p) === '' ? `${p}.log` : p;
}

export class FileSink implements LogSink {
  readonly file: string;
  private size = 0;
  private openedAt: number;
  private seq = 0;

  constructor(private readonly o: LogFileOptions) {
    this.file = logFilePath(o.path);
    mkdirSync(path.dirname(this.file), { recursive: true });
    this.size = existsSync(this.file) ? statSync(this.file).size : 0;
    this.openedAt = o.clock.monotonicMs();
  }

  write(rec: LogRecord): void {
    const line = `${this.o.json ? formatJsonLog(rec, localOffset(rec.timeMs)) : formatHclog(rec, localOffset(rec.timeMs))}\n`;
    const due =
      (this.o.rotateDurationMs > 0 &&
        this.o.clock.monotonicMs() - this.openedAt >= this.o.rotateDurationMs) ||
      (this.o.rotateBytes > 0 && this.size > 0 && this.size + Buffer.byteLength(line) > this.o.rotateBytes);
    if (due) this.rotate();
    // Synchronous append: a crash right after a log call still leaves the line on disk.
    appendFileSync(this.file, line);
    this.size += Buffer.byteLength(line);
  }

  rotate(): void {
    if (existsSync(this.file)) {
      const ext = path.extname(this.file);
      const base = this.file.slice(0, this.file.length - ext.length);
      // Unix nanoseconds, kept unique when two rotations fall in one millisecond.
      const ns = BigInt(Math.round(this.o.clock.wallMs())) * 1_000_000n + BigInt(this.seq++ % 1_000_000);
      renameSync(this.file, `${base}-${ns}${ext}`);
    }
    this.size = 0;
    this.openedAt = this.o.clock.monotonicMs();
    this.prune();
  }

  /** Archives of this log, oldest first. */
  archives(): string[] {
    const ext = path.extname(this.file);
    const stem = path.basename(this.file, ext);
    const re = new RegExp(
      `^${stem.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-(\\d+)${ext.replace('.', '\\.')}$`,
    );
    return readdirSync(path.dirname(this.file))
      .map((n) => ({ n, m: re.exec(n) }))
      .filter((x) => x.m)
      .sort((a, b) => (BigInt(a.m![1]!) < BigInt(b.m![1]!) ? -1 : 1))
      .map((x) => path.join(path.dirname(this.file), x.n));
  }

  private prune(): void {
    if (this.o.maxFiles === 0) return;
    const keep = Math.max(0, this.o.maxFiles);
    const all = this.archives();
    for (const f of all.slice(0, Math.max(0, all.length - keep))) rmSync(f, { force: true });
  }
}
