// /v1/operator/keyring's relay-factor and local-only, parsed and refused in Consul's words, and
// handed to the agent's keyring operation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Router, type Request } from '../../../src/http/router.js';
import { registerOperatorEndpoints } from '../../../src/http/operator-endpoints.js';
import type { Agent } from '../../../src/agent/agent.js';

function endpoint() {
  const calls: unknown[][] = [];
  const agent = {
    gossip: {
      keyring: async (...args: unknown[]) => {
        calls.push(args);
        return [];
      },
    },
  } as unknown as Agent;
  const r = new Router();
  registerOperatorEndpoints(r, agent);
  const call = async (method: string, qs: string, body = '{"Key":"a2V5"}') => {
    const hit = r.find(method, '/v1/operator/keyring');
    assert.ok(hit && 'handler' in hit);
    const req = {
      method,
      path: '/v1/operator/keyring',
      params: {},
      query: new URLSearchParams(qs),
      ex: { headers: {}, readBody: async () => new TextEncoder().encode(body) },
    } as unknown as Request;
    return hit.handler(req);
  };
  return { calls, call };
}

test('keyring endpoint: relay-factor and local-only reach the keyring operation', async () => {
  const { calls, call } = endpoint();
  assert.deepEqual(await call('GET', 'relay-factor=2&local-only=true'), { json: [] });
  assert.deepEqual(calls[0], ['list', '', { relayFactor: 2, localOnly: true }]);
  await call('POST', 'relay-factor=5');
  assert.deepEqual(calls[1], ['install', 'a2V5', { relayFactor: 5, localOnly: false }]);
});

test('keyring endpoint: bad relay-factor or local-only is a 400 in Consul words', async () => {
  const { calls, call } = endpoint();
  assert.deepEqual(await call('GET', 'relay-factor=9'), {
    status: 400,
    text: 'Invalid relay-factor: Relay factor must be in range: [0, 5]',
  });
  assert.deepEqual(await call('GET', 'relay-factor=x'), {
    status: 400,
    text: 'Error parsing relay factor: strconv.Atoi: parsing "x": invalid syntax',
  });
  assert.deepEqual(await call('PUT', 'local-only=true'), {
    status: 400,
    text: 'Invalid use of local-only: local-only can only be set for list requests',
  });
  assert.deepEqual(await call('GET', 'local-only=maybe'), {
    status: 400,
    text: 'Error parsing local-only: strconv.ParseBool: parsing "maybe": invalid syntax',
  });
  assert.equal(calls.length, 0);
});
