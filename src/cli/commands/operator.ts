// `consul operator` and `consul operator raft list-peers`.

import { FlagSet } from '../../lib/flags.js';
import { RUN_RESULT_HELP } from '../cli.js';
import type { Command } from '../command.js';
import { addHttpFlags } from '../http-flags.js';
import { getJsonOrReport } from '../fetch.js';
import { parseFlags } from '../parse.js';
import { usage } from '../usage.js';

interface RaftServer {
  ID: string;
  Node: string;
  Address: string;
  Leader: boolean;
  Voter: boolean;
  ProtocolVersion: string;
  LastIndex: number;
}

/** Columns separated by at least two spaces, left-aligned (ryanuber/columnize as Consul uses it). */
export function columnize(rows: string[][]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 2)))
        .join('')
        .trimEnd(),
    )
    .join('\n');
}

const LIST_PEERS_HELP = `
Usage: consul operator raft list-peers [options]

  Displays the current Raft peer configuration.
`;

function listPeersFlags() {
  const f = new FlagSet();
  return { f, http: addHttpFlags(f, { server: true }) };
}

export const operatorCommand: Command = {
  synopsis: 'Provides cluster-level tools for Consul operators',
  help: () =>
    usage(`
Usage: consul operator <subcommand> [options]

  Provides cluster-level tools for Consul operators, such as interacting with
  the Raft subsystem. NOTE: Use this command with extreme caution, as improper
  use could lead to a Consul outage and even loss of data.

  If ACLs are enabled then a token with operator privileges may be required in
  order to use this command. Requests are forwarded internally to the leader
  if required, so this can be run from any Consul node in a cluster.

  Run consul operator <subcommand> with no arguments for help on that
  subcommand.
`),
  run: async () => RUN_RESULT_HELP,
};

export const operatorRaftCommand: Command = {
  synopsis: 'Provides cluster-level tools for Consul operators',
  help: () =>
    usage(`
Usage: consul operator raft <subcommand> [options]

  The Raft operator command is used to interact with Consul's Raft subsystem. The
  command can be used to verify Raft peers or in rare cases to recover quorum by
  removing invalid peers.
`),
  run: async () => RUN_RESULT_HELP,
};

export const listPeersCommand: Command = {
  synopsis: 'Display the current Raft peer configuration',
  help: () => usage(LIST_PEERS_HELP, listPeersFlags().f),
  async run({ args, ui, services }) {
    const { f, http } = listPeersFlags();
    if (parseFlags(f, args, ui) === null) return 1;
    const cfg = await getJsonOrReport<{ Servers: RaftServer[] }>(
      http.client(services),
      ui,
      'Error getting peers',
      '/v1/operator/raft/configuration',
    );
    if (cfg === null) return 1;
    const leader = cfg.Servers.find((s) => s.Leader);
    const rows = [
      ['Node', 'ID', 'Address', 'State', 'Voter', 'RaftProtocol', 'Commit Index', 'Trails Leader By'],
    ];
    for (const s of cfg.Servers) {
      const trails = s.Leader ? '-' : leader ? `${Math.max(0, leader.LastIndex - s.LastIndex)} commits` : '-';
      rows.push([
        s.Node,
        s.ID,
        s.Address,
        s.Leader ? 'leader' : 'follower',
        String(s.Voter),
        s.ProtocolVersion,
        String(s.LastIndex),
        trails,
      ]);
    }
    ui.output(columnize(rows));
    return 0;
  },
};

const REMOVE_PEER_HELP = `
Usage: consul operator raft remove-peer [options]

  Remove the Consul server with given -id from the Raft configuration.

  There are rare cases where a peer may be left behind in the Raft quorum even
  though the server is no longer present and known to the cluster. This command
  can be used to remove the failed server so that it is no longer affects the
  Raft quorum. If the server still shows in the output of the "consul members"
  command, it is preferable to clean up by simply running "consul force-leave"
  instead of this command.
`;

function removePeerFlags() {
  const f = new FlagSet();
  const http = addHttpFlags(f);
  const address = f.string('address', '', 'The address to remove from the Raft configuration.');
  const id = f.string('id', '', 'The ID to remove from the Raft configuration.');
  return { f, http, address, id };
}

export const removePeerCommand: Command = {
  synopsis: 'Remove a Consul server from the Raft configuration',
  help: () => usage(REMOVE_PEER_HELP, removePeerFlags().f),
  async run({ args, ui, services }) {
    const { f, http, address, id } = removePeerFlags();
    if (parseFlags(f, args, ui) === null) return 1;
    if ((address.value === '') === (id.value === '')) {
      ui.error('Error removing peer: Must specify exactly one of -address or -id');
      return 1;
    }
    try {
      await http.client(services).call('DELETE', '/v1/operator/raft/peer', {
        query: id.value ? { id: id.value } : { address: address.value },
      });
    } catch (e) {
      ui.error(`Error removing peer: ${(e as Error).message}`);
      return 1;
    }
    ui.output(
      id.value ? `Removed peer with id "${id.value}"` : `Removed peer with address "${address.value}"`,
    );
    return 0;
  },
};

const TRANSFER_LEADER_HELP = `
Usage: consul operator raft transfer-leader [options]

  Transfer raft leadership to another node.
`;

function transferLeaderFlags() {
  const f = new FlagSet();
  const http = addHttpFlags(f, { server: true });
  const id = f.string('id', '', 'The ID of the node to transfer leadership to.');
  return { f, http, id };
}

export const transferLeaderCommand: Command = {
  synopsis: 'Transfer raft leadership to another node',
  help: () => usage(TRANSFER_LEADER_HELP, transferLeaderFlags().f),
  async run({ args, ui, services }) {
    const { f, http, id } = transferLeaderFlags();
    if (parseFlags(f, args, ui) === null) return 1;
    try {
      const reply = await http
        .client(services)
        .call('POST', '/v1/operator/raft/transfer-leader', id.value ? { query: { id: id.value } } : {});
      const body = JSON.parse(new TextDecoder().decode(reply.body)) as { Success?: boolean };
      if (body.Success !== true) throw new Error('Failed to transfer leadership');
    } catch (e) {
      const msg = (e as Error).message;
      ui.error(
        `Error transfering leadership: ${msg.startsWith('Failed to transfer') ? msg : `Failed to transfer leadership ${msg}`}`,
      );
      return 1;
    }
    ui.output('Success');
    return 0;
  },
};
