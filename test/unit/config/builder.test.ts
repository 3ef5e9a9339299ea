// The builder on merged raw config: Consul 1.16's defaults, -dev defaults, server/client dependent
// values, every validation text, the order in which Consul reports them, warnings, advertise address
// detection, templates, and immutability. Also: the same config in HCL and JSON builds the same thing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildRuntimeConfig, type BuildResult } from '../../../src/config/builder.js';
import { defaultConfig, devConfig } from '../../../src/config/defaults.js';
import { mergeRaw } from '../../../src/config/merge.js';
import type { Raw } from '../../../src/config/raw.js';
import type { RuntimeConfig } from '../../../src/config/runtime-config.js';
import { newAgentFlags } from '../../../src/config/agent-flags.js';
import { loadConfig } from '../../../src/config/load.js';
import { HOUR, MINUTE, MS, SECOND } from '../../../src/lib/duration.js';
import type { Host } from '../../../src/runtime/host.js';
import { fakeHost, MemDisk } from '../../helpers/fakes.js';

const BASE: Raw = { data_dir: '/d', bind_addr: '127.0.0.1' };

function build(user: Raw, opts: { dev?: boolean; host?: Host; base?: Raw } = {}): BuildResult {
  let merged = defaultConfig();
  if (opts.dev) merged = mergeRaw(merged, devConfig());
  merged = mergeRaw(merged, opts.base ?? (opts.dev ? {} : BASE));
  merged = mergeRaw(merged, user);
  return buildRuntimeConfig(merged, {
    host: opts.host ?? fakeHost(),
    devMode: opts.dev ?? false,
    sourceFiles: [],
  });
}

function ok(user: Raw, opts: Parameters<typeof build>[1] = {}): RuntimeConfig & { warnings: string[] } {
  const r = build(user, opts);
  assert.ok(r.ok, r.ok ? '' : r.error);
  return { ...r.config, warnings: r.warnings };
}

function fails(user: Raw, opts: Parameters<typeof build>[1] = {}): string {
  const r = build(user, opts);
  assert.equal(r.ok, false, `expected an error for ${JSON.stringify(user)}`);
  return r.ok ? '' : r.error;
}

const multi = (...errs: string[]) =>
  `${errs.length} error${errs.length === 1 ? '' : 's'} occurred:\n${errs.map((e) => `\t* ${e}`).join('\n')}\n\n`;

