// The one immutable RuntimeConfig an agent runs with: every source (defaults, -dev defaults, files,
// flags, -hcl fragments) merged, legacy keys mapped, templates resolved, values validated.
// Durations are nanoseconds (see lib/duration.ts). Field names are camelCase versions of Consul's keys.
// `reload` builds a new RuntimeConfig and applies only the reloadable fields (consul-surface.md §5.5).

import type { LogLevel } from '../runtime/logger.js';

export interface Ports {
  dns: number; // -1 disables
  http: number;
  https: number;
  grpc: number;
  grpcTls: number;
  serfLan: number;
  serfWan: number; // -1 disables WAN
  server: number;
  sidecarMinPort: number;
  sidecarMaxPort: number;
  exposeMinPort: number;
  exposeMaxPort: number;
}

/** A listener address: TCP ip:port or a unix socket. */
export type ListenAddr = { kind: 'tcp'; ip: string; port: number } | { kind: 'unix'; path: string };

export interface GossipConfig {
  gossipNodes: number;
  gossipIntervalNs: number;
  probeIntervalNs: number;
  probeTimeoutNs: number;
  retransmitMult: number;
  suspicionMult: number;
}

export interface AutopilotConfig {
  cleanupDeadServers: boolean;
  lastContactThresholdNs: number;
  maxTrailingLogs: number;
  minQuorum: number;
  serverStabilizationTimeNs: number;
}

export interface DnsConfig {
  allowStale: boolean;
  aRecordLimit: number;
  disableCompression: boolean;
  enableTruncate: boolean;
  maxStaleNs: number;
  nodeTtlNs: number;
  onlyPassing: boolean;
  recursorStrategy: string;
  recursorTimeoutNs: number;
  serviceTtlNs: Record<string, number>;
  udpAnswerLimit: number;
  useCache: boolean;
  cacheMaxAgeNs: number;
  enableAdditionalNodeMetaTxt: boolean;
  soa: { expire: number; minTtl: number; refresh: number; retry: number };
}

export interface TelemetryConfig {
  metricsPrefix: string;
  disableHostname: boolean;
  prometheusRetentionTimeNs: number;
  filterDefault: boolean;
  prefixFilter: string[];
  statsdAddress: string;
  statsiteAddress: string;
  dogstatsdAddr: string;
  dogstatsdTags: string[];
  /** prefix_filter split into its "+" and "-" rules. */
  allowedPrefixes: string[];
  blockedPrefixes: string[];
  retryFailedConnection: boolean;
}

export interface TlsListenerConfig {
  caFile: string;
  caPath: string;
  certFile: string;
  keyFile: string;
  tlsMinVersion: string;
  tlsCipherSuites: string;
  verifyIncoming: boolean;
  verifyOutgoing: boolean;
  verifyServerHostname: boolean;
}

export interface AclConfig {
  enabled: boolean;
  defaultPolicy: 'allow' | 'deny';
  downPolicy: string;
  policyTtlNs: number;
  roleTtlNs: number;
  tokenTtlNs: number;
  enableKeyListPolicy: boolean;
  enableTokenReplication: boolean;
  enableTokenPersistence: boolean;
  tokens: {
    initialManagement: string;
    default: string;
    agent: string;
    agentRecovery: string;
    configFileServiceRegistration: string;
    replication: string;
  };
}

export interface RuntimeConfig {
  // identity
  datacenter: string;
  primaryDatacenter: string;
  nodeName: string;
  /** "" when neither flag nor config set it (the agent then reads/creates <data-dir>/node-id). */
  nodeId: string;
  nodeMeta: Record<string, string>;
  disableHostNodeId: boolean;

  // mode
  devMode: boolean;
  serverMode: boolean;
  bootstrap: boolean;
  bootstrapExpect: number;
  dataDir: string;
  pidFile: string;

  // network
  bindAddr: string;
  /** Resolved client addresses (client_addr may be a space-separated list or template). */
  clientAddrs: string[];
  advertiseAddrLan: string;
  advertiseAddrWan: string;
  serfBindAddrLan: string;
  /** "" when the WAN pool is disabled (ports.serf_wan = -1). */
  serfBindAddrWan: string;
  serfAllowedCidrsLan: string[];
  serfAllowedCidrsWan: string[];
  ports: Ports;
  httpAddrs: ListenAddr[];
  httpsAddrs: ListenAddr[];
  dnsAddrs: ListenAddr[];
  grpcAddrs: ListenAddr[];
  grpcTlsAddrs: ListenAddr[];
  translateWanAddrs: boolean;
  /** lan, wan (and lan_ipv4/lan_ipv6/wan_ipv4/wan_ipv6 by family) plus the user's tagged_addresses. */
  taggedAddresses: Record<string, string>;
  unixSockets: { user: string; group: string; mode: string };

