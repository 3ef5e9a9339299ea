// parseHcl against hashicorp/hcl v1 (the oracle) on hand-written inputs covering the HCL1 syntax and
// hcl's decoding rules, plus Consul-style config files with their expected values spelled out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseHcl } from '../../../../src/config/hcl/index.js';
import { assertSameAsOracle } from './oracle.js';

const SYNTAX: Record<string, string[]> = {
  assignments: ['a = 1', 'a = "x"\nb = true\nc = false', 'a=1 b=2', 'a = 1, b = 2', 'a = 1,\nb = 2,', 'a = '],
  blocks: [
    'a { b = 1 }',
    'a {}',
    'a { b { c { d = 1 } } }',
    'service "web" { port = 1 }',
    'a b c { }',
    '"a" "b" { }',
    'a "b" c "d" { x = 1 }',
    'a b {\n  c = 1\n  c = 2\n}',
  ],
  repeats: [
    'a = 1\na = 2',
    'a { b = 1 }\na { c = 2 }',
    's "web" { x = 1 }\ns "db" { y = 2 }',
    'a b { x = 1 }\na b { y = 2 }',
    'a b { x = 1 }\na c { y = 2 }',
    'a { b { x = 1 } }\na { b { y = 2 } }',
    'a = [1]\na = [2]',
    'a = [1]\na { b = 2 }',
    'a = {b=1}\na = {c=2}',
    'a = [{b=1}]\na = [{c=2}]',
    'a = [{b=1}]\na {c=2}',
    'a {c=2}\na = [{b=1}]',
    'x { a = [1]\na = [2] }',
    'a b { x = 1 }\nA c { y = 2 }',
    'A c { y = 2 }\na b { x = 1 }',
    'a = true\na = 1',
    'a = true\na = "TRUE"',
    'a = false\na = "0"',
    'a = "x"\na = 1',
    'a = "x"\na = 0x10',
    'a = "s"\na = 1.50',
    'a = "s"\na = true',
    'a = 1.5\na = 2',
    'a = 1\na = "7"',
    'a = 1\na = "0x10"',
    'a = 1\na = "+5"',
    'a = 1\na = "-010"',
    'a = "x"\na = <<EOF\nhd\nEOF\n',
  ],
  decodeErrors: [
    'a = 1\na { b = 1 }',
    'a { b = 1 }\na = 1',
    'a = "x"\na = [1]',
    'a = [1]\na = "x"',
    'a { b = 2 }\na = [1]',
    'a b { c = 1 }\na = 2',
    'a = 1\na b { c = 1 }',
    'a { x = 1 }\na b { y = 2 }',
    'a b { y = 2 }\na { x = 1 }',
    'a = 1\na = 2.5',
    'a = 1.5\na = "2.5"',
    'a = 1.5\na = 0x10',
    'a = true\na = "maybe"',
    'a = true\na = <<EOF\ntrue\nEOF\n',
    'a = 1\na = "0b101"',
    'a = 1\na = "1_000"',
    'a = [1]\na b { }',
  ],
  inlineObjects: [
    'o = { a = 1, b = "x" }',
    'o = { a = { b = { c = 1 } } }',
    'o = {}',
    'o = { a b { c = 1 } }',
  ],
  lists: [
    'a = [1,2,]',
    'a = []',
    'a = [,]',
    'a = [1,,2]',
    'a = [true, false]',
    'a = [1, "a", {b=2}, [3]]',
    'a = [[1][2]]',
    'a = [[1], [2, [3, []]]]',
    'a = [{a=1}, {b={c=2}}]',
    'a = [\n  "x", # first\n  "y", // second\n]',
    'a = [<<EOF\nx\nEOF\n, "y"]',
    'a = [1.5, -2, 0x1f, 017]',
  ],
  strings: [
    'a = ""',
    'a = "a\\u00e9\\U0001F600\\x41\\101\\a\\b\\f\\n\\r\\t\\v\\\\\\""',
    'a = "\\xff"',
    'a = "\\xe2\\x82"',
    'a = "\\xe2\\x82\\xac"',
    'a = "\\uD800"',
    'a = "é 😀 日本"',
    'a = "${foo}"',
    'a = "${lookup("a", "b")}"',
    'a = "${x"y"}"',
    'a = "${a}${"x"}"',
    'a = "${a}x${"y"}"',
    'a = "${a\nb}"',
    'a = "$${a}"',
    'a = "$"',
    'a = "{}"',
    'a = "tab\there"',
  ],
  heredocs: [
    'a = <<EOF\nx\nEOF\n',
    'a = <<EOF\nEOF\n',
    'a = <<EOF\nline 1\n  line 2\nEOF\n',
    'a = <<EOF\nx\n  EOF\n',
    'a = <<-EOF\n  x\n   y\n  EOF\n',
    'a = <<-EOF\n    x\n  y\n    EOF\n',
    'a = <<-EOF\n\tx\n\tEOF\n',
    'a = <<END_1\n"quoted" ${x}\nEND_1\n',
    'a = <<EOF\nEOFX\nEOF\nb = 2',
    'a = <<EOF\r\nx\r\nEOF\r\n',
  ],
  numbers: [
    'a = 0',
    'a = -0',
    'a = 42',
    'a = -17',
    'a = 0x10',
    'a = 0XfF',
    'a = -0x10',
    'a = 010',
    'a = 2147483647',
    'a = -2147483648',
    'a = 1.5',
    'a = -1.5',
    'a = .5',
    'a = 1.',
    'a = 1e3',
    'a = 1E+3',
    'a = 1e-3',
    'a = 1.5e3',
    'a = 1.e3',
    'a = 09.5',
    'a = 0.0',
    'a = -0.0',
    'a = 1e-400',
    'a = 0e5',
  ],
  comments: [
    'a = 1 # c',
    '# c\na = 1',
    '// c\na = 1 // d',
    '/* c */ a = /* d */ 1 /* e\n f */',
    'a = 1 /* multi\nline */ b = 2',
    '/**/a=1',
    'a { # inside\n b = 1 // x\n}',
  ],
  keys: [
    'a.b-c_d = 1',
    '_x = 1',
    'a1 = 1',
    '"quoted key" = "v"',
    '"with \\"escape\\"" = 1',
    '"" = 1',
    'ä = 1',
    'a٣ = 1',
    'true = 1',
    '__proto__ = 1',
    'constructor { a = 1 }',
  ],
  whitespace: ['', '   \n\t\r\n', 'a = 1\r\nb = "x\ry"', '\n\n\na\n=\n1\n'],
};

