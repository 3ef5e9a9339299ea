// Go's time.Duration text form: parse ("1h30m", "1.5s", "300ms", "-2us", "0") and format (Duration.String()).
// Durations are carried as nanoseconds in a JS number: exact up to 2^53 ns (~104 days), far beyond any
// Consul timeout; larger values keep millisecond precision, which is all a timer can use anyway.

export const NS = 1;
export const US = 1_000;
export const MS = 1_000_000;
export const SECOND = 1_000_000_000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;

const UNITS: Record<string, number> = {
  ns: NS,
  us: US,
  µs: US, // U+00B5 micro sign
  μs: US, // U+03BC Greek mu
  ms: MS,
  s: SECOND,
  m: MINUTE,
  h: HOUR,
};

const MAX_NS = 2 ** 63 - 1; // Go's max int64 (as a float), as Go rejects larger values

/** Parses a Go duration string into nanoseconds; returns an Error with Go's message on bad input. */
export function parseGoDuration(s: string): number | Error {
  const orig = s;
  const bad = () => new Error(`time: invalid duration "${orig}"`);
  let neg = false;
  if (s.startsWith('-') || s.startsWith('+')) {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') return bad();
  let total = 0;
  while (s !== '') {
    const m = /^([0-9]*)(\.([0-9]*))?/.exec(s);
    if (!m || (m[1] === '' && (m[3] ?? '') === '')) return bad();
    if (m[1] === '' && m[2] !== undefined && m[3] === '') return bad();
    s = s.slice(m[0].length);
    const u = /^[^0-9.]+/.exec(s);
    if (!u) return new Error(`time: missing unit in duration "${orig}"`);
    const unit = UNITS[u[0]];
    if (unit === undefined) return new Error(`time: unknown unit "${u[0]}" in duration "${orig}"`);
    s = s.slice(u[0].length);
    const whole = m[1] === '' ? 0 : Number(m[1]);
    const frac = m[3] ? Number(`0.${m[3]}`) : 0;
    total += whole * unit + Math.round(frac * unit);
    if (total > MAX_NS) return bad();
  }
  return neg ? -total : total;
}

/** Formats nanoseconds as Go's Duration.String() does ("1h0m0s", "1.5s", "300ms", "0s"). */
export function formatGoDuration(ns: number): string {
  if (ns === 0) return '0s';
  const neg = ns < 0;
  let u = Math.abs(Math.round(ns));
  let out: string;
  if (u < SECOND) {
    let unit: string;
    let div: number;
    if (u < US) {
      return `${neg ? '-' : ''}${u}ns`;
    } else if (u < MS) {
      unit = 'µs';
      div = US;
    } else {
      unit = 'ms';
      div = MS;
    }
    out = fmtFrac(u, div) + unit;
  } else {
    const h = Math.floor(u / HOUR);
    u -= h * HOUR;
    const m = Math.floor(u / MINUTE);
    u -= m * MINUTE;
    out = `${fmtFrac(u, SECOND)}s`;
    if (h > 0) out = `${h}h${m}m${out}`;
    else if (m > 0) out = `${m}m${out}`;
  }
  return (neg ? '-' : '') + out;
}

function fmtFrac(v: number, div: number): string {
  const whole = Math.floor(v / div);
  const rest = v - whole * div;
  if (rest === 0) return String(whole);
  const digits = String(div).length - 1;
  return `${whole}.${String(rest).padStart(digits, '0').replace(/0+$/, '')}`;
}

export const nsToMs = (ns: number): number => ns / MS;
export const msToNs = (ms: number): number => Math.round(ms * MS);