test("Consul 1.16's defaults (client agent)", () => {
  const c = ok({});
  assert.equal(c.datacenter, 'dc1');
  assert.equal(c.primaryDatacenter, 'dc1');
  assert.equal(c.nodeName, 'test-host');
  assert.equal(c.serverMode, false);
  assert.equal(c.bootstrap, false);
  assert.equal(c.bootstrapExpect, 0);
  assert.equal(c.domain, 'consul.');
  assert.deepEqual(c.ports, {
    dns: 8600,
    http: 8500,
    https: -1,
    grpc: -1,
    grpcTls: -1,
    serfLan: 8301,
    serfWan: 8302,
    server: 8300,
    sidecarMinPort: 21000,
    sidecarMaxPort: 21255,
    exposeMinPort: 21500,
    exposeMaxPort: 21755,
  });
  assert.deepEqual(c.clientAddrs, ['127.0.0.1']);
  assert.deepEqual(c.httpAddrs, [{ kind: 'tcp', ip: '127.0.0.1', port: 8500 }]);
  assert.deepEqual(c.dnsAddrs, [{ kind: 'tcp', ip: '127.0.0.1', port: 8600 }]);
  assert.deepEqual(c.httpsAddrs, []);
  assert.deepEqual(c.grpcAddrs, []);
  assert.equal(c.logLevel, 'info');
  assert.equal(c.syslogFacility, 'LOCAL0');
  assert.equal(c.enableSyslog, false);
  assert.equal(c.protocol, 2);
  assert.equal(c.raftProtocol, 3);
  assert.equal(c.raftMultiplier, 5);
  assert.equal(c.raftSnapshotThreshold, 16384);
  assert.equal(c.raftSnapshotIntervalNs, 30 * SECOND);
  assert.equal(c.raftTrailingLogs, 10240);
  assert.equal(c.leaveDrainTimeNs, 5 * SECOND);
  assert.equal(c.rpcHoldTimeoutNs, 7 * SECOND);
  assert.equal(c.reconnectTimeoutLanNs, 72 * HOUR);
  assert.equal(c.reconnectTimeoutWanNs, 72 * HOUR);
  assert.equal(c.retryIntervalLanNs, 30 * SECOND);
  assert.equal(c.retryIntervalWanNs, 30 * SECOND);
  assert.equal(c.retryMaxLan, 0);
  assert.equal(c.sessionTtlMinNs, 10 * SECOND);
  assert.equal(c.serverRejoinAgeMaxNs, 168 * HOUR);
  assert.equal(c.checkUpdateIntervalNs, 5 * MINUTE);
  assert.equal(c.checkOutputMaxSize, 4096);
  assert.equal(c.defaultQueryTimeNs, 300 * SECOND);
  assert.equal(c.maxQueryTimeNs, 600 * SECOND);
  assert.equal(c.logRotateDurationNs, 24 * HOUR);
  assert.equal(c.disableHostNodeId, true);
  assert.equal(c.enableRemoteExec, false); // disable_remote_exec = true
  assert.equal(c.enableScriptChecks, false);
  assert.equal(c.enableLocalScriptChecks, false);
  assert.equal(c.encryptVerifyIncoming, true);
  assert.equal(c.encryptVerifyOutgoing, true);
  assert.equal(c.enableDebug, false);
  assert.equal(c.disableAnonymousSignature, false);
  assert.deepEqual(c.uiConfig, { enabled: false, dir: '', contentPath: '/ui/', metricsProvider: '' });
  assert.deepEqual(c.dnsConfig, {
    allowStale: true,
    aRecordLimit: 0,
    disableCompression: false,
    enableTruncate: false,
    maxStaleNs: 87600 * HOUR,
    nodeTtlNs: 0,
    onlyPassing: false,
    recursorStrategy: 'sequential',
    recursorTimeoutNs: 2 * SECOND,
    serviceTtlNs: {},
    udpAnswerLimit: 3,
    useCache: false,
    cacheMaxAgeNs: 0,
    enableAdditionalNodeMetaTxt: true,
    soa: { expire: 86400, minTtl: 0, refresh: 3600, retry: 600 },
  });
  assert.deepEqual(c.gossipLan, {
    gossipNodes: 3,
    gossipIntervalNs: 200 * MS,
    probeIntervalNs: SECOND,
    probeTimeoutNs: 500 * MS,
    retransmitMult: 4,
    suspicionMult: 4,
  });
  assert.deepEqual(c.gossipWan, {
    gossipNodes: 3, // Consul copies the LAN value, whatever its docs say
    gossipIntervalNs: 500 * MS,
    probeIntervalNs: 5 * SECOND,
    probeTimeoutNs: 3 * SECOND,
    retransmitMult: 4,
    suspicionMult: 6,
  });
  assert.deepEqual(c.autopilot, {
    cleanupDeadServers: true,
    lastContactThresholdNs: 200 * MS,
    maxTrailingLogs: 250,
    minQuorum: 0,
    serverStabilizationTimeNs: 10 * SECOND,
  });
  assert.equal(c.acl.enabled, false);
  assert.equal(c.acl.defaultPolicy, 'allow');
  assert.equal(c.acl.downPolicy, 'extend-cache');
  assert.equal(c.acl.tokenTtlNs, 30 * SECOND);
  assert.equal(c.acl.policyTtlNs, 30 * SECOND);
  assert.equal(c.acl.roleTtlNs, 30 * SECOND);
  assert.deepEqual(c.limits, {
    rpcRate: Infinity,
    rpcMaxBurst: 1000,
    rpcMaxConnsPerClient: 100,
    rpcHandshakeTimeoutNs: 5 * SECOND,
    rpcClientTimeoutNs: 60 * SECOND,
    requestLimitsMode: 'disabled',
    requestLimitsReadRate: Infinity,
    requestLimitsWriteRate: Infinity,
  });
  assert.equal(c.httpMaxConnsPerClient, 200);
  assert.equal(c.httpsHandshakeTimeoutNs, 5 * SECOND);
  assert.equal(c.kvMaxValueSize, 524288);
  assert.equal(c.txnMaxReqLen, 524288);
  assert.equal(c.httpUseCache, true);
  assert.equal(c.telemetry.metricsPrefix, 'consul');
  assert.equal(c.telemetry.filterDefault, true);
  assert.equal(c.telemetry.retryFailedConnection, true);
  assert.equal(c.tlsDefaults.tlsMinVersion, 'TLSv1_2');
  assert.equal(c.useStreamingBackend, true);
  assert.deepEqual(c.warnings, []);
});

