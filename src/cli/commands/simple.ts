// The agent-control commands that are one HTTP call each: reload, leave.

import type { Command } from '../command.js';
import { FlagSet } from '../../lib/flags.js';
import { addHttpFlags } from '../http-flags.js';
import { parseFlags } from '../parse.js';
import { usage } from '../usage.js';

function oneCall(opts: {
  help: string;
  synopsis: string;
  path: string;
  ok: string;
  errPrefix: string;
}): Command {
  const make = () => {
    const f = new FlagSet();
    return { f, http: addHttpFlags(f) };
  };
  return {
    synopsis: opts.synopsis,
    help: () => usage(opts.help, make().f),
    async run({ args, ui, services }) {
      const { f, http } = make();
      const rest = parseFlags(f, args, ui);
      if (rest === null) return 1;
      if (rest.length > 0) {
        ui.error(`Error found unexpected args: [${rest.join(' ')}]`);
        ui.output(usage(opts.help, f));
        return 1;
      }
      try {
        await http.client(services).put(opts.path);
      } catch (e) {
        ui.error(`${opts.errPrefix}: ${(e as Error).message}`);
        return 1;
      }
      ui.output(opts.ok);
      return 0;
    },
  };
}

export const reloadCommand = oneCall({
  synopsis: 'Triggers the agent to reload configuration files',
  help: `
Usage: consul reload

  Causes the agent to reload configurations. This can be used instead
  of sending the SIGHUP signal to the agent.
`,
  path: '/v1/agent/reload',
  ok: 'Configuration reload triggered',
  errPrefix: 'Error reloading',
});

export const leaveCommand = oneCall({
  synopsis: 'Gracefully leaves the Consul cluster and shuts down',
  help: `
Usage: consul leave [options]

  Causes the agent to gracefully leave the Consul cluster and shutdown.
`,
  path: '/v1/agent/leave',
  ok: 'Graceful leave complete',
  errPrefix: 'Error leaving',
});
