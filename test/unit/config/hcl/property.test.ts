// Property tests: generated HCL documents, token soups and arbitrary strings, each compared with
// hashicorp/hcl v1 (the oracle) or at least required never to throw.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseHcl } from '../../../../src/config/hcl/index.js';
import { assertSameAsOracle, isJsonMode, oracle, oracleInt32Limit } from './oracle.js';

/** Compares with the oracle unless the input is one of the two documented differences. */
function agreeWithOracle(src: string): void {
  if (isJsonMode(src)) {
    assert.equal(parseHcl(src).ok, false);
    return;
  }
  if (oracleInt32Limit(oracle(src))) {
    parseHcl(src);
    return;
  }
  assertSameAsOracle(src);
}

const identChar = fc.constantFrom(...'abcxyzABC_'.split(''));
const identTail = fc.constantFrom(...'abz09_-.'.split(''));
const ident = fc
  .tuple(identChar, fc.array(identTail, { maxLength: 5 }))
  .map(([h, t]) => h + t.join(''))
  .filter((s) => s !== 'true' && s !== 'false');

const stringChar = fc.oneof(
  fc.constantFrom('a', 'Z', ' ', 'é', '日', '😀', '$', '{', '}', '/', '#', "'"),
  fc.constantFrom(
    '\\n',
    '\\t',
    '\\r',
    '\\\\',
    '\\"',
    '\\a',
    '\\v',
    '\\u00e9',
    '\\U0001F600',
    '\\x41',
    '\\101',
  ),
);
const quoted = fc.array(stringChar, { maxLength: 8 }).map((cs) => `"${cs.join('')}"`);
// A small pool so that keys repeat and exercise hcl's merge rules.
const key = fc.oneof({ weight: 4, arbitrary: fc.constantFrom('a', 'b', 'svc', 'port', 'A') }, ident, quoted);

const int32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
const number = fc.oneof(
  int32.map(String),
  fc.nat({ max: 0xffff }).map((n) => `0x${n.toString(16)}`),
  fc.nat({ max: 0o7777 }).map((n) => `0${n.toString(8)}`),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => String(d).replace('e+', 'e')),
  fc.tuple(fc.nat(999), fc.nat(999)).map(([a, b]) => `${a}.${b}`),
  fc.tuple(fc.nat(99), fc.integer({ min: -30, max: 30 })).map(([a, e]) => `${a}e${e}`),
);
const heredocLine = fc.array(fc.constantFrom('x', ' ', '\t', 'EO', '"', '${a}', 'é'), { maxLength: 5 });
const heredoc = fc
  .tuple(
    fc.boolean(),
    fc.array(heredocLine, { maxLength: 3 }),
    fc.constantFrom('', ' ', '  ', '\t'),
    fc.constantFrom('EOF', 'END'),
  )
  .map(([indent, lines, pad, anchor]) => {
    const body = lines.map((l) => pad + l.join('') + '\n').join('');
    return `<<${indent ? '-' : ''}${anchor}\n${body}${indent ? pad || ' ' : ''}${anchor}\n`;
  });
const literal = fc.oneof(number, quoted, fc.constantFrom('true', 'false'), heredoc);
const gap = fc.constantFrom(' ', '\n', '  ', '\n\n', ' # note\n', ' // note\n', ' /* c */ ', '\t');

const { value: valueArb, items: itemsArb } = fc.letrec<{ value: string; items: string; item: string }>(
  (tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      literal,
      fc
        .tuple(fc.array(tie('value'), { maxLength: 4 }), fc.boolean(), gap)
        .map(([vs, trailing, g]) => `[${g}${vs.join(`,${g}`)}${trailing && vs.length > 0 ? ',' : ''}]`),
      tie('items').map((body) => `{ ${body} }`),
    ),
    item: fc.oneof(
      fc.tuple(key, tie('value')).map(([k, v]) => `${k} = ${v}`),
      fc
        .tuple(key, fc.array(fc.oneof(ident, quoted), { maxLength: 2 }), tie('items'))
        .map(([k, labels, body]) => `${[k, ...labels].join(' ')} {\n${body}\n}`),
    ),
    items: fc.tuple(fc.array(tie('item'), { maxLength: 4 }), gap).map(([items, g]) => items.join(`${g}\n`)),
  }),
);

test('generated HCL documents decode exactly as hcl decodes them', () => {
  fc.assert(
    fc.property(itemsArb, (src) => agreeWithOracle(src)),
    { numRuns: 1000 },
  );
});

test('generated values under a key decode exactly as hcl decodes them', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(key, valueArb), { maxLength: 3 }), (kvs) =>
      agreeWithOracle(kvs.map(([k, v]) => `${k} = ${v}`).join('\n')),
    ),
    { numRuns: 1000 },
  );
});

