// The boolean expression language of `?filter=` (HashiCorp's go-bexpr, as Consul uses it): a parser to
// an AST, selector validation against the shape of the listed objects, and an evaluator over their JSON
// form. Grammar, lowest precedence first:
//   expr   := and ("or" and)*          and := not ("and" not)*
//   not    := "not" not | "(" expr ")" | match
//   match  := sel ("==" | "!=") value | sel "is" ["not"] "empty" | value ["not"] "in" sel
//           | sel ["not"] ("contains" | "matches") value
//   sel    := ident ("." ident | "[" string "]")*      value := string | number | true | false | ident
// Selecting through a list of objects matches when any element does.

export type Shape =
  'string' | 'number' | 'bool' | { map: Shape } | { list: Shape } | { struct: Record<string, Shape> };

type Op =
  | '=='
  | '!='
  | 'empty'
  | 'not empty'
  | 'in'
  | 'not in'
  | 'contains'
  | 'not contains'
  | 'matches'
  | 'not matches';

export type Expr =
  | { kind: 'and' | 'or'; left: Expr; right: Expr }
  | { kind: 'not'; expr: Expr }
  | { kind: 'match'; selector: string[]; op: Op; value: string; re?: RegExp };

interface Token {
  t: 'ident' | 'str' | 'num' | 'punct' | 'eof';
  v: string;
  at: number;
}

export class FilterError extends Error {}

const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'is', 'empty', 'contains', 'matches']);

function tokenize(src: string): Token[] | FilterError {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const at = i;
    if (c === '"') {
      let v = '';
      i++;
      for (;;) {
        if (i >= src.length) return new FilterError(`1:${at + 1} (${at}): unterminated string`);
        const d = src[i]!;
        if (d === '"') break;
        if (d === '\\') {
          const n = src[i + 1];
          const esc: Record<string, string> = { n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\' };
          if (n === undefined || esc[n] === undefined)
            return new FilterError(`1:${i + 1} (${i}): invalid escape in string`);
          v += esc[n];
          i += 2;
          continue;
        }
        v += d;
        i++;
      }
      i++;
      out.push({ t: 'str', v, at });
    } else if (c === '`') {
      const end = src.indexOf('`', i + 1);
      if (end < 0) return new FilterError(`1:${at + 1} (${at}): unterminated raw string`);
      out.push({ t: 'str', v: src.slice(i + 1, end), at });
      i = end + 1;
    } else if (c === '=' || c === '!') {
      if (src[i + 1] !== '=')
        return new FilterError(`1:${at + 1} (${at}): no match found, expected: "!=" or "=="`);
      out.push({ t: 'punct', v: src.slice(i, i + 2), at });
      i += 2;
    } else if ('()[].'.includes(c)) {
      out.push({ t: 'punct', v: c, at });
      i++;
    } else if (/[-+0-9]/.test(c) && /^[-+]?[0-9]/.test(src.slice(i))) {
      const m = /^[-+]?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?/.exec(src.slice(i))!;
      out.push({ t: 'num', v: m[0], at });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_\-/]*/.exec(src.slice(i))!;
      out.push({ t: 'ident', v: m[0], at });
      i += m[0].length;
    } else return new FilterError(`1:${at + 1} (${at}): no match found, unexpected "${c}"`);
  }
  out.push({ t: 'eof', v: '', at: src.length });
  return out;
}

class Parser {
  private i = 0;
  constructor(private readonly toks: Token[]) {}

  private peek(): Token {
    return this.toks[this.i]!;
  }
  private next(): Token {
    return this.toks[this.i++]!;
  }
  private word(w: string): boolean {
    const t = this.peek();
    if (t.t === 'ident' && t.v === w) {
      this.i++;
      return true;
    }
    return false;
  }
  private fail(expected: string): never {
    const t = this.peek();
    const what = t.t === 'eof' ? 'end of input' : `"${t.v}"`;
    throw new FilterError(`1:${t.at + 1} (${t.at}): no match found, expected: ${expected}, got ${what}`);
  }