test('defaults are plain config fragments, fresh on every call', () => {
  const a = defaultConfig();
  (a.ports as Raw).http = 1;
  assert.equal((defaultConfig().ports as Raw).http, 8500);
  assert.equal(defaultConfig().bind_addr, '0.0.0.0');
  assert.equal(defaultConfig().client_addr, '127.0.0.1');
  assert.equal(devConfig().bind_addr, '127.0.0.1');
});

test('server vs client dependent defaults', () => {
  const client = ok({});
  assert.equal(client.leaveOnTerminate, true);
  assert.equal(client.skipLeaveOnInterrupt, false);
  assert.equal(client.rpcEnableStreaming, false);
  const server = ok({ server: true });
  assert.equal(server.leaveOnTerminate, false);
  assert.equal(server.skipLeaveOnInterrupt, true);
  assert.equal(server.ports.grpcTls, 8503);
  assert.equal(server.rpcEnableStreaming, true);
  const explicit = ok({
    server: true,
    leave_on_terminate: true,
    skip_leave_on_interrupt: false,
    ports: { grpc_tls: -1 },
  });
  assert.equal(explicit.leaveOnTerminate, true);
  assert.equal(explicit.skipLeaveOnInterrupt, false);
  assert.equal(explicit.ports.grpcTls, -1);
});

test('-dev defaults: an in-memory loopback server with fast gossip, the UI and debug on', () => {
  const c = ok({}, { dev: true });
  assert.equal(c.devMode, true);
  assert.equal(c.dataDir, '');
  assert.equal(c.serverMode, true);
  assert.equal(c.bindAddr, '127.0.0.1');
  assert.equal(c.advertiseAddrLan, '127.0.0.1');
  assert.equal(c.logLevel, 'debug');
  assert.equal(c.uiConfig.enabled, true);
  assert.equal(c.enableDebug, true);
  assert.equal(c.disableKeyringFile, true);
  assert.equal(c.disableAnonymousSignature, true);
  assert.equal(c.ports.grpc, 8502);
  assert.equal(c.raftMultiplier, 1);
  assert.equal(c.skipLeaveOnInterrupt, true);
  for (const g of [c.gossipLan, c.gossipWan]) {
    assert.equal(g.gossipIntervalNs, 100 * MS);
    assert.equal(g.probeIntervalNs, 100 * MS);
    assert.equal(g.probeTimeoutNs, 100 * MS);
    assert.equal(g.suspicionMult, 3);
  }
  // -dev turns the UI on, so -ui-dir next to it is no conflict …
  assert.equal(ok({ ui_config: { dir: '/web' } }, { dev: true }).uiConfig.dir, '/web');
  // … but bootstrap_expect is.
  assert.equal(
    fails({ bootstrap_expect: 3 }, { dev: true }),
    "'bootstrap_expect > 0' not allowed in dev mode",
  );
});

