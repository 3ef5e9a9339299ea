// How hclog (v1.5, the version in Consul 1.16) renders key/value arguments: in text lines through Go's
// fmt/strconv rules, in JSON lines through Go's encoding/json. Callers pass JS values; each is rendered
// as the Go value a Consul call site would have passed (number → int or float64, Error → error, array →
// slice, plain object → map).

/** Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. */
const PRINT = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

function isPrint(ch: string): boolean {
  return PRINT.test(ch);
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

/** Go's escape for a non-printable rune, as strconv and hclog share it. */
function escapeRune(cp: number): string {
  switch (cp) {
    case 0x07:
      return '\\a';
    case 0x08:
      return '\\b';
    case 0x0c:
      return '\\f';
    case 0x0a:
      return '\\n';
    case 0x0d:
      return '\\r';
    case 0x09:
      return '\\t';
    case 0x0b:
      return '\\v';
  }
  if (cp < 0x20) return `\\x${hex(cp, 2)}`;
  // A lone UTF-16 surrogate is invalid UTF-8 once Go sees it: the replacement character.
  if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
  if (cp < 0x10000) return `\\u${hex(cp, 4)}`;
  return `\\U${hex(cp, 8)}`;
}

/** strconv.Quote: a Go string literal, printable runes kept as they are. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (cp === 0x7f) out += '\\x7f';
    else if (isPrint(ch)) out += ch;
    else out += escapeRune(cp);
  }
  return `${out}"`;
}

/** hclog's writeEscapedForOutput: like Quote's body, but backslashes stay as they are. */
export function escapeForOutput(s: string, escapeQuotes: boolean): string {
  let out = '';
  for (const ch of s) {
    if (escapeQuotes && ch === '"') out += '\\"';
    else if (isPrint(ch)) out += ch;
    else out += escapeRune(ch.codePointAt(0)!);
  }
  return out;
}

/** hclog quotes a value unless every rune is in '-'..'~'. */
export function needsQuoting(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x2d || c > 0x7e) return true;
  }
  return false;
}

/** fmt's %v for a float64: strconv 'g' with the shortest digits, exponent form below 1e-4 or from 1e6. */
export function goFloat(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  if (n === 0) return Object.is(n, -0) ? '-0' : '0';
  const [mant, expText] = n.toExponential().split('e') as [string, string];
  const exp = Number(expText);
  // With the shortest digits, 'g' switches to %e when exp < -4 || exp >= 6 (strconv's eprec).
  if (exp < -4 || exp >= 6) {
    const e = Math.abs(exp);
    return `${mant}e${exp < 0 ? '-' : '+'}${e < 10 ? `0${e}` : e}`;
  }
  return String(n);
}

function isPlainObject(v: object): boolean {
  const p = Object.getPrototypeOf(v) as unknown;
  return p === Object.prototype || p === null;
}

/** fmt's %v for a value nested inside a slice or map. */
function goV(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  switch (typeof v) {
    case 'string':
      return v;
    case 'number':
      return Number.isInteger(v) && Math.abs(v) < 1e21 ? String(v) : goFloat(v);
    case 'bigint':
    case 'boolean':
      return String(v);
    case 'symbol':
      return v.description ?? '';
    case 'function':
      return '<func>';
  }
  if (v instanceof Error) return v.message;
  if (Array.isArray(v)) return `[${v.map(goV).join(' ')}]`;
  if (v instanceof Date) return v.toISOString();
  if (v instanceof Map) return goMap([...v.entries()].map(([k, x]) => [goV(k), x]));
  if (v instanceof Set) return `[${[...v].map(goV).join(' ')}]`;
  if (!isPlainObject(v as object) && typeof (v as { toString?: unknown }).toString === 'function') {
    const s = String(v);
    // A class with its own toString is a Go Stringer; anything else prints like a map.
    if (s !== '[object Object]') return s;
  }
  return goMap(Object.entries(v as object));
}

function goMap(entries: [string, unknown][]): string {
  entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return `map[${entries.map(([k, x]) => `${k}:${goV(x)}`).join(' ')}]`;
}

