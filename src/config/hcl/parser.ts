// HCL1 tokens → syntax tree, accepting and rejecting exactly what hashicorp/hcl v1's parser does (for
// instance `a = ` at the end of input is an empty file, `x { b = } }` is `x {}`, and lists need no comma
// after a nested list), with its error texts. A scanner error outranks a parse error, and of several
// scanner errors the last one is reported — again as hcl does.

import type { ListType, Node, ObjectItem, ObjectKey, ObjectList, ObjectType } from './ast.js';
import { Scanner, type Token } from './scanner.js';

/** A syntax or decode error; `message` is hcl's text with its "At line:column:" prefix. */
export class HclFail {
  readonly message: string;
  constructor(
    readonly text: string,
    readonly line: number,
    readonly column: number,
  ) {
    this.message = `At ${line}:${column}: ${text}`;
  }
}

/** Too deep to parse; passed up as it is rather than wrapped once per enclosing list. */
class NestingFail extends HclFail {}

/** hcl's errEofToken: the input ended where an item could start (not an error at the top level). */
const END = Symbol('end of input');
type End = typeof END;

/** Deeper nesting is refused instead of overflowing the JS stack (hcl's Go stack would just grow). */
export const MAX_NESTING = 400;

function failAt(t: Token, text: string): HclFail {
  return new HclFail(text, t.line, t.column);
}

class Parser {
  private tok: Token = { type: 'EOF', text: '', line: 0, column: 0 };
  private buffered = false;
  private depth = 0;
  private readonly scanner: Scanner;
  scanError: HclFail | undefined;

  constructor(src: string) {
    this.scanner = new Scanner(src, (pos, message) => {
      this.scanError = new HclFail(message, pos.line, pos.column);
    });
  }

  /** The next token that is not a comment (or the one pushed back). */
  private scan(): Token {
    if (this.buffered) {
      this.buffered = false;
      return this.tok;
    }
    do this.tok = this.scanner.scan();
    while (this.tok.type === 'COMMENT');
    return this.tok;
  }

  private unscan(): void {
    this.buffered = true;
  }

  objectList(inObject: boolean): { items: ObjectItem[]; err?: HclFail } {
    const items: ObjectItem[] = [];
    for (;;) {
      if (inObject) {
        const t = this.scan();
        this.unscan();
        if (t.type === 'RBRACE') break;
      }
      const item = this.objectItem();
      if (item === END) break;
      if (item instanceof HclFail) return { items, err: item };
      items.push(item);
      // Items may be separated by commas.
      if (this.scan().type !== 'COMMA') this.unscan();
    }
    return { items };
  }

  private objectItem(): ObjectItem | HclFail | End {
    const { keys, err: keyErr } = this.objectKey();
    let err = keyErr;
    if (keys.length > 0 && err === END) err = undefined;
    if (keys.length > 0 && err !== undefined && this.tok.type === 'RBRACE') {
      // Keys without a value right before '}': report the missing value below; hcl also retypes the
      // brace so that the enclosing object does not take it as its end.
      err = undefined;
      this.tok = { ...this.tok, type: 'EOF' };
    }
    if (err !== undefined) return err;
    const first = keys[0] as ObjectKey;
    let val: Node | HclFail | End;
    switch (this.tok.type) {
      case 'ASSIGN':
        val = this.object();
        break;
      case 'LBRACE':
        val = this.objectType();
        break;
      default: {
        const names = keys.map((k) => k.token.text).join(' ');
        return failAt(this.tok, `key '${names}' expected start of object ('{') or assignment ('=')`);
      }
    }
    if (val === END || val instanceof HclFail) return val;
    // hcl looks one token ahead here (for line comments); that can surface a scanner error.
    this.scan();
    this.unscan();
    return { kind: 'item', keys, val, line: first.token.line, column: first.token.column };
  }