for (const [group, inputs] of Object.entries(SYNTAX)) {
  test(`hcl oracle agrees: ${group}`, () => {
    for (const src of inputs) assertSameAsOracle(src);
  });
}

const SEED_HCL = `
datacenter = "dc1"
data_dir = "/opt/consul/data"
log_level = "INFO"
node_name = "consul-1"
server = true
bootstrap_expect = 3
ui = true
client_addr = "0.0.0.0"
bind_addr = "192.168.2.210"
retry_join = ["192.168.2.210", "192.168.2.211", "192.168.2.212"]
ports {
  dns = 8600
  http = 8500
}
`;

const SERVICE_HCL = `
# A service with a check, as the seed's web.json says it in JSON.
service {
  name = "web"
  tags = ["master"]
  port = 8080
  check {
    http = "http://127.0.0.1:8080"
    interval = "10s"
  }
}
`;

test('Consul agent config in HCL decodes to the values Consul reads', () => {
  assertSameAsOracle(SEED_HCL);
  assert.deepStrictEqual(parseHcl(SEED_HCL), {
    ok: true,
    value: {
      bind_addr: '192.168.2.210',
      bootstrap_expect: 3,
      client_addr: '0.0.0.0',
      data_dir: '/opt/consul/data',
      datacenter: 'dc1',
      log_level: 'INFO',
      node_name: 'consul-1',
      ports: [{ dns: 8600, http: 8500 }],
      retry_join: ['192.168.2.210', '192.168.2.211', '192.168.2.212'],
      server: true,
      ui: true,
    },
  });
});

test('a Consul service definition in HCL nests its check as a list of maps', () => {
  assertSameAsOracle(SERVICE_HCL);
  assert.deepStrictEqual(parseHcl(SERVICE_HCL), {
    ok: true,
    value: {
      service: [
        {
          name: 'web',
          tags: ['master'],
          port: 8080,
          check: [{ http: 'http://127.0.0.1:8080', interval: '10s' }],
        },
      ],
    },
  });
});

test('several services, labelled blocks, acl and telemetry stanzas as Consul docs write them', () => {
  const src = `
services {
  name = "a"
  port = 1
}
services {
  name = "b"
  checks = [
    { id = "c1", tcp = "localhost:1", interval = "5s" },
    { id = "c2", args = ["/bin/true"], interval = "1m" },
  ]
}
acl {
  enabled = true
  default_policy = "deny"
  tokens {
    agent = "00000000-0000-0000-0000-000000000001"
  }
}
telemetry {
  prometheus_retention_time = "24h"
  disable_hostname = true
}
limits {
  http_max_conns_per_client = 200
}
node_meta {
  rack = "r1"
  "zone-name" = "z"
}
watches = [{ type = "key", key = "foo/bar", handler_type = "script", args = ["/bin/echo"] }]
`;
  assertSameAsOracle(src);
  const r = parseHcl(src);
  assert.ok(r.ok);
  assert.deepStrictEqual(r.value.services, [
    { name: 'a', port: 1 },
    {
      name: 'b',
      checks: [
        { id: 'c1', tcp: 'localhost:1', interval: '5s' },
        { id: 'c2', args: ['/bin/true'], interval: '1m' },
      ],
    },
  ]);
  assert.deepStrictEqual(r.value.node_meta, [{ rack: 'r1', 'zone-name': 'z' }]);
});

test('a "__proto__" key is an ordinary key, not a prototype', () => {
  const r = parseHcl('__proto__ = 1\nx { __proto__ { y = 2 } }');
  assert.ok(r.ok);
  assert.equal(Object.getPrototypeOf(r.value), Object.prototype);
  assert.deepStrictEqual(Object.keys(r.value), ['__proto__', 'x']);
  assert.equal(Object.getOwnPropertyDescriptor(r.value, '__proto__')?.value, 1);
});

test('map keys come out sorted, as in hcl JSON form', () => {
  const r = parseHcl('z = 1\na = 2\nm { y = 1\nb = 2 }');
  assert.ok(r.ok);
  assert.deepStrictEqual(Object.keys(r.value), ['a', 'm', 'z']);
  assert.deepStrictEqual(Object.keys((r.value.m as Record<string, unknown>[])[0] as object), ['b', 'y']);
});
