// 0.8-era keys → their modern places (consul-surface.md §5.4), each with Consul's deprecation warning.
// Keys 1.16 no longer knows at all (recursor, statsd_addr, ports.rpc, …) are not here: the schema
// leaves them out, so they fail as "invalid config key" exactly as in Consul 1.16.

import { isPlainObject, type Raw } from './raw.js';

type Move = { from: string; to: string; warn: boolean; also?: (r: Raw) => void };

const MOVES: Move[] = [
  { from: 'acl_default_policy', to: 'acl.default_policy', warn: true },
  { from: 'acl_down_policy', to: 'acl.down_policy', warn: true },
  { from: 'acl_ttl', to: 'acl.token_ttl', warn: true },
  { from: 'acl_master_token', to: 'acl.tokens.initial_management', warn: true },
  { from: 'acl_token', to: 'acl.tokens.default', warn: true },
  { from: 'acl_agent_token', to: 'acl.tokens.agent', warn: true },
  { from: 'acl_agent_master_token', to: 'acl.tokens.agent_recovery', warn: true },
  {
    from: 'acl_replication_token',
    to: 'acl.tokens.replication',
    warn: true,
    also: (r) => setPath(r, 'acl.enable_token_replication', true, false),
  },
  { from: 'acl_enable_key_list_policy', to: 'acl.enable_key_list_policy', warn: true },
  { from: 'enable_acl_replication', to: 'acl.enable_token_replication', warn: true },
  { from: 'acl.tokens.master', to: 'acl.tokens.initial_management', warn: true },
  { from: 'acl.tokens.agent_master', to: 'acl.tokens.agent_recovery', warn: true },
  { from: 'ca_file', to: 'tls.defaults.ca_file', warn: true },
  { from: 'ca_path', to: 'tls.defaults.ca_path', warn: true },
  { from: 'cert_file', to: 'tls.defaults.cert_file', warn: true },
  { from: 'key_file', to: 'tls.defaults.key_file', warn: true },
  { from: 'tls_min_version', to: 'tls.defaults.tls_min_version', warn: true },
  { from: 'tls_cipher_suites', to: 'tls.defaults.tls_cipher_suites', warn: true },
  { from: 'verify_incoming', to: 'tls.defaults.verify_incoming', warn: true },
  { from: 'verify_outgoing', to: 'tls.defaults.verify_outgoing', warn: true },
  { from: 'verify_incoming_rpc', to: 'tls.internal_rpc.verify_incoming', warn: true },
  { from: 'verify_incoming_https', to: 'tls.https.verify_incoming', warn: true },
  { from: 'verify_server_hostname', to: 'tls.internal_rpc.verify_server_hostname', warn: true },
  { from: 'ui', to: 'ui_config.enabled', warn: true },
  { from: 'ui_dir', to: 'ui_config.dir', warn: true },
  { from: 'ui_content_path', to: 'ui_config.content_path', warn: true },
  { from: 'non_voting_server', to: 'read_replica', warn: true },
  { from: 'raft_boltdb', to: 'raft_logstore.boltdb', warn: true },
];

/** Every deprecated key this file rewrites or drops (each is in the schema, so it parses first). */
export const LEGACY_KEYS: readonly string[] = [
  'acl_datacenter',
  'acl_enforce_version_8',
  'tls_prefer_server_cipher_suites',
  ...MOVES.map((m) => m.from),
  'start_join',
  'start_join_wan',
];

function getPath(r: Raw, path: string): unknown {
  let cur: unknown = r;
  for (const p of path.split('.')) {
    if (!isPlainObject(cur)) return undefined;
    cur = cur[p];
  }
  return cur;
}

function deletePath(r: Raw, path: string): void {
  const parts = path.split('.');
  let cur: unknown = r;
  for (const p of parts.slice(0, -1)) {
    if (!isPlainObject(cur)) return;
    cur = cur[p];
  }
  if (isPlainObject(cur)) delete cur[parts[parts.length - 1]!];
}

function setPath(r: Raw, path: string, v: unknown, overwrite: boolean): void {
  const parts = path.split('.');
  let cur = r;
  for (const p of parts.slice(0, -1)) {
    if (!isPlainObject(cur[p])) cur[p] = {};
    cur = cur[p] as Raw;
  }
  const last = parts[parts.length - 1]!;
  if (overwrite || cur[last] === undefined) cur[last] = v;
}

/** Rewrites legacy keys in place (on a copy) and returns the warnings Consul prints for them. */
export function applyLegacy(input: Raw): { value: Raw; warnings: string[] } {
  const r: Raw = structuredClone(input);
  const warnings: string[] = [];
  // acl_datacenter both names the primary DC and switches ACLs on.
  if (r.acl_datacenter !== undefined) {
    warnings.push("The 'acl_datacenter' field is deprecated. Use the 'primary_datacenter' field instead.");
    setPath(r, 'primary_datacenter', r.acl_datacenter, false);
    setPath(r, 'acl.enabled', true, false);
    delete r.acl_datacenter;
  }
  if (r.acl_enforce_version_8 !== undefined) {
    warnings.push('config key "acl_enforce_version_8" is deprecated and should be removed');
    delete r.acl_enforce_version_8;
  }
  if (r.tls_prefer_server_cipher_suites !== undefined) {
    warnings.push("The 'tls_prefer_server_cipher_suites' field is deprecated and will be ignored.");
    delete r.tls_prefer_server_cipher_suites;
  }
  for (const m of MOVES) {
    const v = getPath(r, m.from);
    if (v === undefined) continue;
    if (m.warn) warnings.push(`The '${m.from}' field is deprecated. Use the '${m.to}' field instead.`);
    deletePath(r, m.from);
    setPath(r, m.to, v, false);
    m.also?.(r);
  }
  for (const [from, to] of [
    ['start_join', 'retry_join'],
    ['start_join_wan', 'retry_join_wan'],
  ] as const) {
    const v = r[from];
    if (v === undefined) continue;
    warnings.push(`The '${from}' field is deprecated. Use the '${to}' field instead.`);
    const list = Array.isArray(v) ? v : [v];
    r[to] = [...(Array.isArray(r[to]) ? (r[to] as unknown[]) : []), ...list];
    delete r[from];
  }
  return { value: r, warnings };
}