/** hclog's renderSlice: "[a, b]" with strings Go-quoted and other elements quoted only around whitespace. */
function renderSlice(items: readonly unknown[]): string {
  const parts = items.map((x) => {
    if (typeof x === 'string') return goQuote(x);
    if (typeof x === 'bigint') return String(x);
    if (typeof x === 'number' && Number.isInteger(x) && Math.abs(x) < 1e21) return String(x);
    const s = goV(x);
    return /[ \t\n\r]/.test(s) ? goQuote(s) : s;
  });
  return `[${parts.join(', ')}]`;
}

/** A key/value value as hclog's text form renders it; `raw` values are never quoted afterwards. */
export function textValue(v: unknown): { text: string; raw: boolean } {
  if (typeof v === 'string') return v === '' ? { text: '""', raw: true } : { text: v, raw: false };
  if (Array.isArray(v)) return { text: renderSlice(v), raw: true };
  if (v instanceof Set) return { text: renderSlice([...v]), raw: true };
  return { text: goV(v), raw: false };
}

/** A key as hclog prints it (fmt's %s of whatever was passed). */
export function keyText(k: unknown): string {
  return typeof k === 'string' ? k : goV(k);
}

/** Thrown for a value encoding/json refuses (hclog then logs the line without its fields). */
export class UnsupportedJsonValue extends Error {}

/** encoding/json's string form: HTML-safe, U+2028/9 escaped, control characters as \u00XX (Go < 1.22). */
export function goJsonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += '\\\\';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c < 0x20 || c === 0x3c || c === 0x3e || c === 0x26 || c === 0x2028 || c === 0x2029)
      out += `\\u${hex(c, 4)}`;
    else if (c >= 0xd800 && c <= 0xdfff) {
      const d = s.charCodeAt(i + 1);
      if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
        out += s[i]! + s[i + 1]!;
        i++;
      } else out += '\\ufffd';
    } else out += s[i]!;
  }
  return `${out}"`;
}

/** RFC 3339 with trailing zeros of the fraction dropped, as Go marshals a time.Time (in UTC here). */
function goTimeJson(d: Date): string {
  return d.toISOString().replace(/\.?0+Z$/, (m) => (m.startsWith('.') ? 'Z' : m));
}

/** encoding/json of one value; `top` marks a log argument, where an error becomes its message. */
export function goJson(v: unknown, top = false): string {
  if (v === null || v === undefined) return 'null';
  switch (typeof v) {
    case 'string':
      return goJsonString(v);
    case 'number':
      if (!Number.isFinite(v)) throw new UnsupportedJsonValue(`unsupported value: ${goFloat(v)}`);
      // JS's shortest form matches Go's float64 encoding (plain digits from 1e-6 to 1e21, else exponent).
      return JSON.stringify(v);
    case 'bigint':
      return v.toString();
    case 'boolean':
      return v ? 'true' : 'false';
    case 'function':
    case 'symbol':
      throw new UnsupportedJsonValue(`unsupported type: ${typeof v}`);
  }
  if (v instanceof Error) return top ? goJsonString(v.message) : '{}';
  if (Array.isArray(v)) return `[${v.map((x) => goJson(x)).join(',')}]`;
  if (v instanceof Set) return `[${[...v].map((x) => goJson(x)).join(',')}]`;
  if (v instanceof Date) return goJsonString(goTimeJson(v));
  if (v instanceof Map)
    return goJsonObject(
      [...v.entries()].map(([k, x]) => [goV(k), x]),
      true,
    );
  const toJSON = (v as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return goJson((toJSON as () => unknown).call(v));
  // A plain object stands for a Go struct: its fields keep their order.
  return goJsonObject(Object.entries(v as object), false);
}

/** A JSON object; `sorted` gives Go's map order (keys sorted), otherwise struct order. */
export function goJsonObject(entries: [string, unknown][], sorted: boolean): string {
  const list = entries.filter(([, x]) => x !== undefined || sorted);
  return encodedObject(
    list.map(([k, x]) => [k, goJson(x)]),
    sorted,
  );
}

/** Joins already-encoded members into an object, sorting the keys when it stands for a Go map. */
export function encodedObject(members: [string, string][], sorted = true): string {
  const list = sorted ? [...members].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)) : members;
  return `{${list.map(([k, x]) => `${goJsonString(k)}:${x}`).join(',')}}`;
}
