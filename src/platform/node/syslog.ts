// -syslog (enable_syslog) as Consul 1.16 does it through go-syslog: the facility name is checked first
// ("invalid syslog facility: X"), then the local daemon is dialled the way Go's log/syslog does — a unix
// datagram socket at /dev/log, /var/run/syslog, /var/run/log, then a stream socket at the same paths —
// else "Unix syslog delivery error". Each record goes out in the agent's line format (Consul feeds one
// hclog writer to console, file and syslog alike, so -log-json lines reach syslog as JSON), passed
// through Consul's syslog wrapper — the text between the first "[" and "]" picks the severity, and what
// follows "] " (leading spaces trimmed) is sent — and framed as log/syslog frames local messages:
// "<PRI>Jan _2 15:04:05 consul[PID]: text\n".
import net from 'node:net';
import { MS, formatGoDuration } from '../../lib/duration.js';
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { formatHclog, formatJsonLog } from '../../runtime/log-format.js';
import type { LogRecord, LogSink } from '../../runtime/logger.js';
import type { Timers } from '../../runtime/timers.js';
import { localOffset } from './log-console.js';

interface UnixDgramSocket {
  connect(path: string): void;
  send(buf: Buffer, cb: (err?: Error & { code?: unknown }) => void): void;
  on(ev: 'error', fn: (e: Error) => void): void;
  on(ev: 'writable', fn: () => void): void;
  removeAllListeners(ev?: string): void;
  close(): void;
}
const unixDgram = createRequire(import.meta.url)('unix-dgram') as {
  createSocket(type: 'unix_dgram'): UnixDgramSocket;
};

/** The names go-syslog accepts (any case) and their facility codes. */
export const FACILITIES: Readonly<Record<string, number>> = {
  KERN: 0,
  USER: 1,
  MAIL: 2,
  DAEMON: 3,
  AUTH: 4,
  SYSLOG: 5,
  LPR: 6,
  NEWS: 7,
  UUCP: 8,
  CRON: 9,
  AUTHPRIV: 10,
  FTP: 11,
  LOCAL0: 16,
  LOCAL1: 17,
  LOCAL2: 18,
  LOCAL3: 19,
  LOCAL4: 20,
  LOCAL5: 21,
  LOCAL6: 22,
  LOCAL7: 23,
};

/** Facility code for a syslog_facility value, or go-syslog's error. */
export function facilityCode(name: string): number | Error {
  const up = name.toUpperCase();
  const code = Object.hasOwn(FACILITIES, up) ? FACILITIES[up] : undefined;
  return code ?? new Error(`invalid syslog facility: ${up}`);
}

/** Consul's wrapper: TRACE→debug, DEBUG→info, INFO→notice, WARN→warning, ERROR→err, CRIT→crit. */
export const SEVERITY_BY_TOKEN: Readonly<Record<string, number>> = {
  TRACE: 7,
  DEBUG: 6,
  INFO: 5,
  WARN: 4,
  ERROR: 3,
  CRIT: 2,
};

/** What the wrapper uses for a line without a known level token. */
export const DEFAULT_SEVERITY = 5;

export const DEFAULT_SYSLOG_PATHS: readonly string[] = ['/dev/log', '/var/run/syslog', '/var/run/log'];

/** Consul retries syslog setup 12 times, 5s apart, then gives up with this error. */
export const SYSLOG_SETUP_RETRIES = 12;
export const SYSLOG_SETUP_DELAY_MS = 5000;

