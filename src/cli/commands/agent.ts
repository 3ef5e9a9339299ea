// `consul agent [options]`: parse the agent flags, load the configuration exactly as `validate` does,
// and hand it to the composition root, which builds and runs the agent until it exits.

import { newAgentFlags } from '../../config/agent-flags.js';
import { loadConfig } from '../../config/load.js';
import type { Command } from '../command.js';
import { parseFlags } from '../parse.js';
import { usage } from '../usage.js';

const HELP = `
Usage: consul agent [options]

  Starts the Consul agent and runs until an interrupt is received. The
  agent represents a single node in a cluster.
`;

export interface AgentLaunch {
  config: import('../../config/runtime-config.js').RuntimeConfig;
  warnings: string[];
  reload: () => ReturnType<typeof loadConfig>;
}

export const agentCommand: Command = {
  synopsis: 'Runs a Consul agent',
  help: () => usage(HELP, newAgentFlags().flags),
  async run({ args, ui, services }) {
    const { flags, values } = newAgentFlags();
    const rest = parseFlags(flags, args, ui);
    if (rest === null) return 1;
    if (rest.length > 0) {
      ui.error(`Unexpected extra arguments: ${JSON.stringify(rest)}`);
      return 1;
    }
    const load = () =>
      loadConfig({ flags: values, disk: services.disk, host: services.host, cwd: services.cwd });
    const r = await load();
    if (!r.ok) {
      ui.error(r.error);
      return 1;
    }
    const launch: AgentLaunch = { config: r.config, warnings: r.warnings, reload: load };
    const handle = await services.startAgent(launch);
    return handle.done;
  },
};
