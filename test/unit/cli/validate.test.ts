// `consul validate` / `consul configtest` run as real processes on the fixture files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../../src/main.js', import.meta.url));
const FIX = fileURLToPath(new URL('../../../../test/fixtures/', import.meta.url));

function consul(...args: string[]) {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('the seed config directory (JSON and HCL) is valid', () => {
  for (const dir of ['seed/conf', 'seed/hcl']) {
    const r = consul('validate', FIX + dir);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'Configuration is valid!\n');
  }
  const q = consul('validate', '-quiet', `${FIX}seed/conf`);
  assert.equal(q.code, 0);
  assert.equal(q.out, '');
});

test('configtest, as the seed systemd unit calls it, accepts -config-dir and -config-file', () => {
  const r = consul('configtest', `-config-dir=${FIX}seed/conf`);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, 'Configuration is valid!\n');
  const f = consul(
    'configtest',
    `-config-file=${FIX}seed/conf/web.json`,
    `-config-file=${FIX}seed/conf/server.json`,
  );
  assert.equal(f.code, 0, f.err);
});

test("broken files fail with Consul's message and exit 1", () => {
  const cases: Array<[string, string]> = [
    [
      'bad/trailing-comma.json',
      `failed to parse ${FIX}bad/trailing-comma.json: invalid character '}' looking for beginning of object key string (at line 4, column 1)`,
    ],
    [
      'bad/unclosed.hcl',
      `failed to parse ${FIX}bad/unclosed.hcl: At 4:1: object expected closing RBRACE got: EOF`,
    ],
    [
      'bad/unknown-key.json',
      `failed to parse ${FIX}bad/unknown-key.json: 1 error occurred:\n\t* invalid config key ports.htp (did you mean ports.http?)\n\n`,
    ],
    ['bad/bootstrap-both.json', "'bootstrap_expect > 0' and 'bootstrap = true' are mutually exclusive"],
    ['bad/expect-no-server.json', "'bootstrap_expect > 0' requires 'server = true'"],
    [
      'bad/bad-duration.json',
      '1 error occurred:\n\t* retry_interval: invalid duration: "30 seconds": time: unknown unit " seconds" in duration "30 seconds"\n\n',
    ],
    ['bad/bad-ip.json', '1 error occurred:\n\t* bind_addr: invalid ip address: 192.168.2.300\n\n'],
  ];
  for (const [file, msg] of cases) {
    const r = consul('validate', FIX + file);
    assert.equal(r.code, 1, file);
    assert.equal(r.err, `Config validation failed: ${msg}\n`, file);
    assert.equal(r.out, '');
  }
  const none = consul('validate');
  assert.equal(none.code, 1);
  assert.equal(none.err, 'Must specify at least one config file or directory\n');
});
