// Values of HCL1 literal tokens as hashicorp/hcl v1 computes them: quoted strings (Go escapes, `${ }`
// passed through untouched, `\x`/octal escapes giving raw bytes), heredocs (with `<<-` unindenting),
// and Go's strconv rules for integers (base prefixes, int64 range) and floats.

import { HclFail } from './parser.js';
import type { Token } from './scanner.js';

const utf8Encoder = new TextEncoder();

/** Bytes → string the way Go's encoding/json treats invalid UTF-8: one U+FFFD per bad byte. */
export function decodeUtf8Like(bytes: Uint8Array | number[]): string {
  let out = '';
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b0 = bytes[i] as number;
    if (b0 < 0x80) {
      out += String.fromCharCode(b0);
      i++;
      continue;
    }
    let need = 0;
    let cp = 0;
    let min = 0;
    if (b0 >= 0xc2 && b0 <= 0xdf) [need, cp, min] = [1, b0 & 0x1f, 0x80];
    else if (b0 >= 0xe0 && b0 <= 0xef) [need, cp, min] = [2, b0 & 0x0f, 0x800];
    else if (b0 >= 0xf0 && b0 <= 0xf4) [need, cp, min] = [3, b0 & 0x07, 0x10000];
    let ok = need > 0 && i + need < n;
    if (ok) {
      for (let k = 1; k <= need; k++) {
        const b = bytes[i + k] as number;
        if ((b & 0xc0) !== 0x80) {
          ok = false;
          break;
        }
        cp = (cp << 6) | (b & 0x3f);
      }
    }
    if (ok && (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))) ok = false;
    if (!ok) {
      out += '\ufffd';
      i++;
      continue;
    }
    out += String.fromCodePoint(cp);
    i += need + 1;
  }
  return out;
}

function pushUtf8(out: number[], cp: number): void {
  // Go encodes an invalid rune (a surrogate, or out of range) as U+FFFD.
  if ((cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) cp = 0xfffd;
  if (cp < 0x80) out.push(cp);
  else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 0x3f));
  else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
  else out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

const SIMPLE_ESCAPES: Record<string, number> = {
  a: 7,
  b: 8,
  f: 12,
  n: 10,
  r: 13,
  t: 9,
  v: 11,
  '\\': 92,
  '"': 34,
};

/** hcl's unquoting of a STRING token's text; undefined where hcl's Unquote reports invalid syntax. */
export function unquote(text: string): string | undefined {
  if (text.length < 2 || text.charAt(0) !== '"' || text.charAt(text.length - 1) !== '"') return undefined;
  const s = text.slice(1, -1);
  if (!s.includes('\\') && !s.includes('"') && !s.includes('$')) return s;
  const out: number[] = [];
  let i = 0;
  while (i < s.length) {
    if (s.startsWith('${', i)) {
      // Interpolations are copied as they are, up to the matching brace.
      out.push(0x24, 0x7b);
      i += 2;
      let braces = 1;
      while (i < s.length && braces > 0) {
        const cp = s.codePointAt(i) as number;
        if (cp === 0xfffd) return undefined;
        pushUtf8(out, cp);
        i += cp > 0xffff ? 2 : 1;
        if (cp === 0x7b) braces++;
        else if (cp === 0x7d) braces--;
      }
      if (braces !== 0) return undefined;
      continue;
    }
    const c = s.charCodeAt(i);
    if (c === 0x0a || c === 0x22) return undefined;
    if (c !== 0x5c) {
      const cp = s.codePointAt(i) as number;
      pushUtf8(out, cp);
      i += cp > 0xffff ? 2 : 1;
      continue;
    }
    const e = s.charAt(i + 1);
    if (e === '') return undefined;
    i += 2;
    const simple = SIMPLE_ESCAPES[e];
    if (simple !== undefined) {
      out.push(simple);
      continue;
    }
    if (e === 'x' || e === 'u' || e === 'U') {
      const len = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      if (i + len > s.length) return undefined;
      let v = 0;
      for (let j = 0; j < len; j++) {
        const h = hexValue(s.charCodeAt(i + j));
        if (h < 0) return undefined;
        v = v * 16 + h;
      }
      i += len;
      if (e === 'x')
        out.push(v); // one raw byte, possibly not UTF-8
      else if (v > 0x10ffff) return undefined;
      else pushUtf8(out, v);
      continue;
    }
    if (e >= '0' && e <= '7') {
      let v = e.charCodeAt(0) - 0x30;
      if (i + 2 > s.length) return undefined;
      for (let j = 0; j < 2; j++) {
        const d = s.charCodeAt(i + j) - 0x30;
        if (d < 0 || d > 7) return undefined;
        v = v * 8 + d;
      }
      i += 2;
      if (v > 255) return undefined;
      out.push(v);
      continue;
    }
    return undefined;
  }
  return decodeUtf8Like(out);
}

