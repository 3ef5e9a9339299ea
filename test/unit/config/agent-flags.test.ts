import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AGENT_FLAG_TABLE, newAgentFlags } from '../../../src/config/agent-flags.js';
import { specAt } from '../../../src/config/schema.js';

function at(r: Record<string, unknown>, path: string): unknown {
  return path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], r);
}

test('every agent flag parses and lands on a config key the schema knows', () => {
  for (const [name, kind, path] of AGENT_FLAG_TABLE) {
    assert.notEqual(specAt(path), undefined, `-${name} → ${path} is not a config key`);
    const { flags, values } = newAgentFlags();
    const sample = { string: 'v1', bool: 'true', int: '42', slice: 'a', map: 'k:v' }[kind];
    const args = kind === 'slice' ? [`-${name}=a`, `--${name}`, 'b'] : [`-${name}=${sample}`];
    const r = flags.parse(args);
    assert.ok(r.ok, `-${name}: ${JSON.stringify(r)}`);
    const want = { string: 'v1', bool: true, int: 42, slice: ['a', 'b'], map: { k: 'v' } }[kind];
    assert.deepEqual(at(values.fragment, path), want, `-${name}`);
  }
});

test("bool flags take -flag, -flag=true|false; int flags take Go's Atoi; -node-meta splits at the first colon", () => {
  const { flags, values } = newAgentFlags();
  assert.ok(flags.parse(['-server', '-ui=false', '-syslog=1']).ok);
  assert.deepEqual(
    [
      values.fragment.server,
      (values.fragment.ui_config as { enabled: boolean }).enabled,
      values.fragment.enable_syslog,
    ],
    [true, false, true],
  );
  assert.deepEqual(newAgentFlags().flags.parse(['-bootstrap-expect=three']), {
    ok: false,
    help: false,
    error: 'invalid value "three" for flag -bootstrap-expect: strconv.Atoi: parsing "three": invalid syntax',
  });
  assert.deepEqual(newAgentFlags().flags.parse(['-retry-max= 3']), {
    ok: false,
    help: false,
    error: 'invalid value " 3" for flag -retry-max: strconv.Atoi: parsing " 3": invalid syntax',
  });
  assert.deepEqual(newAgentFlags().flags.parse(['-http-port=99999999999999999999']), {
    ok: false,
    help: false,
    error:
      'invalid value "99999999999999999999" for flag -http-port: strconv.Atoi: parsing "99999999999999999999": value out of range',
  });
  assert.deepEqual(newAgentFlags().flags.parse(['-server=maybe']), {
    ok: false,
    help: false,
    error: 'invalid boolean value "maybe" for -server: strconv.ParseBool: parsing "maybe": invalid syntax',
  });
  const n = newAgentFlags();
  assert.ok(n.flags.parse(['-bootstrap-expect=+3', '-node-meta=rack:r1:a', '-node-meta=solo']).ok);
  assert.equal(n.values.fragment.bootstrap_expect, 3);
  assert.deepEqual(n.values.fragment.node_meta, { rack: 'r1:a', solo: '' });
});

test('config sources and -dev are recorded in order, apart from the fragment', () => {
  const { flags, values } = newAgentFlags();
  assert.ok(
    flags.parse([
      '-config-dir=/a',
      '-config-file',
      '/b.json',
      '-config-dir',
      '/c',
      '-hcl',
      'x = 1',
      '-config-format=hcl',
      '-dev',
    ]).ok,
  );
  assert.deepEqual(values.configFiles, ['/a', '/b.json', '/c']);
  assert.deepEqual(values.hcl, ['x = 1']);
  assert.equal(values.configFormat, 'hcl');
  assert.equal(values.dev, true);
  assert.deepEqual(values.fragment, {});
});
