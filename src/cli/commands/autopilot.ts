// `consul operator autopilot get-config | set-config | state`.

import { FlagSet } from '../../lib/flags.js';
import { formatGoDuration } from '../../lib/duration.js';
import { RUN_RESULT_HELP } from '../cli.js';
import type { Command } from '../command.js';
import { addHttpFlags } from '../http-flags.js';
import { getJsonOrReport } from '../fetch.js';
import { parseFlags } from '../parse.js';
import { usage } from '../usage.js';

interface AutopilotConfig {
  CleanupDeadServers: boolean;
  LastContactThreshold: string;
  MaxTrailingLogs: number;
  MinQuorum: number;
  ServerStabilizationTime: string;
  RedundancyZoneTag: string;
  DisableUpgradeMigration: boolean;
  UpgradeVersionTag: string;
  ModifyIndex: number;
}

const PATH = '/v1/operator/autopilot/configuration';

export const operatorAutopilotCommand: Command = {
  synopsis: 'Provides tools for modifying Autopilot configuration',
  help: () =>
    usage(`
Usage: consul operator autopilot <subcommand> [options]

  The Autopilot operator command is used to interact with Consul's Autopilot
  subsystem. The command can be used to view or modify the current configuration.
`),
  run: async () => RUN_RESULT_HELP,
};

function getFlags() {
  const f = new FlagSet();
  return { f, http: addHttpFlags(f, { server: true }) };
}

export const autopilotGetCommand: Command = {
  synopsis: 'Display the current Autopilot configuration',
  help: () =>
    usage(
      `
Usage: consul operator autopilot get-config [options]

  Displays the current Autopilot configuration.
`,
      getFlags().f,
    ),
  async run({ args, ui, services }) {
    const o = getFlags();
    if (parseFlags(o.f, args, ui) === null) return 1;
    const c = await getJsonOrReport<AutopilotConfig>(
      o.http.client(services),
      ui,
      'Error querying Autopilot configuration',
      PATH,
    );
    if (c === null) return 1;
    ui.output(
      [
        `CleanupDeadServers = ${c.CleanupDeadServers}`,
        `LastContactThreshold = ${c.LastContactThreshold}`,
        `MaxTrailingLogs = ${c.MaxTrailingLogs}`,
        `MinQuorum = ${c.MinQuorum}`,
        `ServerStabilizationTime = ${c.ServerStabilizationTime}`,
        `RedundancyZoneTag = ${JSON.stringify(c.RedundancyZoneTag)}`,
        `DisableUpgradeMigration = ${c.DisableUpgradeMigration}`,
        `UpgradeVersionTag = ${JSON.stringify(c.UpgradeVersionTag)}`,
      ].join('\n'),
    );
    return 0;
  },
};

function setFlags() {
  const f = new FlagSet();
  const http = addHttpFlags(f, { server: false });
  return {
    f,
    http,
    cleanup: f.bool(
      'cleanup-dead-servers',
      false,
      'Controls whether Consul will automatically remove dead servers when new ones are successfully added. Must be one of `true|false`.',
    ),
    maxTrailing: f.uint(
      'max-trailing-logs',
      0,
      'Controls the maximum number of log entries that a server can trail the leader by before being considered unhealthy.',
    ),
    minQuorum: f.uint(
      'min-quorum',
      0,
      'Sets the minimum number of servers required in a cluster before autopilot can prune dead servers.',
    ),
    lastContact: f.duration(
      'last-contact-threshold',
      0,
      'Controls the threshold for how long a server can go without contact with the leader before being considered unhealthy. Must be a duration value such as `200ms`.',
    ),
    stabilization: f.duration(
      'server-stabilization-time',
      0,
      'Controls the minimum amount of time a server must be stable in the "healthy" state before being added to the cluster. Only takes effect if all servers are running Raft protocol version 3 or higher. Must be a duration value such as `10s`.',
    ),
    disableUpgrade: f.bool(
      'disable-upgrade-migration',
      false,
      '(Enterprise-only) Controls whether Consul will avoid promoting new servers until it can perform a migration. Must be one of `true|false`.',
    ),
    zoneTag: f.string(
      'redundancy-zone-tag',
      '',
      '(Enterprise-only) Controls the node_meta tag name used for separating servers into different redundancy zones.',
    ),
    versionTag: f.string(
      'upgrade-version-tag',
      '',
      '(Enterprise-only) The node_meta tag to use for version info when performing upgrade migrations. If left blank, the Consul version will be used.',
    ),
  };
}

