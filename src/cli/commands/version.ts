// `consul version [-format=pretty|json]`.

import {
  BUILD_DATE,
  humanVersion,
  PROTOCOL_VERSION,
  PROTOCOL_VERSION_MAX,
  PROTOCOL_VERSION_MIN,
  REVISION,
  VERSION,
  VERSION_PRERELEASE,
} from '../../structs/version.js';
import type { Command } from '../command.js';
import { FlagSet } from '../../lib/flags.js';
import { parseFlags } from '../parse.js';
import { usage } from '../usage.js';

const HELP = `
Usage: consul version [options]

  Prints the version of this Consul agent.
`;

function flags() {
  const f = new FlagSet();
  const format = f.string('format', 'pretty', 'Output format {pretty|json}');
  return { f, format };
}

export const versionCommand: Command = {
  synopsis: 'Prints the Consul version',
  help: () => usage(HELP, flags().f),
  async run({ args, ui }) {
    const { f, format } = flags();
    if (parseFlags(f, args, ui) === null) return 1;
    const protocol = `Protocol ${PROTOCOL_VERSION} spoken by default, understands ${PROTOCOL_VERSION_MIN} to ${PROTOCOL_VERSION_MAX} (agent will automatically use protocol >${PROTOCOL_VERSION} when speaking to compatible agents)`;
    if (format.value === 'json') {
      const info = {
        Version: VERSION,
        Revision: REVISION,
        Prerelease: VERSION_PRERELEASE,
        FullVersion: humanVersion().slice(1),
        BuildDate: BUILD_DATE,
        RPC: { Default: PROTOCOL_VERSION, Min: PROTOCOL_VERSION_MIN, Max: PROTOCOL_VERSION_MAX },
        FIPS: '',
      };
      ui.output(JSON.stringify(info, null, 2));
      return 0;
    }
    if (format.value !== 'pretty') {
      ui.error(`Invalid format: ${format.value}`);
      return 1;
    }
    ui.output(`Consul ${humanVersion()}`);
    ui.output(`Revision ${REVISION}`);
    ui.output(`Build Date ${BUILD_DATE}`);
    ui.output(protocol);
    return 0;
  },
};