test("every validation error, with Consul's text", () => {
  const cases: Array<[Raw, string, Raw?]> = [
    [{ raft_protocol: 2 }, 'raft_protocol version 2 is not supported by this version of Consul'],
    [{ segment: 'alpha' }, 'Network segments are not supported in this version of Consul'],
    [
      { segments: [{ name: 'alpha', port: 8303 }] },
      'Network segments are not supported in this version of Consul',
    ],
    [
      { datacenter: 'dc 1' },
      'datacenter can only contain lowercase alphanumeric, - or _ characters. received: "dc 1"',
    ],
    [{ datacenter: '' }, 'datacenter cannot be empty'],
    [{}, 'data_dir cannot be empty', { bind_addr: '127.0.0.1' }],
    [
      { ui_config: { content_path: 'my ui' } },
      'ui-content-path can only contain alphanumeric, -, _, or /. received: "/my ui/"',
    ],
    [{ ui_config: { content_path: 'v1' } }, `ui-content-path cannot have 'v[0-9]'. received: "/v1/"`],
    [{ node_name: '  ' }, 'node_name cannot be empty'],
    [{ bind_addr: '' }, 'bind_addr cannot be empty'],
    [{ bind_addr: '10.0.0.300' }, 'bind_addr cannot be empty'], // Consul drops the bad address first
    [
      { bind_addr: '127.0.0.1 10.0.0.5' },
      "bind_addr cannot contain multiple addresses. Use 'addresses.{dns,http,https}' instead.",
    ],
    [{ bind_addr: 'unix:///tmp/x.sock' }, 'bind_addr cannot be a unix socket'],
    [{ advertise_addr: '0.0.0.0' }, 'Advertise address cannot be 0.0.0.0, :: or [::]'],
    [{ advertise_addr_wan: '[::]' }, 'Advertise WAN address cannot be 0.0.0.0, :: or [::]'],
    [{ advertise_addr_ipv4: '::1' }, 'advertise_addr_ipv4 must be an ipv4 address'],
    [{ advertise_addr_ipv6: '10.0.0.1' }, 'advertise_addr_ipv6 must be an ipv6 address'],
    [{ advertise_addr_wan_ipv4: '::1' }, 'advertise_addr_wan_ipv4 must be an ipv4 address'],
    [{ ports: { server: 0 } }, 'server-port must be greater than zero'],
    [{ ports: { serf_lan: -1 } }, 'serf-lan-port must be greater than zero'],
    [
      { ports: { sidecar_min_port: 22000 } },
      'sidecar_min_port must be less than sidecar_max_port. To disable, set both to zero.',
    ],
    [
      { ports: { expose_max_port: 100 } },
      'expose_min_port must be less than expose_max_port. To disable, set both to zero.',
    ],
    [{ ports: { http: 70000 } }, multi('ports.http: invalid port: 70000')],
    [{ recursors: ['unix:///tmp/dns'] }, 'DNS Recursors cannot be unix sockets: unix:///tmp/dns'],
    [
      { recursors: ['{{ Nope }}'] },
      'Invalid DNS recursor template "{{ Nope }}": unable to parse template "{{ Nope }}": template: sockaddr.Parse:1: function "Nope" not defined',
    ],
    [{ recursors: ['0.0.0.0'] }, 'DNS recursor address cannot be 0.0.0.0, :: or [::]'],
    [
      { performance: { raft_multiplier: 11 } },
      'performance.raft_multiplier cannot be 11. Must be between 1 and 10',
    ],
    [{ addresses: { dns: 'unix:///tmp/dns.sock' } }, 'DNS address cannot be a unix socket'],
    [
      { alt_domain: 'service.example.' },
      'alt_domain cannot start with {service,connect,node,query,addr,dc1}',
    ],
    [{ bootstrap: true }, "'bootstrap = true' requires 'server = true'"],
    [
      { server: true, bootstrap_expect: -1 },
      'bootstrap_expect cannot be -1. Must be greater than or equal to zero',
    ],
    [{ bootstrap_expect: 3 }, "'bootstrap_expect > 0' requires 'server = true'"],
    [
      { server: true, bootstrap: true, bootstrap_expect: 3 },
      "'bootstrap_expect > 0' and 'bootstrap = true' are mutually exclusive",
    ],
    [
      { check_output_max_size: 0 },
      'check_output_max_size must be positive, to discard check output use the discard_check_output flag',
    ],
    [
      { autopilot: { max_trailing_logs: -1 } },
      'autopilot.max_trailing_logs cannot be -1. Must be greater than or equal to zero',
    ],
    [
      { primary_datacenter: 'Main DC' },
      'primary_datacenter can only contain lowercase alphanumeric, - or _ characters. received: "main dc"',
    ],
    [
      { ui_config: { enabled: true, dir: '/web' } },
      'Both the ui_config.enabled and ui_config.dir (or -ui and -ui-dir) were specified, please provide only one.\n' +
        'If trying to use your own web UI resources, use ui_config.dir or the -ui-dir flag.\n' +
        'The web UI is included in the binary so use ui_config.enabled or the -ui flag to enable it',
    ],
    [
      { dns_config: { udp_answer_limit: -1 } },
      'dns_config.udp_answer_limit cannot be -1. Must be greater than or equal to zero',
    ],
    [
      { dns_config: { a_record_limit: -1 } },
      'dns_config.a_record_limit cannot be -1. Must be greater than or equal to zero',
    ],
    [{ node_meta: { 'rack id': 'r1' } }, 'node_meta invalid: Key contains invalid characters'],
    [
      { node_meta: { 'consul-x': 'y' } },
      "node_meta invalid: Key prefix 'consul-' is reserved for internal use",
    ],
    [{ encrypt: 'abc!' }, 'encrypt has invalid key: illegal base64 data at input byte 3'],
    [{ encrypt: 'AAAAAAAAAAAAAAAA' }, 'Failed to configure keyring: key size must be 16, 24 or 32 bytes'],
    [{ node_id: 'abc' }, 'Failed to setup node ID: uuid string is wrong length'],
    [
      { node_id: 'zzzzzzzz-1b3d-4e5f-8a7b-9c0d1e2f3a4b' },
      "Failed to setup node ID: encoding/hex: invalid byte: U+007A 'z'",
    ],
    [
      { node_id: '0f2e9c4a_1b3d_4e5f_8a7b_9c0d1e2f3a4b' },
      'Failed to setup node ID: uuid is improperly formatted',
    ],
    [
      { log_level: 'loud' },
      'Invalid log level: loud. Valid log levels are: [TRACE DEBUG INFO WARN ERR ERROR]',
    ],
    [{ enable_syslog: true, syslog_facility: 'LOCAL9' }, 'Invalid syslog facility LOCAL9'],
    [{ ports: { dns: 8500 } }, 'HTTP address 127.0.0.1:8500 already configured for DNS'],
    [
      { ports: { server: 8301 } },
      'Serf Advertise LAN address 127.0.0.1:8301 already configured for RPC Advertise',
    ],
    [{ client_addr: 'unix:///tmp/c.sock' }, multi('client_addr cannot be a unix socket')],
    [{ client_addr: '127.0.0.1 10.1.1.300' }, multi('client_addr: invalid ip address: 10.1.1.300')],
    [{ serf_lan_allowed_cidrs: ['10.0.0.0/33'] }, 'serf_lan_allowed_cidrs: invalid cidr: 10.0.0.0/33'],
    [
      { http_config: { allow_write_http_from: ['nope'] } },
      multi('allow_write_http_from: invalid cidr: nope'),
    ],
    [
      { dns_config: { recursor_strategy: 'fastest' } },
      multi('dns_config.recursor_strategy: invalid strategy: "fastest"'),
    ],
    [
      { limits: { request_limits: { mode: 'strict' } } },
      multi('limits.request_limits.mode: invalid mode: "strict"'),
    ],
    [
      { server_rejoin_age_max: '1h' },
      multi("server_rejoin_age_max: duration '1h' cannot be less than: 6h0m0s"),
    ],
    [
      { gossip_lan: { probe_interval: 'soon' } },
      multi('gossip_lan..probe_interval: invalid duration: "soon": time: invalid duration "soon"'),
    ],
    [
      { dns_config: { service_ttl: { '*': '5 s' } } },
      multi(
        'dns_config.service_ttl["*"]: invalid duration: "5 s": time: unknown unit " s" in duration "5 s"',
      ),
    ],
    [
      { checks: [{ id: 'web', name: 'web', http: 'http://x', interval: '1x' }] },
      multi('check[web].interval: invalid duration: "1x": time: unknown unit "x" in duration "1x"'),
    ],
    [
      { checks: [{ name: 'web', http: 'http://x' }] },
      'check "web": Interval must be > 0 for Script, HTTP, H2PING, TCP, UDP or GRPC checks',
    ],
    [
      { checks: [{ name: 'both', ttl: '10s', interval: '10s' }] },
      'check "both": Interval and TTL cannot both be specified',
    ],
    [
      { services: [{ name: 'web', check: { ttl: '0s' } }] },
      `service "web": ${multi('TTL must be > 0 for TTL checks')}`,
    ],
    [{ services: [{ port: 80 }] }, 'Service name missing'],
    [
      { services: [{ name: 'web', meta: { 'consul-x': '1' } }] },
      multi("invalid meta for service web: Key prefix 'consul-' is reserved for internal use"),
    ],
    [
      { services: [{ name: 'web', weights: { passing: 0 } }] },
      multi('Invalid weight definition for service web: Passing must be greater than 0'),
    ],
    [
      { services: [{ name: 'web', port: 80, socket_path: '/run/web.sock' }] },
      multi('service web cannot have both socket path /run/web.sock and address/port'),
    ],
    [
      { tls: { defaults: { verify_server_hostname: true } } },
      'verify_server_hostname is only valid in the tls.internal_rpc stanza',
    ],
    [{ tls: { grpc: { verify_outgoing: true } } }, 'verify_outgoing is not valid in the tls.grpc stanza'],
    [
      { tls: { https: { tls_min_version: 'tls9' } } },
      multi(
        'tls.https.tls_min_version: invalid TLS version: no matching TLS version found for tls9, please specify one of [TLS_AUTO, TLSv1_0, TLSv1_1, TLSv1_2, TLSv1_3]',
      ),
    ],
    [
      { tls: { defaults: { tls_min_version: 'TLSv1_3', tls_cipher_suites: 'TLS_AES_128_GCM_SHA256' } } },
      multi('tls.defaults.tls_cipher_suites: TLS 1.3 cipher suites are not configurable'),
    ],
    [
      { ports: { http: 'eighty' } },
      multi("'ports.http' expected type 'int', got unconvertible type 'string', value: 'eighty'"),
    ],
    [
      { server: true, advertise_reconnect_timeout: '1h' },
      'advertise_reconnect_timeout can only be used on a client',
    ],
    [
      { server: true, raft_logstore: { backend: 'lmdb' } },
      "raft_logstore.backend must be one of 'boltdb' or 'wal'",
    ],
    [{ primary_gateways: ['1.2.3.4:8443'] }, "'primary_gateways' requires 'server = true'"],
    [
      { server: true, primary_gateways: ['1.2.3.4:8443'] },
      "'primary_gateways' should only be configured in a secondary datacenter",
    ],
  ];
  for (const [user, msg, base] of cases) {
    assert.equal(fails(user, base ? { base } : {}), msg, JSON.stringify(user));
  }
});

