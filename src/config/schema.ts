// Every config key Consul 1.16 (OSS) accepts, as a tree. Used to reject unknown keys with their dotted
// path ("invalid config key ports.htp"), to know which keys are real lists of objects (so a single HCL
// block is not flattened wrongly) and which maps take free-form keys.

/** A leaf value (string, number, bool, list of scalars). */
export const V = 'v' as const;
/** A map whose keys are user data (node_meta, meta, header, …): any key, no further checks. */
export const FREE = 'free' as const;
/**
 * In an ObjectSpec, `[OPEN]: V` lets keys outside the spec through untouched: Consul decodes watches
 * into map[string]interface{}, so a bad watch key fails later ("Invalid parameters") rather than as an
 * invalid config key.
 */
export const OPEN = '*' as const;

export type KeySpec = typeof V | typeof FREE | ObjectSpec | ListOf;
export interface ObjectSpec {
  readonly [key: string]: KeySpec;
}
/** A list of objects (services, checks, watches, …). */
export interface ListOf {
  readonly listOf: ObjectSpec;
}

const tls: ObjectSpec = {
  ca_file: V,
  ca_path: V,
  cert_file: V,
  key_file: V,
  tls_min_version: V,
  tls_cipher_suites: V,
  verify_incoming: V,
  verify_outgoing: V,
  verify_server_hostname: V,
  use_auto_cert: V,
};

const gossip: ObjectSpec = {
  gossip_nodes: V,
  gossip_interval: V,
  probe_interval: V,
  probe_timeout: V,
  retransmit_mult: V,
  suspicion_mult: V,
};

/** Check definition keys, snake_case and the CamelCase spellings Consul still takes. */
export const CHECK: ObjectSpec = Object.fromEntries(
  [
    'id',
    'name',
    'notes',
    'service_id',
    'serviceid',
    'status',
    'token',
    'interval',
    'timeout',
    'ttl',
    'args',
    'scriptargs',
    'script_args',
    'docker_container_id',
    'dockercontainerid',
    'shell',
    'http',
    'method',
    'body',
    'disable_redirects',
    'tls_server_name',
    'tls_skip_verify',
    'tlsskipverify',
    'tcp',
    'tcp_use_tls',
    'udp',
    'grpc',
    'grpc_use_tls',
    'h2ping',
    'h2ping_use_tls',
    'alias_service',
    'alias_node',
    'os_service',
    'deregister_critical_service_after',
    'deregistercriticalserviceafter',
    'success_before_passing',
    'failures_before_warning',
    'failures_before_critical',
    'output_max_size',
    'type',
    'definition',
  ].map((k) => [k, V as KeySpec]),
);
const checkSpec: ObjectSpec = { ...CHECK, header: FREE };

export const SERVICE: ObjectSpec = {
  id: V,
  name: V,
  tags: V,
  address: V,
  tagged_addresses: FREE,
  meta: FREE,
  port: V,
  socket_path: V,
  enable_tag_override: V,
  weights: { passing: V, warning: V },
  check: checkSpec,
  checks: { listOf: checkSpec },
  token: V,
  kind: V,
  proxy: FREE,
  connect: FREE,
  namespace: V,
  partition: V,
  locality: { region: V, zone: V },
};

export const WATCH: ObjectSpec = {
  type: V,
  key: V,
  prefix: V,
  service: V,
  tag: V,
  passingonly: V,
  state: V,
  name: V,
  datacenter: V,
  token: V,
  handler_type: V,
  args: V,
  handler: V,
  http_handler_config: { path: V, method: V, header: FREE, timeout: V, tls_skip_verify: V },
  [OPEN]: V,
};

