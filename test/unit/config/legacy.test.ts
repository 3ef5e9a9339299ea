import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyLegacy, LEGACY_KEYS } from '../../../src/config/legacy.js';
import { specAt } from '../../../src/config/schema.js';

test('every legacy key is known to the schema (it must parse before it can be moved)', () => {
  for (const k of LEGACY_KEYS) assert.notEqual(specAt(k), undefined, k);
});

test("0.8-era keys move to their 1.16 places with Consul's warning text; explicit modern values win", () => {
  const r = applyLegacy({
    acl_datacenter: 'dc0',
    acl_master_token: 'm',
    acl_replication_token: 'r',
    verify_outgoing: true,
    ui_dir: '/ui',
    acl: { tokens: { agent_master: 'am' } },
    tls: { defaults: { verify_outgoing: false } },
  });
  assert.deepEqual(r.value, {
    primary_datacenter: 'dc0',
    acl: {
      enabled: true,
      enable_token_replication: true,
      tokens: { agent_recovery: 'am', initial_management: 'm', replication: 'r' },
    },
    tls: { defaults: { verify_outgoing: false } },
    ui_config: { dir: '/ui' },
  });
  assert.deepEqual(r.warnings, [
    "The 'acl_datacenter' field is deprecated. Use the 'primary_datacenter' field instead.",
    "The 'acl_master_token' field is deprecated. Use the 'acl.tokens.initial_management' field instead.",
    "The 'acl_replication_token' field is deprecated. Use the 'acl.tokens.replication' field instead.",
    "The 'acl.tokens.agent_master' field is deprecated. Use the 'acl.tokens.agent_recovery' field instead.",
    "The 'verify_outgoing' field is deprecated. Use the 'tls.defaults.verify_outgoing' field instead.",
    "The 'ui_dir' field is deprecated. Use the 'ui_config.dir' field instead.",
  ]);
});

test('start_join is appended to retry_join; acl_enforce_version_8 only warns', () => {
  const r = applyLegacy({ retry_join: ['a'], start_join: ['b', 'c'], acl_enforce_version_8: false });
  assert.deepEqual(r.value, { retry_join: ['a', 'b', 'c'] });
  assert.deepEqual(r.warnings, [
    'config key "acl_enforce_version_8" is deprecated and should be removed',
    "The 'start_join' field is deprecated. Use the 'retry_join' field instead.",
  ]);
});

test('the input fragment is not modified', () => {
  const input = { ui: true };
  applyLegacy(input);
  assert.deepEqual(input, { ui: true });
});
