// `consul agent` flags (consul-surface.md §4.4) and the seed's 0.8 spellings. Each flag writes into a
// raw config fragment at its config key, so flags and files go through the same builder. Slice flags
// are kept apart: Consul merges them *before* the files (so they are prepended), scalars after.

import { FlagSet, parseGoBool } from '../lib/flags.js';
import type { Raw } from './raw.js';

type Kind = 'string' | 'bool' | 'int' | 'slice' | 'map';

/** [flag name, kind, config path, usage] */
export const AGENT_FLAG_TABLE: Array<[string, Kind, string, string]> = [
  ['advertise', 'string', 'advertise_addr', 'Sets the advertise address to use.'],
  [
    'advertise-wan',
    'string',
    'advertise_addr_wan',
    'Sets address to advertise on WAN instead of -advertise address.',
  ],
  ['alt-domain', 'string', 'alt_domain', 'Alternate domain to use for DNS interface.'],
  [
    'allow-write-http-from',
    'slice',
    'http_config.allow_write_http_from',
    'Only allow write endpoint calls from given network. CIDR format, can be specified multiple times.',
  ],
  [
    'auto-reload-config',
    'bool',
    'auto_reload_config',
    'Watches config files for changes and auto reloads the files when modified.',
  ],
  ['bind', 'string', 'bind_addr', 'Sets the bind address for cluster communication.'],
  ['bootstrap', 'bool', 'bootstrap', 'Sets server to bootstrap mode.'],
  ['bootstrap-expect', 'int', 'bootstrap_expect', 'Sets server to expect bootstrap mode.'],
  [
    'check_output_max_size',
    'int',
    'check_output_max_size',
    'Sets the maximum output size for checks on this agent',
  ],
  [
    'client',
    'string',
    'client_addr',
    'Sets the address to bind for client access. This includes RPC, DNS, HTTP, HTTPS and gRPC (if configured).',
  ],
  ['data-dir', 'string', 'data_dir', 'Path to a data directory to store agent state.'],
  ['datacenter', 'string', 'datacenter', 'Datacenter of the agent.'],
  ['dc', 'string', 'datacenter', 'Datacenter of the agent (deprecated: use -datacenter instead).'],
  [
    'default-query-time',
    'string',
    'default_query_time',
    "the amount of time a blocking query will wait before Consul will force a response. This value can be overridden by the 'wait' query parameter.",
  ],
  [
    'disable-host-node-id',
    'bool',
    'disable_host_node_id',
    'Setting this to true will prevent Consul from using information from the host to generate a node ID, and will cause Consul to generate a random node ID instead.',
  ],
  [
    'disable-keyring-file',
    'bool',
    'disable_keyring_file',
    'Disables the backing up of the keyring to a file.',
  ],
  ['dns-port', 'int', 'ports.dns', 'DNS port to use.'],
  ['domain', 'string', 'domain', 'Domain to use for DNS interface.'],
  [
    'enable-local-script-checks',
    'bool',
    'enable_local_script_checks',
    'Enables health check scripts from configuration file.',
  ],
  ['enable-script-checks', 'bool', 'enable_script_checks', 'Enables health check scripts.'],
  ['encrypt', 'string', 'encrypt', 'Provides the gossip encryption key.'],
  ['grpc-port', 'int', 'ports.grpc', 'Sets the gRPC API port to listen on.'],
  ['grpc-tls-port', 'int', 'ports.grpc_tls', 'Sets the gRPC-TLS API port to listen on.'],
  ['http-port', 'int', 'ports.http', 'Sets the HTTP API port to listen on.'],
  ['https-port', 'int', 'ports.https', 'Sets the HTTPS API port to listen on.'],
  [
    'join',
    'slice',
    'start_join',
    'Address of an agent to join at start time. Can be specified multiple times.',
  ],
  [
    'join-wan',
    'slice',
    'start_join_wan',
    'Address of an agent to join -wan at start time. Can be specified multiple times.',
  ],
  ['log-file', 'string', 'log_file', 'Path to the file the logs get written to'],
  ['log-json', 'bool', 'log_json', 'Output logs in JSON format.'],
  ['log-level', 'string', 'log_level', 'Log level of the agent.'],
  [
    'log-rotate-bytes',
    'int',
    'log_rotate_bytes',
    'Maximum number of bytes that should be written to a log file',
  ],
  [
    'log-rotate-duration',
    'string',
    'log_rotate_duration',
    'Time after which log rotation needs to be performed',
  ],
  ['log-rotate-max-files', 'int', 'log_rotate_max_files', 'Maximum number of log file archives to keep'],
  [
    'max-query-time',
    'string',
    'max_query_time',
    'the maximum amount of time a blocking query can wait before Consul will force a response. Consul applies jitter to the wait time. The jittered time will be capped to MaxQueryTime.',
  ],
  ['node', 'string', 'node_name', 'Name of this node. Must be unique in the cluster.'],
  [
    'node-id',
    'string',
    'node_id',
    'A unique ID for this node across space and time. Defaults to a randomly-generated ID that persists in the data-dir.',
  ],
  [
    'node-meta',
    'map',
    'node_meta',
    'An arbitrary metadata key/value pair for this node, of the format `key:value`. Can be specified multiple times.',
  ],
  ['pid-file', 'string', 'pid_file', 'Path to file to store agent PID.'],
  [
    'primary-gateway',
    'slice',
    'primary_gateways',
    'Address of a mesh gateway in the primary datacenter to use to bootstrap WAN federation at start time with retries enabled. Can be specified multiple times.',
  ],
  ['protocol', 'int', 'protocol', 'Sets the protocol version. Defaults to latest.'],
  ['raft-protocol', 'int', 'raft_protocol', 'Sets the Raft protocol version. Defaults to latest.'],
  [
    'read-replica',
    'bool',
    'read_replica',
    '(Enterprise-only) This flag is used to make the server not participate in the Raft quorum, and have it only receive the data replication stream. This can be used to add read scalability to a cluster in cases where a high volume of reads to servers are needed.',
  ],
  [
    'non-voting-server',
    'bool',
    'read_replica',
    '(Enterprise-only) DEPRECATED: -read-replica should be used instead',
  ],
  ['recursor', 'slice', 'recursors', 'Address of an upstream DNS server. Can be specified multiple times.'],
  ['rejoin', 'bool', 'rejoin_after_leave', 'Ignores a previous leave and attempts to rejoin the cluster.'],
  ['retry-interval', 'string', 'retry_interval', 'Time to wait between join attempts.'],
  ['retry-interval-wan', 'string', 'retry_interval_wan', 'Time to wait between join -wan attempts.'],
  [
    'retry-join',
    'slice',
    'retry_join',
    'Address of an agent to join at start time with retries enabled. Can be specified multiple times.',
  ],
  [
    'retry-join-wan',
    'slice',
    'retry_join_wan',
    'Address of an agent to join -wan at start time with retries enabled. Can be specified multiple times.',
  ],
  [
    'retry-max',
    'int',
    'retry_max',
    'Maximum number of join attempts. Defaults to 0, which will retry indefinitely.',
  ],
  [
    'retry-max-wan',
    'int',
    'retry_max_wan',
    'Maximum number of join -wan attempts. Defaults to 0, which will retry indefinitely.',
  ],
  [
    'serf-lan-allowed-cidrs',
    'slice',
    'serf_lan_allowed_cidrs',
    'Networks (eg: 192.168.1.0/24) allowed for Serf LAN. Can be specified multiple times.',
  ],
  ['segment', 'string', 'segment', '(Enterprise-only) Sets the network segment to join.'],
  ['serf-lan-bind', 'string', 'serf_lan', 'Address to bind Serf LAN listeners to.'],
  ['serf-lan-port', 'int', 'ports.serf_lan', 'Sets the Serf LAN port to listen on.'],
  [
    'serf-wan-allowed-cidrs',
    'slice',
    'serf_wan_allowed_cidrs',
    'Networks (eg: 192.168.1.0/24) allowed for Serf WAN (other datacenters). Can be specified multiple times.',
  ],
  ['serf-wan-bind', 'string', 'serf_wan', 'Address to bind Serf WAN listeners to.'],
  ['serf-wan-port', 'int', 'ports.serf_wan', 'Sets the Serf WAN port to listen on.'],
  ['server', 'bool', 'server', 'Switches agent to server mode.'],
  ['server-port', 'int', 'ports.server', 'Sets the server port to listen on.'],
  ['syslog', 'bool', 'enable_syslog', 'Enables logging to syslog.'],
  ['ui', 'bool', 'ui_config.enabled', 'Enables the built-in static web UI server.'],
  [
    'ui-content-path',
    'string',
    'ui_config.content_path',
    'Sets the external UI path to a string. Defaults to: /ui/',
  ],
  ['ui-dir', 'string', 'ui_config.dir', 'Path to directory containing the web UI resources.'],
];