  // cluster formation
  retryJoinLan: string[];
  retryJoinWan: string[];
  retryIntervalLanNs: number;
  retryIntervalWanNs: number;
  retryMaxLan: number;
  retryMaxWan: number;
  rejoinAfterLeave: boolean;
  leaveOnTerminate: boolean;
  skipLeaveOnInterrupt: boolean;
  reconnectTimeoutLanNs: number;
  reconnectTimeoutWanNs: number;
  advertiseReconnectTimeoutNs: number;
  gossipLan: GossipConfig;
  gossipWan: GossipConfig;
  encryptKey: string;
  encryptVerifyIncoming: boolean;
  encryptVerifyOutgoing: boolean;
  disableKeyringFile: boolean;
  protocol: number;
  raftProtocol: number;

  // raft / server
  raftMultiplier: number;
  raftSnapshotThreshold: number;
  raftSnapshotIntervalNs: number;
  raftTrailingLogs: number;
  leaveDrainTimeNs: number;
  rpcHoldTimeoutNs: number;
  autopilot: AutopilotConfig;
  sessionTtlMinNs: number;
  serverRejoinAgeMaxNs: number;

  // logging
  logLevel: LogLevel;
  logJson: boolean;
  logFile: string;
  logRotateBytes: number;
  logRotateDurationNs: number;
  logRotateMaxFiles: number;
  enableSyslog: boolean;
  syslogFacility: string;

  // http / dns / ui
  domain: string;
  altDomain: string;
  dnsConfig: DnsConfig;
  recursors: string[];
  httpResponseHeaders: Record<string, string>;
  httpBlockEndpoints: string[];
  allowWriteHttpFrom: string[];
  httpUseCache: boolean;
  httpMaxHeaderBytes: number;
  httpMaxConnsPerClient: number;
  httpsHandshakeTimeoutNs: number;
  kvMaxValueSize: number;
  txnMaxReqLen: number;
  defaultQueryTimeNs: number;
  maxQueryTimeNs: number;
  uiConfig: { enabled: boolean; dir: string; contentPath: string; metricsProvider: string };
  enableDebug: boolean;
  disableHttpUnprintableCharFilter: boolean;

  // checks / services / watches (definitions are kept as parsed, validated objects; the agent issue owns them)
  enableScriptChecks: boolean;
  enableLocalScriptChecks: boolean;
  enableRemoteExec: boolean;
  checkOutputMaxSize: number;
  checkUpdateIntervalNs: number;
  /** Anti-entropy full-sync period before staggering (non-user `ae_interval`, 1 min). */
  aeIntervalNs: number;
  discardCheckOutput: boolean;
  services: ReadonlyArray<Readonly<Record<string, unknown>>>;
  checks: ReadonlyArray<Readonly<Record<string, unknown>>>;
  watches: ReadonlyArray<Readonly<Record<string, unknown>>>;

  // security
  acl: AclConfig;
  tlsDefaults: TlsListenerConfig;
  tlsHttps: TlsListenerConfig;
  tlsInternalRpc: TlsListenerConfig;
  tlsGrpc: TlsListenerConfig;

  // misc
  telemetry: TelemetryConfig;
  disableUpdateCheck: boolean;
  disableAnonymousSignature: boolean;
  disableCoordinates: boolean;
  autoReloadConfig: boolean;
  /** rpc.enable_streaming (defaults to server mode) and use_streaming_backend (defaults to true). */
  rpcEnableStreaming: boolean;
  useStreamingBackend: boolean;
  limits: {
    /** Requests per second; Infinity when unlimited (a negative setting, Go's rate.Inf). */
    rpcRate: number;
    rpcMaxBurst: number;
    rpcMaxConnsPerClient: number;
    rpcHandshakeTimeoutNs: number;
    rpcClientTimeoutNs: number;
    /** "disabled", "permissive" or "enforcing". */
    requestLimitsMode: string;
    requestLimitsReadRate: number;
    requestLimitsWriteRate: number;
  };

  /** Every file that contributed, in load order (for `consul reload` and debugging). */
  sourceFiles: string[];
}

/** Fields `consul reload` may change (§5.5); everything else keeps its original value. */
export const RELOADABLE_FIELDS = [
  'services',
  'checks',
  'watches',
  'logLevel',
  'httpAddrs',
  'clientAddrs',
  'nodeMeta',
  'acl',
  'discardCheckOutput',
  'dnsConfig',
  'recursors',
  'telemetry',
  'raftSnapshotThreshold',
  'raftSnapshotIntervalNs',
  'raftTrailingLogs',
  'limits',
  'httpMaxConnsPerClient',
  'tlsDefaults',
  'tlsHttps',
  'tlsInternalRpc',
  'tlsGrpc',
] as const satisfies readonly (keyof RuntimeConfig)[];
