import { test } from 'node:test';
import assert from 'node:assert/strict';
import { consul } from '../../helpers/process.js';

test('consul version prints the version and protocol lines', () => {
  const r = consul(['version']);
  assert.equal(r.code, 0);
  assert.match(
    r.out,
    /^Consul v1\.16\.4\nRevision \S+\nBuild Date \S+\nProtocol 2 spoken by default, understands 2 to 3 \(agent will automatically use protocol >2 when speaking to compatible agents\)\n$/,
  );
  assert.equal(consul(['-v']).out, r.out);
  assert.equal(consul(['--version', '-format=json']).out, r.out);
});

test('consul version -format=json', () => {
  const r = consul(['version', '-format=json']);
  assert.equal(r.code, 0);
  const v = JSON.parse(r.out);
  assert.equal(v.Version, '1.16.4');
  assert.deepEqual(v.RPC, { Default: 2, Min: 2, Max: 3 });
  assert.equal(consul(['version', '-format=yaml']).code, 1);
});

test('consul with no command lists commands and exits 127; an unknown command does the same', () => {
  const none = consul([]);
  assert.equal(none.code, 127);
  assert.match(
    none.out,
    /^Usage: consul \[--version\] \[--help\] <command> \[<args>\]\n\nAvailable commands are:\n/,
  );
  for (const c of ['agent', 'info', 'leave', 'monitor', 'reload', 'validate', 'version'])
    assert.match(none.out, new RegExp(`\\n    ${c} +\\S`));
  assert.doesNotMatch(none.out, /configtest/);
  const unknown = consul(['membres']);
  assert.equal(unknown.code, 127);
  assert.equal(unknown.out, none.out);
  const bad = consul(['version', '-nope']);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /^flag provided but not defined: -nope\nUsage:\n/);
});

test('consul keygen prints a fresh 32-byte base64 key', () => {
  const a = consul(['keygen']);
  const b = consul(['keygen']);
  assert.equal(a.code, 0);
  assert.match(a.out, /^[A-Za-z0-9+/]{43}=\n$/);
  assert.equal(Buffer.from(a.out.trim(), 'base64').length, 32);
  assert.notEqual(a.out, b.out);
});
