// Merged raw config → the one immutable RuntimeConfig, validated as Consul 1.16's builder does and
// with its error texts ("data_dir cannot be empty", "'bootstrap_expect > 0' and 'bootstrap = true' are
// mutually exclusive", "ports.http: invalid port: 70000", …). Value errors found along the way are
// collected and reported together in go-multierror's layout, as Consul does.

import { parseGoDuration } from '../lib/duration.js';
import type { Host } from '../runtime/host.js';
import { parseLogLevel } from '../runtime/logger.js';
import { isPlainObject, type Raw } from './raw.js';
import type { ListenAddr, RuntimeConfig, TlsListenerConfig } from './runtime-config.js';
import { expandTemplate, privateIPv4s, publicIPv6s } from './sockaddr.js';

export interface BuildContext {
  host: Host;
  devMode: boolean;
  sourceFiles: string[];
}

export type BuildResult =
  { ok: true; config: RuntimeConfig; warnings: string[] } | { ok: false; error: string; warnings: string[] };

class Fatal extends Error {}

/** go-multierror's Error() text. */
export function multiError(errs: string[]): string {
  const n = errs.length;
  return `${n} error${n === 1 ? '' : 's'} occurred:\n${errs.map((e) => `\t* ${e}`).join('\n')}\n\n`;
}

export const SYSLOG_FACILITIES = [
  'KERN',
  'USER',
  'MAIL',
  'DAEMON',
  'AUTH',
  'SYSLOG',
  'LPR',
  'NEWS',
  'UUCP',
  'CRON',
  'AUTHPRIV',
  'FTP',
  'LOCAL0',
  'LOCAL1',
  'LOCAL2',
  'LOCAL3',
  'LOCAL4',
  'LOCAL5',
  'LOCAL6',
  'LOCAL7',
];

function isIPv4(s: string): boolean {
  return (
    /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(s) && s.split('.').every((p) => Number(p) <= 255)
  );
}

function isIPv6(s: string): boolean {
  return /^[0-9a-fA-F:.]+$/.test(s) && s.includes(':') && (s.match(/::/g)?.length ?? 0) <= 1;
}

export function isIP(s: string): boolean {
  return isIPv4(s) || isIPv6(s);
}

function isAny(s: string): boolean {
  return s === '0.0.0.0' || s === '::' || s === '[::]';
}

