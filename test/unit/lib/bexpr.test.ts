// The ?filter= language: every operator, precedence, selectors through maps and lists, validation
// against the listed shape, and no input that makes the parser throw.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compileFilter, evaluate, FilterError, type Shape } from '../../../src/lib/bexpr.js';

const SHAPE: Shape = {
  struct: {
    Node: 'string',
    Port: 'number',
    Passing: 'bool',
    Tags: { list: 'string' },
    Meta: { map: 'string' },
    Checks: { list: { struct: { CheckID: 'string', Status: 'string' } } },
  },
};

const ROWS = [
  {
    Node: 'web-1',
    Port: 80,
    Passing: true,
    Tags: ['v1', 'primary'],
    Meta: { env: 'prod', 'rack-id': 'r1' },
    Checks: [{ CheckID: 'serfHealth', Status: 'passing' }],
  },
  {
    Node: 'web-2',
    Port: 8080,
    Passing: false,
    Tags: [],
    Meta: { env: 'dev' },
    Checks: [
      { CheckID: 'serfHealth', Status: 'critical' },
      { CheckID: 'http', Status: 'passing' },
    ],
  },
  { Node: 'db-1', Port: 5432, Passing: true, Tags: ['v2'], Meta: {}, Checks: [] },
];

function names(src: string): string[] {
  const e = compileFilter(src, SHAPE);
  if (e instanceof FilterError) throw e;
  return ROWS.filter((r) => evaluate(e, r)).map((r) => r.Node);
}

test('operators', () => {
  assert.deepEqual(names('Node == "web-1"'), ['web-1']);
  assert.deepEqual(names('Node != `web-1`'), ['web-2', 'db-1']);
  assert.deepEqual(names('Port == 8080'), ['web-2']);
  assert.deepEqual(names('Passing == true'), ['web-1', 'db-1']);
  assert.deepEqual(names('"v1" in Tags'), ['web-1']);
  assert.deepEqual(names('"v1" not in Tags'), ['web-2', 'db-1']);
  assert.deepEqual(names('Tags contains "v2"'), ['db-1']);
  assert.deepEqual(names('Tags is empty'), ['web-2']);
  assert.deepEqual(names('Meta is not empty'), ['web-1', 'web-2']);
  assert.deepEqual(names('Meta.env == prod'), ['web-1']);
  assert.deepEqual(names('Meta["rack-id"] == "r1"'), ['web-1']);
  assert.deepEqual(names('"env" in Meta'), ['web-1', 'web-2']);
  assert.deepEqual(names('Node matches "^web-[0-9]$"'), ['web-1', 'web-2']);
  assert.deepEqual(names('Node not matches "^web"'), ['db-1']);
  assert.deepEqual(names('Node contains "eb"'), ['web-1', 'web-2']);
});

test('precedence, negation, parentheses, and selectors through lists (any element)', () => {
  assert.deepEqual(names('Node == "db-1" or Node == "web-1" and Port == 8080'), ['db-1']);
  assert.deepEqual(names('(Node == "db-1" or Node == "web-1") and Port == 80'), ['web-1']);
  assert.deepEqual(names('not Passing == true'), ['web-2']);
  assert.deepEqual(names('Checks.Status == critical'), ['web-2']);
  assert.deepEqual(names('Checks.Status != critical'), ['web-1', 'db-1']);
  assert.deepEqual(names('Checks is empty'), ['db-1']);
});

test('unknown selectors and bad syntax are errors, with positions', () => {
  const err = (src: string) => {
    const e = compileFilter(src, SHAPE);
    assert.ok(e instanceof FilterError, src);
    return e.message;
  };
  assert.equal(err('Nope == "x"'), 'Selector "Nope" is not valid');
  assert.equal(err('Checks.Output == "x"'), 'Selector "Checks.Output" is not valid');
  assert.match(err('Node ='), /^1:6 \(5\): no match found/);
  assert.match(err('Node == '), /^1:9 \(8\): no match found, expected: a value, got end of input/);
  assert.match(err('(Node == x'), /expected: "\)"/);
  assert.match(err('Node matches "("'), /^error parsing regexp/);
});

test('no input makes the parser throw', () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string(),
        fc
          .array(
            fc.constantFrom(
              'Node',
              'Meta',
              '.',
              '[',
              ']',
              '"x"',
              '==',
              '!=',
              'and',
              'or',
              'not',
              'in',
              'is',
              'empty',
              '(',
              ')',
              '`',
              'matches',
              '1',
            ),
          )
          .map((a) => a.join(' ')),
      ),
      (src) => {
        const e = compileFilter(src, SHAPE);
        if (!(e instanceof FilterError)) for (const r of ROWS) evaluate(e, r);
      },
    ),
    { numRuns: 2000 },
  );
});