export const ROOT: ObjectSpec = {
  acl: {
    enabled: V,
    default_policy: V,
    down_policy: V,
    policy_ttl: V,
    role_ttl: V,
    token_ttl: V,
    enable_key_list_policy: V,
    enable_token_replication: V,
    enable_token_persistence: V,
    msp_disable_bootstrap: V,
    tokens: {
      initial_management: V,
      master: V,
      default: V,
      agent: V,
      agent_recovery: V,
      agent_master: V,
      config_file_service_registration: V,
      config_file_registration: V,
      replication: V,
      managed_service_provider: FREE,
      dns: V,
    },
  },
  addresses: { dns: V, http: V, https: V, grpc: V, grpc_tls: V },
  advertise_addr: V,
  advertise_addr_ipv4: V,
  advertise_addr_ipv6: V,
  advertise_addr_wan: V,
  advertise_addr_wan_ipv4: V,
  advertise_addr_wan_ipv6: V,
  advertise_reconnect_timeout: V,
  alt_domain: V,
  auto_config: FREE,
  auto_encrypt: { allow_tls: V, tls: V, dns_san: V, ip_san: V },
  auto_reload_config: V,
  autopilot: {
    cleanup_dead_servers: V,
    last_contact_threshold: V,
    max_trailing_logs: V,
    min_quorum: V,
    server_stabilization_time: V,
    redundancy_zone_tag: V,
    disable_upgrade_migration: V,
    upgrade_version_tag: V,
  },
  ae_interval: V,
  bind_addr: V,
  bootstrap: V,
  bootstrap_expect: V,
  cache: { entry_fetch_max_burst: V, entry_fetch_rate: V },
  check: checkSpec,
  checks: { listOf: checkSpec },
  check_output_max_size: V,
  check_update_interval: V,
  client_addr: V,
  cloud: FREE,
  config_entries: { bootstrap: V },
  connect: FREE,
  data_dir: V,
  datacenter: V,
  default_query_time: V,
  disable_anonymous_signature: V,
  disable_coordinates: V,
  disable_host_node_id: V,
  disable_http_unprintable_char_filter: V,
  disable_keyring_file: V,
  disable_remote_exec: V,
  disable_update_check: V,
  discard_check_output: V,
  discovery_max_stale: V,
  dns_config: {
    allow_stale: V,
    a_record_limit: V,
    disable_compression: V,
    enable_truncate: V,
    max_stale: V,
    node_ttl: V,
    only_passing: V,
    recursor_strategy: V,
    recursor_timeout: V,
    service_ttl: FREE,
    udp_answer_limit: V,
    use_cache: V,
    cache_max_age: V,
    enable_additional_node_meta_txt: V,
    prefer_namespace: V,
    soa: { expire: V, min_ttl: V, refresh: V, retry: V },
  },
  domain: V,
  enable_agent_tls_for_checks: V,
  enable_central_service_config: V,
  enable_debug: V,
  enable_local_script_checks: V,
  enable_script_checks: V,
  enable_syslog: V,
  encrypt: V,
  encrypt_verify_incoming: V,
  encrypt_verify_outgoing: V,
  experiments: V,
  gossip_lan: gossip,
  gossip_wan: gossip,
  http_config: {
    block_endpoints: V,
    response_headers: FREE,
    allow_write_http_from: V,
    use_cache: V,
    max_header_bytes: V,
  },
  leave_on_terminate: V,
  limits: {
    http_max_conns_per_client: V,
    https_handshake_timeout: V,
    rpc_handshake_timeout: V,
    rpc_client_timeout: V,
    rpc_max_conns_per_client: V,
    rpc_rate: V,
    rpc_max_burst: V,
    kv_max_value_size: V,
    txn_max_req_len: V,
    request_limits: { mode: V, read_rate: V, write_rate: V },
  },
  log_file: V,
  max_query_time: V,
  segment: V,
  segments: FREE,
  partition: V,
  audit: FREE,
  license_path: V,
  reporting: FREE,
  locality: { region: V, zone: V },
  log_json: V,
  log_level: V,
  log_rotate_bytes: V,
  log_rotate_duration: V,
  log_rotate_max_files: V,
  node_id: V,
  node_meta: FREE,
  node_name: V,
  peering: { enabled: V, test_allow_peer_registrations: V },
  performance: {
    leave_drain_time: V,
    raft_multiplier: V,
    rpc_hold_timeout: V,
    grpc_keepalive_interval: V,
    grpc_keepalive_timeout: V,
  },
  pid_file: V,
  ports: {
    dns: V,
    http: V,
    https: V,
    grpc: V,
    grpc_tls: V,
    serf_lan: V,
    serf_wan: V,
    server: V,
    sidecar_min_port: V,
    sidecar_max_port: V,
    expose_min_port: V,
    expose_max_port: V,
    proxy_min_port: V,
    proxy_max_port: V,
  },
  primary_datacenter: V,
  primary_gateways: V,
  primary_gateways_interval: V,
  protocol: V,
  raft_boltdb: FREE,
  raft_logstore: FREE,
  raft_protocol: V,
  raft_snapshot_interval: V,
  raft_snapshot_threshold: V,
  raft_trailing_logs: V,
  read_replica: V,
  reconnect_timeout: V,
  reconnect_timeout_wan: V,
  recursors: V,
  rejoin_after_leave: V,
  retry_interval: V,
  retry_interval_wan: V,
  retry_join: V,
  retry_join_wan: V,
  retry_max: V,
  retry_max_wan: V,
  rpc: { enable_streaming: V },
  serf_lan: V,
  serf_lan_allowed_cidrs: V,
  serf_wan: V,
  serf_wan_allowed_cidrs: V,
  server: V,
  server_name: V,
  server_rejoin_age_max: V,
  service: SERVICE,
  services: { listOf: SERVICE },
  session_ttl_min: V,
  skip_leave_on_interrupt: V,
  syslog_facility: V,
  tagged_addresses: FREE,
  telemetry: {
    metrics_prefix: V,
    disable_hostname: V,
    statsd_address: V,
    statsite_address: V,
    dogstatsd_addr: V,
    dogstatsd_tags: V,
    prometheus_retention_time: V,
    filter_default: V,
    prefix_filter: V,
    retry_failed_connection: V,
    enable_host_metrics: V,
    disable_compat_1_9: V,
    circonus_api_app: V,
    circonus_api_token: V,
    circonus_api_url: V,
    circonus_broker_id: V,
    circonus_broker_select_tag: V,
    circonus_check_display_name: V,
    circonus_check_force_metric_activation: V,
    circonus_check_id: V,
    circonus_check_instance_id: V,
    circonus_check_search_tag: V,
    circonus_check_tags: V,
    circonus_submission_interval: V,
    circonus_submission_url: V,
  },
  tls: {
    defaults: tls,
    internal_rpc: tls,
    https: tls,
    grpc: tls,
  },
  translate_wan_addrs: V,
  ui_config: {
    enabled: V,
    dir: V,
    content_path: V,
    metrics_provider: V,
    metrics_provider_files: V,
    metrics_provider_options_json: V,
    metrics_proxy: FREE,
    dashboard_url_templates: FREE,
  },
  unix_sockets: { user: V, group: V, mode: V },
  use_streaming_backend: V,
  watches: { listOf: WATCH },
  xds: { update_max_per_second: V },

  // Deprecated spellings that 1.16 still takes (mapped by legacy.ts, with a warning).
  acl_datacenter: V,
  acl_default_policy: V,
  acl_down_policy: V,
  acl_ttl: V,
  acl_master_token: V,
  acl_token: V,
  acl_agent_token: V,
  acl_agent_master_token: V,
  acl_replication_token: V,
  acl_enable_key_list_policy: V,
  acl_enforce_version_8: V,
  enable_acl_replication: V,
  ca_file: V,
  ca_path: V,
  cert_file: V,
  key_file: V,
  tls_min_version: V,
  tls_cipher_suites: V,
  tls_prefer_server_cipher_suites: V,
  verify_incoming: V,
  verify_incoming_rpc: V,
  verify_incoming_https: V,
  verify_outgoing: V,
  verify_server_hostname: V,
  start_join: V,
  start_join_wan: V,
  ui: V,
  ui_dir: V,
  ui_content_path: V,
  non_voting_server: V,
  // 0.8-only spellings (recursor, statsd_addr, statsite_addr, dogstatsd_*, http_api_response_headers,
  // reap, advertise_addrs, retry_join_ec2/gce/azure, ports.rpc, addresses.rpc) are absent on purpose:
  // 1.16 refuses them as invalid config keys.
};

/** Keys whose values are lists of objects even when a file gives one object (no flattening). */
export function isListOfObjects(spec: KeySpec | undefined): spec is ListOf {
  return typeof spec === 'object' && 'listOf' in spec;
}

/** The closest known key (edit distance ≤ 2), for "did you mean" hints. */
export function suggestKey(spec: ObjectSpec, key: string): string | null {
  let best: string | null = null;
  let bestD = 3;
  for (const k of Object.keys(spec)) {
    const d = editDistance(k, key);
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) dp[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      dp[i]![j] = Math.min(
        dp[i - 1]![j]! + 1,
        dp[i]![j - 1]! + 1,
        dp[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
  return dp[a.length]![b.length]!;
}

/** The spec at a dotted path ("ports.dns"), or undefined when no such key exists. */
export function specAt(path: string, root: ObjectSpec = ROOT): KeySpec | undefined {
  let cur: KeySpec | undefined = root;
  for (const part of path.split('.')) {
    if (typeof cur !== 'object' || 'listOf' in cur) return undefined;
    if (!Object.hasOwn(cur, part)) return undefined;
    cur = (cur as ObjectSpec)[part];
  }
  return cur;
}
