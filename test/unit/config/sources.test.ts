import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSource, readConfigPath, type ConfigSource } from '../../../src/config/sources.js';
import { MemDisk } from '../../helpers/fakes.js';

async function read(path: string, files: Record<string, string>, format: '' | 'json' | 'hcl' = '') {
  const warnings: string[] = [];
  const r = await readConfigPath(path, format, new MemDisk(files), '/work', warnings);
  return { r, warnings, names: r.ok ? r.sources.map((s) => s.name) : [] };
}

test('a directory: files in byte order, subdirectories ignored, other extensions skipped with a warning', async () => {
  const { r, warnings, names } = await read('/etc/consul.d/', {
    '/etc/consul.d/b.json': '{}',
    '/etc/consul.d/B.hcl': '',
    '/etc/consul.d/a.hcl': '',
    '/etc/consul.d/_x.json': '{}',
    '/etc/consul.d/10.json': '{}',
    '/etc/consul.d/9.json': '{}',
    '/etc/consul.d/consul.env': 'X=1',
    '/etc/consul.d/web.json.bak': '{}',
    '/etc/consul.d/sub/c.json': '{}',
  });
  assert.ok(r.ok);
  // byte order: digits < upper case < '_' < lower case; "10" before "9"
  assert.deepEqual(names, [
    '/etc/consul.d/10.json',
    '/etc/consul.d/9.json',
    '/etc/consul.d/B.hcl',
    '/etc/consul.d/_x.json',
    '/etc/consul.d/a.hcl',
    '/etc/consul.d/b.json',
  ]);
  assert.deepEqual(warnings, [
    'skipping file /etc/consul.d/consul.env, extension must be .hcl or .json, or config format must be set',
    'skipping file /etc/consul.d/web.json.bak, extension must be .hcl or .json, or config format must be set',
  ]);
});

test('formats come from the extension, or from -config-format for every file', async () => {
  const files = { '/d/a.json': '{}', '/d/b.hcl': '', '/d/c.conf': '' };
  const byExt = await read('/d', files);
  assert.ok(byExt.r.ok);
  assert.deepEqual(
    byExt.r.sources.map((s) => s.format),
    ['json', 'hcl'],
  );
  const forced = await read('/d', files, 'hcl');
  assert.ok(forced.r.ok);
  assert.deepEqual(
    forced.r.sources.map((s) => [s.name, s.format]),
    [
      ['/d/a.json', 'hcl'],
      ['/d/b.hcl', 'hcl'],
      ['/d/c.conf', 'hcl'],
    ],
  );
  assert.deepEqual(forced.warnings, []);
});

test('-config-file: a wrong extension is skipped with the warning; relative paths read from cwd, shown as given', async () => {
  const skipped = await read('/etc/consul.conf', { '/etc/consul.conf': '{}' });
  assert.deepEqual(skipped.names, []);
  assert.deepEqual(skipped.warnings, [
    'skipping file /etc/consul.conf, extension must be .hcl or .json, or config format must be set',
  ]);
  const rel = await read('conf/server.json', { '/work/conf/server.json': '{"server": true}' });
  assert.deepEqual(rel.names, ['conf/server.json']);
  const relDir = await read('conf', { '/work/conf/a.json': '{}' });
  assert.deepEqual(relDir.names, ['conf/a.json']);
});

test('a missing path is an error naming it', async () => {
  const { r } = await read('/nope.json', {});
  assert.deepEqual(r, {
    ok: false,
    error: 'config: Open failed on /nope.json. open /nope.json: no such file or directory',
  });
});

test('parseSource: JSON, HCL, empty files, JSON-looking .hcl, and errors naming file, line and column', () => {
  const src = (name: string, format: 'json' | 'hcl', text: string): ConfigSource => ({ name, format, text });
  assert.deepEqual(parseSource(src('a.json', 'json', '{"ports": {"dns": 53}}')), {
    ok: true,
    value: { ports: { dns: 53 } },
  });
  assert.deepEqual(parseSource(src('a.hcl', 'hcl', 'ports { dns = 53 }')), {
    ok: true,
    value: { ports: [{ dns: 53 }] },
  });
  assert.deepEqual(parseSource(src('e.json', 'json', '  \n')), { ok: true, value: {} });
  assert.deepEqual(parseSource(src('e.hcl', 'hcl', '')), { ok: true, value: {} });
  assert.deepEqual(parseSource(src('n.json', 'json', 'null')), { ok: true, value: {} });
  assert.deepEqual(parseSource(src('j.hcl', 'hcl', ' {"server": true}')), {
    ok: true,
    value: { server: true },
  });
  assert.deepEqual(parseSource(src('/c/bad.json', 'json', '{\n  "a": 1,\n}')), {
    ok: false,
    error:
      "failed to parse /c/bad.json: invalid character '}' looking for beginning of object key string (at line 3, column 1)",
  });
  assert.deepEqual(parseSource(src('/c/arr.json', 'json', '[1]')), {
    ok: false,
    error:
      'failed to parse /c/arr.json: json: cannot unmarshal array into Go value of type map[string]interface {}',
  });
  assert.deepEqual(parseSource(src('/c/bad.hcl', 'hcl', 'a = 1\n}')), {
    ok: false,
    error: 'failed to parse /c/bad.hcl: At 2:1: expected: IDENT | STRING | ASSIGN | LBRACE got: RBRACE',
  });
  assert.deepEqual(parseSource(src('/c/lit.hcl', 'hcl', 'datacenter = "dc1')), {
    ok: false,
    error: 'failed to parse /c/lit.hcl: At 1:18: literal not terminated',
  });
});
