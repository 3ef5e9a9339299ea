// consul join [-wan] address...: one PUT /v1/agent/join/<addr> per address, as Consul's command does.

import type { Command } from '../command.js';
import { FlagSet } from '../../lib/flags.js';
import { addHttpFlags } from '../http-flags.js';
import { parseFlags } from '../parse.js';
import { usage } from '../usage.js';

const HELP = `
Usage: consul join [options] address ...

  Tells a running Consul agent (with "consul agent") to join the cluster
  by specifying at least one existing member.
`;

function flags() {
  const f = new FlagSet();
  const http = addHttpFlags(f);
  const wan = f.bool('wan', false, 'Joins a server to another server in the WAN pool.');
  return { f, http, wan };
}

export const joinCommand: Command = {
  synopsis: 'Tell Consul agent to join cluster',
  help: () => usage(HELP, flags().f),
  async run({ args, ui, services }) {
    const { f, http, wan } = flags();
    const addrs = parseFlags(f, args, ui);
    if (addrs === null) return 1;
    if (addrs.length === 0) {
      ui.error('At least one address to join must be specified.');
      ui.error('');
      ui.error(usage(HELP, f));
      return 1;
    }
    const client = http.client(services);
    let joined = 0;
    for (const a of addrs) {
      try {
        await client.put(`/v1/agent/join/${encodeURIComponent(a).replace(/%3A/gi, ':')}`, undefined, {
          wan: wan.value ? '1' : undefined,
        });
        joined++;
      } catch (e) {
        ui.error(`Error joining address '${a}': ${(e as Error).message}`);
      }
    }
    if (joined === 0) {
      ui.error('Failed to join any nodes.');
      return 1;
    }
    ui.output(`Successfully joined cluster by contacting ${joined} nodes.`);
    return 0;
  },
};
