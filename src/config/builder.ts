// Merged raw config → the one immutable RuntimeConfig, built and validated in the order Consul 1.16's
// builder uses, with its texts. Two kinds of failure, as there:
//  - value errors (a bad duration, port, address, template, cidr …) are collected while building and
//    reported together in go-multierror's layout, but only once the checks that come before them in
//    Consul's validate() have passed;
//  - structural errors ("bind_addr cannot be empty", "data_dir cannot be empty", …) stop at once.
// A few failures Consul only meets when the agent starts (log level, syslog facility, gossip key
// size) are checked last, so that `consul validate` catches what would stop the agent.

import { joinHostPort } from '../lib/host-port.js';
import { formatGoDuration, HOUR, parseGoDuration } from '../lib/duration.js';
import type { Host } from '../runtime/host.js';
import { goQuote } from '../runtime/log-values.js';
import { parseLogLevel } from '../runtime/logger.js';
import { isAnyAddr, isIP, isV4, parseCidr, parseIP } from './ip.js';
import { isPlainObject, type Raw } from './raw.js';
import type { ListenAddr, RuntimeConfig, TlsListenerConfig } from './runtime-config.js';
import { expandTemplate, privateIPv4s, publicIPv6s } from './sockaddr.js';

export { isIP } from './ip.js';

export interface BuildContext {
  host: Host;
  devMode: boolean;
  sourceFiles: string[];
}

export type BuildResult =
  { ok: true; config: RuntimeConfig; warnings: string[] } | { ok: false; error: string; warnings: string[] };

/** A structural error: building stops with exactly this text. */
class Fatal extends Error {}

/** go-multierror's Error() text. */
export function multiError(errs: readonly string[]): string {
  const n = errs.length;
  return `${n} error${n === 1 ? '' : 's'} occurred:\n${errs.map((e) => `\t* ${e}`).join('\n')}\n\n`;
}

/** Facility names go-syslog knows (case-insensitive). */
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

/** The levels Consul's logging setup accepts (case-insensitive). */
const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERR', 'ERROR'];

/** Consul's TLS version names, sorted as its error message lists them. */
const TLS_VERSIONS = ['TLS_AUTO', 'TLSv1_0', 'TLSv1_1', 'TLSv1_2', 'TLSv1_3'];

const MAX_RAFT_MULTIPLIER = 10;
const META_MAX_PAIRS = 64;
const META_KEY_MAX = 128;
const META_VALUE_MAX = 512;

export function buildRuntimeConfig(merged: Raw, ctx: BuildContext): BuildResult {
  const b = new Builder(merged, ctx);
  try {
    const rt = b.build();
    b.validate(rt);
    return { ok: true, config: deepFreeze(rt), warnings: b.warnings };
  } catch (e) {
    if (e instanceof Fatal) return { ok: false, error: e.message, warnings: b.warnings };
    throw e;
  }
}

type Addr = { kind: 'ip'; ip: string } | { kind: 'unix'; path: string };

class Builder {
  readonly warnings: string[] = [];
  /** Value errors, Consul's b.err. */
  private readonly errs: string[] = [];

  constructor(
    private readonly raw: Raw,
    private readonly ctx: BuildContext,
  ) {}

  private warn(m: string): void {
    this.warnings.push(m);
  }

  // ---- typed reads of the merged raw config (types are the loader's concern; these coerce leniently)

  private get(path: string): unknown {
    let cur: unknown = this.raw;
    for (const p of path.split('.')) {
      if (!isPlainObject(cur)) return undefined;
      cur = cur[p];
    }
    return cur === null ? undefined : cur;
  }

  private has(path: string): boolean {
    return this.get(path) !== undefined;
  }

  private str(path: string, def = ''): string {
    const v = this.get(path);
    if (v === undefined) return def;
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
    this.typeError(path, 'string', v);
    return def;
  }

  private bool(path: string, def = false): boolean {
    const v = this.get(path);
    if (v === undefined) return def;
    if (typeof v === 'boolean') return v;
    if (typeof v === 'string' && /^(true|false|1|0)$/i.test(v)) return /^(true|1)$/i.test(v);
    this.typeError(path, 'bool', v);
    return def;
  }

  private int(path: string, def = 0): number {
    const v = this.get(path);
    if (v === undefined) return def;
    if (typeof v === 'number' && Number.isInteger(v)) return v;
    if (typeof v === 'bigint') return Number(v);
    if (typeof v === 'string' && /^[+-]?\d+$/.test(v.trim())) return Number(v.trim());
    this.typeError(path, 'int', v);
    return def;
  }

  private float(path: string, def = 0): number {
    const v = this.get(path);
    if (v === undefined) return def;
    if (typeof v === 'number') return v;
    if (typeof v === 'bigint') return Number(v);
    if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
    this.typeError(path, 'float64', v);
    return def;
  }

  /** mapstructure's decode error for a value of the wrong type. */
  private typeError(path: string, want: string, v: unknown): void {
    const got = Array.isArray(v)
      ? '[]interface {}'
      : isPlainObject(v)
        ? 'map[string]interface {}'
        : typeof v === 'number'
          ? Number.isInteger(v)
            ? 'int'
            : 'float64'
          : typeof v;
    const shown = Array.isArray(v) ? `[${v.join(' ')}]` : isPlainObject(v) ? 'map[…]' : String(v);
    this.errs.push(`'${path}' expected type '${want}', got unconvertible type '${got}', value: '${shown}'`);
  }

  /** A Go duration; `name` is the label Consul uses in its error (not always the key path). */
  private dur(path: string, name = path, def = 0): number {
    const v = this.get(path);
    if (v === undefined) return def;
    if (typeof v === 'number') return v; // integer nanoseconds
    const s = String(v);
    const d = parseGoDuration(s);
    if (d instanceof Error) {
      this.errs.push(`${name}: invalid duration: ${goQuote(s)}: ${d.message}`);
      return 0;
    }
    return d;
  }

  private strList(path: string): string[] {
    const v = this.get(path);
    if (v === undefined) return [];
    return (Array.isArray(v) ? v : [v]).map((x) => String(x));
  }

