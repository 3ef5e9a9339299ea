import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseGoJson, type JsonValue } from '../../../src/lib/gojson.js';

function value(text: string): JsonValue {
  const r = parseGoJson(text);
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  return r.value;
}

function error(text: string): { message: string; line: number; column: number } {
  const r = parseGoJson(text);
  assert.equal(r.ok, false, `expected ${JSON.stringify(text)} to fail`);
  if (r.ok) throw new Error('unreachable');
  return { message: r.error.message, line: r.error.line, column: r.error.column };
}

test('decodes what JSON.parse decodes, for ordinary documents', () => {
  for (const doc of [
    '{"a": 1, "b": [true, false, null], "c": {"d": "e"}}',
    '[]',
    '{}',
    ' "x" ',
    '-0.5e-3',
    '"\\u00e9\\ud83d\\ude00 \\n\\t\\"\\\\\\/"',
    '[1, 2.5, -3, 1E2, 0]',
  ])
    assert.deepEqual(value(doc), JSON.parse(doc), doc);
});

test('integers beyond 2^53 stay exact as bigint; safe ones and floats are numbers', () => {
  assert.equal(value('18446744073709551615'), 18446744073709551615n);
  assert.equal(value('-9223372036854775808'), -9223372036854775808n);
  assert.equal(value('9007199254740991'), 9007199254740991);
  assert.equal(value('9007199254740992'), 9007199254740992n);
  assert.equal(value('1.8446744073709552e19'), 18446744073709552000);
  assert.deepEqual(value('{"ModifyIndex": 18446744073709551615}'), { ModifyIndex: 18446744073709551615n });
});

test('a repeated key: the last one wins, as in Go', () => {
  assert.deepEqual(value('{"a": 1, "b": 2, "a": 3}'), { a: 3, b: 2 });
});

test('a "__proto__" key is plain data and does not touch the prototype', () => {
  const v = value('{"__proto__": {"polluted": true}, "x": 1}') as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(v), Object.prototype);
  assert.deepEqual(Object.keys(v), ['__proto__', 'x']);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.deepEqual(Object.getOwnPropertyDescriptor(v, '__proto__')?.value, { polluted: true });
});

test("syntax errors carry Go encoding/json's texts and a 1-based line and column", () => {
  const cases: Array<[string, string, number, number]> = [
    ['', 'unexpected end of JSON input', 1, 1],
    ['   \n ', 'unexpected end of JSON input', 2, 2],
    ['{"a": 1,', 'unexpected end of JSON input', 1, 9],
    ['{\n  "server": true,\n}\n', "invalid character '}' looking for beginning of object key string", 3, 1],
    ['{"a" 1}', "invalid character '1' after object key", 1, 6],
    ['{"a": 1 "b": 2}', "invalid character '\"' after object key:value pair", 1, 9],
    ['[1 2]', "invalid character '2' after array element", 1, 4],
    ['[1,]', "invalid character ']' looking for beginning of value", 1, 4],
    ['{"a": tru}', "invalid character '}' in literal true (expecting 'e')", 1, 10],
    ['nul', 'unexpected end of JSON input', 1, 4],
    ['fals3', "invalid character '3' in literal false (expecting 'e')", 1, 5],
    ['01', "invalid character '1' after top-level value", 1, 2],
    ['{} x', "invalid character 'x' after top-level value", 1, 4],
    ['-a', "invalid character 'a' in numeric literal", 1, 2],
    ['1.x', "invalid character 'x' after decimal point in numeric literal", 1, 3],
    ['1ex', "invalid character 'x' in exponent of numeric literal", 1, 3],
    ['"a\\x"', "invalid character 'x' in string escape code", 1, 4],
    ['"\\u12"', "invalid character '\"' in \\u hexadecimal character escape", 1, 6],
    ['"a\nb"', "invalid character '\\n' in string literal", 1, 3],
    ['"a\tb"', "invalid character '\\t' in string literal", 1, 3],
    ['"a\u0001"', "invalid character '\\x01' in string literal", 1, 3],
    ["'a'", "invalid character '\\'' looking for beginning of value", 1, 1],
    ['{"a": \u007f}', "invalid character '\\x7f' looking for beginning of value", 1, 7],
    ['"abc', 'unexpected end of JSON input', 1, 5],
    ['{"x": [1, 2}\n', "invalid character '}' after array element", 1, 12],
  ];
  for (const [text, message, line, column] of cases)
    assert.deepEqual(error(text), { message, line, column }, JSON.stringify(text));
});

test('nesting deeper than Go allows is refused, not a stack overflow', () => {
  const deep = '['.repeat(10002) + ']'.repeat(10002);
  assert.equal(error(deep).message, 'exceeded max depth');
  assert.ok(parseGoJson('['.repeat(1000) + ']'.repeat(1000)).ok);
});