export function buildRuntimeConfig(merged: Raw, ctx: BuildContext): BuildResult {
  const warnings: string[] = [];
  const errs: string[] = [];
  const warn = (m: string) => warnings.push(m);

  const get = (path: string): unknown => {
    let cur: unknown = merged;
    for (const p of path.split('.')) {
      if (!isPlainObject(cur)) return undefined;
      cur = cur[p];
    }
    return cur;
  };
  const typeErr = (path: string, want: string, v: unknown) =>
    errs.push(`${path}: expected ${want}, got ${Array.isArray(v) ? 'list' : typeof v} ${JSON.stringify(v)}`);
  const str = (path: string, def = ''): string => {
    const v = get(path);
    if (v === undefined || v === null) return def;
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
    typeErr(path, 'string', v);
    return def;
  };
  const bool = (path: string, def = false): boolean => {
    const v = get(path);
    if (v === undefined || v === null) return def;
    if (typeof v === 'boolean') return v;
    if (typeof v === 'string' && ['true', 'false', '1', '0'].includes(v.toLowerCase()))
      return ['true', '1'].includes(v.toLowerCase());
    errs.push(
      `cannot parse '${path}' as bool: strconv.ParseBool: parsing ${JSON.stringify(String(v))}: invalid syntax`,
    );
    return def;
  };
  const int = (path: string, def = 0): number => {
    const v = get(path);
    if (v === undefined || v === null) return def;
    if (typeof v === 'number' && Number.isInteger(v)) return v;
    if (typeof v === 'bigint') return Number(v);
    if (typeof v === 'string' && /^[+-]?\d+$/.test(v.trim())) return Number(v.trim());
    errs.push(
      `cannot parse '${path}' as int: strconv.ParseInt: parsing ${JSON.stringify(String(v))}: invalid syntax`,
    );
    return def;
  };
  const dur = (path: string, def = 0): number => {
    const v = get(path);
    if (v === undefined || v === null) return def;
    if (typeof v === 'number') return v; // Consul takes integer nanoseconds too
    const s = String(v);
    const d = parseGoDuration(s);
    if (d instanceof Error) {
      errs.push(`${path}: invalid duration: ${JSON.stringify(s)}: ${d.message}`);
      return def;
    }
    return d;
  };
  const strList = (path: string): string[] => {
    const v = get(path);
    if (v === undefined || v === null) return [];
    const list = Array.isArray(v) ? v : [v];
    return list.map((x) => String(x));
  };
  const strMap = (path: string): Record<string, string> => {
    const v = get(path);
    if (!isPlainObject(v)) return {};
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, String(x)]));
  };
  const port = (path: string, def = -1): number => {
    const p = int(path, def);
    if (p <= 0) return -1;
    if (p > 65535) errs.push(`${path}: invalid port: ${p}`);
    return p;
  };
  const expand = (path: string, s: string): string[] => {
    if (s === '') return [];
    const x = expandTemplate(s, ctx.host);
    if (x instanceof Error) {
      errs.push(`${path}: error parsing ${JSON.stringify(s)}: ${x.message}`);
      return [];
    }
    const out: string[] = [];
    for (const a of x.split(/\s+/).filter(Boolean)) {
      if (a.startsWith('unix://')) out.push(a);
      else if (isIP(a === '[::]' ? '::' : a)) out.push(a === '[::]' ? '::' : a);
      else {
        errs.push(`${path}: invalid ip address: ${a}`);
        return [];
      }
    }
    return out;
  };
  const firstIP = (path: string): string => {
    const addrs = expand(path, str(path));
    if (addrs.length === 0) return '';
    if (addrs.length > 1) {
      errs.push(`${path}: multiple addresses found: ${addrs.join(' ')}`);
      return '';
    }
    if (addrs[0]!.startsWith('unix://')) {
      errs.push(`${path} cannot be a unix socket`);
      return '';
    }
    return addrs[0]!;
  };

  try {
    const serverMode = bool('server');
    const datacenterRaw = str('datacenter');
    const datacenter = datacenterRaw.toLowerCase();

    // ports
    const ports = {
      dns: port('ports.dns'),
      http: port('ports.http'),
      https: port('ports.https'),
      grpc: port('ports.grpc'),
      grpcTls: get('ports.grpc_tls') === undefined ? (serverMode ? 8503 : -1) : port('ports.grpc_tls'),
      serfLan: port('ports.serf_lan'),
      serfWan: port('ports.serf_wan'),
      server: port('ports.server'),
      sidecarMinPort: port('ports.sidecar_min_port'),
      sidecarMaxPort: port('ports.sidecar_max_port'),
      exposeMinPort: port('ports.expose_min_port'),
      exposeMaxPort: port('ports.expose_max_port'),
    };
    if (ports.sidecarMaxPort < ports.sidecarMinPort)
      throw new Fatal('sidecar_min_port must be less than sidecar_max_port. To disable, set both to zero.');
    if (ports.exposeMaxPort < ports.exposeMinPort)
      throw new Fatal('expose_min_port must be less than expose_max_port. To disable, set both to zero.');

    // bind and advertise addresses
    const bindAddrs = expand('bind_addr', str('bind_addr'));
    if (bindAddrs.length === 0 && errs.length === 0) throw new Fatal('bind_addr cannot be empty');
    if (bindAddrs.length > 1)
      throw new Fatal(
        "bind_addr cannot contain multiple addresses. Use 'addresses.{dns,http,https}' instead.",
      );
    const bindAddr = bindAddrs[0] ?? '0.0.0.0';
    if (bindAddr.startsWith('unix://')) throw new Fatal('bind_addr cannot be a unix socket');
    if (isAny(str('advertise_addr'))) throw new Fatal('Advertise address cannot be 0.0.0.0, :: or [::]');
    if (isAny(str('advertise_addr_wan')))
      throw new Fatal('Advertise WAN address cannot be 0.0.0.0, :: or [::]');
    let advertise = firstIP('advertise_addr') || bindAddr;
    if (isAny(advertise)) {
      const v6 = advertise !== '0.0.0.0';
      const kind = v6 ? 'public IPv6' : 'private IPv4';
      const found = v6 ? publicIPv6s(ctx.host) : privateIPv4s(ctx.host);
      if (found.length === 0) throw new Fatal(`No ${kind} address found`);
      if (found.length > 1)
        throw new Fatal(
          `Multiple ${kind} addresses found. Please configure one with 'bind' and/or 'advertise'.`,
        );
      advertise = found[0]!;
    }
    const advertiseWan = firstIP('advertise_addr_wan') || advertise;
    const serfBindLan = firstIP('serf_lan') || bindAddr;
    const serfBindWan = firstIP('serf_wan') || bindAddr;

    const clientAddrs = expand('client_addr', str('client_addr')).filter((a) => {
      if (a.startsWith('unix://')) errs.push('client_addr cannot be a unix socket');
      return !a.startsWith('unix://');
    });
    if (clientAddrs.length === 0)
      warn(
        'client_addr is empty, client services (DNS, HTTP, HTTPS, GRPC) will not be listening for connections',
      );
    const listen = (key: string, p: number): ListenAddr[] => {
      const own = expand(`addresses.${key}`, str(`addresses.${key}`));
      const addrs = own.length > 0 ? own : clientAddrs;
      if (p <= 0) return [];
      return addrs.map((a) =>
        a.startsWith('unix://') ? { kind: 'unix', path: a.slice(7) } : { kind: 'tcp', ip: a, port: p },
      );
    };
    const httpAddrs = listen('http', ports.http);
    const httpsAddrs = listen('https', ports.https);
    const dnsAddrs = listen('dns', ports.dns);
    const grpcAddrs = listen('grpc', ports.grpc);

    const recursors: string[] = [];
    for (const r of strList('recursors')) {
      const x = expandTemplate(r, ctx.host);
      if (x instanceof Error)
        throw new Fatal(`Invalid DNS recursor template ${JSON.stringify(r)}: ${x.message}`);
      for (const a of x.split(/\s+/).filter(Boolean)) {
        if (a.startsWith('unix://')) throw new Fatal(`DNS Recursors cannot be unix sockets: ${a}`);
        if (!recursors.includes(a)) recursors.push(a);
      }
    }

    const raftMultiplier = int('performance.raft_multiplier');
    if (raftMultiplier < 1 || raftMultiplier > 10)
      throw new Fatal(`performance.raft_multiplier cannot be ${raftMultiplier}. Must be between 1 and 10`);

    const primaryDatacenter = (str('primary_datacenter') || datacenterRaw).toLowerCase();
    const nodeName = (str('node_name') || ctx.host.hostname()).trim();
    const logLevelText = str('log_level', 'INFO');
    const logLevel = parseLogLevel(logLevelText);
    if (logLevel === null) errs.push(`Invalid log level: ${logLevelText}`);
    const facility = str('syslog_facility', 'LOCAL0');
    if (bool('enable_syslog') && !SYSLOG_FACILITIES.includes(facility.toUpperCase()))
      errs.push(`Invalid syslog facility ${facility}`);

    const uiEnabled = bool('ui_config.enabled');
    const uiDir = str('ui_config.dir');
    let contentPath = str('ui_config.content_path', '/ui/');
    contentPath =
      contentPath === '' ? '/ui/' : `/${contentPath.replace(/^\/+|\/+$/g, '')}/`.replace('//', '/');

    const tlsListener = (name: string): TlsListenerConfig => {
      const d = (k: string) => `tls.defaults.${k}`;
      const own = (k: string) => `tls.${name}.${k}`;
      const s = (k: string) => (get(own(k)) !== undefined ? str(own(k)) : str(d(k)));
      const b = (k: string) => (get(own(k)) !== undefined ? bool(own(k)) : bool(d(k)));
      return {
        caFile: s('ca_file'),
        caPath: s('ca_path'),
        certFile: s('cert_file'),
        keyFile: s('key_file'),
        tlsMinVersion: s('tls_min_version') || 'TLSv1_2',
        tlsCipherSuites: s('tls_cipher_suites'),
        verifyIncoming: b('verify_incoming'),
        verifyOutgoing: name === 'grpc' ? false : b('verify_outgoing'),
        verifyServerHostname:
          name === 'internal_rpc' ? bool('tls.internal_rpc.verify_server_hostname') : false,
      };
    };
    for (const sec of ['defaults', 'https', 'grpc']) {
      if (get(`tls.${sec}.verify_server_hostname`) !== undefined)
        throw new Fatal('verify_server_hostname is only valid in the tls.internal_rpc stanza');
    }
    if (get('tls.grpc.verify_outgoing') !== undefined)
      throw new Fatal('verify_outgoing is not valid in the tls.grpc stanza');
    const tlsInternalRpc = tlsListener('internal_rpc');
    tlsInternalRpc.verifyOutgoing = tlsInternalRpc.verifyOutgoing || tlsInternalRpc.verifyServerHostname;

    const gossip = (p: string) => ({
      gossipNodes: int(`${p}.gossip_nodes`),
      gossipIntervalNs: dur(`${p}.gossip_interval`),
      probeIntervalNs: dur(`${p}.probe_interval`),
      probeTimeoutNs: dur(`${p}.probe_timeout`),
      retransmitMult: int(`${p}.retransmit_mult`),
      suspicionMult: int(`${p}.suspicion_mult`),
    });

    const serviceTtl: Record<string, number> = {};
    for (const [k, v] of Object.entries(strMap('dns_config.service_ttl'))) {
      const d = parseGoDuration(v);
      if (d instanceof Error)
        errs.push(
          `dns_config.service_ttl[${JSON.stringify(k)}]: invalid duration: ${JSON.stringify(v)}: ${d.message}`,
        );
      else serviceTtl[k] = d;
    }

    let bootstrap = bool('bootstrap');
    let bootstrapExpect = int('bootstrap_expect');

    const rt: RuntimeConfig = {
      datacenter,
      primaryDatacenter,
      nodeName,
      nodeId: str('node_id').toLowerCase(),
      nodeMeta: strMap('node_meta'),
      disableHostNodeId: bool('disable_host_node_id', true),
      devMode: ctx.devMode,
      serverMode,
      bootstrap,
      bootstrapExpect,
      dataDir: str('data_dir'),
      pidFile: str('pid_file'),
      bindAddr,
      clientAddrs,
      advertiseAddrLan: advertise,
      advertiseAddrWan: advertiseWan,
      serfBindAddrLan: serfBindLan,
      serfBindAddrWan: serfBindWan,
      ports,
      httpAddrs,
      httpsAddrs,
      dnsAddrs,
      grpcAddrs,
      translateWanAddrs: bool('translate_wan_addrs'),
      taggedAddresses: { lan: advertise, wan: advertiseWan, ...strMap('tagged_addresses') },
      unixSockets: {
        user: str('unix_sockets.user'),
        group: str('unix_sockets.group'),
        mode: str('unix_sockets.mode'),
      },
      retryJoinLan: strList('retry_join'),
      retryJoinWan: strList('retry_join_wan'),
      retryIntervalLanNs: dur('retry_interval'),
      retryIntervalWanNs: dur('retry_interval_wan'),
      retryMaxLan: int('retry_max'),
      retryMaxWan: int('retry_max_wan'),
      rejoinAfterLeave: bool('rejoin_after_leave'),
      leaveOnTerminate: get('leave_on_terminate') === undefined ? !serverMode : bool('leave_on_terminate'),
      skipLeaveOnInterrupt:
        get('skip_leave_on_interrupt') === undefined ? serverMode : bool('skip_leave_on_interrupt'),
      reconnectTimeoutLanNs: dur('reconnect_timeout'),
      reconnectTimeoutWanNs: dur('reconnect_timeout_wan'),
      gossipLan: gossip('gossip_lan'),
      gossipWan: gossip('gossip_wan'),
      encryptKey: str('encrypt'),
      encryptVerifyIncoming: bool('encrypt_verify_incoming', true),
      encryptVerifyOutgoing: bool('encrypt_verify_outgoing', true),
      disableKeyringFile: bool('disable_keyring_file'),
      protocol: int('protocol', 2),
      raftProtocol: int('raft_protocol', 3),
      raftMultiplier,
      raftSnapshotThreshold: int('raft_snapshot_threshold'),
      raftSnapshotIntervalNs: dur('raft_snapshot_interval'),
      raftTrailingLogs: int('raft_trailing_logs'),
      leaveDrainTimeNs: dur('performance.leave_drain_time'),
      rpcHoldTimeoutNs: dur('performance.rpc_hold_timeout'),
      autopilot: {
        cleanupDeadServers: bool('autopilot.cleanup_dead_servers', true),
        lastContactThresholdNs: dur('autopilot.last_contact_threshold'),
        maxTrailingLogs: int('autopilot.max_trailing_logs'),
        minQuorum: int('autopilot.min_quorum'),
        serverStabilizationTimeNs: dur('autopilot.server_stabilization_time'),
      },
      sessionTtlMinNs: dur('session_ttl_min'),
      serverRejoinAgeMaxNs: dur('server_rejoin_age_max'),
      logLevel: logLevel ?? 'info',
      logJson: bool('log_json'),
      logFile: str('log_file'),
      logRotateBytes: int('log_rotate_bytes'),
      logRotateDurationNs: dur('log_rotate_duration'),
      logRotateMaxFiles: int('log_rotate_max_files'),
      enableSyslog: bool('enable_syslog'),
      syslogFacility: facility,
      domain: str('domain', 'consul.'),
      altDomain: str('alt_domain'),
      dnsConfig: {
        allowStale: bool('dns_config.allow_stale', true),
        aRecordLimit: int('dns_config.a_record_limit'),
        disableCompression: bool('dns_config.disable_compression'),
        enableTruncate: bool('dns_config.enable_truncate'),
        maxStaleNs: dur('dns_config.max_stale'),
        nodeTtlNs: dur('dns_config.node_ttl'),
        onlyPassing: bool('dns_config.only_passing'),
        recursorStrategy: str('dns_config.recursor_strategy', 'sequential'),
        recursorTimeoutNs: dur('dns_config.recursor_timeout'),
        serviceTtlNs: serviceTtl,
        udpAnswerLimit: int('dns_config.udp_answer_limit', 3),
        useCache: bool('dns_config.use_cache'),
        cacheMaxAgeNs: dur('dns_config.cache_max_age'),
        enableAdditionalNodeMetaTxt: bool('dns_config.enable_additional_node_meta_txt', true),
        soa: {
          expire: int('dns_config.soa.expire', 86400),
          minTtl: int('dns_config.soa.min_ttl', 0),
          refresh: int('dns_config.soa.refresh', 3600),
          retry: int('dns_config.soa.retry', 600),
        },
      },
      recursors,
      httpResponseHeaders: strMap('http_config.response_headers'),
      httpBlockEndpoints: strList('http_config.block_endpoints'),
      allowWriteHttpFrom: strList('http_config.allow_write_http_from'),
      httpUseCache: bool('http_config.use_cache', true),
      httpMaxConnsPerClient: int('limits.http_max_conns_per_client'),
      kvMaxValueSize: int('limits.kv_max_value_size'),
      txnMaxReqLen: int('limits.txn_max_req_len'),
      defaultQueryTimeNs: dur('default_query_time'),
      maxQueryTimeNs: dur('max_query_time'),
      uiConfig: { enabled: uiEnabled, dir: uiDir, contentPath },
      enableDebug: bool('enable_debug'),
      disableHttpUnprintableCharFilter: bool('disable_http_unprintable_char_filter'),
      enableScriptChecks: bool('enable_script_checks'),
      enableLocalScriptChecks:
        get('enable_local_script_checks') === undefined
          ? bool('enable_script_checks')
          : bool('enable_local_script_checks'),
      enableRemoteExec: !bool('disable_remote_exec', true),
      checkOutputMaxSize: int('check_output_max_size', 4096),
      checkUpdateIntervalNs: dur('check_update_interval'),
      discardCheckOutput: bool('discard_check_output'),
      services: (get('services') as Raw[] | undefined) ?? [],
      checks: (get('checks') as Raw[] | undefined) ?? [],
      watches: (get('watches') as Raw[] | undefined) ?? [],
      acl: {
        enabled: bool('acl.enabled'),
        defaultPolicy: str('acl.default_policy', 'allow') === 'deny' ? 'deny' : 'allow',
        downPolicy: str('acl.down_policy', 'extend-cache'),
        policyTtlNs: dur('acl.policy_ttl'),
        roleTtlNs: dur('acl.role_ttl'),
        tokenTtlNs: dur('acl.token_ttl'),
        enableKeyListPolicy: bool('acl.enable_key_list_policy'),
        enableTokenReplication: bool('acl.enable_token_replication'),
        enableTokenPersistence: bool('acl.enable_token_persistence'),
        tokens: {
          initialManagement: str('acl.tokens.initial_management'),
          default: str('acl.tokens.default'),
          agent: str('acl.tokens.agent'),
          agentRecovery: str('acl.tokens.agent_recovery'),
          configFileServiceRegistration: str('acl.tokens.config_file_service_registration'),
          replication: str('acl.tokens.replication'),
        },
      },
      tlsDefaults: tlsListener('defaults'),
      tlsHttps: tlsListener('https'),
      tlsInternalRpc,
      tlsGrpc: tlsListener('grpc'),
      telemetry: {
        metricsPrefix: str('telemetry.metrics_prefix', 'consul'),
        disableHostname: bool('telemetry.disable_hostname'),
        prometheusRetentionTimeNs: dur('telemetry.prometheus_retention_time'),
        filterDefault: bool('telemetry.filter_default', true),
        prefixFilter: strList('telemetry.prefix_filter'),
        statsdAddress: str('telemetry.statsd_address'),
        statsiteAddress: str('telemetry.statsite_address'),
        dogstatsdAddr: str('telemetry.dogstatsd_addr'),
        dogstatsdTags: strList('telemetry.dogstatsd_tags'),
      },
      disableUpdateCheck: bool('disable_update_check'),
      disableAnonymousSignature: bool('disable_anonymous_signature'),
      disableCoordinates: bool('disable_coordinates'),
      autoReloadConfig: bool('auto_reload_config'),
      limits: {
        rpcRate: Number(get('limits.rpc_rate') ?? -1),
        rpcMaxBurst: int('limits.rpc_max_burst'),
        rpcMaxConnsPerClient: int('limits.rpc_max_conns_per_client'),
        rpcHandshakeTimeoutNs: dur('limits.rpc_handshake_timeout'),
      },
      sourceFiles: [...ctx.sourceFiles],
    };

    if (bootstrapExpect === 1) {
      bootstrap = true;
      bootstrapExpect = 0;
      rt.bootstrap = true;
      rt.bootstrapExpect = 0;
      warn('BootstrapExpect is set to 1; this is the same as Bootstrap mode.');
    }

    validate(rt, ctx, merged, warn);
    if (errs.length > 0) return { ok: false, error: multiError(errs), warnings };
    return { ok: true, config: deepFreeze(rt), warnings };
  } catch (e) {
    if (e instanceof Fatal) {
      // Errors collected before a fatal one take precedence only when the fatal one is their echo.
      return { ok: false, error: errs.length > 0 ? multiError(errs) : e.message, warnings };
    }
    throw e;
  }
}

