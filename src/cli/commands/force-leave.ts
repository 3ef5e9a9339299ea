// consul force-leave [-prune] [-wan] <node>: PUT /v1/agent/force-leave/<node>.

import type { Command } from '../command.js';
import { FlagSet } from '../../lib/flags.js';
import { addHttpFlags } from '../http-flags.js';
import { parseFlags } from '../parse.js';
import { usage } from '../usage.js';

const HELP = `
Usage: consul force-leave [options] name

  Forces a member of a Consul cluster to enter the "left" state. Note
  that if the member is still actually alive, it will eventually rejoin
  the cluster. This command is most useful for cleaning out "failed" nodes
  that are never coming back. If you do not force leave a failed node,
  Consul will attempt to reconnect to those failed nodes for some period of
  time before eventually reaping them.
`;

function flags() {
  const f = new FlagSet();
  const http = addHttpFlags(f);
  const prune = f.bool('prune', false, 'Remove agent forcibly from list of members');
  const wan = f.bool('wan', false, 'Exclusively leave the agent from the WAN serf pool.');
  return { f, http, prune, wan };
}

export const forceLeaveCommand: Command = {
  synopsis: 'Forces a member of the cluster to enter the "left" state',
  help: () => usage(HELP, flags().f),
  async run({ args, ui, services }) {
    const { f, http, prune, wan } = flags();
    const rest = parseFlags(f, args, ui);
    if (rest === null) return 1;
    if (rest.length !== 1) {
      ui.error('A single node name must be specified to force leave.');
      ui.error('');
      ui.error(usage(HELP, f));
      return 1;
    }
    try {
      await http.client(services).put(`/v1/agent/force-leave/${encodeURIComponent(rest[0]!)}`, undefined, {
        prune: prune.value ? '1' : undefined,
        wan: wan.value ? '1' : undefined,
      });
    } catch (e) {
      ui.error(`Error force leaving: ${(e as Error).message}`);
      return 1;
    }
    return 0;
  },
};
