// The HCL1 tokenizer. Positions, token boundaries and error points follow hashicorp/hcl v1's scanner
// exactly (proven against it in test/unit/config/hcl), quirks included: a column keeps counting up each
// time the end of input is read, an exponent without digits swallows the character after it, and a
// scanner error is reported through a callback while a (possibly bogus) token is still returned.

export type TokenType =
  | 'ILLEGAL'
  | 'EOF'
  | 'COMMENT'
  | 'IDENT'
  | 'NUMBER'
  | 'FLOAT'
  | 'BOOL'
  | 'STRING'
  | 'HEREDOC'
  | 'LBRACK'
  | 'LBRACE'
  | 'COMMA'
  | 'PERIOD'
  | 'RBRACK'
  | 'RBRACE'
  | 'ASSIGN'
  | 'ADD'
  | 'SUB';

export interface Pos {
  line: number;
  column: number;
}

export interface Token {
  type: TokenType;
  text: string;
  line: number;
  column: number;
}

/** End of input. hcl reads a NUL as the end of input too (after reporting it). */
export const EOF = -1;
const REPLACEMENT = 0xfffd;

const LETTER = /\p{L}/u;
const DIGIT = /\p{Nd}/u;

function isLetter(ch: number): boolean {
  if (ch < 0x80) return (ch >= 0x61 && ch <= 0x7a) || (ch >= 0x41 && ch <= 0x5a) || ch === 0x5f;
  return LETTER.test(String.fromCodePoint(ch));
}

function isDigit(ch: number): boolean {
  if (ch < 0x80) return ch >= 0x30 && ch <= 0x39;
  return DIGIT.test(String.fromCodePoint(ch));
}

function isDecimal(ch: number): boolean {
  return ch >= 0x30 && ch <= 0x39;
}

function digitValue(ch: number): number {
  if (ch >= 0x30 && ch <= 0x39) return ch - 0x30;
  if (ch >= 0x61 && ch <= 0x66) return ch - 0x61 + 10;
  if (ch >= 0x41 && ch <= 0x46) return ch - 0x41 + 10;
  return 16;
}

function isHex(ch: number): boolean {
  return digitValue(ch) < 16;
}

function isWhitespace(ch: number): boolean {
  return ch === 0x20 || ch === 0x09 || ch === 0x0a || ch === 0x0d;
}

/** Length of `s` in UTF-8 bytes (hcl compares heredoc lines by byte length). */
function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

export class Scanner {
  /** Offset (UTF-16 units) of the next character to read. */
  private at = 0;
  private line = 1;
  /** Column of the last character read; 0 right after a newline. */
  private column = 0;
  private lastCharLen = 0;
  private lastLineLen = 0;
  private prevAt = 0;
  private prevLine = 1;
  private prevColumn = 0;

  constructor(
    private readonly src: string,
    private readonly onError: (pos: Pos, message: string) => void,
  ) {}

  private next(): number {
    if (this.at >= this.src.length) {
      // Reading past the end still moves the column on, as hcl's does.
      this.column++;
      this.lastCharLen = 0;
      return EOF;
    }
    this.prevAt = this.at;
    this.prevLine = this.line;
    this.prevColumn = this.column;
    const ch = this.src.codePointAt(this.at) ?? REPLACEMENT;
    const size = ch > 0xffff ? 2 : 1;
    this.column++;
    this.lastCharLen = size;
    this.at += size;
    if (ch === 0x0a) {
      this.line++;
      this.lastLineLen = this.column;
      this.column = 0;
    }
    if (ch === 0) {
      this.error('unexpected null character (0x00)');
      return EOF;
    }
    if (ch === 0xe123) {
      this.error('unicode code point U+E123 reserved for internal use');
      return REPLACEMENT;
    }
    return ch;
  }

  private unread(): void {
    this.at = this.prevAt;
    this.line = this.prevLine;
    this.column = this.prevColumn;
  }

  private peek(): number {
    if (this.at >= this.src.length) return EOF;
    const ch = this.src.codePointAt(this.at) ?? REPLACEMENT;
    return ch === 0 ? EOF : ch;
  }

  /** Where the last character read sits (where hcl reports scanner errors). */
  private recent(): Pos {
    if (this.column > 0) return { line: this.line, column: this.column };
    if (this.lastLineLen > 0) return { line: this.line - 1, column: this.lastLineLen };
    return { line: 1, column: 1 };
  }