function validateBasicName(field: string, value: string, allowEmpty: boolean): void {
  if (value === '') {
    if (allowEmpty) return;
    throw new Fatal(`${field} cannot be empty`);
  }
  if (!/^[a-z0-9_-]+$/.test(value))
    throw new Fatal(
      `${field} can only contain lowercase alphanumeric, - or _ characters. received: ${JSON.stringify(value)}`,
    );
}

function validate(rt: RuntimeConfig, ctx: BuildContext, merged: Raw, warn: (m: string) => void): void {
  if (rt.raftProtocol !== 3)
    throw new Fatal(`raft_protocol version ${rt.raftProtocol} is not supported by this version of Consul`);
  validateBasicName('datacenter', rt.datacenter, false);
  if (rt.dataDir === '' && !rt.devMode) throw new Fatal('data_dir cannot be empty');
  if (!/^[A-Za-z0-9/_-]+$/.test(rt.uiConfig.contentPath))
    throw new Fatal(
      `ui-content-path can only contain alphanumeric, -, _, or /. received: ${JSON.stringify(rt.uiConfig.contentPath)}`,
    );
  if (/^\/v\d+\/$/.test(rt.uiConfig.contentPath))
    throw new Fatal(
      `ui-content-path cannot have 'v[0-9]'. received: ${JSON.stringify(rt.uiConfig.contentPath)}`,
    );
  if (rt.nodeName === '') throw new Fatal('node_name cannot be empty');
  if (/[^A-Za-z0-9\\-]+/.test(rt.nodeName))
    warn(
      `Node name ${JSON.stringify(rt.nodeName)} will not be discoverable via DNS due to invalid characters. Valid characters include all alpha-numerics and dashes.`,
    );
  else if (rt.nodeName.length > 63)
    warn(
      `Node name ${JSON.stringify(rt.nodeName)} will not be discoverable via DNS due to it being too long. Valid lengths are between 1 and 63 bytes.`,
    );
  if (rt.dnsAddrs.some((a) => a.kind === 'unix')) throw new Fatal('DNS address cannot be a unix socket');
  if (rt.recursors.some(isAny)) throw new Fatal('DNS recursor address cannot be 0.0.0.0, :: or [::]');
  if (
    rt.altDomain !== '' &&
    new RegExp(`^(service|connect|node|query|addr|${rt.datacenter})\\.(${rt.datacenter}\\.)?`).test(
      rt.altDomain,
    )
  )
    throw new Fatal(`alt_domain cannot start with {service,connect,node,query,addr,${rt.datacenter}}`);
  if (rt.bootstrap && !rt.serverMode) throw new Fatal("'bootstrap = true' requires 'server = true'");
  if (rt.bootstrapExpect < 0)
    throw new Fatal(
      `bootstrap_expect cannot be ${rt.bootstrapExpect}. Must be greater than or equal to zero`,
    );
  if (rt.bootstrapExpect > 0 && !rt.serverMode)
    throw new Fatal("'bootstrap_expect > 0' requires 'server = true'");
  if (rt.bootstrapExpect > 0 && rt.devMode) throw new Fatal("'bootstrap_expect > 0' not allowed in dev mode");
  if (rt.bootstrapExpect > 0 && rt.bootstrap)
    throw new Fatal("'bootstrap_expect > 0' and 'bootstrap = true' are mutually exclusive");
  if (rt.checkOutputMaxSize < 1)
    throw new Fatal(
      'check_output_max_size must be positive, to discard check output use the discard_check_output flag',
    );
  if (rt.autopilot.maxTrailingLogs < 0)
    throw new Fatal(
      `autopilot.max_trailing_logs cannot be ${rt.autopilot.maxTrailingLogs}. Must be greater than or equal to zero`,
    );
  validateBasicName('primary_datacenter', rt.primaryDatacenter, true);
  if (!rt.devMode && rt.uiConfig.enabled && rt.uiConfig.dir !== '')
    throw new Fatal(
      'Both the ui_config.enabled and ui_config.dir (or -ui and -ui-dir) were specified, please provide only one.\n' +
        'If trying to use your own web UI resources, use ui_config.dir or the -ui-dir flag.\n' +
        'The web UI is included in the binary so use ui_config.enabled or the -ui flag to enable it',
    );
  if (rt.dnsConfig.udpAnswerLimit < 0)
    throw new Fatal(
      `dns_config.udp_answer_limit cannot be ${rt.dnsConfig.udpAnswerLimit}. Must be greater than or equal to zero`,
    );
  if (rt.dnsConfig.aRecordLimit < 0)
    throw new Fatal(
      `dns_config.a_record_limit cannot be ${rt.dnsConfig.aRecordLimit}. Must be greater than or equal to zero`,
    );
  if (rt.encryptKey !== '') {
    const b64 = /^[A-Za-z0-9+/]*={0,2}$/.test(rt.encryptKey) && rt.encryptKey.length % 4 === 0;
    if (!b64)
      throw new Fatal(
        `encrypt has invalid key: illegal base64 data at input byte ${firstBadBase64(rt.encryptKey)}`,
      );
  }
  if (rt.nodeId !== '' && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(rt.nodeId))
    throw new Fatal(`node_id: invalid node ID: ${JSON.stringify(rt.nodeId)}`);

  // Listeners must not collide (Consul's addrUnique).
  const inUse = new Map<string, string>();
  const claim = (name: string, key: string, shown: string) => {
    const other = inUse.get(key);
    if (other !== undefined) throw new Fatal(`${name} address ${shown} already configured for ${other}`);
    inUse.set(key, name);
  };
  const fmt = (ip: string, p: number) => (ip.includes(':') ? `[${ip}]:${p}` : `${ip}:${p}`);
  for (const a of rt.dnsAddrs)
    if (a.kind === 'tcp') claim('DNS', `tcp:${fmt(a.ip, a.port)}`, fmt(a.ip, a.port));
  for (const [name, list] of [
    ['HTTP', rt.httpAddrs],
    ['HTTPS', rt.httpsAddrs],
  ] as const) {
    for (const a of list) {
      if (a.kind === 'tcp') claim(name, `tcp:${fmt(a.ip, a.port)}`, fmt(a.ip, a.port));
      else claim(name, `unix:${a.path}`, a.path);
    }
  }
  if (rt.ports.server > 0)
    claim(
      'RPC Advertise',
      `tcp:${fmt(rt.advertiseAddrLan, rt.ports.server)}`,
      fmt(rt.advertiseAddrLan, rt.ports.server),
    );
  if (rt.ports.serfLan > 0)
    claim(
      'Serf Advertise LAN',
      `tcp:${fmt(rt.advertiseAddrLan, rt.ports.serfLan)}`,
      fmt(rt.advertiseAddrLan, rt.ports.serfLan),
    );
  if (rt.ports.serfWan > 0)
    claim(
      'Serf Advertise WAN',
      `tcp:${fmt(rt.advertiseAddrWan, rt.ports.serfWan)}`,
      fmt(rt.advertiseAddrWan, rt.ports.serfWan),
    );

  for (const s of rt.services) {
    if (typeof s.name !== 'string' || s.name === '')
      throw new Fatal(`service ${JSON.stringify(s.name ?? '')}: Service name is required`);
  }
  for (const c of rt.checks) {
    if (typeof c.name !== 'string' || c.name === '')
      throw new Fatal(`check ${JSON.stringify(c.name ?? '')}: Check name is required`);
  }

  // Warnings, as Consul prints them.
  if (rt.serverMode && !rt.devMode && !rt.bootstrap && rt.bootstrapExpect === 2)
    warn(
      'bootstrap_expect = 2: A cluster with 2 servers will provide no failure tolerance. See https://www.consul.io/docs/internals/consensus.html#deployment-table',
    );
  if (rt.serverMode && !rt.bootstrap && rt.bootstrapExpect > 2 && rt.bootstrapExpect % 2 === 0)
    warn(
      'bootstrap_expect is even number: A cluster with an even number of servers does not achieve optimum fault tolerance. See https://www.consul.io/docs/internals/consensus.html#deployment-table',
    );
  if (rt.serverMode && rt.bootstrap && rt.bootstrapExpect === 0)
    warn('bootstrap = true: do not enable unless necessary');
  if (rt.serverMode && !rt.devMode && !rt.bootstrap && rt.bootstrapExpect > 1)
    warn(`bootstrap_expect > 0: expecting ${rt.bootstrapExpect} servers`);
  if (rt.enableScriptChecks && !rt.acl.enabled && rt.allowWriteHttpFrom.length === 0)
    warn(
      'using enable-script-checks without ACLs and without allow_write_http_from is DANGEROUS, use enable-local-script-checks instead, see https://www.hashicorp.com/blog/protecting-consul-from-rce-risk-in-specific-configurations/',
    );
  void ctx;
  void merged;
}

function firstBadBase64(s: string): number {
  for (let i = 0; i < s.length; i++) if (!/[A-Za-z0-9+/=]/.test(s[i]!)) return i;
  return Math.max(0, s.length - (s.length % 4));
}

function deepFreeze<T>(o: T): T {
  if (typeof o === 'object' && o !== null && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}
