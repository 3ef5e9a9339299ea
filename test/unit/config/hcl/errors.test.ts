// Error positions (1-based line and column of the offending token, hcl's texts) and the places where
// parseHcl deliberately differs from hashicorp/hcl v1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseHcl } from '../../../../src/config/hcl/index.js';
import { assertSameAsOracle, oracle } from './oracle.js';

function errorOf(src: string): { message: string; line: number; column: number } {
  const r = parseHcl(src);
  assert.ok(!r.ok, `expected an error for ${JSON.stringify(src)}`);
  return r.error;
}

const BROKEN: [string, string, number, number][] = [
  ['a = 1\nb = 2\nc = @', 'At 3:5: illegal char', 3, 5],
  ['x {\n}\n}', 'At 3:1: expected: IDENT | STRING | ASSIGN | LBRACE got: RBRACE', 3, 1],
  ['# c\n{ }', 'At 2:1: expected: IDENT | STRING got: LBRACE', 2, 1],
  ['a = 1\nb = 2\nc = 3\nname = "we', 'At 4:11: literal not terminated', 4, 11],
  ['a = "x\n', 'At 1:7: literal not terminated', 1, 7],
  // Of several scanner errors hcl reports the last: here the `"` on line 2 opens another string.
  ['a = "x\ny"', 'At 2:3: literal not terminated', 2, 3],
  ['service {\n  name = "web"\n  port = ,\n}', 'At 3:10: Unknown token: 3:10 COMMA ,', 3, 10],
  // A value missing right before '}': hcl drops that error and reports the brace it then lacks.
  ['service {\n  name = "web"\n  port = \n}', 'At 4:2: object expected closing RBRACE got: EOF', 4, 2],
  [
    'service {\n  name "web"\n}',
    "At 3:1: key 'name \"web\"' expected start of object ('{') or assignment ('=')",
    3,
    1,
  ],
  ['a {\n  b = 1\n', 'At 3:2: object expected closing RBRACE got: EOF', 3, 2],
  ['a = [1, 2\nb = 3', 'At 2:1: error parsing list, expected comma or list end, got: IDENT', 2, 1],
  [
    'a = [\n  {x = }\n]',
    'At 2:3: error while trying to parse object within list: At 3:1: object expected closing RBRACE got: RBRACK',
    2,
    3,
  ],
  ['a b = 1', 'At 1:5: nested object expected: LBRACE got: ASSIGN', 1, 5],
  ['a = "\\q"', 'At 1:7: illegal char escape', 1, 7],
  ['a = 0x', 'At 1:7: illegal hexadecimal number', 1, 7],
  ['a = 089', 'At 1:8: illegal octal number', 1, 8],
  ['/* open\n\n', 'At 3:1: comment not terminated', 3, 1],
  ['a = <<EOF\nx\n', 'At 3:1: heredoc not terminated', 3, 1],
  ['a = <<EOF junk\nEOF\n', 'At 1:10: invalid characters in heredoc anchor', 1, 10],
  ['a = 1 / 2', "At 1:7: expected '/' for comment", 1, 7],
  ['a = 1\u0000', 'At 1:6: unexpected null character (0x00)', 1, 6],
  ['a\n', "At 2:1: key 'a' expected start of object ('{') or assignment ('=')", 2, 1],
  // Columns count characters, not bytes or UTF-16 units.
  ['k = "日本😀" @', 'At 1:11: illegal char', 1, 11],
];

test('syntax errors give hcl text and the 1-based line and column of the offending token', () => {
  for (const [src, message, line, column] of BROKEN) {
    assert.deepStrictEqual(errorOf(src), { message, line, column }, JSON.stringify(src));
    assertSameAsOracle(src);
  }
});

test('decode errors that hcl leaves without a position get the position of the value', () => {
  assert.deepStrictEqual(errorOf('a = 1\na = "x"'), {
    message: 'At 2:5: strconv.ParseInt: parsing "x": invalid syntax',
    line: 2,
    column: 5,
  });
  assert.deepStrictEqual(errorOf('a = true\na = "maybe"'), {
    message: 'At 2:5: decodeBool: Unknown value for boolean: "maybe"',
    line: 2,
    column: 5,
  });
  assert.deepStrictEqual(errorOf('p { x = 1 }\np "l" { y = 2 }'), {
    message: 'At 1:1: root.p[0]: map must have string keys',
    line: 1,
    column: 1,
  });
  assert.deepStrictEqual(errorOf('a = 1e999'), {
    message: 'At 1:5: strconv.ParseFloat: parsing "1e999": value out of range',
    line: 1,
    column: 5,
  });
});

test('difference: integers are int64 — a number when safe, a bigint beyond 2^53 (the 32-bit oracle fails)', () => {
  const src = [
    'a = 2147483648',
    'b = -2147483649',
    'c = 9007199254740991',
    'd = 9007199254740993',
    'e = 9223372036854775807',
    'f = -9223372036854775808',
    'g = 0x7fffffffffffffff',
    'h = 0777777777777',
    'l = [4294967296]',
  ].join('\n');
  assert.match((oracle('a = 2147483648') as { message: string }).message, /value out of range/);
  assert.deepStrictEqual(parseHcl(src), {
    ok: true,
    value: {
      a: 2147483648,
      b: -2147483649,
      c: 9007199254740991,
      d: 9007199254740993n,
      e: 9223372036854775807n,
      f: -9223372036854775808n,
      g: 9223372036854775807n,
      h: 68719476735,
      l: [4294967296],
    },
  });
});

test('difference: an integer literal beyond int64 is an error at the literal', () => {
  assert.deepStrictEqual(errorOf('x = 1\ny = 9223372036854775808'), {
    message: 'At 2:5: strconv.ParseInt: parsing "9223372036854775808": value out of range',
    line: 2,
    column: 5,
  });
  assert.equal(errorOf('y = -9223372036854775809').line, 1);
  assert.equal(errorOf('y = 0x10000000000000000').column, 5);
  // A numeric string decoded into an earlier int follows the same int64 rule.
  assert.deepStrictEqual(parseHcl('p = 1\np = "4294967296"'), { ok: true, value: { p: 4294967296 } });
});

test('difference: where hcl panics on an escape its scanner let through, we report an error', () => {
  for (const src of ['a = "\\400"', '"\\400" = 1', 'a "\\400" { }', 'a = "\\U00110000"']) {
    assert.ok('panic' in oracle(src), src);
    const e = errorOf(src);
    assert.match(e.message, /^At \d+:\d+: unquote ".*" err: invalid syntax$/);
  }
  assert.deepStrictEqual(errorOf('x = 1\n  k = "\\777"'), {
    message: 'At 2:7: unquote "\\777" err: invalid syntax',
    line: 2,
    column: 7,
  });
});

test('difference: a file whose first non-space character is "{" (hcl would read JSON) is refused', () => {
  assert.equal((oracle(' {"a": 1}') as { ok: boolean }).ok, true);
  const e = errorOf(' {"a": 1}');
  assert.equal(e.line, 1);
  assert.match(e.message, /JSON/);
});