export const autopilotSetCommand: Command = {
  synopsis: 'Modify the current Autopilot configuration',
  help: () =>
    usage(
      `
Usage: consul operator autopilot set-config [options]

  Modifies the current Autopilot configuration.
`,
      setFlags().f,
    ),
  async run({ args, ui, services }) {
    const o = setFlags();
    if (parseFlags(o.f, args, ui) === null) return 1;
    const client = o.http.client(services);
    const c = await getJsonOrReport<AutopilotConfig>(
      client,
      ui,
      'Error querying Autopilot configuration',
      PATH,
    );
    if (c === null) return 1;
    const seen = o.f.seen;
    if (seen.has('cleanup-dead-servers')) c.CleanupDeadServers = o.cleanup.value;
    if (seen.has('max-trailing-logs')) c.MaxTrailingLogs = o.maxTrailing.value;
    if (seen.has('min-quorum')) c.MinQuorum = o.minQuorum.value;
    if (seen.has('last-contact-threshold')) c.LastContactThreshold = formatGoDuration(o.lastContact.value);
    if (seen.has('server-stabilization-time'))
      c.ServerStabilizationTime = formatGoDuration(o.stabilization.value);
    if (seen.has('disable-upgrade-migration')) c.DisableUpgradeMigration = o.disableUpgrade.value;
    if (seen.has('redundancy-zone-tag')) c.RedundancyZoneTag = o.zoneTag.value;
    if (seen.has('upgrade-version-tag')) c.UpgradeVersionTag = o.versionTag.value;
    let ok: boolean;
    try {
      const { body } = await client.call('PUT', PATH, {
        query: { cas: String(c.ModifyIndex) },
        body: JSON.stringify(c),
      });
      ok = new TextDecoder().decode(body).trim() === 'true';
    } catch (e) {
      ui.error(`Error setting Autopilot configuration: ${(e as Error).message}`);
      return 1;
    }
    if (!ok) {
      ui.output('Configuration could not be atomically updated, please try again');
      return 1;
    }
    ui.output('Configuration updated!');
    return 0;
  },
};

interface StateServer {
  ID: string;
  Name: string;
  Address: string;
  NodeStatus: string;
  Version: string;
  LastContact: string;
  LastTerm: number;
  LastIndex: number;
  Healthy: boolean;
  StableSince: string;
  Status: string;
}

interface State {
  Healthy: boolean;
  FailureTolerance: number;
  OptimisticFailureTolerance: number;
  Servers: Record<string, StateServer>;
  Leader: string;
  Voters: string[];
}

function stateFlags() {
  const f = new FlagSet();
  return {
    f,
    http: addHttpFlags(f, { server: true }),
    format: f.string('format', 'pretty', "Output format {pretty|json} (default 'pretty')"),
  };
}

export const autopilotStateCommand: Command = {
  synopsis: 'Display the current Autopilot state',
  help: () =>
    usage(
      `
Usage: consul operator autopilot state [options]

  Displays the current autopilot state.
`,
      stateFlags().f,
    ),
  async run({ args, ui, services }) {
    const o = stateFlags();
    if (parseFlags(o.f, args, ui) === null) return 1;
    if (o.format.value !== 'pretty' && o.format.value !== 'json') {
      ui.error(`Error: invalid format '${o.format.value}'`);
      return 1;
    }
    const st = await getJsonOrReport<State>(
      o.http.client(services),
      ui,
      'Error querying Autopilot state',
      '/v1/operator/autopilot/state',
    );
    if (st === null) return 1;
    if (o.format.value === 'json') {
      ui.output(JSON.stringify(st, null, 4));
      return 0;
    }
    const lines = [
      `Healthy:                      ${st.Healthy}`,
      `Failure Tolerance:            ${st.FailureTolerance}`,
      `Optimistic Failure Tolerance: ${st.OptimisticFailureTolerance}`,
      `Leader:                       ${st.Leader}`,
      'Voters:',
      ...st.Voters.map((v) => `   ${v}`),
      '',
      'Servers:',
    ];
    for (const id of Object.keys(st.Servers).sort()) {
      const x = st.Servers[id]!;
      lines.push(
        `   ${x.ID}`,
        `      Name:            ${x.Name}`,
        `      Address:         ${x.Address}`,
        `      Version:         ${x.Version}`,
        `      Status:          ${x.Status}`,
        `      Node Status:     ${x.NodeStatus}`,
        `      Healthy:         ${x.Healthy}`,
        `      Last Contact:    ${x.LastContact}`,
        `      Last Term:       ${x.LastTerm}`,
        `      Last Index:      ${x.LastIndex}`,
        `      Stable Since:    ${x.StableSince}`,
      );
    }
    ui.output(lines.join('\n'));
    return 0;
  },
};