test("errors come in Consul's order: structural checks before collected value errors", () => {
  // data_dir is checked before the collected value errors are reported.
  assert.equal(
    fails({ retry_interval: 'x' }, { base: { bind_addr: '127.0.0.1' } }),
    'data_dir cannot be empty',
  );
  // Value errors are collected in build order and reported together.
  assert.equal(
    fails({ retry_interval: '30 seconds', ports: { http: 70000 } }),
    multi(
      'ports.http: invalid port: 70000',
      'retry_interval: invalid duration: "30 seconds": time: unknown unit " seconds" in duration "30 seconds"',
    ),
  );
  // Consul expands advertise_addr twice, so a bad one is reported twice.
  assert.equal(
    fails({ advertise_addr: '1.2.3.999' }),
    multi('advertise_addr: invalid ip address: 1.2.3.999', 'advertise_addr: invalid ip address: 1.2.3.999'),
  );
  // A template error in bind_addr leaves no address: Consul reports the emptiness.
  assert.equal(fails({ bind_addr: '{{ Nope }}' }), 'bind_addr cannot be empty');
  assert.equal(
    fails({ client_addr: '{{ Nope }}' }),
    multi(
      'client_addr: error parsing "{{ Nope }}": unable to parse template "{{ Nope }}": template: sockaddr.Parse:1: function "Nope" not defined',
    ),
  );
});

