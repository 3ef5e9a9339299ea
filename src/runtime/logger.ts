// Logger port, shaped like hclog: a hierarchical name, a level, a message and key/value pairs.

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function levelRank(l: LogLevel): number {
  return LOG_LEVELS.indexOf(l);
}

/** Accepts exactly Consul's spellings: trace, debug, info, warn, err/error, in any case. Null when unknown. */
export function parseLogLevel(s: string): LogLevel | null {
  const v = s.toLowerCase();
  if (v === 'err') return 'error';
  return (LOG_LEVELS as readonly string[]).includes(v) ? (v as LogLevel) : null;
}

export interface LogRecord {
  /** Wall-clock ms since the epoch. */
  timeMs: number;
  level: LogLevel;
  /** Hierarchical logger name, e.g. "agent.server.raft"; "" for the root. */
  name: string;
  message: string;
  /** Alternating keys and values, as hclog takes them. */
  kv: readonly unknown[];
}

export interface Logger {
  readonly name: string;
  named(sub: string): Logger;
  isEnabled(level: LogLevel): boolean;
  log(level: LogLevel, message: string, ...kv: unknown[]): void;
  trace(message: string, ...kv: unknown[]): void;
  debug(message: string, ...kv: unknown[]): void;
  info(message: string, ...kv: unknown[]): void;
  warn(message: string, ...kv: unknown[]): void;
  error(message: string, ...kv: unknown[]): void;
}

/** Where formatted records go: console, file, syslog, `consul monitor` subscribers. */
export interface LogSink {
  write(rec: LogRecord): void;
}
