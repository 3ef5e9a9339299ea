// The log hub: named loggers fan records out to sinks (console, file, syslog) at the agent's level, and
// to `consul monitor` subscribers at their own level. Nothing is formatted for a level nobody wants.

import type { Clock } from './clock.js';
import { LOG_LEVELS, levelRank, type LogLevel, type LogRecord, type LogSink, type Logger } from './logger.js';

interface Subscriber {
  rank: number;
  fn: (rec: LogRecord) => void;
}

export class LogHub {
  private rank: number;
  private readonly sinks = new Set<LogSink>();
  private readonly subscribers = new Set<Subscriber>();
  /** The most verbose rank anyone wants: below it a call returns at once. */
  private floor = 0;

  constructor(
    private readonly clock: Clock,
    level: LogLevel,
  ) {
    this.rank = levelRank(level);
    this.recompute();
  }

  get level(): LogLevel {
    return LOG_LEVELS[this.rank]!;
  }

  setLevel(level: LogLevel): void {
    this.rank = levelRank(level);
    this.recompute();
  }

  /** Sinks get every record at or above the hub's level, in the order they were added. */
  addSink(sink: LogSink): () => void {
    this.sinks.add(sink);
    return () => void this.sinks.delete(sink);
  }

  /** A `consul monitor` stream: records at or above its own level, even below the hub's level. */
  subscribe(level: LogLevel, fn: (rec: LogRecord) => void): () => void {
    const s = { rank: levelRank(level), fn };
    this.subscribers.add(s);
    this.recompute();
    return () => {
      this.subscribers.delete(s);
      this.recompute();
    };
  }

  logger(name = ''): Logger {
    return new HubLogger(this, name);
  }

  enabled(level: LogLevel): boolean {
    return levelRank(level) >= this.floor;
  }

  emit(level: LogLevel, name: string, message: string, kv: readonly unknown[]): void {
    const r = levelRank(level);
    if (r < this.floor) return;
    const rec: LogRecord = { timeMs: this.clock.wallMs(), level, name, message, kv };
    if (r >= this.rank) {
      for (const s of this.sinks) {
        try {
          s.write(rec);
        } catch {
          // A broken sink (full disk, dead syslog) must not take the caller down with it.
        }
      }
    }
    for (const s of this.subscribers) {
      if (r >= s.rank) {
        try {
          s.fn(rec);
        } catch {
          /* a subscriber's failure is its own */
        }
      }
    }
  }

  private recompute(): void {
    let f = this.rank;
    for (const s of this.subscribers) f = Math.min(f, s.rank);
    this.floor = f;
  }
}

class HubLogger implements Logger {
  constructor(
    private readonly hub: LogHub,
    readonly name: string,
  ) {}

  named(sub: string): Logger {
    return new HubLogger(this.hub, this.name ? `${this.name}.${sub}` : sub);
  }

  isEnabled(level: LogLevel): boolean {
    return this.hub.enabled(level);
  }

  log(level: LogLevel, message: string, ...kv: unknown[]): void {
    this.hub.emit(level, this.name, message, kv);
  }

  trace(message: string, ...kv: unknown[]): void {
    this.hub.emit('trace', this.name, message, kv);
  }

  debug(message: string, ...kv: unknown[]): void {
    this.hub.emit('debug', this.name, message, kv);
  }

  info(message: string, ...kv: unknown[]): void {
    this.hub.emit('info', this.name, message, kv);
  }

  warn(message: string, ...kv: unknown[]): void {
    this.hub.emit('warn', this.name, message, kv);
  }

  error(message: string, ...kv: unknown[]): void {
    this.hub.emit('error', this.name, message, kv);
  }
}