test('warnings, as Consul prints them', () => {
  const one = ok({ server: true, bootstrap_expect: 1 });
  assert.equal(one.bootstrap, true);
  assert.equal(one.bootstrapExpect, 0);
  assert.deepEqual(one.warnings, [
    'BootstrapExpect is set to 1; this is the same as Bootstrap mode.',
    'bootstrap = true: do not enable unless necessary',
  ]);
  assert.deepEqual(ok({ server: true, bootstrap_expect: 2 }).warnings, [
    'bootstrap_expect = 2: A cluster with 2 servers will provide no failure tolerance. See https://www.consul.io/docs/internals/consensus.html#deployment-table',
    'bootstrap_expect > 0: expecting 2 servers',
  ]);
  assert.deepEqual(ok({ server: true, bootstrap_expect: 4 }).warnings, [
    'bootstrap_expect is even number: A cluster with an even number of servers does not achieve optimum fault tolerance. See https://www.consul.io/docs/internals/consensus.html#deployment-table',
    'bootstrap_expect > 0: expecting 4 servers',
  ]);
  assert.deepEqual(ok({ server: true, bootstrap_expect: 3 }).warnings, [
    'bootstrap_expect > 0: expecting 3 servers',
  ]);
  assert.deepEqual(ok({ node_name: 'web_01' }).warnings, [
    'Node name "web_01" will not be discoverable via DNS due to invalid characters. Valid characters include all alpha-numerics and dashes.',
  ]);
  const long = 'n'.repeat(64);
  assert.deepEqual(ok({ node_name: long }).warnings, [
    `Node name "${long}" will not be discoverable via DNS due to it being too long. Valid lengths are between 1 and 63 bytes.`,
  ]);
  const noClient = ok({ client_addr: '' });
  assert.deepEqual(noClient.warnings, [
    'client_addr is empty, client services (DNS, HTTP, HTTPS, GRPC) will not be listening for connections',
  ]);
  assert.deepEqual(noClient.httpAddrs, []);
  assert.match(ok({ enable_script_checks: true }).warnings[0]!, /^using enable-script-checks without ACLs/);
  assert.deepEqual(ok({ enable_script_checks: true, acl: { enabled: true } }).warnings, []);
  const filters = ok({ telemetry: { prefix_filter: ['consul.raft', '+consul.http', '-consul.kvs'] } });
  assert.deepEqual(filters.warnings, [`Filter rule must begin with either '+' or '-': "consul.raft"`]);
  assert.deepEqual(filters.telemetry.allowedPrefixes, ['consul.http']);
  assert.deepEqual(filters.telemetry.blockedPrefixes, ['consul.kvs']);
  assert.deepEqual(ok({ rpc: { enable_streaming: true } }).warnings, [
    'rpc.enable_streaming = true has no effect when not running in server mode',
  ]);
});

