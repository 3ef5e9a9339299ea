import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { parseHcl } from '../../../src/config/hcl.js';

// The oracle: a GopherJS build of hashicorp/hcl v1 (test-only dependency).
const oracle = createRequire(import.meta.url)('js-hcl-parser') as { parse(s: string): string };

const CASES = [
  'a = 1\na = 2',
  's { x = 1 }\ns { y = 2 }',
  's "web" { x = 1 }\ns "db" { y = 2 }',
  's "web" "v1" { x = 1 }',
  'o = { a = 1, b = "x" }',
  'l = [1, "a", {b=2}, [3]]',
  't = true\nf = 1.5\ne = 1e3\nh = 0x10\nneg = -3\no = 010\nfl = -1.5\nx = 2.0',
  'x = <<EOF\nhello\n  world\nEOF\ny = <<-EOF\n    a\n    b\n    EOF\n',
  '"quoted key" = "v\\t\\"\\u00e9\\n"',
  'a.b-c_d = 1',
  's { t { u = 1 } }',
  's = [{a=1},{b=2}]',
  'k = 1\ns { a = 1 }\nk2 { }',
  'x = "${foo}"',
  'x = "${lookup("a", "b")}"',
  'a = 1 # c\n// c2\n/* c3\n */ b = 2',
  'a = [1,2,]',
  'a {\n  b = 1\n  b = 2\n}',
  'a = 1 b = 2',
  'a = []\nb = {}',
  'a b { c = 1 }',
  `datacenter = "dc1"
data_dir = "/opt/consul/data"
log_level = "INFO"
server = true
bootstrap_expect = 3
retry_join = ["192.168.2.210", "192.168.2.211"]
ports {
  dns = 8600
}
service {
  name = "web"
  tags = ["master"]
  port = 8080
  check {
    http = "http://127.0.0.1:8080"
    interval = "10s"
  }
}
watches = [
  { type = "key", key = "foo", args = ["/bin/true"] },
]`,
];

test('decodes exactly as hashicorp/hcl v1 does', () => {
  for (const src of CASES) {
    const ours = parseHcl(src);
    assert.ok(ours.ok, `${src}\n${JSON.stringify(ours)}`);
    assert.deepEqual(ours.value, JSON.parse(oracle.parse(src)), src);
  }
});

test('integers are int64-exact (the Go package build we test against stops at 2^31)', () => {
  assert.deepEqual(parseHcl('a = 3000000000\nb = 9007199254740993\nc = -9223372036854775808'), {
    ok: true,
    value: { a: 3000000000, b: 9007199254740993n, c: -9223372036854775808n },
  });
  const r = parseHcl('a = 9223372036854775808');
  assert.equal(r.ok, false);
});

test('syntax errors name the line and column', () => {
  const cases: Array<[string, number, number, RegExp]> = [
    ['a = 1\nb = "x\n', 2, 5, /literal not terminated/],
    ['a = 1\n  @', 2, 3, /illegal char/],
    ['a {\n  b = 1\n', 3, 1, /RBRACE/],
    ['a = 1\n}', 2, 1, /expected: IDENT \| STRING got: RBRACE/],
    ['ports {\n  dns 8600\n}', 2, 7, /expected/],
    ['a = [1 2]', 1, 8, /COMMA or RBRACK/],
    ['/* open', 1, 1, /comment not terminated/],
  ];
  for (const [src, line, column, re] of cases) {
    const r = parseHcl(src);
    assert.equal(r.ok, false, src);
    if (!r.ok) {
      assert.equal(r.error.line, line, `${src}: ${r.error.message}`);
      assert.equal(r.error.column, column, `${src}: ${r.error.message}`);
      assert.match(r.error.message, re);
      assert.match(r.error.message, new RegExp(`^At ${line}:${column}: `));
    }
  }
});

test('never throws, whatever the input', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 80 }), (s) => {
      parseHcl(s);
    }),
    { numRuns: 2000 },
  );
  const alphabet = fc.constantFrom(
    'a',
    '"',
    '=',
    '{',
    '}',
    '[',
    ']',
    ',',
    '\n',
    ' ',
    '1',
    '<<EOF\n',
    'EOF',
    '#',
    '/*',
    '*/',
    '$',
    '\\',
  );
  fc.assert(
    fc.property(fc.array(alphabet, { maxLength: 40 }), (parts) => {
      parseHcl(parts.join(''));
    }),
    { numRuns: 2000 },
  );
});

test('agrees with the oracle on generated documents', () => {
  const ident = fc.constantFrom('a', 'b', 'svc', 'port', 'x_y', 'k-1');
  const scalar = fc.oneof(
    fc.integer({ min: -1000, max: 100000 }).map(String),
    fc.boolean().map(String),
    fc.stringMatching(/^[a-z0-9 ./:-]{0,8}$/).map((s) => JSON.stringify(s)),
  );
  const doc = fc.letrec<{ body: string; val: string }>((tie) => ({
    val: fc.oneof(
      { depthSize: 'small' },
      scalar,
      fc.array(scalar, { maxLength: 3 }).map((xs) => `[${xs.join(', ')}]`),
      tie('body').map((b) => `{\n${b}\n}`),
    ),
    // Unique keys per body: Go's decoder converts a repeated scalar key to the first value's type
    // (x = "" then x = false gives "false"), an accident we do not copy; repeats are covered above.
    body: fc
      .uniqueArray(
        fc.oneof(
          fc.tuple(ident, tie('val')).map(([k, v]) => [k, `${k} = ${v}`] as const),
          fc.tuple(ident, tie('body')).map(([k, b]) => [k, `${k} {\n${b}\n}`] as const),
        ),
        { maxLength: 4, selector: ([k]) => k },
      )
      .map((xs) => xs.map(([, line]) => line).join('\n')),
  }));
  fc.assert(
    fc.property(doc.body, (src) => {
      let want: unknown;
      try {
        want = JSON.parse(oracle.parse(src));
      } catch {
        return; // mixed object/plain keys: the oracle errors; we report an error too (checked below)
      }
      const ours = parseHcl(src);
      assert.ok(ours.ok, src);
      assert.deepEqual(ours.value, want, src);
    }),
    { numRuns: 300 },
  );
});
