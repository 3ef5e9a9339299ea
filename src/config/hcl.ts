// HCL version 1 (the syntax of Consul's .hcl config files), decoded the way hashicorp/hcl v1 decodes
// into map[string]interface{}: a block or `k = { … }` becomes a list of maps (repeated keys append),
// labels nest (`service "web" { }` → {service: [{web: [{…}]}]}), repeated plain keys keep the last
// value. Differences from the Go package, on purpose: integers are int64-exact (bigint past 2^53), and
// every syntax error carries its line and column ("At 3:5: …").

export type HclValue = string | number | bigint | boolean | HclValue[] | { [key: string]: HclValue };
export interface HclError {
  message: string;
  line: number;
  column: number;
}
export type HclResult = { ok: true; value: { [key: string]: HclValue } } | { ok: false; error: HclError };

type TokKind =
  'IDENT' | 'STRING' | 'HEREDOC' | 'NUMBER' | 'FLOAT' | 'BOOL' | '=' | '{' | '}' | '[' | ']' | ',' | 'EOF';
interface Tok {
  kind: TokKind;
  text: string;
  value?: string | number | bigint | boolean;
  line: number;
  col: number;
}

class HclFail {
  constructor(
    readonly message: string,
    readonly line: number,
    readonly col: number,
  ) {}
}

const TOKEN_NAME: Record<TokKind, string> = {
  IDENT: 'IDENT',
  STRING: 'STRING',
  HEREDOC: 'HEREDOC',
  NUMBER: 'NUMBER',
  FLOAT: 'FLOAT',
  BOOL: 'BOOL',
  '=': 'ASSIGN',
  '{': 'LBRACE',
  '}': 'RBRACE',
  '[': 'LBRACK',
  ']': 'RBRACK',
  ',': 'COMMA',
  EOF: 'EOF',
};

