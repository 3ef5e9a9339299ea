// The HTTP API options every agent-facing command takes (consul-surface.md §4.2), with Consul's usage
// texts. Flags override the CONSUL_HTTP_* environment, which overrides the defaults.

import { ApiClient, apiConfigFromEnv, applyAddress, type ApiConfig } from '../api/client.js';
import type { FlagSet } from '../lib/flags.js';
import type { CliServices } from './command.js';

export interface HttpFlagValues {
  client(services: CliServices): ApiClient;
}

export function addHttpFlags(f: FlagSet, opts: { server?: boolean } = {}): HttpFlagValues {
  const set: Array<(c: ApiConfig) => void> = [];
  const str = (name: string, usage: string, apply: (c: ApiConfig, v: string) => void) =>
    f.define({ name, kind: 'value', usage, group: 'http', set: (v) => void set.push((c) => apply(c, v)) });
  str(
    'http-addr',
    'The `address` and port of the Consul HTTP agent. The value can be an IP address or DNS address, but it must also include the port. This can also be specified via the CONSUL_HTTP_ADDR environment variable. The default value is http://127.0.0.1:8500. The scheme can also be set to HTTPS by setting the environment variable CONSUL_HTTP_SSL=true.',
    (c, v) => applyAddress(c, v),
  );
  str(
    'token',
    'ACL token to use in the request. This can also be specified via the CONSUL_HTTP_TOKEN environment variable. If unspecified, the query will default to the token of the Consul agent at the HTTP address.',
    (c, v) => void (c.token = v),
  );
  str(
    'token-file',
    'File containing the ACL token to use in the request instead of one specified via the -token argument or CONSUL_HTTP_TOKEN environment variable. This can also be specified via the CONSUL_HTTP_TOKEN_FILE environment variable.',
    (c, v) => void (c.tokenFile = v),
  );
  str(
    'ca-file',
    'Path to a CA file to use for TLS when communicating with Consul. This can also be specified via the CONSUL_CACERT environment variable.',
    (c, v) => void (c.tls.caFile = v),
  );
  str(
    'ca-path',
    'Path to a directory of CA certificates to use for TLS when communicating with Consul. This can also be specified via the CONSUL_CAPATH environment variable.',
    (c, v) => void (c.tls.caPath = v),
  );
  str(
    'client-cert',
    "Path to a client cert file to use for TLS when 'verify_incoming' is enabled. This can also be specified via the CONSUL_CLIENT_CERT environment variable.",
    (c, v) => void (c.tls.certFile = v),
  );
  str(
    'client-key',
    "Path to a client key file to use for TLS when 'verify_incoming' is enabled. This can also be specified via the CONSUL_CLIENT_KEY environment variable.",
    (c, v) => void (c.tls.keyFile = v),
  );
  str(
    'tls-server-name',
    'The server name to use as the SNI host when connecting via TLS. This can also be specified via the CONSUL_TLS_SERVER_NAME environment variable.',
    (c, v) => void (c.tls.serverName = v),
  );
  if (opts.server) {
    str(
      'datacenter',
      'Name of the datacenter to query. If unspecified, this will default to the datacenter of the queried agent.',
      (c, v) => void (c.datacenter = v),
    );
    f.define({
      name: 'stale',
      kind: 'bool',
      group: 'http',
      usage:
        'Permit any Consul server (non-leader) to respond to this request. This allows for lower latency and higher throughput, but can result in stale data. This option has no effect on non-read operations. The default value is false.',
      set: (v) =>
        void set.push(
          (c) =>
            void (c.stale =
              v === 'true' || v === '1' || v === 't' || v === 'T' || v === 'TRUE' || v === 'True'),
        ),
    });
  }
  return {
    client(services: CliServices): ApiClient {
      const cfg = apiConfigFromEnv(services.env);
      for (const s of set) s(cfg);
      return new ApiClient(cfg, services.http, async (p) =>
        new TextDecoder().decode((await services.disk.readFile(p)) ?? new Uint8Array()),
      );
    },
  };
}