  private objectKey(): { keys: ObjectKey[]; err?: HclFail | End } {
    const keys: ObjectKey[] = [];
    for (;;) {
      const t = this.scan();
      switch (t.type) {
        case 'EOF':
          return { keys, err: END };
        case 'ASSIGN':
          if (keys.length > 1)
            return { keys: [], err: failAt(t, 'nested object expected: LBRACE got: ASSIGN') };
          if (keys.length === 0) return { keys: [], err: failAt(t, 'no object keys found!') };
          return { keys };
        case 'LBRACE':
          return keys.length === 0
            ? { keys, err: failAt(t, 'expected: IDENT | STRING got: LBRACE') }
            : { keys };
        case 'IDENT':
        case 'STRING':
          keys.push({ token: t });
          break;
        case 'ILLEGAL':
          return { keys, err: failAt(t, 'illegal character') };
        default:
          return { keys, err: failAt(t, `expected: IDENT | STRING | ASSIGN | LBRACE got: ${t.type}`) };
      }
    }
  }

  private object(): Node | HclFail | End {
    const t = this.scan();
    switch (t.type) {
      case 'NUMBER':
      case 'FLOAT':
      case 'BOOL':
      case 'STRING':
      case 'HEREDOC':
        return { kind: 'literal', token: t };
      case 'LBRACE':
        return this.objectType();
      case 'LBRACK':
        return this.listType();
      case 'EOF':
        return END;
      default:
        return failAt(t, `Unknown token: ${t.line}:${t.column} ${t.type} ${t.text}`);
    }
  }

  private objectType(): ObjectType | HclFail {
    this.depth++;
    try {
      return this.objectTypeBody();
    } finally {
      this.depth--;
    }
  }

  private objectTypeBody(): ObjectType | HclFail {
    const open = this.tok;
    if (this.depth > MAX_NESTING)
      return new NestingFail(`nesting deeper than ${MAX_NESTING} levels`, open.line, open.column);
    const { items, err } = this.objectList(true);
    // An error on the closing brace itself is dropped: hcl then takes the next token as the end.
    if (err !== undefined && this.tok.type !== 'RBRACE') return err;
    const close = this.scan();
    if (close.type !== 'RBRACE') return failAt(close, `object expected closing RBRACE got: ${close.type}`);
    const list: ObjectList = { kind: 'list', items };
    return { kind: 'object', list, line: open.line, column: open.column };
  }

  private listType(): ListType | HclFail {
    this.depth++;
    try {
      return this.listTypeBody();
    } finally {
      this.depth--;
    }
  }

  private listTypeBody(): ListType | HclFail {
    const open = this.tok;
    if (this.depth > MAX_NESTING)
      return new NestingFail(`nesting deeper than ${MAX_NESTING} levels`, open.line, open.column);
    const elems: Node[] = [];
    let needComma = false;
    for (;;) {
      const t = this.scan();
      if (needComma && t.type !== 'COMMA' && t.type !== 'RBRACK') {
        return failAt(t, `error parsing list, expected comma or list end, got: ${t.type}`);
      }
      switch (t.type) {
        case 'BOOL':
        case 'NUMBER':
        case 'FLOAT':
        case 'STRING':
        case 'HEREDOC':
          elems.push({ kind: 'literal', token: t });
          needComma = true;
          break;
        case 'COMMA':
          this.scan();
          this.unscan();
          needComma = false;
          break;
        case 'LBRACE': {
          const obj = this.objectType();
          if (obj instanceof NestingFail) return obj;
          if (obj instanceof HclFail) {
            return failAt(t, `error while trying to parse object within list: ${obj.message}`);
          }
          elems.push(obj);
          needComma = true;
          break;
        }
        case 'LBRACK': {
          // hcl does not ask for a comma after a nested list.
          const inner = this.listType();
          if (inner instanceof NestingFail) return inner;
          if (inner instanceof HclFail) {
            return failAt(t, `error while trying to parse list within list: ${inner.message}`);
          }
          elems.push(inner);
          break;
        }
        case 'RBRACK':
          return { kind: 'array', elems, line: open.line, column: open.column };
        default:
          return failAt(t, `unexpected token while parsing list: ${t.type}`);
      }
    }
  }
}

/** Parses HCL1 source into the root object list. */
export function parseTree(source: string): ObjectList | HclFail {
  // hcl normalizes Windows line endings before scanning.
  const p = new Parser(source.replaceAll('\r\n', '\n'));
  const { items, err } = p.objectList(false);
  if (p.scanError !== undefined) return p.scanError;
  if (err !== undefined) return err;
  return { kind: 'list', items };
}