  parse(): Expr {
    const e = this.or();
    if (this.peek().t !== 'eof') this.fail('"and", "or" or end of input');
    return e;
  }
  private or(): Expr {
    let left = this.and();
    while (this.word('or')) left = { kind: 'or', left, right: this.and() };
    return left;
  }
  private and(): Expr {
    let left = this.not();
    while (this.word('and')) left = { kind: 'and', left, right: this.not() };
    return left;
  }
  private not(): Expr {
    if (this.word('not')) return { kind: 'not', expr: this.not() };
    const t = this.peek();
    if (t.t === 'punct' && t.v === '(') {
      this.i++;
      const e = this.or();
      const close = this.next();
      if (close.t !== 'punct' || close.v !== ')') {
        this.i--;
        this.fail('")"');
      }
      return e;
    }
    return this.match();
  }
  private selector(): string[] {
    const first = this.next();
    if (first.t !== 'ident' || KEYWORDS.has(first.v)) {
      this.i--;
      this.fail('a selector');
    }
    const path = [first.v];
    for (;;) {
      const t = this.peek();
      if (t.t === 'punct' && t.v === '.') {
        this.i++;
        const n = this.next();
        if (n.t !== 'ident') {
          this.i--;
          this.fail('a field name');
        }
        path.push(n.v);
      } else if (t.t === 'punct' && t.v === '[') {
        this.i++;
        const k = this.next();
        if (k.t !== 'str') {
          this.i--;
          this.fail('a quoted map key');
        }
        const close = this.next();
        if (close.t !== 'punct' || close.v !== ']') {
          this.i--;
          this.fail('"]"');
        }
        path.push(k.v);
      } else return path;
    }
  }
  private value(): string {
    const t = this.next();
    if (t.t === 'str' || t.t === 'num' || (t.t === 'ident' && !KEYWORDS.has(t.v))) return t.v;
    this.i--;
    return this.fail('a value');
  }
  private match(): Expr {
    // `value [not] in selector` starts with a value; everything else with a selector.
    const start = this.i;
    const t = this.peek();
    if (t.t === 'str' || t.t === 'num' || t.t === 'ident') {
      const v = this.next();
      const negated = this.word('not');
      if (this.word('in'))
        return { kind: 'match', selector: this.selector(), op: negated ? 'not in' : 'in', value: v.v };
      this.i = start;
    }
    const selector = this.selector();
    const op = this.peek();
    if (op.t === 'punct' && (op.v === '==' || op.v === '!=')) {
      this.i++;
      return { kind: 'match', selector, op: op.v, value: this.value() };
    }
    if (this.word('is')) {
      const negated = this.word('not');
      if (!this.word('empty')) this.fail('"empty"');
      return { kind: 'match', selector, op: negated ? 'not empty' : 'empty', value: '' };
    }
    const negated = this.word('not');
    if (this.word('contains'))
      return { kind: 'match', selector, op: negated ? 'not contains' : 'contains', value: this.value() };
    if (this.word('matches')) {
      const value = this.value();
      let re: RegExp;
      try {
        re = new RegExp(value);
      } catch (e) {
        throw new FilterError(`error parsing regexp: ${(e as Error).message}`);
      }
      return { kind: 'match', selector, op: negated ? 'not matches' : 'matches', value, re };
    }
    return this.fail('"!=", "==", "contains", "in", "is", "matches" or "not"');
  }
}

/** The shape a selector reaches through `shape`, or null when it names nothing there. */
function resolveShape(shape: Shape, path: readonly string[]): Shape | null {
  let s: Shape = shape;
  for (const p of path) {
    while (typeof s === 'object' && 'list' in s) s = s.list;
    if (typeof s !== 'object') return null;
    if ('map' in s) s = s.map;
    else if ('struct' in s) {
      const f: Shape | undefined = s.struct[p];
      if (f === undefined) return null;
      s = f;
    } else return null;
  }
  return s;
}

function checkSelectors(e: Expr, shape: Shape): void {
  switch (e.kind) {
    case 'and':
    case 'or':
      checkSelectors(e.left, shape);
      checkSelectors(e.right, shape);
      return;
    case 'not':
      return checkSelectors(e.expr, shape);
    case 'match':
      if (resolveShape(shape, e.selector) === null)
        throw new FilterError(`Selector ${JSON.stringify(e.selector.join('.'))} is not valid`);
  }
}

/** Parses `src` and checks its selectors against the listed objects' shape. */
export function compileFilter(src: string, shape: Shape): Expr | FilterError {
  const toks = tokenize(src);
  if (toks instanceof FilterError) return toks;
  try {
    const e = new Parser(toks).parse();
    checkSelectors(e, shape);
    return e;
  } catch (err) {
    if (err instanceof FilterError) return err;
    throw err;
  }
}

/** Every value the selector reaches in v (several when it passes through lists). */
function reach(v: unknown, path: readonly string[]): unknown[] {
  let cur: unknown[] = [v];
  for (const p of path) {
    const next: unknown[] = [];
    for (const x of cur) {
      const items = Array.isArray(x) ? x : [x];
      for (const it of items)
        if (it !== null && typeof it === 'object' && Object.prototype.hasOwnProperty.call(it, p))
          next.push((it as Record<string, unknown>)[p]);
    }
    cur = next;
  }
  return cur;
}

function equal(x: unknown, want: string): boolean {
  if (typeof x === 'string') return x === want;
  if (typeof x === 'number' || typeof x === 'bigint') return Number(want) === Number(x);
  if (typeof x === 'boolean') return want === String(x);
  return false;
}

function contains(x: unknown, want: string): boolean {
  if (typeof x === 'string') return x.includes(want);
  if (Array.isArray(x)) return x.some((e) => equal(e, want));
  if (x !== null && typeof x === 'object') return Object.prototype.hasOwnProperty.call(x, want);
  return false;
}

function isEmpty(x: unknown): boolean {
  if (x === null || x === undefined) return true;
  if (typeof x === 'string' || Array.isArray(x)) return x.length === 0;
  if (typeof x === 'object') return Object.keys(x).length === 0;
  return false;
}

export function evaluate(e: Expr, v: unknown): boolean {
  switch (e.kind) {
    case 'and':
      return evaluate(e.left, v) && evaluate(e.right, v);
    case 'or':
      return evaluate(e.left, v) || evaluate(e.right, v);
    case 'not':
      return !evaluate(e.expr, v);
    case 'match': {
      const vals = reach(v, e.selector);
      switch (e.op) {
        case '==':
          return vals.some((x) => equal(x, e.value));
        case '!=':
          return !vals.some((x) => equal(x, e.value));
        case 'empty':
          return vals.length === 0 || vals.every(isEmpty);
        case 'not empty':
          return !(vals.length === 0 || vals.every(isEmpty));
        case 'in':
        case 'contains':
          return vals.some((x) => contains(x, e.value));
        case 'not in':
        case 'not contains':
          return !vals.some((x) => contains(x, e.value));
        case 'matches':
          return vals.some((x) => typeof x === 'string' && e.re!.test(x));
        case 'not matches':
          return !vals.some((x) => typeof x === 'string' && e.re!.test(x));
      }
    }
  }
}
