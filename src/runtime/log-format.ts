// hclog's two line forms, as Consul 1.16 (go-hclog v1.5) writes them:
//   text: 2023-12-12T10:21:17.123Z [INFO]  agent.server: New leader elected: payload=agent-one
//   json: {"@level":"info","@message":"…","@module":"agent.server","@timestamp":"…","payload":"agent-one"}
// Both return the line without its trailing newline.

import type { LogLevel, LogRecord } from './logger.js';
import {
  UnsupportedJsonValue,
  encodedObject,
  escapeForOutput,
  goJson,
  keyText,
  needsQuoting,
  textValue,
} from './log-values.js';

/** hclog pads the bracketed level to seven characters; a space always follows. */
const LEVEL_TOKEN: Record<LogLevel, string> = {
  trace: '[TRACE]',
  debug: '[DEBUG]',
  info: '[INFO] ',
  warn: '[WARN] ',
  error: '[ERROR]',
};

/** Appended as the key of an odd trailing argument, as hclog does. */
export const MISSING_KEY = 'EXTRA_VALUE_AT_END';

/** hclog's JSON fallback when an argument cannot be encoded. */
export const JSON_UNSUPPORTED_WARNING = "logging contained values that don't serialize to json";

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/**
 * Go layouts "2006-01-02T15:04:05.000Z0700" (text) and "2006-01-02T15:04:05.000000Z07:00" (JSON, with
 * `fracDigits` 6 and `colon`), in the given offset from UTC (minutes east).
 */
export function formatTimestamp(ms: number, offsetMin = 0, fracDigits = 3, colon = false): string {
  const whole = Math.floor(ms);
  const d = new Date(whole + offsetMin * 60_000);
  // Sub-millisecond digits come from a fractional ms value, as a Go time carries nanoseconds.
  const micros = d.getUTCMilliseconds() * 1000 + Math.floor((ms - whole) * 1000);
  const frac = fracDigits === 3 ? pad(Math.floor(micros / 1000), 3) : pad(micros, 6);
  const base = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${frac}`;
  if (offsetMin === 0) return `${base}Z`;
  const sign = offsetMin > 0 ? '+' : '-';
  const a = Math.abs(offsetMin);
  return `${base}${sign}${pad(Math.floor(a / 60))}${colon ? ':' : ''}${pad(a % 60)}`;
}

/** The arguments as hclog pairs them: an odd last value gets the key EXTRA_VALUE_AT_END. */
function pairs(kv: readonly unknown[]): readonly unknown[] {
  return kv.length % 2 === 0 ? kv : [...kv.slice(0, -1), MISSING_KEY, kv[kv.length - 1]];
}

/** One hclog text line. `offsetMin` is the local offset from UTC in minutes at that instant. */
export function formatHclog(rec: LogRecord, offsetMin = 0): string {
  let line = `${formatTimestamp(rec.timeMs, offsetMin)} ${LEVEL_TOKEN[rec.level]} `;
  if (rec.name !== '') line += rec.message !== '' ? `${rec.name}: ${rec.message}` : rec.name;
  else line += rec.message;
  if (rec.kv.length === 0) return line;
  line += ':';
  const kv = pairs(rec.kv);
  for (let i = 0; i < kv.length; i += 2) {
    const key = keyText(kv[i]);
    const { text, raw } = textValue(kv[i + 1]);
    if (text.includes('\n')) {
      // Multi-line values go below the line, each line behind "  | ".
      line += `\n  ${key}=\n`;
      const rows = text.split('\n');
      if (rows[rows.length - 1] === '') rows.pop();
      for (const r of rows) line += `  | ${escapeForOutput(r, false)}\n`;
      line += '  ';
    } else if (!raw && needsQuoting(text)) {
      line += ` ${key}="${escapeForOutput(text, true)}"`;
    } else {
      line += ` ${key}=${text}`;
    }
  }
  return line;
}

/** One hclog JSON line: Go's encoding of a map, so keys come out sorted and later keys win. */
export function formatJsonLog(rec: LogRecord, offsetMin = 0): string {
  const head = (): Map<string, unknown> => {
    const m = new Map<string, unknown>([
      ['@message', rec.message],
      ['@timestamp', formatTimestamp(rec.timeMs, offsetMin, 6, true)],
      ['@level', rec.level],
    ]);
    if (rec.name !== '') m.set('@module', rec.name);
    return m;
  };
  const vals = head();
  const kv = pairs(rec.kv);
  for (let i = 0; i < kv.length; i += 2) vals.set(keyText(kv[i]), kv[i + 1]);
  try {
    return encodedObject([...vals.entries()].map(([k, v]) => [k, goJson(v, true)]));
  } catch (e) {
    if (!(e instanceof UnsupportedJsonValue)) throw e;
    // hclog writes the line without its fields, with a warning, rather than losing it.
    const plain = head();
    plain.set('@warn', JSON_UNSUPPORTED_WARNING);
    return encodedObject([...plain.entries()].map(([k, v]) => [k, goJson(v)]));
  }
}
