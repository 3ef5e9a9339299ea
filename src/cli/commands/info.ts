// `consul info`: the agent's Stats sections, each "name:" then "\tkey = value", both sorted.

import { FlagSet } from '../../lib/flags.js';
import type { Command } from '../command.js';
import { addHttpFlags } from '../http-flags.js';
import { getJsonOrReport } from '../fetch.js';
import { parseFlags } from '../parse.js';
import { usage } from '../usage.js';

const HELP = `
Usage: consul info [options]

  Provides debugging information for operators
`;

function make() {
  const f = new FlagSet();
  return { f, http: addHttpFlags(f) };
}

export const infoCommand: Command = {
  synopsis: 'Provides debugging information for operators.',
  help: () => usage(HELP, make().f),
  async run({ args, ui, services }) {
    const { f, http } = make();
    if (parseFlags(f, args, ui) === null) return 1;
    const self = await getJsonOrReport<{ Stats?: Record<string, Record<string, string>> }>(
      http.client(services),
      ui,
      'Error querying agent',
      '/v1/agent/self',
    );
    if (self === null) return 1;
    const stats = self.Stats ?? {};
    for (const section of Object.keys(stats).sort()) {
      ui.output(`${section}:`);
      const kv = stats[section]!;
      for (const k of Object.keys(kv).sort()) ui.output(`\t${k} = ${kv[k]}`);
    }
    return 0;
  },
};
