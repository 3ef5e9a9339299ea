// consul keyring's -relay-factor and -local-only: validated as Consul's agent package does, then sent
// as the api client sends them (?relay-factor= when non-zero, ?local-only=true when set).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keyringCommand } from '../../../src/cli/commands/keyring.js';
import type { CliServices, Ui } from '../../../src/cli/command.js';
import type { HttpClientRequest } from '../../../src/runtime/http.js';
import { MemDisk } from '../../helpers/fakes.js';

function run(args: string[]) {
  const seen: HttpClientRequest[] = [];
  const ui = { out: '', err: '' };
  const u: Ui = {
    output: (s) => void (ui.out += `${s}\n`),
    error: (s) => void (ui.err += `${s}\n`),
    write: (s) => void (ui.out += s),
    writeErr: (s) => void (ui.err += s),
  };
  const services = {
    env: {},
    disk: new MemDisk(),
    http: {
      request: async (req: HttpClientRequest) => {
        seen.push(req);
        const body = new TextEncoder().encode(req.method === 'GET' ? '[]' : '');
        return { status: 200, headers: {}, body: async () => body, chunks: async function* () {} };
      },
    },
  } as unknown as CliServices;
  return keyringCommand.run({ args, ui: u, services } as never).then((code) => ({ code, ui, seen }));
}

test('consul keyring: -relay-factor and -local-only reach /v1/operator/keyring', async () => {
  let r = await run(['-list', '-relay-factor=3', '-local-only']);
  assert.equal(r.code, 0, r.ui.err);
  const u = new URL(r.seen[0]!.url);
  assert.equal(u.pathname, '/v1/operator/keyring');
  assert.equal(u.searchParams.get('relay-factor'), '3');
  assert.equal(u.searchParams.get('local-only'), 'true');
  r = await run(['-install', 'a2V5', '-relay-factor=1']);
  assert.equal(r.code, 0, r.ui.err);
  assert.equal(r.seen[0]!.method, 'POST');
  assert.equal(new URL(r.seen[0]!.url).searchParams.get('relay-factor'), '1');
  // Defaults send neither.
  r = await run(['-list']);
  assert.equal(new URL(r.seen[0]!.url).search, '');
});

test('consul keyring: relay factor out of range and local-only without a list are refused', async () => {
  let r = await run(['-list', '-relay-factor=6']);
  assert.equal(r.code, 1);
  assert.equal(r.ui.err, 'Error parsing relay factor: Relay factor must be in range: [0, 5]\n');
  assert.equal(r.seen.length, 0);
  r = await run(['-use', 'a2V5', '-local-only']);
  assert.equal(r.code, 1);
  assert.equal(r.ui.err, 'Error validating local-only: local-only can only be set for list requests\n');
  assert.equal(r.seen.length, 0);
});
