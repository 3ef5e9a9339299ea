import { test } from 'node:test';
import assert from 'node:assert/strict';
import { foldSingulars, normalize } from '../../../src/config/normalize.js';
import { ROOT } from '../../../src/config/schema.js';

test("HCL's one-element block lists become objects, except at real lists of objects", () => {
  const n = normalize(
    {
      ports: [{ dns: 8600 }],
      node_meta: [{ rack: 'r1' }],
      services: [{ name: 'web', checks: [{ ttl: '10s' }], weights: [{ passing: 3 }] }],
      watches: [{ type: 'key', key: 'k', args: ['a'] }],
      retry_join: ['x'],
    },
    ROOT,
  );
  assert.deepEqual(n.unknown, []);
  assert.deepEqual(n.value, {
    ports: { dns: 8600 },
    node_meta: { rack: 'r1' },
    services: [{ name: 'web', checks: [{ ttl: '10s' }], weights: { passing: 3 } }],
    watches: [{ type: 'key', key: 'k', args: ['a'] }],
    retry_join: ['x'],
  });
});

test('repeated blocks of one object merge; a single services object becomes a list of one', () => {
  const n = normalize({ ports: [{ dns: 1 }, { http: 2 }], services: { name: 'one' } }, ROOT);
  assert.deepEqual(n.value, { ports: { dns: 1, http: 2 }, services: [{ name: 'one' }] });
});

test('keys match case-insensitively; CamelCase check aliases become snake_case; free maps keep their keys', () => {
  const n = normalize(
    {
      Datacenter: 'dc1',
      node_meta: { MixedCase: 'v' },
      check: { ServiceID: 's', DeregisterCriticalServiceAfter: '1m', ScriptArgs: ['a'], TLSSkipVerify: true },
    },
    ROOT,
  );
  assert.deepEqual(n.unknown, []);
  assert.deepEqual(n.value, {
    datacenter: 'dc1',
    node_meta: { MixedCase: 'v' },
    check: { service_id: 's', deregister_critical_service_after: '1m', args: ['a'], tls_skip_verify: true },
  });
});

test('unknown keys are reported with dotted paths (list items indexed) and a hint when one is close', () => {
  const n = normalize(
    {
      ports: { htp: 1 },
      bogus: 1,
      services: [{ name: 'a' }, { nmae: 'b' }],
      dns_config: { soa: { ttl: 1 } },
    },
    ROOT,
  );
  assert.deepEqual(n.unknown, ['ports.htp', 'bogus', 'services[1].nmae', 'dns_config.soa.ttl']);
  assert.ok(n.hints.includes('ports.htp (did you mean ports.http?)'));
  assert.ok(n.hints.includes('services[1].nmae (did you mean services[1].name?)'));
});

test('singular service/check append to services/checks after any list given in the same file', () => {
  assert.deepEqual(
    foldSingulars({ services: [{ name: 'a' }], service: { name: 'b' }, check: [{ id: 'c1' }, { id: 'c2' }] }),
    {
      services: [{ name: 'a' }, { name: 'b' }],
      checks: [{ id: 'c1' }, { id: 'c2' }],
    },
  );
});

test('watch definitions keep keys outside the spec for the watch parser to judge; prototype names are not keys', () => {
  const n = normalize(
    {
      watches: [
        {
          type: 'key',
          key: 'k',
          handler_type: 'http',
          http_handler_config: [{ path: 'http://x' }],
          bogus: 1,
        },
      ],
      constructor: 1,
      ports: { toString: 2 },
    },
    ROOT,
  );
  assert.deepEqual(n.value, {
    watches: [
      { type: 'key', key: 'k', handler_type: 'http', http_handler_config: { path: 'http://x' }, bogus: 1 },
    ],
    ports: {},
  });
  assert.deepEqual(n.unknown, ['constructor', 'ports.toString']);
});
