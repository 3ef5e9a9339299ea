import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlagSet, parseGoInt } from '../../../src/lib/flags.js';

function set() {
  const f = new FlagSet();
  return {
    f,
    s: f.string('name', 'def', 'a name'),
    b: f.bool('server', false, 'server mode'),
    i: f.int('n', 1, 'count'),
    d: f.duration('wait', 0, 'wait time'),
    j: f.strings('join', 'addresses'),
  };
}

test('Go flag forms: -f=v, -f v, --f, bare bool, -b=false', () => {
  const { f, s, b, i, d, j } = set();
  const r = f.parse([
    '--name=x',
    '-server',
    '-n',
    '7',
    '-wait=1m30s',
    '-join',
    'a',
    '--join=b',
    'rest',
    '-n',
    '9',
  ]);
  assert.deepEqual(r, { ok: true, args: ['rest', '-n', '9'] });
  assert.equal(s.value, 'x');
  assert.equal(b.value, true);
  assert.equal(i.value, 7);
  assert.equal(d.value, 90e9);
  assert.deepEqual(j.value, ['a', 'b']);
  const g = set();
  assert.deepEqual(g.f.parse(['-server=false', '--', '-x']), { ok: true, args: ['-x'] });
  assert.equal(g.b.value, false);
});

test('a bool flag never consumes the next argument', () => {
  const { f, b } = set();
  assert.deepEqual(f.parse(['-server', 'false']), { ok: true, args: ['false'] });
  assert.equal(b.value, true);
});

test("Go's error texts", () => {
  assert.deepEqual(set().f.parse(['-nope']), {
    ok: false,
    help: false,
    error: 'flag provided but not defined: -nope',
  });
  assert.deepEqual(set().f.parse(['-name']), {
    ok: false,
    help: false,
    error: 'flag needs an argument: -name',
  });
  assert.deepEqual(set().f.parse(['-n', 'x']), {
    ok: false,
    help: false,
    error: 'invalid value "x" for flag -n: parse error',
  });
  assert.deepEqual(set().f.parse(['-server=maybe']), {
    ok: false,
    help: false,
    error: 'invalid boolean value "maybe" for -server: parse error',
  });
  assert.deepEqual(set().f.parse(['---x']), { ok: false, help: false, error: 'bad flag syntax: ---x' });
  assert.deepEqual(set().f.parse(['-h']), { ok: false, help: true });
  assert.deepEqual(set().f.parse(['-help']), { ok: false, help: true });
});

test('"-" alone is a positional argument', () => {
  assert.deepEqual(set().f.parse(['-', '-server']), { ok: true, args: ['-', '-server'] });
});

test('integers parse like strconv.ParseInt(s, 0, 64)', () => {
  assert.equal(parseGoInt('0x10', true), 16);
  assert.equal(parseGoInt('010', true), 8);
  assert.equal(parseGoInt('1_000', true), 1000);
  assert.equal(parseGoInt('-5', true), -5);
  assert.ok(parseGoInt('-5', false) instanceof Error);
  assert.equal((parseGoInt('99999999999999999999', true) as Error).message, 'value out of range');
});