test('bind_addr 0.0.0.0 advertises the single private IPv4 (or public IPv6 for [::])', () => {
  const one = ok({ bind_addr: '0.0.0.0' });
  assert.equal(one.bindAddr, '0.0.0.0');
  assert.equal(one.advertiseAddrLan, '10.0.0.5');
  assert.equal(one.advertiseAddrWan, '10.0.0.5');
  assert.equal(one.serfBindAddrLan, '0.0.0.0');
  assert.deepEqual(one.taggedAddresses, {
    lan: '10.0.0.5',
    lan_ipv4: '10.0.0.5',
    wan: '10.0.0.5',
    wan_ipv4: '10.0.0.5',
  });
  const two = fakeHost([
    ['lo', '127.0.0.1'],
    ['eth0', '10.0.0.5'],
    ['eth1', '192.168.1.9'],
  ]);
  assert.equal(
    fails({ bind_addr: '0.0.0.0' }, { host: two }),
    "Multiple private IPv4 addresses found. Please configure one with 'bind' and/or 'advertise'.",
  );
  assert.equal(
    ok({ bind_addr: '0.0.0.0', advertise_addr: '192.168.1.9' }, { host: two }).advertiseAddrLan,
    '192.168.1.9',
  );
  const none = fakeHost([
    ['lo', '127.0.0.1'],
    ['eth0', '8.8.4.4'],
  ]);
  assert.equal(fails({ bind_addr: '0.0.0.0' }, { host: none }), 'No private IPv4 address found');
  const v6 = fakeHost([
    ['lo', '::1'],
    ['eth0', '2600:1f1c::5'],
  ]);
  const six = ok({ bind_addr: '[::]' }, { host: v6 });
  assert.equal(six.bindAddr, '::');
  assert.equal(six.advertiseAddrLan, '2600:1f1c::5');
  assert.equal(six.taggedAddresses.lan_ipv6, '2600:1f1c::5');
  assert.equal(six.taggedAddresses.lan_ipv4, undefined);
  assert.equal(fails({ bind_addr: '::' }, { host: none }), 'No public IPv6 address found');
});

test('client_addr and addresses.*: space-separated lists, templates, unix sockets', () => {
  const c = ok({
    client_addr: '127.0.0.1 {{ GetPrivateIP }}',
    addresses: { http: 'unix:///run/consul/http.sock 127.0.0.1' },
    ports: { https: 8501 },
  });
  assert.deepEqual(c.clientAddrs, ['127.0.0.1', '10.0.0.5']);
  assert.deepEqual(c.httpAddrs, [
    { kind: 'unix', path: '/run/consul/http.sock' },
    { kind: 'tcp', ip: '127.0.0.1', port: 8500 },
  ]);
  assert.deepEqual(c.httpsAddrs, [
    { kind: 'tcp', ip: '127.0.0.1', port: 8501 },
    { kind: 'tcp', ip: '10.0.0.5', port: 8501 },
  ]);
  assert.deepEqual(c.dnsAddrs.length, 2);
  const t = ok({ bind_addr: '{{ GetInterfaceIP "eth0" }}', serf_lan: '127.0.0.1' });
  assert.equal(t.bindAddr, '10.0.0.5');
  assert.equal(t.serfBindAddrLan, '127.0.0.1');
  assert.equal(t.serfBindAddrWan, '10.0.0.5');
  assert.equal(ok({ ports: { serf_wan: -1 } }).serfBindAddrWan, '');
  const j = ok({ retry_join: ['{{ GetPrivateIP }}', 'provider=aws tag_key=consul tag_value=x'] });
  assert.deepEqual(j.retryJoinLan, ['10.0.0.5', 'provider=aws tag_key=consul tag_value=x']);
  assert.deepEqual(ok({ recursors: ['8.8.8.8', '8.8.8.8', '1.1.1.1'] }).recursors, ['8.8.8.8', '1.1.1.1']);
});

