// hclog's two output forms, as Consul 1.7+ writes them:
//   text: 2023-12-12T10:21:17.123Z [INFO]  agent.server: New leader elected: payload=agent-one
//   json: {"@level":"info","@message":"…","@module":"agent.server","@timestamp":"…","payload":"agent-one"}

import type { LogLevel, LogRecord } from './logger.js';

const LEVEL_TOKEN: Record<LogLevel, string> = {
  trace: '[TRACE]',
  debug: '[DEBUG]',
  info: '[INFO] ',
  warn: '[WARN] ',
  error: '[ERROR]',
};

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/** Go layout "2006-01-02T15:04:05.000Z0700" in the given UTC offset (minutes east of UTC). */
export function formatTimestamp(ms: number, offsetMin = 0, fracDigits = 3, colon = false): string {
  const d = new Date(ms + offsetMin * 60_000);
  const frac = fracDigits === 3 ? pad(d.getUTCMilliseconds(), 3) : pad(d.getUTCMilliseconds() * 1000, 6);
  const base = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${frac}`;
  if (offsetMin === 0) return `${base}Z`;
  const sign = offsetMin > 0 ? '+' : '-';
  const a = Math.abs(offsetMin);
  return `${base}${sign}${pad(Math.floor(a / 60))}${colon ? ':' : ''}${pad(a % 60)}`;
}

function valueText(v: unknown): string {
  if (v instanceof Error) return v.message;
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(valueText).join(' ')}]`;
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** hclog quotes values holding spaces, quotes or unprintable characters. */
function quoteIfNeeded(s: string): string {
  if (s === '' || /[\s"\\]|[^\x20-\x7e\u00a0-\uffff]/.test(s)) return JSON.stringify(s);
  return s;
}

/** One hclog text line (without the trailing newline). `offsetMin` is the local UTC offset. */
export function formatHclog(rec: LogRecord, offsetMin = 0): string {
  let line = `${formatTimestamp(rec.timeMs, offsetMin)} ${LEVEL_TOKEN[rec.level]} `;
  if (rec.name) line += `${rec.name}: `;
  line += rec.message;
  for (let i = 0; i < rec.kv.length; i += 2) {
    const key = valueText(rec.kv[i]);
    const val = i + 1 < rec.kv.length ? rec.kv[i + 1] : '<missing>';
    line += `${i === 0 ? ': ' : ' '}${key}=${quoteIfNeeded(valueText(val))}`;
  }
  return line;
}

/** One hclog JSON line (without the trailing newline). */
export function formatJsonLog(rec: LogRecord, offsetMin = 0): string {
  const o: Record<string, unknown> = {
    '@level': rec.level,
    '@message': rec.message,
    '@module': rec.name,
    '@timestamp': formatTimestamp(rec.timeMs, offsetMin, 6, true),
  };
  if (!rec.name) delete o['@module'];
  for (let i = 0; i < rec.kv.length; i += 2) {
    const v = rec.kv[i + 1];
    o[valueText(rec.kv[i])] = v instanceof Error ? v.message : v === undefined ? null : v;
  }
  return JSON.stringify(o, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}
