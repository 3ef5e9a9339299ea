// Log lines to stdout, held back until the startup banner is out (as Consul's gated writer does).
import { formatHclog, formatJsonLog } from '../../runtime/log-format.js';
import type { LogRecord, LogSink } from '../../runtime/logger.js';

export class ConsoleSink implements LogSink {
  private held: string[] | null = [];

  constructor(
    private readonly json: boolean,
    private readonly out: (s: string) => void = (s) => void process.stdout.write(s),
  ) {}

  write(rec: LogRecord): void {
    const line = `${this.json ? formatJsonLog(rec, localOffset(rec.timeMs)) : formatHclog(rec, localOffset(rec.timeMs))}\n`;
    if (this.held) this.held.push(line);
    else this.out(line);
  }

  /** Lets held lines through, in order. */
  open(): void {
    const h = this.held;
    this.held = null;
    if (h) for (const l of h) this.out(l);
  }
}

/** Minutes east of UTC at that instant in this process's time zone. */
export function localOffset(ms: number): number {
  return -new Date(ms).getTimezoneOffset();
}