  private error(message: string): void {
    this.onError(this.recent(), message);
  }

  scan(): Token {
    let ch = this.next();
    while (isWhitespace(ch)) ch = this.next();
    const start = this.at - this.lastCharLen;
    const pos = this.column > 0 ? { line: this.line, column: this.column } : this.recent();
    let type: TokenType;
    if (isLetter(ch)) {
      this.identifier();
      const text = this.src.slice(start, this.at);
      type = text === 'true' || text === 'false' ? 'BOOL' : 'IDENT';
    } else if (isDecimal(ch)) {
      type = this.number(ch);
    } else {
      switch (ch) {
        case EOF:
          type = 'EOF';
          break;
        case 0x22: // "
          type = 'STRING';
          this.string();
          break;
        case 0x23: // #
        case 0x2f: // /
          type = 'COMMENT';
          this.comment(ch);
          break;
        case 0x2e: // .
          type = 'PERIOD';
          if (isDecimal(this.peek())) {
            type = 'FLOAT';
            this.exponent(this.digits(this.peek()));
          }
          break;
        case 0x3c: // <
          type = 'HEREDOC';
          this.heredoc();
          break;
        case 0x5b:
          type = 'LBRACK';
          break;
        case 0x5d:
          type = 'RBRACK';
          break;
        case 0x7b:
          type = 'LBRACE';
          break;
        case 0x7d:
          type = 'RBRACE';
          break;
        case 0x2c:
          type = 'COMMA';
          break;
        case 0x3d:
          type = 'ASSIGN';
          break;
        case 0x2b:
          type = 'ADD';
          break;
        case 0x2d: // -
          if (isDecimal(this.peek())) type = this.number(this.next());
          else type = 'SUB';
          break;
        default:
          type = 'ILLEGAL';
          this.error('illegal char');
      }
    }
    return { type, text: this.src.slice(start, this.at), line: pos.line, column: pos.column };
  }

  private identifier(): void {
    let ch = this.next();
    while (isLetter(ch) || isDigit(ch) || ch === 0x2d || ch === 0x2e) ch = this.next();
    if (ch !== EOF) this.unread();
  }

  /** Consumes a run of decimal digits starting at `ch` (already read, or peeked); returns the char after. */
  private digits(ch: number): number {
    let any = false;
    while (isDecimal(ch)) {
      ch = this.next();
      any = true;
    }
    if (any && ch !== EOF) this.unread();
    return ch;
  }

  /** After an 'e': an optional sign and digits. Without digits the character read stays consumed. */
  private exponent(ch: number): number {
    if (ch === 0x65 || ch === 0x45) {
      ch = this.next();
      if (ch === 0x2d || ch === 0x2b) ch = this.next();
      ch = this.digits(ch);
    }
    return ch;
  }

  /** The part after a '.': digits, then an optional exponent. */
  private fraction(): void {
    const ch = this.digits(this.peek());
    if (ch === 0x65 || ch === 0x45) this.exponent(this.next());
  }

  private number(first: number): TokenType {
    if (first === 0x30) {
      let ch = this.next();
      if (ch === 0x78 || ch === 0x58) {
        ch = this.next();
        let any = false;
        while (isHex(ch)) {
          ch = this.next();
          any = true;
        }
        if (!any) this.error('illegal hexadecimal number');
        if (ch !== EOF) this.unread();
        return 'NUMBER';
      }
      let badOctal = false;
      while (isDecimal(ch)) {
        ch = this.next();
        if (ch === 0x38 || ch === 0x39) badOctal = true;
      }
      if (ch === 0x65 || ch === 0x45) {
        this.exponent(ch);
        return 'FLOAT';
      }
      if (ch === 0x2e) {
        this.fraction();
        return 'FLOAT';
      }
      if (badOctal) this.error('illegal octal number');
      if (ch !== EOF) this.unread();
      return 'NUMBER';
    }
    this.digits(first);
    const ch = this.next();
    if (ch === 0x65 || ch === 0x45) {
      this.exponent(ch);
      return 'FLOAT';
    }
    if (ch === 0x2e) {
      this.fraction();
      return 'FLOAT';
    }
    if (ch !== EOF) this.unread();
    return 'NUMBER';
  }