  private strMap(path: string): Record<string, string> {
    const v = this.get(path);
    if (!isPlainObject(v)) return {};
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, String(x)]));
  }

  /** Consul's portVal: unset or ≤ 0 disables (-1); above 65535 is a value error. */
  private port(name: string): number {
    const p = this.int(name, -1);
    if (p <= 0) return -1;
    if (p > 65535) this.errs.push(`${name}: invalid port: ${p}`);
    return p;
  }

  // ---- addresses (Consul's expandAddrs / expandIPs / expandFirstIP)

  private expandAddrs(name: string): Addr[] {
    const s = this.str(name);
    if (s === '') return [];
    const x = expandTemplate(s, this.ctx.host);
    if (x instanceof Error) {
      this.errs.push(`${name}: error parsing ${goQuote(s)}: ${x.message}`);
      return [];
    }
    const out: Addr[] = [];
    for (const a of x.split(/\s+/).filter(Boolean)) {
      if (a.startsWith('unix://')) {
        out.push({ kind: 'unix', path: a.slice('unix://'.length) });
        continue;
      }
      const ip = a === '[::]' ? '::' : a;
      if (!isIP(ip)) {
        this.errs.push(`${name}: invalid ip address: ${a}`);
        return [];
      }
      out.push({ kind: 'ip', ip });
    }
    return out;
  }

  private expandIPs(name: string): string[] {
    const out: string[] = [];
    for (const a of this.expandAddrs(name)) {
      if (a.kind === 'unix') {
        this.errs.push(`${name} cannot be a unix socket`);
        return [];
      }
      out.push(a.ip);
    }
    return out;
  }

  private expandFirstIP(name: string): string | null {
    const addrs = this.expandAddrs(name);
    if (addrs.length === 0) return null;
    if (addrs.length > 1) {
      this.errs.push(`${name}: multiple addresses found: ${addrs.map(showAddr).join(' ')}`);
      return null;
    }
    const a = addrs[0]!;
    if (a.kind === 'unix') {
      this.errs.push(`${name} cannot be a unix socket`);
      return null;
    }
    return a.ip;
  }

  private listeners(own: Addr[], clientAddrs: string[], port: number): ListenAddr[] {
    if (port <= 0) return [];
    const addrs: Addr[] = own.length > 0 ? own : clientAddrs.map((ip) => ({ kind: 'ip', ip }));
    return addrs.map((a) =>
      a.kind === 'unix' ? { kind: 'unix', path: a.path } : { kind: 'tcp', ip: a.ip, port },
    );
  }

  // ---- build: Consul's build(), in its order

  build(): RuntimeConfig {
    const serviceTtl: Record<string, number> = {};
    for (const [k, v] of Object.entries(this.strMap('dns_config.service_ttl'))) {
      const d = parseGoDuration(v);
      if (d instanceof Error)
        this.errs.push(
          `dns_config.service_ttl[${goQuote(k)}]: invalid duration: ${goQuote(v)}: ${d.message}`,
        );
      serviceTtl[k] = d instanceof Error ? 0 : d;
    }

    const serverMode = this.bool('server');
    const checks = this.definitions('checks').map((c) => this.checkDurations(c));
    const services = this.definitions('services').map((s) => this.serviceDurations(s));

    // ports
    const ports = {
      dns: this.port('ports.dns'),
      http: this.port('ports.http'),
      https: this.port('ports.https'),
      server: this.port('ports.server'),
      grpc: this.port('ports.grpc'),
      grpcTls: this.port('ports.grpc_tls'),
      serfLan: this.port('ports.serf_lan'),
      serfWan: this.port('ports.serf_wan'),
      proxyMinPort: this.port('ports.proxy_min_port'),
      proxyMaxPort: this.port('ports.proxy_max_port'),
      sidecarMinPort: this.port('ports.sidecar_min_port'),
      sidecarMaxPort: this.port('ports.sidecar_max_port'),
      exposeMinPort: this.port('ports.expose_min_port'),
      exposeMaxPort: this.port('ports.expose_max_port'),
    };
    if (!this.has('ports.grpc_tls') && serverMode) ports.grpcTls = 8503;
    if (ports.server <= 0) throw new Fatal('server-port must be greater than zero');
    if (ports.serfLan <= 0) throw new Fatal('serf-lan-port must be greater than zero');
    if (ports.proxyMaxPort < ports.proxyMinPort)
      throw new Fatal('proxy_min_port must be less than proxy_max_port. To disable, set both to zero.');
    if (ports.sidecarMaxPort < ports.sidecarMinPort)
      throw new Fatal('sidecar_min_port must be less than sidecar_max_port. To disable, set both to zero.');
    if (ports.exposeMaxPort < ports.exposeMinPort)
      throw new Fatal('expose_min_port must be less than expose_max_port. To disable, set both to zero.');

    // bind and advertise addresses
    const bindAddrs = this.expandAddrs('bind_addr');
    if (bindAddrs.length === 0) throw new Fatal('bind_addr cannot be empty');
    if (bindAddrs.length > 1)
      throw new Fatal(
        "bind_addr cannot contain multiple addresses. Use 'addresses.{dns,http,https}' instead.",
      );
    const bind = bindAddrs[0]!;
    if (bind.kind === 'unix') throw new Fatal('bind_addr cannot be a unix socket');
    if (isAnyAddr(this.str('advertise_addr')))
      throw new Fatal('Advertise address cannot be 0.0.0.0, :: or [::]');
    if (isAnyAddr(this.str('advertise_addr_wan')))
      throw new Fatal('Advertise WAN address cannot be 0.0.0.0, :: or [::]');
    const bindAddr = bind.ip;

    let advertise = this.expandFirstIP('advertise_addr') ?? bindAddr;
    if (isAnyAddr(advertise)) {
      const v6 = advertise !== '0.0.0.0';
      const kind = v6 ? 'public IPv6' : 'private IPv4';
      const found = v6 ? publicIPv6s(this.ctx.host) : privateIPv4s(this.ctx.host);
      if (found.length === 0) throw new Fatal(`No ${kind} address found`);
      if (found.length > 1)
        throw new Fatal(
          `Multiple ${kind} addresses found. Please configure one with 'bind' and/or 'advertise'.`,
        );
      advertise = found[0]!;
    }

    const serfBindLan = this.expandFirstIP('serf_lan') ?? bindAddr;
    const serfBindWan = ports.serfWan >= 0 ? (this.expandFirstIP('serf_wan') ?? bindAddr) : '';

    // Consul expands advertise_addr a second time here (so a bad value is reported twice); we match it.
    const advertiseLan = this.expandFirstIP('advertise_addr') ?? advertise;
    const lanIsV4 = isV4(parseIP(advertise)!);
    const advertiseLanV4 = this.expandFirstIP('advertise_addr_ipv4') ?? (lanIsV4 ? advertise : null);
    if (advertiseLanV4 !== null && !isV4(parseIP(advertiseLanV4)!))
      throw new Fatal('advertise_addr_ipv4 must be an ipv4 address');
    const advertiseLanV6 = this.expandFirstIP('advertise_addr_ipv6') ?? (lanIsV4 ? null : advertise);
    if (advertiseLanV6 !== null && isV4(parseIP(advertiseLanV6)!))
      throw new Fatal('advertise_addr_ipv6 must be an ipv6 address');

    const advertiseWan = this.expandFirstIP('advertise_addr_wan') ?? advertiseLan;
    const wanIsV4 = isV4(parseIP(advertiseWan)!);
    const advertiseWanV4 = this.expandFirstIP('advertise_addr_wan_ipv4') ?? (wanIsV4 ? advertiseWan : null);
    if (advertiseWanV4 !== null && !isV4(parseIP(advertiseWanV4)!))
      throw new Fatal('advertise_addr_wan_ipv4 must be an ipv4 address');
    const advertiseWanV6 = this.expandFirstIP('advertise_addr_wan_ipv6') ?? (wanIsV4 ? null : advertiseWan);
    if (advertiseWanV6 !== null && isV4(parseIP(advertiseWanV6)!))
      throw new Fatal('advertise_addr_wan_ipv6 must be an ipv6 address');

    // client addresses and the listeners that default to them
    const clientAddrs = this.expandIPs('client_addr');
    if (clientAddrs.length === 0)
      this.warn(
        'client_addr is empty, client services (DNS, HTTP, HTTPS, GRPC) will not be listening for connections',
      );
    const dnsAddrs = this.listeners(this.expandAddrs('addresses.dns'), clientAddrs, ports.dns);
    const httpAddrs = this.listeners(this.expandAddrs('addresses.http'), clientAddrs, ports.http);
    const httpsAddrs = this.listeners(this.expandAddrs('addresses.https'), clientAddrs, ports.https);
    const grpcAddrs = this.listeners(this.expandAddrs('addresses.grpc'), clientAddrs, ports.grpc);
    const grpcTlsAddrs = this.listeners(this.expandAddrs('addresses.grpc_tls'), clientAddrs, ports.grpcTls);

    const recursors: string[] = [];
    for (const r of this.strList('recursors')) {
      const x = expandTemplate(r, this.ctx.host);
      if (x instanceof Error) throw new Fatal(`Invalid DNS recursor template ${goQuote(r)}: ${x.message}`);
      for (const a of x.split(/\s+/).filter(Boolean)) {
        if (a.startsWith('unix://')) throw new Fatal(`DNS Recursors cannot be unix sockets: ${a}`);
        if (!recursors.includes(a)) recursors.push(a);
      }
    }

    const datacenter = this.str('datacenter').toLowerCase();
    const taggedAddresses: Record<string, string> = { ...this.strMap('tagged_addresses'), lan: advertiseLan };
    if (advertiseLanV4 !== null) taggedAddresses.lan_ipv4 = advertiseLanV4;
    if (advertiseLanV6 !== null) taggedAddresses.lan_ipv6 = advertiseLanV6;
    taggedAddresses.wan = advertiseWan;
    if (advertiseWanV4 !== null) taggedAddresses.wan_ipv4 = advertiseWanV4;
    if (advertiseWanV6 !== null) taggedAddresses.wan_ipv6 = advertiseWanV6;

    const allowedPrefixes: string[] = [];
    const blockedPrefixes: string[] = [];
    for (const rule of this.strList('telemetry.prefix_filter')) {
      if (rule === '') this.warn('Cannot have empty filter rule in prefix_filter');
      else if (rule.startsWith('+')) allowedPrefixes.push(rule.slice(1));
      else if (rule.startsWith('-')) blockedPrefixes.push(rule.slice(1));
      else this.warn(`Filter rule must begin with either '+' or '-': ${goQuote(rule)}`);
    }

    const raftMultiplier = this.int('performance.raft_multiplier');
    if (raftMultiplier < 1 || raftMultiplier > MAX_RAFT_MULTIPLIER)
      throw new Fatal(
        `performance.raft_multiplier cannot be ${raftMultiplier}. Must be between 1 and ${MAX_RAFT_MULTIPLIER}`,
      );

    const primaryDatacenter = this.str('primary_datacenter').toLowerCase() || datacenter;

    const serfLanCidrs = this.cidrList('serf_lan_allowed_cidrs');
    const serfWanCidrs = this.cidrList('serf_wan_allowed_cidrs');

    const contentPathRaw = this.str('ui_config.content_path');
    const contentPath = contentPathRaw === '' ? '/ui/' : `/${contentPathRaw.replace(/^\/+|\/+$/g, '')}/`;

    const tls = this.tlsConfig();
    // The hostname stands in only for an unset name; a name of spaces trims to "" and is refused.
    const nodeNameRaw = this.str('node_name');
    const nodeName = (nodeNameRaw === '' ? this.ctx.host.hostname() : nodeNameRaw).trim();
    const aclEnabled = this.bool('acl.enabled');

    const rt: RuntimeConfig = {
      datacenter,
      primaryDatacenter,
      nodeName,
      // Lower-cased as Consul's agent does before it parses the UUID.
      nodeId: this.str('node_id').toLowerCase(),
      nodeMeta: this.strMap('node_meta'),
      disableHostNodeId: this.bool('disable_host_node_id'),
      devMode: this.ctx.devMode,
      serverMode,
      bootstrap: this.bool('bootstrap'),
      bootstrapExpect: this.int('bootstrap_expect'),
      dataDir: this.str('data_dir'),
      pidFile: this.str('pid_file'),
      bindAddr,
      clientAddrs,
      advertiseAddrLan: advertiseLan,
      advertiseAddrWan: advertiseWan,
      serfBindAddrLan: serfBindLan,
      serfBindAddrWan: serfBindWan,
      serfAllowedCidrsLan: serfLanCidrs,
      serfAllowedCidrsWan: serfWanCidrs,
      ports: {
        dns: ports.dns,
        http: ports.http,
        https: ports.https,
        grpc: ports.grpc,
        grpcTls: ports.grpcTls,
        serfLan: ports.serfLan,
        serfWan: ports.serfWan,
        server: ports.server,
        sidecarMinPort: ports.sidecarMinPort,
        sidecarMaxPort: ports.sidecarMaxPort,
        exposeMinPort: ports.exposeMinPort,
        exposeMaxPort: ports.exposeMaxPort,
      },
      httpAddrs,
      httpsAddrs,
      dnsAddrs,
      grpcAddrs,
      grpcTlsAddrs,
      translateWanAddrs: this.bool('translate_wan_addrs'),
      taggedAddresses,
      unixSockets: {
        user: this.str('unix_sockets.user'),
        group: this.str('unix_sockets.group'),
        mode: this.str('unix_sockets.mode'),
      },
      retryJoinLan: this.optionalAddrs('retry_join'),
      retryJoinWan: this.optionalAddrs('retry_join_wan'),
      retryIntervalLanNs: this.dur('retry_interval'),
      retryIntervalWanNs: this.dur('retry_interval_wan'),
      retryMaxLan: this.int('retry_max'),
      retryMaxWan: this.int('retry_max_wan'),
      rejoinAfterLeave: this.bool('rejoin_after_leave'),
      // Servers stay in the cluster on SIGTERM and SIGINT unless told otherwise; clients leave.
      leaveOnTerminate: this.has('leave_on_terminate') ? this.bool('leave_on_terminate') : !serverMode,
      skipLeaveOnInterrupt: this.has('skip_leave_on_interrupt')
        ? this.bool('skip_leave_on_interrupt')
        : serverMode,
      reconnectTimeoutLanNs: this.dur('reconnect_timeout'),
      reconnectTimeoutWanNs: this.dur('reconnect_timeout_wan'),
      advertiseReconnectTimeoutNs: this.dur('advertise_reconnect_timeout'),
      gossipLan: this.gossip('gossip_lan'),
      gossipWan: this.gossip('gossip_wan'),
      encryptKey: this.str('encrypt'),
      encryptVerifyIncoming: this.bool('encrypt_verify_incoming'),
      encryptVerifyOutgoing: this.bool('encrypt_verify_outgoing'),
      disableKeyringFile: this.bool('disable_keyring_file'),
      protocol: this.int('protocol'),
      raftProtocol: this.int('raft_protocol'),
      raftMultiplier,
      raftSnapshotThreshold: this.int('raft_snapshot_threshold'),
      raftSnapshotIntervalNs: this.dur('raft_snapshot_interval'),
      raftTrailingLogs: this.int('raft_trailing_logs'),
      leaveDrainTimeNs: this.dur('performance.leave_drain_time'),
      rpcHoldTimeoutNs: this.dur('performance.rpc_hold_timeout'),
      autopilot: {
        cleanupDeadServers: this.bool('autopilot.cleanup_dead_servers'),
        lastContactThresholdNs: this.dur('autopilot.last_contact_threshold'),
        maxTrailingLogs: this.int('autopilot.max_trailing_logs'),
        minQuorum: this.int('autopilot.min_quorum'),
        serverStabilizationTimeNs: this.dur('autopilot.server_stabilization_time'),
      },
      sessionTtlMinNs: this.dur('session_ttl_min'),
      serverRejoinAgeMaxNs: this.durMin('server_rejoin_age_max', 168 * HOUR, 6 * HOUR),
      logLevel: parseLogLevel(this.str('log_level')) ?? 'info',
      logJson: this.bool('log_json'),
      logFile: this.str('log_file'),
      logRotateBytes: this.int('log_rotate_bytes'),
      logRotateDurationNs: this.dur('log_rotate_duration'),
      logRotateMaxFiles: this.int('log_rotate_max_files'),
      enableSyslog: this.bool('enable_syslog'),
      syslogFacility: this.str('syslog_facility'),
      domain: this.str('domain'),
      altDomain: this.str('alt_domain'),
      dnsConfig: {
        allowStale: this.bool('dns_config.allow_stale'),
        aRecordLimit: this.int('dns_config.a_record_limit'),
        disableCompression: this.bool('dns_config.disable_compression'),
        enableTruncate: this.bool('dns_config.enable_truncate'),
        maxStaleNs: this.dur('dns_config.max_stale'),
        nodeTtlNs: this.dur('dns_config.node_ttl'),
        onlyPassing: this.bool('dns_config.only_passing'),
        recursorStrategy: this.recursorStrategy(),
        recursorTimeoutNs: this.dur('dns_config.recursor_timeout', 'recursor_timeout'),
        serviceTtlNs: serviceTtl,
        udpAnswerLimit: this.int('dns_config.udp_answer_limit'),
        useCache: this.bool('dns_config.use_cache'),
        cacheMaxAgeNs: this.dur('dns_config.cache_max_age'),
        enableAdditionalNodeMetaTxt: this.bool('dns_config.enable_additional_node_meta_txt', true),
        soa: {
          expire: this.int('dns_config.soa.expire', 86400),
          minTtl: this.int('dns_config.soa.min_ttl', 0),
          refresh: this.int('dns_config.soa.refresh', 3600),
          retry: this.int('dns_config.soa.retry', 600),
        },
      },
      recursors,
      httpResponseHeaders: this.strMap('http_config.response_headers'),
      httpBlockEndpoints: this.strList('http_config.block_endpoints'),
      allowWriteHttpFrom: this.cidrs('http_config.allow_write_http_from', 'allow_write_http_from'),
      httpUseCache: this.bool('http_config.use_cache', true),
      httpMaxHeaderBytes: this.int('http_config.max_header_bytes'),
      httpMaxConnsPerClient: this.int('limits.http_max_conns_per_client'),
      httpsHandshakeTimeoutNs: this.dur('limits.https_handshake_timeout'),
      kvMaxValueSize: this.int('limits.kv_max_value_size'),
      txnMaxReqLen: this.int('limits.txn_max_req_len'),
      defaultQueryTimeNs: this.dur('default_query_time'),
      maxQueryTimeNs: this.dur('max_query_time'),
      uiConfig: {
        enabled: this.bool('ui_config.enabled'),
        dir: this.str('ui_config.dir'),
        contentPath,
        metricsProvider: this.str('ui_config.metrics_provider'),
      },
      enableDebug: this.bool('enable_debug'),
      disableHttpUnprintableCharFilter: this.bool('disable_http_unprintable_char_filter'),
      enableScriptChecks: this.bool('enable_script_checks'),
      enableLocalScriptChecks: this.bool('enable_local_script_checks', this.bool('enable_script_checks')),
      enableRemoteExec: !this.bool('disable_remote_exec'),
      checkOutputMaxSize: this.int('check_output_max_size', 4096),
      checkUpdateIntervalNs: this.dur('check_update_interval'),
      aeIntervalNs: this.dur('ae_interval'),
      discardCheckOutput: this.bool('discard_check_output'),
      services,
      checks,
      watches: this.definitions('watches'),
      acl: {
        enabled: aclEnabled,
        defaultPolicy: this.str('acl.default_policy') === 'deny' ? 'deny' : 'allow',
        downPolicy: this.str('acl.down_policy'),
        policyTtlNs: this.dur('acl.policy_ttl'),
        roleTtlNs: this.dur('acl.role_ttl'),
        tokenTtlNs: this.dur('acl.token_ttl'),
        enableKeyListPolicy: this.bool('acl.enable_key_list_policy'),
        enableTokenReplication: this.bool('acl.enable_token_replication'),
        enableTokenPersistence: this.bool('acl.enable_token_persistence'),
        tokens: {
          initialManagement: this.str('acl.tokens.initial_management'),
          default: this.str('acl.tokens.default'),
          agent: this.str('acl.tokens.agent'),
          agentRecovery: this.str('acl.tokens.agent_recovery'),
          configFileServiceRegistration: this.str('acl.tokens.config_file_service_registration'),
          replication: this.str('acl.tokens.replication'),
        },
      },
      ...tls,
      telemetry: {
        metricsPrefix: this.str('telemetry.metrics_prefix'),
        disableHostname: this.bool('telemetry.disable_hostname'),
        prometheusRetentionTimeNs: this.dur(
          'telemetry.prometheus_retention_time',
          'prometheus_retention_time',
        ),
        filterDefault: this.bool('telemetry.filter_default'),
        prefixFilter: this.strList('telemetry.prefix_filter'),
        allowedPrefixes,
        blockedPrefixes,
        statsdAddress: this.str('telemetry.statsd_address'),
        statsiteAddress: this.str('telemetry.statsite_address'),
        dogstatsdAddr: this.str('telemetry.dogstatsd_addr'),
        dogstatsdTags: this.strList('telemetry.dogstatsd_tags'),
        retryFailedConnection: this.bool('telemetry.retry_failed_connection'),
      },
      disableUpdateCheck: this.bool('disable_update_check'),
      disableAnonymousSignature: this.bool('disable_anonymous_signature'),
      disableCoordinates: this.bool('disable_coordinates'),
      autoReloadConfig: this.bool('auto_reload_config'),
      rpcEnableStreaming: this.bool('rpc.enable_streaming', serverMode),
      useStreamingBackend: this.bool('use_streaming_backend', true),
      limits: {
        // Negative means unlimited (Go's rate.Inf); kept as Infinity.
        rpcRate: limitVal(this.float('limits.rpc_rate')),
        rpcMaxBurst: this.int('limits.rpc_max_burst'),
        rpcMaxConnsPerClient: this.int('limits.rpc_max_conns_per_client'),
        rpcHandshakeTimeoutNs: this.dur('limits.rpc_handshake_timeout'),
        rpcClientTimeoutNs: this.dur('limits.rpc_client_timeout'),
        requestLimitsMode: this.requestLimitsMode(),
        requestLimitsReadRate: limitVal(this.float('limits.request_limits.read_rate')),
        requestLimitsWriteRate: limitVal(this.float('limits.request_limits.write_rate')),
      },
      sourceFiles: [...this.ctx.sourceFiles],
    };

    if (rt.bootstrapExpect === 1) {
      rt.bootstrap = true;
      rt.bootstrapExpect = 0;
      this.warn('BootstrapExpect is set to 1; this is the same as Bootstrap mode.');
    }
    return rt;
  }

  private durMin(path: string, def: number, min: number): number {
    const d = this.dur(path, path, def);
    if (d < min)
      this.errs.push(`${path}: duration '${this.str(path)}' cannot be less than: ${formatGoDuration(min)}`);
    return d;
  }

  private gossip(p: string) {
    // Consul's labels for these durations carry a doubled dot ("gossip_lan..probe_interval").
    return {
      gossipNodes: this.int(`${p}.gossip_nodes`),
      gossipIntervalNs: this.dur(`${p}.gossip_interval`, `${p}..gossip_interval`),
      probeIntervalNs: this.dur(`${p}.probe_interval`, `${p}..probe_interval`),
      probeTimeoutNs: this.dur(`${p}.probe_timeout`, `${p}..probe_timeout`),
      retransmitMult: this.int(`${p}.retransmit_mult`),
      suspicionMult: this.int(`${p}.suspicion_mult`),
    };
  }

  private recursorStrategy(): string {
    const v = this.str('dns_config.recursor_strategy');
    if (v === '' || v === 'sequential') return 'sequential';
    if (v === 'random') return 'random';
    this.errs.push(`dns_config.recursor_strategy: invalid strategy: ${goQuote(v)}`);
    return '';
  }

  private requestLimitsMode(): string {
    const v = this.str('limits.request_limits.mode', 'disabled');
    if (['disabled', 'permissive', 'enforcing'].includes(v)) return v;
    this.errs.push(`limits.request_limits.mode: invalid mode: ${goQuote(v)}`);
    return '';
  }

  /** Consul's cidrsVal: every entry must parse; the label is Consul's, not always the key path. */
  private cidrs(path: string, name: string): string[] {
    const out: string[] = [];
    for (const c of this.strList(path)) {
      if (parseCidr(c.trim()) === null) this.errs.push(`${name}: invalid cidr: ${c}`);
      else out.push(c.trim());
    }
    return out;
  }

  /** serf_*_allowed_cidrs stop the build at the first bad entry (memberlist.ParseCIDRs). */
  private cidrList(path: string): string[] {
    const out: string[] = [];
    for (const c of this.strList(path)) {
      if (parseCidr(c) === null) throw new Fatal(`${path}: invalid cidr: ${c}`);
      out.push(c);
    }
    return out;
  }

  /** retry_join entries: templates are expanded, anything else (cloud auto-join strings) passes as is. */
  private optionalAddrs(path: string): string[] {
    const out: string[] = [];
    for (const s of this.strList(path)) {
      if (s === '') continue;
      const x = expandTemplate(s, this.ctx.host);
      if (x instanceof Error) {
        this.errs.push(`${path}: error parsing ${goQuote(s)}: ${x.message}`);
        continue;
      }
      out.push(...(x !== s ? x.split(/\s+/).filter(Boolean) : [s]));
    }
    return out;
  }

  private definitions(key: string): Array<Readonly<Record<string, unknown>>> {
    const v = this.get(key);
    if (v === undefined) return [];
    return (Array.isArray(v) ? v : [v]).filter(isPlainObject);
  }

  /** Checks keep their raw shape; their durations are parsed here so that a typo fails like Consul's. */
  private checkDurations(c: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> {
    const id = typeof c.id === 'string' ? c.id : '';
    for (const k of ['interval', 'timeout', 'ttl', 'deregister_critical_service_after']) {
      const v = c[k];
      if (typeof v !== 'string') continue;
      const d = parseGoDuration(v);
      if (d instanceof Error)
        this.errs.push(`check[${id}].${k}: invalid duration: ${goQuote(v)}: ${d.message}`);
    }
    return c;
  }

  /** Consul's serviceVal: embedded check durations, meta, weights, socket path vs address. */
  private serviceDurations(s: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> {
    for (const key of ['checks', 'check']) {
      const v = s[key];
      for (const c of Array.isArray(v) ? v : v === undefined ? [] : [v])
        if (isPlainObject(c)) this.checkDurations(c);
    }
    const name = typeof s.name === 'string' ? s.name : '';
    if (isPlainObject(s.meta)) {
      const meta = Object.fromEntries(Object.entries(s.meta).map(([k, v]) => [k, String(v)]));
      const err = metaError(meta, 'Service', []);
      if (err !== null) this.errs.push(`invalid meta for service ${name}: ${err}`);
    }
    if (isPlainObject(s.weights)) {
      const passing = typeof s.weights.passing === 'number' ? s.weights.passing : 1;
      const warning = typeof s.weights.warning === 'number' ? s.weights.warning : 1;
      const err =
        passing <= 0
          ? 'Passing must be greater than 0'
          : warning < 0
            ? 'Warning must be greater or equal than 0'
            : null;
      if (err !== null) this.errs.push(`Invalid weight definition for service ${name}: ${err}`);
    }
    if ((s.port !== undefined || s.address !== undefined) && s.socket_path !== undefined)
      this.errs.push(
        `service ${name} cannot have both socket path ${String(s.socket_path)} and address/port`,
      );
    return s;
  }

  private tlsConfig(): Pick<RuntimeConfig, 'tlsDefaults' | 'tlsHttps' | 'tlsInternalRpc' | 'tlsGrpc'> {
    for (const sec of ['defaults', 'https', 'grpc'])
      if (this.has(`tls.${sec}.verify_server_hostname`))
        throw new Fatal('verify_server_hostname is only valid in the tls.internal_rpc stanza');
    if (this.has('tls.grpc.verify_outgoing'))
      throw new Fatal('verify_outgoing is not valid in the tls.grpc stanza');
    const listener = (name: string): TlsListenerConfig => {
      const pick = <T>(k: string, read: (p: string) => T): T =>
        this.has(`tls.${name}.${k}`) ? read(`tls.${name}.${k}`) : read(`tls.defaults.${k}`);
      const s = (k: string) => pick(k, (p) => this.str(p));
      const bl = (k: string) => pick(k, (p) => this.bool(p));
      return {
        caFile: s('ca_file'),
        caPath: s('ca_path'),
        certFile: s('cert_file'),
        keyFile: s('key_file'),
        tlsMinVersion: s('tls_min_version') || 'TLSv1_2',
        tlsCipherSuites: s('tls_cipher_suites'),
        verifyIncoming: bl('verify_incoming'),
        verifyOutgoing: name === 'grpc' ? false : bl('verify_outgoing'),
        verifyServerHostname:
          name === 'internal_rpc' ? this.bool('tls.internal_rpc.verify_server_hostname') : false,
      };
    };
    // Versions and cipher suites are checked where they are written, defaults first.
    for (const sec of ['defaults', 'internal_rpc', 'https', 'grpc']) {
      const v = this.str(`tls.${sec}.tls_min_version`);
      if (v !== '' && !TLS_VERSIONS.includes(v))
        this.errs.push(
          `tls.${sec}.tls_min_version: invalid TLS version: no matching TLS version found for ${v}, please specify one of [${TLS_VERSIONS.join(', ')}]`,
        );
      if (this.has(`tls.${sec}.tls_cipher_suites`)) {
        const min = v || this.str('tls.defaults.tls_min_version');
        if (min === 'TLSv1_3')
          this.errs.push(`tls.${sec}.tls_cipher_suites: TLS 1.3 cipher suites are not configurable`);
      }
    }
    const internal = listener('internal_rpc');
    // verify_server_hostname implies verify_outgoing (Consul's tlsutil does the same).
    internal.verifyOutgoing = internal.verifyOutgoing || internal.verifyServerHostname;
    return {
      tlsDefaults: listener('defaults'),
      tlsHttps: listener('https'),
      tlsInternalRpc: internal,
      tlsGrpc: listener('grpc'),
    };
  }

  // ---- validate: Consul's validate(), in its order

  validate(rt: RuntimeConfig): void {
    if (rt.raftProtocol !== 3)
      throw new Fatal(`raft_protocol version ${rt.raftProtocol} is not supported by this version of Consul`);
    basicName('datacenter', rt.datacenter, false);
    if (rt.dataDir === '' && !rt.devMode) throw new Fatal('data_dir cannot be empty');
    if (!/^[A-Za-z0-9/_-]+$/.test(rt.uiConfig.contentPath))
      throw new Fatal(
        `ui-content-path can only contain alphanumeric, -, _, or /. received: ${goQuote(rt.uiConfig.contentPath)}`,
      );
    if (/^\/v\d+\/$/.test(rt.uiConfig.contentPath))
      throw new Fatal(`ui-content-path cannot have 'v[0-9]'. received: ${goQuote(rt.uiConfig.contentPath)}`);
    basicName('ui_config.metrics_provider', rt.uiConfig.metricsProvider, true);

    if (rt.nodeName === '') throw new Fatal('node_name cannot be empty');
    if (/[^A-Za-z0-9\\-]+/.test(rt.nodeName))
      this.warn(
        `Node name ${goQuote(rt.nodeName)} will not be discoverable via DNS due to invalid characters. Valid characters include all alpha-numerics and dashes.`,
      );
    else if (rt.nodeName.length > 63)
      this.warn(
        `Node name ${goQuote(rt.nodeName)} will not be discoverable via DNS due to it being too long. Valid lengths are between 1 and 63 bytes.`,
      );

    if (isAnyAddr(rt.advertiseAddrLan)) throw new Fatal('Advertise address cannot be 0.0.0.0, :: or [::]');
    if (isAnyAddr(rt.advertiseAddrWan))
      throw new Fatal('Advertise WAN address cannot be 0.0.0.0, :: or [::]');
    if (rt.dnsAddrs.some((a) => a.kind === 'unix')) throw new Fatal('DNS address cannot be a unix socket');
    if (rt.recursors.some(isAnyAddr)) throw new Fatal('DNS recursor address cannot be 0.0.0.0, :: or [::]');
    const dc = rt.datacenter;
    if (new RegExp(`^(service|connect|node|query|addr|${dc})\\.(${dc}\\.)?`).test(rt.altDomain))
      throw new Fatal(`alt_domain cannot start with {service,connect,node,query,addr,${dc}}`);
    if (rt.bootstrap && !rt.serverMode) throw new Fatal("'bootstrap = true' requires 'server = true'");
    if (rt.bootstrapExpect < 0)
      throw new Fatal(
        `bootstrap_expect cannot be ${rt.bootstrapExpect}. Must be greater than or equal to zero`,
      );
    if (rt.bootstrapExpect > 0 && !rt.serverMode)
      throw new Fatal("'bootstrap_expect > 0' requires 'server = true'");
    if (rt.bootstrapExpect > 0 && rt.devMode)
      throw new Fatal("'bootstrap_expect > 0' not allowed in dev mode");
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
    basicName('primary_datacenter', rt.primaryDatacenter, true);
    // -dev turns the UI on, so a -ui-dir next to it is allowed there.
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
    const metaErr = metaError(rt.nodeMeta, 'Node', ['consul-network-segment']);
    if (metaErr !== null) throw new Fatal(`node_meta invalid: ${metaErr}`);
    if (rt.encryptKey !== '') {
      const bad = base64Error(rt.encryptKey);
      if (bad !== null) throw new Fatal(`encrypt has invalid key: ${bad}`);
    }
    // Network segments are Consul Enterprise; community Consul refuses them (validateSegments).
    const segments = this.get('segments');
    if (this.str('segment') !== '' || (Array.isArray(segments) && segments.length > 0))
      throw new Fatal('Network segments are not supported in this version of Consul');
    const primaryGateways = this.strList('primary_gateways');
    if (primaryGateways.length > 0) {
      if (!rt.serverMode) throw new Fatal("'primary_gateways' requires 'server = true'");
      if (rt.primaryDatacenter === rt.datacenter)
        throw new Fatal("'primary_gateways' should only be configured in a secondary datacenter");
    }
    if (rt.serverMode) {
      const backend = this.str('raft_logstore.backend', 'boltdb');
      if (backend !== 'boltdb' && backend !== 'wal')
        throw new Fatal("raft_logstore.backend must be one of 'boltdb' or 'wal'");
    }

    this.uniqueListeners(rt);
    if (this.errs.length > 0) throw new Fatal(multiError(this.errs));

    for (const s of rt.services) {
      const err = serviceError(s);
      if (err !== null) throw new Fatal(`service ${goQuote(String(s.name ?? ''))}: ${err}`);
    }
    for (const c of rt.checks) {
      const err = checkError(c);
      if (err !== null) throw new Fatal(`check ${goQuote(String(c.name ?? ''))}: ${err}`);
    }

    if (rt.serverMode && this.bool('auto_encrypt.tls'))
      throw new Fatal('auto_encrypt.tls can only be used on a client.');
    if (!rt.serverMode && this.bool('auto_encrypt.allow_tls'))
      throw new Fatal('auto_encrypt.allow_tls can only be used on a server.');
    if (rt.serverMode && rt.advertiseReconnectTimeoutNs !== 0)
      throw new Fatal('advertise_reconnect_timeout can only be used on a client');

    // warnings, as Consul prints them
    if (rt.serverMode && !rt.devMode && !rt.bootstrap && rt.bootstrapExpect === 2)
      this.warn(
        'bootstrap_expect = 2: A cluster with 2 servers will provide no failure tolerance. See https://www.consul.io/docs/internals/consensus.html#deployment-table',
      );
    if (rt.serverMode && !rt.bootstrap && rt.bootstrapExpect > 2 && rt.bootstrapExpect % 2 === 0)
      this.warn(
        'bootstrap_expect is even number: A cluster with an even number of servers does not achieve optimum fault tolerance. See https://www.consul.io/docs/internals/consensus.html#deployment-table',
      );
    if (rt.serverMode && rt.bootstrap && rt.bootstrapExpect === 0)
      this.warn('bootstrap = true: do not enable unless necessary');
    if (rt.serverMode && !rt.devMode && !rt.bootstrap && rt.bootstrapExpect > 1)
      this.warn(`bootstrap_expect > 0: expecting ${rt.bootstrapExpect} servers`);
    if (rt.serverMode) {
      if (rt.useStreamingBackend && !rt.rpcEnableStreaming)
        this.warn('use_streaming_backend = true requires rpc.enable_streaming on servers to work properly');
    } else if (rt.rpcEnableStreaming) {
      this.warn('rpc.enable_streaming = true has no effect when not running in server mode');
    }
    if (rt.enableScriptChecks && !rt.acl.enabled && rt.allowWriteHttpFrom.length === 0)
      this.warn(
        'using enable-script-checks without ACLs and without allow_write_http_from is DANGEROUS, use enable-local-script-checks instead, see https://www.hashicorp.com/blog/protecting-consul-from-rce-risk-in-specific-configurations/',
      );

    // What Consul only finds when the agent starts (logging setup, keyring): checked here so that
    // `consul validate` refuses what `consul agent` would.
    const level = this.str('log_level');
    if (!LOG_LEVELS.includes(level.toUpperCase()))
      throw new Fatal(`Invalid log level: ${level}. Valid log levels are: [${LOG_LEVELS.join(' ')}]`);
    if (rt.enableSyslog && !SYSLOG_FACILITIES.includes(rt.syslogFacility.toUpperCase()))
      throw new Fatal(`Invalid syslog facility ${rt.syslogFacility}`);
    for (const sv of rt.services)
      if (typeof sv.name !== 'string' || sv.name === '') throw new Fatal('Service name missing');
    if (rt.nodeId !== '') {
      const bad = uuidError(rt.nodeId);
      if (bad !== null) throw new Fatal(`Failed to setup node ID: ${bad}`);
    }
    if (rt.encryptKey !== '') {
      const n = base64Length(rt.encryptKey);
      if (n !== 16 && n !== 24 && n !== 32)
        throw new Fatal('Failed to configure keyring: key size must be 16, 24 or 32 bytes');
    }
  }

  /** Consul's addrUnique: no two listeners (nor the advertised RPC/Serf addresses) may share an address. */
  private uniqueListeners(rt: RuntimeConfig): void {
    const inUse = new Map<string, string>();
    const claim = (name: string, key: string, shown: string) => {
      const other = inUse.get(key);
      if (other !== undefined) throw new Fatal(`${name} address ${shown} already configured for ${other}`);
      inUse.set(key, name);
    };
    const list = (name: string, addrs: readonly ListenAddr[]) => {
      for (const a of addrs) {
        if (a.kind === 'unix') claim(name, `unix:${a.path}`, a.path);
        else claim(name, `tcp:${joinHostPort(a.ip, a.port)}`, joinHostPort(a.ip, a.port));
      }
    };
    list('DNS', rt.dnsAddrs);
    list('HTTP', rt.httpAddrs);
    list('HTTPS', rt.httpsAddrs);
    const one = (name: string, ip: string, port: number) => {
      if (port > 0) claim(name, `tcp:${joinHostPort(ip, port)}`, joinHostPort(ip, port));
    };
    one('RPC Advertise', rt.advertiseAddrLan, rt.ports.server);
    one('Serf Advertise LAN', rt.advertiseAddrLan, rt.ports.serfLan);
    one('Serf Advertise WAN', rt.advertiseAddrWan, rt.ports.serfWan);
  }
}

function showAddr(a: Addr): string {
  return a.kind === 'unix' ? a.path : a.ip;
}

function limitVal(f: number): number {
  return f < 0 ? Infinity : f;
}

function basicName(field: string, value: string, allowEmpty: boolean): void {
  if (value === '') {
    if (allowEmpty) return;
    throw new Fatal(`${field} cannot be empty`);
  }
  if (!/^[a-z0-9_-]+$/.test(value))
    throw new Fatal(
      `${field} can only contain lowercase alphanumeric, - or _ characters. received: ${goQuote(value)}`,
    );
}

/** Consul's structs.ValidateNodeMetadata / ValidateServiceMetadata (user-supplied: "consul-" is reserved). */
function metaError(meta: Record<string, string>, what: string, allowed: readonly string[]): string | null {
  const keys = Object.keys(meta);
  if (keys.length > META_MAX_PAIRS)
    return `${what} metadata cannot contain more than ${META_MAX_PAIRS} key/value pairs`;
  for (const k of keys) {
    if (k === '') return 'Key cannot be blank';
    if (!/^[a-zA-Z0-9_-]+$/.test(k)) return 'Key contains invalid characters';
    if (k.length > META_KEY_MAX) return `Key is too long (limit: ${META_KEY_MAX} characters)`;
    if (k.startsWith('consul-') && !allowed.includes(k))
      return "Key prefix 'consul-' is reserved for internal use";
    if (meta[k]!.length > META_VALUE_MAX) return `Value is too long (limit: ${META_VALUE_MAX} characters)`;
  }
  return null;
}

/** Go's base64.StdEncoding.DecodeString error text, or null when the text decodes. */
function base64Error(s: string): string | null {
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (/[A-Za-z0-9+/]/.test(c)) continue;
    if (c === '=') {
      // Padding may only close the last quantum.
      const q = i - (i % 4);
      const rest = s.slice(i);
      const ok = (i % 4 === 2 && rest === '==') || (i % 4 === 3 && rest === '=');
      return ok && s.length === q + 4 ? null : `illegal base64 data at input byte ${i}`;
    }
    return `illegal base64 data at input byte ${i}`;
  }
  if (s.length % 4 !== 0)
    return `illegal base64 data at input byte ${s.length - (s.length % 4 === 1 ? 1 : 0)}`;
  return null;
}

