// `consul validate` / `consul configtest` run as real processes on fixture files: the seed's config
// directory is valid, broken files fail with Consul 1.16's message on stderr and exit 1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const MAIN = join(HERE, '../../../src/main.js'); // compiled tree: <out>/test/unit/cli → <out>/src

/** The repository root, wherever the compiled tests were written (dist/, .build/<name>/, …). */
function repoRoot(): string {
  let d = HERE;
  while (!existsSync(join(d, 'package.json'))) {
    const up = dirname(d);
    assert.notEqual(up, d, 'package.json not found above the test');
    d = up;
  }
  return d;
}
const FIX = join(repoRoot(), 'test/fixtures');
const V = join(FIX, 'validate');

function consul(...args: string[]) {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('the seed config directory (JSON and HCL) is valid; -quiet prints nothing', { timeout: 180_000 }, () => {
  for (const dir of ['seed/conf', 'seed/hcl']) {
    const r = consul('validate', join(FIX, dir));
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'Configuration is valid!\n');
  }
  const q = consul('validate', '-quiet', join(FIX, 'seed/conf'));
  assert.equal(q.code, 0);
  assert.equal(q.out, '');
  assert.equal(q.err, '');
});

test(
  'configtest, as the seed systemd unit calls it, accepts -config-dir and -config-file',
  { timeout: 180_000 },
  () => {
    const r = consul('configtest', `-config-dir=${join(FIX, 'seed/conf')}`);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'Configuration is valid!\n');
    const f = consul(
      'configtest',
      `-config-file=${join(FIX, 'seed/conf/web.json')}`,
      `-config-file=${join(FIX, 'seed/conf/server.json')}`,
    );
    assert.equal(f.code, 0, f.err);
    const bad = consul('configtest', `-config-file=${join(V, 'expect-no-server.json')}`);
    assert.equal(bad.code, 1);
    assert.equal(bad.err, "Config validation failed: 'bootstrap_expect > 0' requires 'server = true'\n");
  },
);

test('warnings go to stderr, the verdict to stdout', { timeout: 180_000 }, () => {
  const r = consul('validate', join(V, 'warnings.json'));
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, 'Configuration is valid!\n');
  assert.match(r.err, /Node name "web_01" will not be discoverable via DNS due to invalid characters/);
  assert.match(r.err, /bootstrap_expect = 2: A cluster with 2 servers will provide no failure tolerance/);
  const q = consul('validate', '-quiet', join(V, 'warnings.json'));
  assert.equal(q.code, 0);
  assert.equal(q.out + q.err, '');
});

test("broken files fail with Consul's message and exit 1", { timeout: 180_000 }, () => {
  const cases: Array<[string, string]> = [
    // validate wants the whole agent configuration, data_dir included (hashicorp/consul#4065).
    ['no-data-dir.json', 'data_dir cannot be empty'],
    // Consul drops the bad address, then finds bind_addr empty.
    ['bad-bind.json', 'bind_addr cannot be empty'],
    [
      'bad-values.json',
      '2 errors occurred:\n\t* ports.http: invalid port: 70000\n\t* client_addr: invalid ip address: 10.0.0.300\n\n',
    ],
    ['bootstrap-both.hcl', "'bootstrap_expect > 0' and 'bootstrap = true' are mutually exclusive"],
    ['expect-no-server.json', "'bootstrap_expect > 0' requires 'server = true'"],
    [
      'ui-both.json',
      'Both the ui_config.enabled and ui_config.dir (or -ui and -ui-dir) were specified, please provide only one.\n' +
        'If trying to use your own web UI resources, use ui_config.dir or the -ui-dir flag.\n' +
        'The web UI is included in the binary so use ui_config.enabled or the -ui flag to enable it',
    ],
    [
      'bad-datacenter.json',
      'datacenter can only contain lowercase alphanumeric, - or _ characters. received: "east coast"',
    ],
    ['bad-encrypt.json', 'encrypt has invalid key: illegal base64 data at input byte 3'],
    ['advertise-any.json', 'Advertise address cannot be 0.0.0.0, :: or [::]'],
    [
      'bad-duration.json',
      '1 error occurred:\n\t* retry_interval: invalid duration: "30 seconds": time: unknown unit " seconds" in duration "30 seconds"\n\n',
    ],
  ];
  for (const [file, msg] of cases) {
    const r = consul('validate', join(V, file));
    assert.equal(r.code, 1, file);
    assert.equal(r.err, `Config validation failed: ${msg}\n`, file);
    assert.equal(r.out, '', file);
  }
});

test('usage errors: no files, a bad -config-format, a missing path', { timeout: 180_000 }, () => {
  const none = consul('validate');
  assert.equal(none.code, 1);
  assert.equal(none.err, 'Must specify at least one config file or directory\n');
  const fmt = consul('validate', '-config-format=yaml', join(FIX, 'seed/conf'));
  assert.equal(fmt.code, 1);
  assert.equal(fmt.err, "-config-format must be either 'hcl' or 'json\n");
  // -config-format makes any extension parseable: the seed's JSON read as HCL is still valid HCL.
  const forced = consul('validate', '-config-format=hcl', join(FIX, 'seed/hcl/server.hcl'));
  assert.equal(forced.code, 0, forced.err);
  // With -config-format any file name is read in that format.
  const conf = consul('validate', '-config-format=json', join(V, 'agent.conf'));
  assert.equal(conf.code, 0, conf.err);
  assert.equal(conf.out, 'Configuration is valid!\n');
  // In a directory, files of other extensions are skipped with a warning.
  const dir = consul('validate', join(V, 'dir'));
  assert.equal(dir.code, 0, dir.err);
  assert.equal(
    dir.err,
    `skipping file ${join(V, 'dir/README')}, extension must be .hcl or .json, or config format must be set\n`,
  );
  const missing = join(V, 'does-not-exist.json');
  const m = consul('validate', missing);
  assert.equal(m.code, 1);
  assert.match(m.err, /^Config validation failed: config: Open failed on .*does-not-exist\.json/);
});
