// JSON decoding for config files and API bodies: Go encoding/json's error texts plus the line and
// column (Go gives only an offset), and integers beyond 2^53 kept exact as bigint (Consul's uint64s).

export type JsonValue = null | boolean | number | bigint | string | JsonValue[] | { [k: string]: JsonValue };

export interface JsonError {
  message: string;
  line: number;
  column: number;
  offset: number;
}

export type JsonResult = { ok: true; value: JsonValue } | { ok: false; error: JsonError };

class Fail {
  constructor(
    readonly message: string,
    readonly offset: number,
  ) {}
}

function quoteChar(c: string): string {
  if (c === "'") return "'\\''";
  if (c === '\n') return "'\\n'";
  if (c === '\r') return "'\\r'";
  if (c === '\t') return "'\\t'";
  const code = c.codePointAt(0)!;
  if (code < 0x20 || code === 0x7f) return `'\\x${code.toString(16).padStart(2, '0')}'`;
  return `'${c}'`;
}

export function parseGoJson(text: string): JsonResult {
  let i = 0;
  const n = text.length;

  const ws = () => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
  };
  const end = () => new Fail('unexpected end of JSON input', n);
  const bad = (ctx: string) => new Fail(`invalid character ${quoteChar(text[i]!)} ${ctx}`, i);

  function value(depth: number): JsonValue {
    if (depth > 10000) throw new Fail('exceeded max depth', i);
    ws();
    if (i >= n) throw end();
    const c = text[i]!;
    if (c === '{') return object(depth);
    if (c === '[') return array(depth);
    if (c === '"') return string();
    if (c === '-' || (c >= '0' && c <= '9')) return number();
    for (const [lit, v] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (c === lit[0]) {
        for (let k = 0; k < lit.length; k++) {
          if (i + k >= n) throw end();
          if (text[i + k] !== lit[k]) {
            i += k;
            throw bad(`in literal ${lit} (expecting ${quoteChar(lit[k]!)})`);
          }
        }
        i += lit.length;
        return v;
      }
    }
    throw bad('looking for beginning of value');
  }

  function object(depth: number): JsonValue {
    i++;
    const out: { [k: string]: JsonValue } = {};
    ws();
    if (i >= n) throw end();
    if (text[i] === '}') {
      i++;
      return out;
    }
    for (;;) {
      ws();
      if (i >= n) throw end();
      if (text[i] !== '"') throw bad('looking for beginning of object key string');
      const key = string();
      ws();
      if (i >= n) throw end();
      if (text[i] !== ':') throw bad('after object key');
      i++;
      const v = value(depth + 1);
      // A "__proto__" key is data, as in Go; plain assignment would replace the prototype instead.
      if (key === '__proto__')
        Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
      else out[key] = v; // a repeated key: the last one wins, as in Go
      ws();
      if (i >= n) throw end();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === '}') {
        i++;
        return out;
      }
      throw bad('after object key:value pair');
    }
  }

  function array(depth: number): JsonValue {
    i++;
    const out: JsonValue[] = [];
    ws();
    if (i >= n) throw end();
    if (text[i] === ']') {
      i++;
      return out;
    }
    for (;;) {
      out.push(value(depth + 1));
      ws();
      if (i >= n) throw end();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === ']') {
        i++;
        return out;
      }
      throw bad('after array element');
    }
  }

  function string(): string {
    i++;
    let out = '';
    let start = i;
    for (;;) {
      if (i >= n) throw end();
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        out += text.slice(start, i);
        i++;
        return out;
      }
      if (c < 0x20) throw bad('in string literal');
      if (c === 0x5c) {
        out += text.slice(start, i);
        i++;
        if (i >= n) throw end();
        const e = text[i]!;
        const simple: Record<string, string> = {
          '"': '"',
          '\\': '\\',
          '/': '/',
          b: '\b',
          f: '\f',
          n: '\n',
          r: '\r',
          t: '\t',
        };
        if (e in simple) {
          out += simple[e];
          i++;
        } else if (e === 'u') {
          const hex = text.slice(i + 1, i + 5);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
            i++;
            while (i < n && /[0-9a-fA-F]/.test(text[i]!)) i++;
            if (i >= n) throw end();
            throw bad('in \\u hexadecimal character escape');
          }
          out += String.fromCharCode(parseInt(hex, 16));
          i += 5;
        } else throw bad('in string escape code');
        start = i;
        continue;
      }
      i++;
    }
  }

  function number(): JsonValue {
    const start = i;
    if (text[i] === '-') i++;
    if (i >= n) throw end();
    if (text[i] === '0') i++;
    else if (text[i]! >= '1' && text[i]! <= '9') while (i < n && text[i]! >= '0' && text[i]! <= '9') i++;
    else throw bad('in numeric literal');
    let isInt = true;
    if (text[i] === '.') {
      isInt = false;
      i++;
      if (i >= n) throw end();
      if (!(text[i]! >= '0' && text[i]! <= '9')) throw bad('after decimal point in numeric literal');
      while (i < n && text[i]! >= '0' && text[i]! <= '9') i++;
    }
    if (text[i] === 'e' || text[i] === 'E') {
      isInt = false;
      i++;
      if (text[i] === '+' || text[i] === '-') i++;
      if (i >= n) throw end();
      if (!(text[i]! >= '0' && text[i]! <= '9')) throw bad('in exponent of numeric literal');
      while (i < n && text[i]! >= '0' && text[i]! <= '9') i++;
    }
    const lit = text.slice(start, i);
    if (isInt) {
      const num = Number(lit);
      return Number.isSafeInteger(num) ? num : BigInt(lit);
    }
    return Number(lit);
  }

  try {
    const v = value(0);
    ws();
    if (i < n) throw bad('after top-level value');
    return { ok: true, value: v };
  } catch (e0) {
    // Recursion may hit the JS stack limit before Go's depth limit of 10000; answer as Go would.
    const e = e0 instanceof RangeError ? new Fail('exceeded max depth', i) : e0;
    if (!(e instanceof Fail)) throw e;
    const before = text.slice(0, e.offset);
    const line = (before.match(/\n/g)?.length ?? 0) + 1;
    const column = e.offset - (before.lastIndexOf('\n') + 1) + 1;
    return { ok: false, error: { message: e.message, line, column, offset: e.offset } };
  }
}

const BIG = '\u0000u64:';

/**
 * Encodes as Go's encoding/json does for what watches hand out: bigints as exact numbers, `<`, `>`,
 * `&`, U+2028 and U+2029 escaped (Go's HTML-safe default); `indent` as json.MarshalIndent's.
 */
export function stringifyGoJson(v: unknown, indent = ''): string {
  let sawBig = false;
  const s = JSON.stringify(
    v,
    (_k, x: unknown) => {
      if (typeof x !== 'bigint') return x;
      sawBig = true;
      return `${BIG}${x.toString()}`;
    },
    indent || undefined,
  );
  // These characters only ever occur inside strings in the encoded text, so a textual pass is safe.
  let out = s
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
  if (sawBig) out = out.replace(/"\\u0000u64:(-?\d+)"/g, '$1');
  return out;
}
