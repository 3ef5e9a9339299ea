// `consul keygen`: a new 32-byte gossip encryption key, base64 (Consul 1.6+).

import { FlagSet } from '../../lib/flags.js';
import type { Command } from '../command.js';
import { parseFlags } from '../parse.js';
import { usage } from '../usage.js';

const HELP = `
Usage: consul keygen

  Generates a new encryption key that can be used to configure the
  agent to encrypt traffic. The output of this command is already
  in the proper format that the agent expects.
`;

export const keygenCommand: Command = {
  synopsis: 'Generates a new encryption key',
  help: () => usage(HELP),
  async run({ args, ui, services }) {
    if (parseFlags(new FlagSet(), args, ui) === null) return 1;
    ui.output(Buffer.from(services.rng.bytes(32)).toString('base64'));
    return 0;
  },
};