export interface AgentFlagValues {
  /** Raw fragment of every config-setting flag that was given. */
  fragment: Raw;
  /** -config-file / -config-dir paths in command-line order (files and dirs alike). */
  configFiles: string[];
  /** -hcl fragments in order. */
  hcl: string[];
  configFormat: string;
  dev: boolean;
}

/** Go's strconv.Quote for the ASCII texts flags carry (enough for error messages). */
function goQuote(s: string): string {
  return JSON.stringify(s);
}

/** Go's strconv.Atoi on a 64-bit platform, with its error texts (Consul's int flags use it as is). */
function atoi(raw: string): number | Error {
  if (!/^[+-]?\d+$/.test(raw)) return new Error(`strconv.Atoi: parsing ${goQuote(raw)}: invalid syntax`);
  const big = BigInt(raw);
  if (big > 9223372036854775807n || big < -9223372036854775808n)
    return new Error(`strconv.Atoi: parsing ${goQuote(raw)}: value out of range`);
  return Number(big);
}

function setPath(r: Raw, path: string, fn: (prev: unknown) => unknown): void {
  const parts = path.split('.');
  let cur = r;
  for (const p of parts.slice(0, -1)) {
    if (typeof cur[p] !== 'object' || cur[p] === null) cur[p] = {};
    cur = cur[p] as Raw;
  }
  const last = parts[parts.length - 1]!;
  cur[last] = fn(cur[last]);
}

