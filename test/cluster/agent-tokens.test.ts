// PUT /v1/agent/token/:type and consul acl set-agent-token: 401 with ACLs off, Consul's texts for
// unknown types and missing arguments, and tokens kept in <data-dir>/acl-tokens.json across a restart
// when acl.enable_token_persistence is set.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { agentUp, consul, startConsul, stop, type Proc } from '../helpers/process.js';

const IP = '127.0.0.246';
const PORT = 18747;
const env = { CONSUL_HTTP_ADDR: `${IP}:${PORT}` };
const dir = mkdtempSync(path.join(tmpdir(), 'tokens-'));
const procs: Proc[] = [];

after(async () => {
  await Promise.all(procs.map(stop));
  rmSync(dir, { recursive: true, force: true });
});

function start(acl: boolean): Proc {
  const p = startConsul([
    'agent',
    '-server',
    '-bootstrap',
    `-data-dir=${dir}`,
    '-node=tokens',
    `-bind=${IP}`,
    `-client=${IP}`,
    `-http-port=${PORT}`,
    '-dns-port=-1',
    '-grpc-port=-1',
    ...(acl ? ['-hcl', 'acl { enabled = true\n enable_token_persistence = true }'] : []),
  ]);
  procs.push(p);
  return p;
}

test('agent tokens: refused without ACLs, set and persisted with them', async () => {
  let a = start(false);
  assert.ok(await agentUp(IP, PORT), a.err());
  const off = consul(['acl', 'set-agent-token', 'agent', 'secret-1'], env);
  assert.equal(off.code, 1);
  assert.equal(
    off.err,
    'Failed to set ACL token "agent": Unexpected response code: 401 (ACL support disabled)\n',
  );
  await stop(procs.pop()!);

  a = start(true);
  assert.ok(await agentUp(IP, PORT), a.err());
  assert.deepEqual(consul(['acl', 'set-agent-token', 'agent', 'secret-1'], env), {
    code: 0,
    out: 'ACL token "agent" set successfully\n',
    err: '',
  });
  assert.equal(consul(['acl', 'set-agent-token', 'recovery', 'secret-2'], env).code, 0);
  assert.equal(consul(['acl', 'set-agent-token', 'agent'], env).err, 'Error! Missing TOKEN argument\n');
  assert.equal(consul(['acl', 'set-agent-token'], env).err, 'Error! Missing TYPE and TOKEN arguments\n');
  const bad = await fetch(`http://${IP}:${PORT}/v1/agent/token/nope`, {
    method: 'PUT',
    body: '{"Token":"x"}',
  });
  assert.deepEqual([bad.status, await bad.text()], [404, 'Token "nope" is unknown\n']);
  // The deprecated name sets the same token.
  const legacy = await fetch(`http://${IP}:${PORT}/v1/agent/token/acl_token`, {
    method: 'PUT',
    body: '{"Token":"secret-3"}',
  });
  assert.equal(legacy.status, 200);
  const file = path.join(dir, 'acl-tokens.json');
  assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), {
    default: 'secret-3',
    agent: 'secret-1',
    agent_recovery: 'secret-2',
  });
  // A restart reads them back (and rewrites them unchanged on the next update).
  await stop(procs.pop()!);
  a = start(true);
  assert.ok(await agentUp(IP, PORT), a.err());
  assert.equal(consul(['acl', 'set-agent-token', 'replication', 'secret-4'], env).code, 0);
  assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), {
    default: 'secret-3',
    agent: 'secret-1',
    agent_recovery: 'secret-2',
    replication: 'secret-4',
  });
});