test('the RuntimeConfig is deeply immutable and keeps the source file list', () => {
  const r = buildRuntimeConfig(mergeRaw(defaultConfig(), BASE), {
    host: fakeHost(),
    devMode: false,
    sourceFiles: ['/etc/consul.d/a.json'],
  });
  assert.ok(r.ok);
  const c = r.config;
  assert.deepEqual(c.sourceFiles, ['/etc/consul.d/a.json']);
  assert.ok(Object.isFrozen(c) && Object.isFrozen(c.ports) && Object.isFrozen(c.httpAddrs[0]));
  assert.throws(() => {
    (c.ports as { http: number }).http = 1;
  }, TypeError);
});

const SAME_JSON = `{
  "datacenter": "East-1",
  "data_dir": "/var/lib/consul",
  "node_name": "web-01",
  "server": true,
  "bootstrap_expect": 3,
  "bind_addr": "{{ GetPrivateIP }}",
  "client_addr": "127.0.0.1 {{ GetInterfaceIP \\"eth0\\" }}",
  "retry_join": ["10.0.0.6", "10.0.0.7"],
  "ports": { "dns": 53, "https": 8501 },
  "addresses": { "http": "unix:///run/consul.sock" },
  "node_meta": { "rack": "r1" },
  "dns_config": { "service_ttl": { "*": "5s", "web": "30s" }, "only_passing": true },
  "performance": { "raft_multiplier": 1 },
  "telemetry": { "prefix_filter": ["+consul.raft"] },
  "acl": { "enabled": true, "default_policy": "deny", "tokens": { "agent": "t" } },
  "services": [
    { "name": "web", "port": 8080, "tags": ["a", "b"], "checks": [{ "http": "http://127.0.0.1:8080", "interval": "10s" }] },
    { "name": "db", "port": 5432 }
  ],
  "check": { "id": "mem", "name": "mem", "ttl": "30s" },
  "watches": [{ "type": "key", "key": "foo", "args": ["/bin/true"] }]
}`;

const SAME_HCL = `
datacenter = "East-1"
data_dir = "/var/lib/consul"
node_name = "web-01"
server = true
bootstrap_expect = 3
bind_addr = "{{ GetPrivateIP }}"
client_addr = "127.0.0.1 {{ GetInterfaceIP \\"eth0\\" }}"
retry_join = ["10.0.0.6", "10.0.0.7"]
ports {
  dns = 53
  https = 8501
}
addresses {
  http = "unix:///run/consul.sock"
}
node_meta {
  rack = "r1"
}
dns_config {
  service_ttl {
    "*" = "5s"
    web = "30s"
  }
  only_passing = true
}
performance {
  raft_multiplier = 1
}
telemetry {
  prefix_filter = ["+consul.raft"]
}
acl {
  enabled = true
  default_policy = "deny"
  tokens {
    agent = "t"
  }
}
services = [
  {
    name = "web"
    port = 8080
    tags = ["a", "b"]
    checks = [
      {
        http = "http://127.0.0.1:8080"
        interval = "10s"
      }
    ]
  },
  {
    name = "db"
    port = 5432
  }
]
check {
  id = "mem"
  name = "mem"
  ttl = "30s"
}
watches = [
  {
    type = "key"
    key = "foo"
    args = ["/bin/true"]
  }
]
`;

test('the same configuration in HCL and in JSON builds the identical RuntimeConfig', async () => {
  const load = async (name: string, text: string) => {
    const { flags, values } = newAgentFlags();
    assert.ok(flags.parse(['-config-dir=/etc/consul.d']).ok);
    const r = await loadConfig({
      flags: values,
      disk: new MemDisk({ [`/etc/consul.d/${name}`]: text }),
      host: fakeHost(),
      cwd: '/',
    });
    assert.ok(r.ok, r.ok ? '' : r.error);
    return { ...r.config, sourceFiles: [] };
  };
  const json = await load('agent.json', SAME_JSON);
  const hcl = await load('agent.hcl', SAME_HCL);
  assert.deepEqual(hcl, json);
  assert.equal(json.datacenter, 'east-1');
  assert.equal(json.bindAddr, '10.0.0.5');
  assert.deepEqual(json.clientAddrs, ['127.0.0.1', '10.0.0.5']);
  assert.deepEqual(json.httpAddrs, [{ kind: 'unix', path: '/run/consul.sock' }]);
  assert.equal(json.dnsConfig.serviceTtlNs.web, 30 * SECOND);
  assert.equal(json.services.length, 2);
  assert.equal(json.checks.length, 1);
  assert.equal(json.acl.defaultPolicy, 'deny');
});