function base64Length(s: string): number {
  const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  return (s.length / 4) * 3 - pad;
}

/** hashicorp/go-uuid's ParseUUID errors. */
function uuidError(id: string): string | null {
  if (id.length !== 36) return 'uuid string is wrong length';
  if (id[8] !== '-' || id[13] !== '-' || id[18] !== '-' || id[23] !== '-')
    return 'uuid is improperly formatted';
  const hex = id.slice(0, 8) + id.slice(9, 13) + id.slice(14, 18) + id.slice(19, 23) + id.slice(24);
  const bad = /[^0-9a-fA-F]/.exec(hex);
  if (bad !== null) {
    const c = bad[0];
    return `encoding/hex: invalid byte: U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')} ${goQuote(c).replace(/^"|"$/g, "'")}`;
  }
  return null;
}

function durationOf(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') return 0;
  const d = parseGoDuration(v);
  return d instanceof Error ? 0 : d;
}

/** Consul's CheckType.Validate (also run on /v1/agent/check/register and service registrations). */
export function checkError(c: Readonly<Record<string, unknown>>): string | null {
  const nonEmpty = (k: string) => typeof c[k] === 'string' && c[k] !== '';
  const interval = durationOf(c.interval);
  const ttl = durationOf(c.ttl);
  // A legacy `script` (0.8; config files reject the key) is a script check too.
  const script = (Array.isArray(c.args) && c.args.length > 0) || nonEmpty('script');
  const intervalCheck = script || ['http', 'tcp', 'udp', 'grpc', 'h2ping', 'os_service'].some(nonEmpty);
  const alias = nonEmpty('alias_node') || nonEmpty('alias_service');
  if (interval > 0 && ttl > 0) return 'Interval and TTL cannot both be specified';
  if (intervalCheck && interval <= 0)
    return 'Interval must be > 0 for Script, HTTP, H2PING, TCP, UDP or GRPC checks';
  if (intervalCheck && alias) return 'Interval cannot be set for Alias checks';
  if (alias && ttl > 0) return 'TTL must be not be set for Alias checks';
  if (!intervalCheck && !alias && ttl <= 0) return 'TTL must be > 0 for TTL checks';
  if (typeof c.output_max_size === 'number' && c.output_max_size < 0)
    return 'MaxOutputMaxSize must be positive';
  return null;
}

/** The service checks Consul's ServiceDefinition.Validate makes that matter outside the mesh. */
function serviceError(s: Readonly<Record<string, unknown>>): string | null {
  const errs: string[] = [];
  const list = [s.check, ...(Array.isArray(s.checks) ? s.checks : [])].filter(isPlainObject);
  for (const c of list) {
    const e = checkError(c);
    if (e !== null) errs.push(e);
  }
  return errs.length > 0 ? multiError(errs) : null;
}

function deepFreeze<T>(o: T): T {
  if (typeof o === 'object' && o !== null && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}
