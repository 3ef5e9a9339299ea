// -syslog: log lines to the local syslog socket, as Consul does through Go's log/syslog: a unix datagram
// socket at /dev/log (then /var/run/syslog, /var/run/log), falling back to a stream socket; messages
// "<PRI>Mmm dd hh:mm:ss consul[PID]: text", with hclog levels mapped to syslog severities as Consul's
// syslog wrapper maps them (TRACE→debug, DEBUG→info, INFO→notice, WARN→warning, ERROR→err).
import net from 'node:net';
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { formatHclog } from '../../runtime/log-format.js';
import type { LogLevel, LogRecord, LogSink } from '../../runtime/logger.js';
import { localOffset } from './log-console.js';

interface UnixDgramSocket {
  send(buf: Buffer, offset: number, length: number, path: string, cb?: (err?: Error) => void): void;
  on(ev: 'error', fn: (e: Error) => void): void;
  close(): void;
}
const unixDgram = createRequire(import.meta.url)('unix-dgram') as {
  createSocket(
    type: 'unix_dgram',
    onMessage?: (msg: Buffer) => void,
  ): UnixDgramSocket & { bind(path: string): void };
};

export const FACILITIES: Record<string, number> = {
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

const SEVERITY: Record<LogLevel, number> = { trace: 7, debug: 6, info: 5, warn: 4, error: 3 };

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Go's time.Stamp layout "Jan _2 15:04:05" in local time. */
function stamp(ms: number): string {
  const d = new Date(ms + localOffset(ms) * 60_000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

/** One syslog datagram for a record (exported for tests). */
export function syslogMessage(rec: LogRecord, facility: number, pid: number, tag = 'consul'): string {
  const line = formatHclog(rec, localOffset(rec.timeMs));
  // Consul's wrapper sends the text after "[LEVEL] ".
  const after = line.slice(line.indexOf(']') + 2);
  return `<${facility * 8 + SEVERITY[rec.level]}>${stamp(rec.timeMs)} ${tag}[${pid}]: ${after}\n`;
}

export const DEFAULT_SYSLOG_PATHS = ['/dev/log', '/var/run/syslog', '/var/run/log'];

export class SyslogSink implements LogSink {
  private dgram: UnixDgramSocket | null = null;
  private stream: net.Socket | null = null;

  private constructor(
    private readonly facility: number,
    private readonly socketPath: string,
  ) {}

  /** Connects to the first syslog socket that exists, or returns an Error (Consul: "Syslog setup failed"). */
  static open(facilityName: string, paths: readonly string[] = DEFAULT_SYSLOG_PATHS): SyslogSink | Error {
    const facility = FACILITIES[facilityName.toUpperCase()];
    if (facility === undefined) return new Error(`invalid syslog facility: ${facilityName}`);
    const found = paths.find((p) => {
      try {
        return statSync(p).isSocket();
      } catch {
        return false;
      }
    });
    if (!found) return new Error('Unix syslog delivery error');
    const sink = new SyslogSink(facility, found);
    const sock = unixDgram.createSocket('unix_dgram');
    sock.on('error', () => {
      // Not a datagram socket (or it went away): fall back to a stream connection, as Go does.
      sink.dgram = null;
      sink.stream ??= net.createConnection(found).on('error', () => {});
    });
    sink.dgram = sock;
    return sink;
  }

  write(rec: LogRecord): void {
    const msg = Buffer.from(syslogMessage(rec, this.facility, process.pid));
    if (this.dgram) this.dgram.send(msg, 0, msg.length, this.socketPath, () => {});
    else this.stream?.write(msg);
  }

  close(): void {
    this.dgram?.close();
    this.stream?.end();
  }
}