function lex(src: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const col = (at = i) => at - lineStart + 1;
  const fail = (msg: string, l = line, c = col()) => new HclFail(msg, l, c);
  const newline = () => {
    line++;
    lineStart = i + 1;
  };
  while (i < src.length) {
    const c = src[i]!;
    if (c === '\n') {
      newline();
      i++;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\ufeff') {
      i++;
      continue;
    }
    if (c === '#' || (c === '/' && src[i + 1] === '/')) {
      while (i < src.length && src[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && src[i + 1] === '*') {
      const [l0, c0] = [line, col()];
      i += 2;
      for (;;) {
        if (i >= src.length) throw fail('comment not terminated', l0, c0);
        if (src[i] === '*' && src[i + 1] === '/') {
          i += 2;
          break;
        }
        if (src[i] === '\n') newline();
        i++;
      }
      continue;
    }
    const start = { line, col: col() };
    if ('={}[],'.includes(c)) {
      toks.push({ kind: c as TokKind, text: c, ...start });
      i++;
      continue;
    }
    if (c === '"') {
      i++;
      let out = '';
      let braces = 0; // "${ … }" may hold quotes; HCL1 keeps interpolations as literal text
      for (;;) {
        if (i >= src.length || src[i] === '\n') throw fail('literal not terminated', start.line, start.col);
        const ch = src[i]!;
        if (ch === '"' && braces === 0) {
          i++;
          break;
        }
        if (ch === '$' && src[i + 1] === '{') {
          braces++;
          out += '${';
          i += 2;
          continue;
        }
        if (ch === '}' && braces > 0) braces--;
        if (ch === '\\' && braces === 0) {
          const e = src[i + 1];
          const simple: Record<string, string> = {
            n: '\n',
            t: '\t',
            r: '\r',
            '"': '"',
            '\\': '\\',
            a: '\x07',
            b: '\b',
            f: '\f',
            v: '\v',
          };
          if (e !== undefined && e in simple) {
            out += simple[e];
            i += 2;
            continue;
          }
          const hexLen = e === 'u' ? 4 : e === 'U' ? 8 : e === 'x' ? 2 : 0;
          if (hexLen > 0) {
            const hex = src.slice(i + 2, i + 2 + hexLen);
            if (!new RegExp(`^[0-9a-fA-F]{${hexLen}}$`).test(hex))
              throw fail('illegal char escape', line, col(i));
            const cp = parseInt(hex, 16);
            if (cp > 0x10ffff) throw fail('illegal char escape', line, col(i));
            out += String.fromCodePoint(cp);
            i += 2 + hexLen;
            continue;
          }
          if (e !== undefined && e >= '0' && e <= '7') {
            const oct = src.slice(i + 1, i + 4);
            if (!/^[0-7]{3}$/.test(oct)) throw fail('illegal char escape', line, col(i));
            out += String.fromCharCode(parseInt(oct, 8));
            i += 4;
            continue;
          }
          throw fail('illegal char escape', line, col(i));
        }
        out += ch;
        i++;
      }
      toks.push({ kind: 'STRING', text: out, value: out, ...start });
      continue;
    }
    if (c === '<' && src[i + 1] === '<') {
      const m = /^<<(-?)([A-Za-z_][A-Za-z0-9_]*)\r?\n/.exec(src.slice(i));
      if (!m) throw fail('heredoc expected marker name', start.line, start.col);
      const indent = m[1] === '-';
      const marker = m[2]!;
      i += m[0].length;
      newline();
      lineStart = i;
      const lines: string[] = [];
      for (;;) {
        if (i >= src.length) throw fail('heredoc not terminated', start.line, start.col);
        let e = src.indexOf('\n', i);
        if (e < 0) e = src.length;
        const raw = src.slice(i, e).replace(/\r$/, '');
        const isEnd = indent ? raw.trim() === marker : raw === marker;
        i = e;
        if (isEnd) break;
        lines.push(raw);
        if (i < src.length) {
          newline();
          i++;
        }
      }
      let body = lines;
      if (indent) {
        const pad = Math.min(
          ...lines.filter((l) => l.trim() !== '').map((l) => /^[ \t]*/.exec(l)![0].length),
        );
        body = lines.map((l) => l.slice(Number.isFinite(pad) ? pad : 0));
      }
      const text = body.map((l) => `${l}\n`).join('');
      toks.push({ kind: 'HEREDOC', text, value: text, ...start });
      continue;
    }
    if (c === '-' || (c >= '0' && c <= '9')) {
      const m = /^-?(0[xX][0-9a-fA-F]+|[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?)/.exec(src.slice(i));
      if (!m) throw fail('illegal char', start.line, start.col);
      const text = m[0];
      i += text.length;
      if (/^[A-Za-z_.]/.test(src[i] ?? '')) throw fail('illegal char', line, col());
      if (m[2] !== undefined || m[3] !== undefined) {
        toks.push({ kind: 'FLOAT', text, value: Number(text), ...start });
      } else {
        const neg = text.startsWith('-');
        const body = neg ? text.slice(1) : text;
        let big: bigint;
        if (/^0[xX]/.test(body)) big = BigInt(body);
        else if (body.length > 1 && body.startsWith('0')) {
          if (!/^[0-7]+$/.test(body))
            throw fail(`strconv.ParseInt: parsing "${text}": invalid syntax`, start.line, start.col);
          big = BigInt(`0o${body.slice(1)}`);
        } else big = BigInt(body);
        if (neg) big = -big;
        if (big > 2n ** 63n - 1n || big < -(2n ** 63n))
          throw fail(`strconv.ParseInt: parsing "${text}": value out of range`, start.line, start.col);
        const num = Number(big);
        toks.push({ kind: 'NUMBER', text, value: Number.isSafeInteger(num) ? num : big, ...start });
      }
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_\-.]*/.exec(src.slice(i))!;
      i += m[0].length;
      if (m[0] === 'true' || m[0] === 'false')
        toks.push({ kind: 'BOOL', text: m[0], value: m[0] === 'true', ...start });
      else toks.push({ kind: 'IDENT', text: m[0], value: m[0], ...start });
      continue;
    }
    throw fail('illegal char', start.line, start.col);
  }
  toks.push({ kind: 'EOF', text: '', line, col: col() });
  return toks;
}

// ---- AST -------------------------------------------------------------------------------------------

type Node =
  | { t: 'lit'; v: string | number | bigint | boolean }
  | { t: 'list'; items: Node[] }
  | { t: 'obj'; items: Item[] };
interface Item {
  keys: string[];
  value: Node;
  line: number;
  col: number;
}

function parse(toks: Tok[]): Item[] {
  let p = 0;
  const peek = () => toks[p]!;
  const next = () => toks[p++]!;
  const expected = (what: string, tok: Tok) =>
    new HclFail(`expected: ${what} got: ${TOKEN_NAME[tok.kind]}`, tok.line, tok.col);

  function objectList(inBraces: boolean): Item[] {
    const items: Item[] = [];
    for (;;) {
      const t = peek();
      if (t.kind === 'EOF') {
        if (inBraces) throw new HclFail('object expected closing RBRACE got: EOF', t.line, t.col);
        return items;
      }
      if (t.kind === '}') {
        if (!inBraces) throw expected('IDENT | STRING', t);
        return items;
      }
      items.push(objectItem());
      if (peek().kind === ',') next();
    }
  }

  function objectItem(): Item {
    const first = peek();
    const keys: string[] = [];
    for (;;) {
      const t = peek();
      if (t.kind === 'IDENT' || t.kind === 'STRING') {
        keys.push(String(next().value));
        continue;
      }
      if (t.kind === '=') {
        if (keys.length === 0) throw expected('IDENT | STRING', t);
        if (keys.length > 1) throw new HclFail(`nested object expected: LBRACE got: ASSIGN`, t.line, t.col);
        next();
        return { keys, value: value(), line: first.line, col: first.col };
      }
      if (t.kind === '{') {
        if (keys.length === 0) throw expected('IDENT | STRING', t);
        return { keys, value: object(), line: first.line, col: first.col };
      }
      if (keys.length === 0) throw expected('IDENT | STRING', t);
      throw expected('IDENT | STRING | ASSIGN | LBRACE', t);
    }
  }

  function object(): Node {
    next(); // {
    const items = objectList(true);
    next(); // }
    return { t: 'obj', items };
  }

  function value(): Node {
    const t = peek();
    switch (t.kind) {
      case 'STRING':
      case 'HEREDOC':
      case 'NUMBER':
      case 'FLOAT':
      case 'BOOL':
        next();
        return { t: 'lit', v: t.value! };
      case '{':
        return object();
      case '[':
        return list();
      default:
        throw new HclFail(`Unknown token: ${t.line}:${t.col} ${TOKEN_NAME[t.kind]} ${t.text}`, t.line, t.col);
    }
  }

  function list(): Node {
    next(); // [
    const items: Node[] = [];
    for (;;) {
      const t = peek();
      if (t.kind === ']') {
        next();
        return { t: 'list', items };
      }
      if (t.kind === 'EOF') throw expected('RBRACK', t);
      items.push(value());
      const after = peek();
      if (after.kind === ',') next();
      else if (after.kind !== ']')
        throw new HclFail(
          `list expected COMMA or RBRACK got: ${TOKEN_NAME[after.kind]}`,
          after.line,
          after.col,
        );
    }
  }

  return objectList(false);
}

// ---- decoding into the generic value hcl v1 produces ------------------------------------------------

function nest(item: Item): Node {
  // `a "b" "c" { … }` is `a = { b = { c = { … } } }`
  let v = item.value;
  for (let k = item.keys.length - 1; k >= 1; k--)
    v = { t: 'obj', items: [{ keys: [item.keys[k]!], value: v, line: item.line, col: item.col }] };
  return v;
}

function decodeItems(items: Item[]): { [key: string]: HclValue } {
  const groups = new Map<string, Item[]>();
  for (const it of items) {
    const g = groups.get(it.keys[0]!);
    if (g) g.push(it);
    else groups.set(it.keys[0]!, [it]);
  }
  const out: { [key: string]: HclValue } = {};
  for (const [key, group] of groups) {
    const vals = group.map(nest);
    const plain = vals.filter((v) => v.t === 'lit').length;
    if (plain === 0) {
      // Objects and lists under one key accumulate, in order; an object is a one-element list.
      out[key] = vals.flatMap((v) =>
        v.t === 'obj' ? [decodeItems(v.items)] : (decodeValue(v) as HclValue[]),
      );
    } else if (plain < vals.length) {
      const bad = group.find((_, k) => vals[k]!.t === 'lit')!;
      throw new HclFail(
        `${key}: cannot mix a plain value with objects or lists for the same key`,
        bad.line,
        bad.col,
      );
    } else out[key] = decodeValue(vals[vals.length - 1]!);
  }
  return out;
}

function decodeValue(n: Node): HclValue {
  if (n.t === 'lit') return n.v;
  if (n.t === 'list') return n.items.map((x) => (x.t === 'obj' ? decodeItems(x.items) : decodeValue(x)));
  return [decodeItems(n.items)];
}

export function parseHcl(src: string): HclResult {
  try {
    return { ok: true, value: decodeItems(parse(lex(src))) };
  } catch (e) {
    if (!(e instanceof HclFail)) throw e;
    return {
      ok: false,
      error: { message: `At ${e.line}:${e.col}: ${e.message}`, line: e.line, column: e.col },
    };
  }
}