/** A heredoc token's value: the lines between the anchors; `<<-` strips the terminator's indentation. */
export function heredocValue(text: string): string {
  const bytes = utf8Encoder.encode(text);
  const idx = bytes.indexOf(0x0a);
  const len = bytes.length;
  const plain = () => decodeUtf8Like(bytes.subarray(idx + 1, len - idx + 1));
  if (bytes[2] !== 0x2d) return plain();
  // The terminator line's leading whitespace is the indentation every line must carry to be unindented.
  const lines = decodeUtf8Like(bytes.subarray(idx + 1, len - idx + 2)).split('\n');
  const prefix = lines[lines.length - 1] as string;
  if (!lines.every((l) => l.startsWith(prefix))) return plain().replace(/[ \t]+$/, '');
  return lines.map((l, k) => (k === lines.length - 1 ? '' : l.slice(prefix.length))).join('\n');
}

const GO_PRINTABLE = /[\p{L}\p{M}\p{N}\p{P}\p{S} ]/u;
const GO_NAMED_ESCAPES: Record<number, string> = {
  7: '\\a',
  8: '\\b',
  12: '\\f',
  10: '\\n',
  13: '\\r',
  9: '\\t',
  11: '\\v',
};

/** Go's strconv.Quote, which strconv's error messages use. */
function quoteGo(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0) as number;
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (GO_PRINTABLE.test(ch)) out += ch;
    else if (GO_NAMED_ESCAPES[cp] !== undefined) out += GO_NAMED_ESCAPES[cp];
    else if (cp < 0x80) out += '\\x' + cp.toString(16).padStart(2, '0');
    else if (cp < 0x10000) out += '\\u' + cp.toString(16).padStart(4, '0');
    else out += '\\U' + cp.toString(16).padStart(8, '0');
  }
  return out + '"';
}

const INT64_MAX = (1n << 63n) - 1n;
const UINT64_MAX = (1n << 64n) - 1n;

/** Go's strconv.ParseInt(s, 0, 64) (before Go 1.13: no 0b/0o prefixes, no underscores). */
export function parseGoInt(s: string): bigint | string {
  const fail = (why: string) => `strconv.ParseInt: parsing ${quoteGo(s)}: ${why}`;
  let body = s;
  let negative = false;
  if (body.startsWith('+') || body.startsWith('-')) {
    negative = body.startsWith('-');
    body = body.slice(1);
  }
  let base = 10n;
  if (body.length > 1 && body.charAt(0) === '0' && (body.charAt(1) === 'x' || body.charAt(1) === 'X')) {
    if (body.length < 3) return fail('invalid syntax');
    base = 16n;
    body = body.slice(2);
  } else if (body.startsWith('0')) {
    base = 8n;
  }
  if (body === '') return fail('invalid syntax');
  let n = 0n;
  for (let i = 0; i < body.length; i++) {
    const d = BigInt(hexValue(body.charCodeAt(i)));
    if (d < 0n || d >= base) return fail('invalid syntax');
    n = n * base + d;
    if (n > UINT64_MAX) return fail('value out of range');
  }
  if (negative ? n > INT64_MAX + 1n : n > INT64_MAX) return fail('value out of range');
  return negative ? -n : n;
}

const GO_FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Go's strconv.ParseFloat(s, 64) for the forms an HCL number token can take. */
export function parseGoFloat(s: string): number | string {
  if (!GO_FLOAT.test(s)) return `strconv.ParseFloat: parsing ${quoteGo(s)}: invalid syntax`;
  const v = Number(s);
  if (!Number.isFinite(v)) return `strconv.ParseFloat: parsing ${quoteGo(s)}: value out of range`;
  return v;
}

/** The string value of a STRING or HEREDOC token (hcl panics on a bad escape; we report it). */
export function stringValue(t: Token): string {
  if (t.type === 'HEREDOC') return heredocValue(t.text);
  const v = unquote(t.text);
  if (v === undefined) throw new HclFail(`unquote ${t.text} err: invalid syntax`, t.line, t.column);
  return v;
}