/** Messages held while the daemon's socket buffer is full; beyond this the oldest are dropped. */
export const MAX_PENDING_SYSLOG = 1024;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Go's time.Stamp layout "Jan _2 15:04:05" in local time. */
export function syslogStamp(ms: number, offsetMin = localOffset(ms)): string {
  const d = new Date(ms + offsetMin * 60_000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

/** Consul's syslog wrapper on one formatted line: the severity and the text it sends. */
export function syslogWrap(line: string): { severity: number; text: string } {
  const x = line.indexOf('[');
  const y = x < 0 ? -1 : line.indexOf(']', x);
  if (y < 0) return { severity: DEFAULT_SEVERITY, text: line };
  const token = line.slice(x + 1, y);
  const severity = Object.hasOwn(SEVERITY_BY_TOKEN, token) ? SEVERITY_BY_TOKEN[token]! : DEFAULT_SEVERITY;
  return { severity, text: line.slice(y + 2).replace(/^ +/, '') };
}

/** One message as Go's log/syslog writes it to a local socket. */
export function syslogMessage(
  rec: LogRecord,
  facility: number,
  pid: number,
  opts: { tag?: string; json?: boolean; offsetMin?: number } = {},
): string {
  const off = opts.offsetMin ?? localOffset(rec.timeMs);
  const line = opts.json ? formatJsonLog(rec, off) : formatHclog(rec, off);
  const { severity, text } = syslogWrap(line);
  return `<${facility * 8 + severity}>${syslogStamp(rec.timeMs, off)} ${opts.tag ?? 'consul'}[${pid}]: ${text}\n`;
}

type Conn = { kind: 'dgram'; sock: UnixDgramSocket } | { kind: 'stream'; sock: net.Socket };

/** Dials the local daemon as log/syslog does: datagram on every path first, then stream. */
function dial(paths: readonly string[]): Conn | null {
  for (const p of paths) {
    const sock = unixDgram.createSocket('unix_dgram');
    let failed = false;
    sock.on('error', () => {
      failed = true;
    });
    // unix-dgram connects synchronously and reports failure through 'error' before returning.
    sock.connect(p);
    if (!failed) {
      sock.removeAllListeners('error');
      return { kind: 'dgram', sock };
    }
    sock.close();
  }
  for (const p of paths) {
    let isSocket = false;
    try {
      isSocket = statSync(p).isSocket();
    } catch {
      // missing path: try the next one
    }
    // Node connects stream sockets asynchronously; writes queue until it is up.
    if (isSocket) return { kind: 'stream', sock: net.createConnection(p).on('error', () => {}) };
  }
  return null;
}

export interface SyslogOptions {
  /** Socket paths to try, in order (tests pass their own). */
  paths?: readonly string[];
  pid?: number;
  tag?: string;
  /** -log-json: the lines are JSON, as on the console. */
  json?: boolean;
}

export class SyslogSink implements LogSink {
  private pending: Buffer[] = [];

  private constructor(
    private conn: Conn,
    private readonly facility: number,
    private readonly paths: readonly string[],
    private readonly pid: number,
    private readonly tag: string,
    private readonly json: boolean,
  ) {
    this.watch();
  }

  /** Connects to the local syslog daemon, or returns go-syslog's error as a value. */
  static open(facilityName: string, opts: SyslogOptions = {}): SyslogSink | Error {
    const facility = facilityCode(facilityName);
    if (facility instanceof Error) return facility;
    const paths = opts.paths ?? DEFAULT_SYSLOG_PATHS;
    const conn = dial(paths);
    if (!conn) return new Error('Unix syslog delivery error');
    return new SyslogSink(
      conn,
      facility,
      paths,
      opts.pid ?? process.pid,
      opts.tag ?? 'consul',
      opts.json ?? false,
    );
  }

  write(rec: LogRecord): void {
    const msg = syslogMessage(rec, this.facility, this.pid, { tag: this.tag, json: this.json });
    this.send(Buffer.from(msg), true);
  }

  close(): void {
    if (this.conn.kind === 'dgram') this.conn.sock.close();
    else this.conn.sock.end();
    this.pending = [];
  }

  private send(msg: Buffer, retry: boolean): void {
    const c = this.conn;
    if (c.kind === 'stream') {
      c.sock.write(msg);
      return;
    }
    if (this.pending.length > 0) {
      this.hold(msg);
      return;
    }
    c.sock.send(msg, (err) => {
      if (!err) return;
      if (err.message === 'congestion') this.hold(msg);
      else if (retry && this.redial()) this.send(msg, false);
      // else dropped, as log/syslog drops a message it cannot write after one redial
    });
  }

  /** Keeps a message until the socket drains, in order and bounded. */
  private hold(msg: Buffer): void {
    if (this.pending.length >= MAX_PENDING_SYSLOG) this.pending.shift();
    this.pending.push(msg);
  }

  /** The daemon went away (restarted): dial again, as log/syslog's writeAndRetry does once. */
  private redial(): boolean {
    const next = dial(this.paths);
    if (!next) return false;
    this.close();
    this.conn = next;
    this.watch();
    return true;
  }

  private watch(): void {
    const c = this.conn;
    if (c.kind !== 'dgram') return;
    c.sock.on('error', () => {});
    c.sock.on('writable', () => {
      const queued = this.pending;
      this.pending = [];
      for (const m of queued) this.send(m, true);
    });
  }
}

/**
 * Consul's setup loop: try `SyslogSink.open` up to 13 times, 5s apart, then fail with Consul's
 * timeout error (which stops the agent from starting).
 */
export async function openSyslogWithRetry(
  facilityName: string,
  timers: Timers,
  opts: SyslogOptions = {},
  retries = SYSLOG_SETUP_RETRIES,
  delayMs = SYSLOG_SETUP_DELAY_MS,
): Promise<SyslogSink | Error> {
  for (let i = 0; ; i++) {
    const s = SyslogSink.open(facilityName, opts);
    if (!(s instanceof Error)) return s;
    if (i >= retries)
      return new Error(
        `Syslog setup did not succeed within timeout (${formatGoDuration(retries * delayMs * MS)}).`,
      );
    await new Promise<void>((resolve) => timers.after(delayMs, resolve));
  }
}