export function newAgentFlags(): { flags: FlagSet; values: AgentFlagValues } {
  const flags = new FlagSet();
  const values: AgentFlagValues = { fragment: {}, configFiles: [], hcl: [], configFormat: '', dev: false };
  for (const [name, kind, path, usage] of AGENT_FLAG_TABLE) {
    const flagKind = kind === 'bool' ? 'bool' : 'value';
    flags.define({
      name,
      kind: flagKind,
      usage,
      set: (raw) => {
        switch (kind) {
          case 'bool': {
            const b = parseGoBool(raw);
            if (b === null) return new Error(`strconv.ParseBool: parsing ${goQuote(raw)}: invalid syntax`);
            setPath(values.fragment, path, () => b);
            return;
          }
          case 'int': {
            const n = atoi(raw);
            if (n instanceof Error) return n;
            setPath(values.fragment, path, () => n);
            return;
          }
          case 'slice':
            setPath(values.fragment, path, (prev) => [...(Array.isArray(prev) ? prev : []), raw]);
            return;
          case 'map': {
            // Consul 1.16 takes "key" alone as key with an empty value; the builder validates meta.
            const i = raw.indexOf(':');
            const [k, v] = i < 0 ? [raw, ''] : [raw.slice(0, i), raw.slice(i + 1)];
            setPath(values.fragment, path, (prev) => ({ ...(prev as Raw), [k]: v }));
            return;
          }
          default:
            setPath(values.fragment, path, () => raw);
        }
      },
    });
  }
  flags.define({
    name: 'config-file',
    kind: 'value',
    usage:
      'Path to a file in JSON or HCL format with a matching file extension. Can be specified multiple times.',
    set: (v) => void values.configFiles.push(v),
  });
  flags.define({
    name: 'config-dir',
    kind: 'value',
    usage:
      "Path to a directory to read configuration files from. This will read every file ending in '.json' as configuration in this directory in alphabetical order. Can be specified multiple times.",
    set: (v) => void values.configFiles.push(v),
  });
  flags.define({
    name: 'config-format',
    kind: 'value',
    usage: "Config files are in this format irrespective of their extension. Must be 'hcl' or 'json'",
    set: (v) => void (values.configFormat = v),
  });
  flags.define({
    name: 'hcl',
    kind: 'value',
    usage: 'hcl config fragment. Can be specified multiple times.',
    set: (v) => void values.hcl.push(v),
  });
  flags.define({
    name: 'dev',
    kind: 'bool',
    usage: 'Starts the agent in development mode.',
    set: (v) => {
      const b = parseGoBool(v);
      if (b === null) return new Error('parse error');
      values.dev = b;
    },
  });
  return { flags, values };
}
