// `consul info`: the agent's Stats sections, each "name:" then "\tkey = value", both sorted.

import { FlagSet } from '../../lib/flags.js';
import type { Command } from '../command.js';
import { addHttpFlags } from '../http-flags.js';
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
    let self: { Stats?: Record<string, Record<string, string>> };
    try {
      self = await http.client(services).getJson('/v1/agent/self');
    } catch (e) {
      ui.error(`Error querying agent: ${(e as Error).message}`);
      return 1;
    }
    const stats = self.Stats ?? {};
    for (const section of Object.keys(stats).sort()) {
      ui.output(`${section}:`);
      const kv = stats[section]!;
      for (const k of Object.keys(kv).sort()) ui.output(`\t${k} = ${kv[k]}`);
    }
    return 0;
  },
};