const TOKENS = [
  'a',
  'b',
  'A',
  'x.y-z',
  '"s"',
  '"a\\"b"',
  '"${x}"',
  '=',
  '{',
  '}',
  '[',
  ']',
  ',',
  '1',
  '-1',
  '1.5',
  '.5',
  '1e3',
  '0x1F',
  '0x',
  '089',
  '09',
  '-',
  '+',
  '.',
  'true',
  'false',
  '<<EOF\nx\nEOF\n',
  '<<-EOF\n  y\n  EOF\n',
  '<<EOF',
  '<',
  '#c\n',
  '// c\n',
  '/*c*/',
  '/* open',
  '/',
  '\n',
  ' ',
  '\t',
  '\r\n',
  '"\\q"',
  '"\\400"',
  '"\\x4"',
  '"unterminated',
  '"multi\nline"',
  '@',
  'e',
  '0',
  '\\',
  '$',
  '\u0000',
  '\ue123',
  'é',
];

test('token soups: hcl and parseHcl accept and reject alike, errors at the same place', () => {
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...TOKENS), { maxLength: 14 }), (toks) =>
      agreeWithOracle(toks.join('')),
    ),
    { numRuns: 4000 },
  );
});

test('token soups with spaces between tokens agree with hcl too', () => {
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...TOKENS), { maxLength: 14 }), (toks) =>
      agreeWithOracle(toks.join(' ')),
    ),
    { numRuns: 2000 },
  );
});

test('short strings over HCL punctuation agree with hcl', () => {
  const ch = fc.constantFrom(...'ab1e0x.-+="{}[],#/*<\\$ \n'.split(''));
  fc.assert(
    fc.property(fc.array(ch, { maxLength: 16 }), (cs) => agreeWithOracle(cs.join(''))),
    { numRuns: 4000 },
  );
});

// Letters are limited to ones old enough to be in the oracle's (older) Unicode tables.
const UNICODE = ['é', '日', '٣', 'Ⅻ', '\u0300', 'ǅ', 'ß', 'İ', 'K', '\u200b', '\u00a0', '\u2028', '😀', '𝒜'];
const PIECES = [
  ...UNICODE,
  '\ufeff',
  '\u0085',
  '_',
  'a',
  '"',
  '\\u',
  '=',
  '{',
  '}',
  ' ',
  '\n',
  '-',
  '.',
  '1',
];

test('unicode in keys, strings and stray places agrees with hcl (columns count characters)', () => {
  const piece = fc.constantFrom(...PIECES);
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 20 }), (cs) => agreeWithOracle(cs.join(''))),
    { numRuns: 2000 },
  );
  const clean = fc
    .array(fc.constantFrom(...UNICODE, 'a', '_', '-'), { maxLength: 8 })
    .map((cs) => cs.join(''));
  fc.assert(
    fc.property(clean, clean, (a, b) =>
      agreeWithOracle(`"${a}" = 1\n${b} = "${a}"\nx "${a}" { y = "${b}" }`),
    ),
    { numRuns: 1000 },
  );
});

const oldChar = fc.integer({ min: 0, max: 0x4ff }).map((c) => String.fromCharCode(c));

test('text after a partial item agrees with hcl', () => {
  const prefix = fc.constantFrom('', 'a = ', 'a = "', 'a { b = ', 'a = [', 'a = <<EOF\n', '# ', 'k = 1\n');
  fc.assert(
    fc.property(prefix, fc.string({ unit: oldChar, maxLength: 30 }), (p, s) => agreeWithOracle(p + s)),
    { numRuns: 3000 },
  );
});

test('arbitrary input never throws: a value or an error with a 1-based position', () => {
  const anyText = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.string({ unit: 'grapheme', maxLength: 200 }),
    fc.array(fc.constantFrom(...TOKENS), { maxLength: 40 }).map((t) => t.join('')),
  );
  fc.assert(
    fc.property(anyText, (src) => {
      const r = parseHcl(src);
      if (!r.ok) {
        assert.ok(r.error.line >= 1 && r.error.column >= 1, JSON.stringify(r.error));
        assert.match(r.error.message, /^At \d+:\d+: /);
      }
    }),
    { numRuns: 5000 },
  );
});

test('deep nesting is an error, not a stack overflow', () => {
  for (const src of [
    'a = ' + '['.repeat(100_000),
    'a ' + '{ b '.repeat(100_000),
    'a = ' + '{ b = '.repeat(50_000),
  ]) {
    const r = parseHcl(src);
    assert.equal(r.ok, false);
  }
  assert.deepStrictEqual(parseHcl('a = ' + '['.repeat(1000)), {
    ok: false,
    error: { message: 'At 1:405: nesting deeper than 400 levels', line: 1, column: 405 },
  });
  assert.equal(parseHcl('a ' + 'b '.repeat(100_000) + '{ }').ok, false); // labels nest in the decoder
  const ok = parseHcl('a = ' + '['.repeat(200) + ']'.repeat(200));
  assert.equal(ok.ok, true);
});
