// consul keyring -list | -list-primary | -install | -use | -remove: /v1/operator/keyring, printed as
// Consul prints it (a block per pool, each key with how many nodes hold it).

import type { Command } from '../command.js';
import { FlagSet } from '../../lib/flags.js';
import { addHttpFlags } from '../http-flags.js';
import { parseFlags } from '../parse.js';
import { usage } from '../usage.js';

const HELP = `
Usage: consul keyring [options]

  Manages encryption keys used for gossip messages. Gossip encryption is
  optional. When enabled, this command may be used to examine active encryption
  keys in the cluster, add new keys, and remove old ones. When combined, this
  functionality provides the ability to perform key rotation cluster-wide,
  without disrupting the cluster.

  All operations performed by this command can only be run against server nodes,
  and affect both the LAN and WAN keyrings in lock-step.

  All variations of the keyring command return 0 if all nodes reply and there
  are no errors. If any node fails to reply or reports failure, the exit code
  will be 1.
`;

interface PoolKeys {
  WAN: boolean;
  Datacenter: string;
  Segment: string;
  Keys: Record<string, number>;
  PrimaryKeys: Record<string, number>;
  NumNodes: number;
}

function flags() {
  const f = new FlagSet();
  const http = addHttpFlags(f);
  const install = f.string(
    'install',
    '',
    'Install a new encryption key. This will broadcast the new key to all members in the cluster.',
  );
  const use = f.string(
    'use',
    '',
    'Change the primary encryption key, which is used to encrypt messages. The key must already be installed before this operation can succeed.',
  );
  const remove = f.string(
    'remove',
    '',
    'Remove the given key from the cluster. This operation may only be performed on keys which are not currently the primary key.',
  );
  const list = f.bool('list', false, 'List all keys currently in use within the cluster.');
  const listPrimary = f.bool(
    'list-primary',
    false,
    'List all primary keys currently in use within the cluster.',
  );
  const relay = f.int(
    'relay-factor',
    0,
    'Setting this to a non-zero value will cause nodes to relay their response to the operation through this many randomly-chosen other nodes in the cluster. The maximum allowed value is 5.',
  );
  const local = f.bool(
    'local-only',
    false,
    'Setting this to true will force the keyring query to only hit local servers (no WAN traffic). This flag can only be set for list queries.',
  );
  return { f, http, install, use, remove, list, listPrimary, relay, local };
}

function pools(list: PoolKeys[], field: 'Keys' | 'PrimaryKeys'): string[] {
  const out: string[] = [];
  for (const p of list) {
    out.push('');
    out.push(p.WAN ? 'WAN:' : `${p.Datacenter} (LAN):`);
    for (const [k, n] of Object.entries(p[field]).sort(([a], [b]) => (a < b ? -1 : 1)))
      out.push(`  ${k} [${n}/${p.NumNodes}]`);
  }
  return out;
}

export const keyringCommand: Command = {
  synopsis: 'Manages gossip layer encryption keys',
  help: () => usage(HELP, flags().f),
  async run({ args, ui, services }) {
    const o = flags();
    const rest = parseFlags(o.f, args, ui);
    if (rest === null) return 1;
    const chosen = [
      o.install.value !== '',
      o.use.value !== '',
      o.remove.value !== '',
      o.list.value,
      o.listPrimary.value,
    ].filter(Boolean).length;
    if (chosen !== 1) {
      ui.error('Exactly one of -list, -list-primary, -install, -remove, or -use must be provided');
      return 1;
    }
    // Consul's agent.ParseRelayFactor and ValidateLocalOnly, before any request.
    if (o.relay.value < 0 || o.relay.value > 5) {
      ui.error('Error parsing relay factor: Relay factor must be in range: [0, 5]');
      return 1;
    }
    const listing = o.list.value || o.listPrimary.value;
    if (o.local.value && !listing) {
      ui.error('Error validating local-only: local-only can only be set for list requests');
      return 1;
    }
    // The api client sends relay-factor only when non-zero and local-only only when set.
    const query: Record<string, string | undefined> = {
      'relay-factor': o.relay.value !== 0 ? String(o.relay.value) : undefined,
      'local-only': o.local.value ? 'true' : undefined,
    };
    const client = o.http.client(services);
    try {
      if (listing) {
        ui.output('==> Gathering installed encryption keys...');
        const list = await client.getJson<PoolKeys[]>('/v1/operator/keyring', query);
        for (const line of pools(list, o.list.value ? 'Keys' : 'PrimaryKeys')) ui.output(line);
        return 0;
      }
      const [method, key, what] = o.install.value
        ? ['POST', o.install.value, 'Installing new gossip encryption key...']
        : o.use.value
          ? ['PUT', o.use.value, 'Changing primary gossip encryption key...']
          : ['DELETE', o.remove.value, 'Removing gossip encryption key...'];
      ui.output(`==> ${what}`);
      await client.call(method, '/v1/operator/keyring', { body: JSON.stringify({ Key: key }), query });
      return 0;
    } catch (e) {
      ui.error(`error: ${(e as Error).message}`);
      return 1;
    }
  },
};