  private comment(first: number): void {
    if (first === 0x23 || this.peek() !== 0x2a) {
      if (first === 0x2f && this.peek() !== 0x2f) {
        this.error("expected '/' for comment");
        return;
      }
      let ch = this.next();
      while (ch !== 0x0a && ch !== EOF) ch = this.next();
      if (ch !== EOF) this.unread();
      return;
    }
    this.next(); // the '*'
    let ch = this.next();
    for (;;) {
      if (ch === EOF) {
        this.error('comment not terminated');
        return;
      }
      const before = ch;
      ch = this.next();
      if (before === 0x2a && ch === 0x2f) return;
    }
  }

  private string(): void {
    let braces = 0;
    for (;;) {
      const ch = this.next();
      if ((ch === 0x0a && braces === 0) || ch === EOF) {
        this.error('literal not terminated');
        return;
      }
      if (ch === 0x22 && braces === 0) return;
      // Inside ${ } quotes and newlines do not end the string.
      if (braces === 0 && ch === 0x24 && this.peek() === 0x7b) {
        braces++;
        this.next();
      } else if (braces > 0 && ch === 0x7b) {
        braces++;
      }
      if (braces > 0 && ch === 0x7d) braces--;
      if (ch === 0x5c) this.escape();
    }
  }

  private escape(): void {
    const ch = this.next();
    switch (ch) {
      case 0x61: // a b f n r t v \ "
      case 0x62:
      case 0x66:
      case 0x6e:
      case 0x72:
      case 0x74:
      case 0x76:
      case 0x5c:
      case 0x22:
        return;
      case 0x78: // x
        this.escapeDigits(this.next(), 16, 2);
        return;
      case 0x75: // u
        this.escapeDigits(this.next(), 16, 4);
        return;
      case 0x55: // U
        this.escapeDigits(this.next(), 16, 8);
        return;
      default:
        if (ch >= 0x30 && ch <= 0x37) this.escapeDigits(ch, 8, 3);
        else this.error('illegal char escape');
    }
  }

  private escapeDigits(ch: number, base: number, count: number): void {
    let left = count;
    while (left > 0 && digitValue(ch) < base) {
      ch = this.next();
      if (ch === EOF) break;
      left--;
    }
    if (left > 0) this.error('illegal char escape');
    if (left !== count && ch !== EOF) this.unread();
  }

  private heredoc(): void {
    if (this.next() !== 0x3c) {
      this.error("heredoc expected second '<', didn't see it");
      return;
    }
    const anchorStart = this.at;
    let ch = this.next();
    if (ch === 0x2d) ch = this.next();
    while (isLetter(ch) || isDigit(ch)) ch = this.next();
    if (ch === EOF) {
      this.error('heredoc not terminated');
      return;
    }
    if (ch === 0x0d && this.peek() === 0x0a) ch = this.next();
    if (ch !== 0x0a) {
      this.error('invalid characters in heredoc anchor');
      return;
    }
    const anchor = this.src.slice(anchorStart, this.at - this.lastCharLen);
    if (anchor === '' || anchor === '-') {
      this.error('zero-length heredoc anchor');
      return;
    }
    const name = anchor.startsWith('-') ? anchor.slice(1) : anchor;
    // hcl compares the line's byte length with the anchor's, '-' included: `<<-EOF` needs an indented `EOF`.
    const anchorBytes = utf8Length(anchor);
    let lineStart = this.at;
    for (;;) {
      const c = this.next();
      if (c === 0x0a) {
        const line = this.src.slice(lineStart, this.at - this.lastCharLen);
        if (utf8Length(line) >= anchorBytes && isAnchorLine(line, name)) return;
        lineStart = this.at;
      }
      if (c === EOF) {
        this.error('heredoc not terminated');
        return;
      }
    }
  }
}

/** A heredoc ends at a line of optional ASCII space, the anchor, then optional carriage returns. */
function isAnchorLine(line: string, name: string): boolean {
  let i = 0;
  while (i < line.length && ' \t\n\v\f\r'.includes(line.charAt(i))) i++;
  // The anchor starts with a letter or digit, so it can only begin where the spaces end.
  if (!line.startsWith(name, i)) return false;
  let k = i + name.length;
  while (k < line.length && line.charCodeAt(k) === 0x0d) k++;
  return k === line.length;
}
