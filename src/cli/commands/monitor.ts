// `consul monitor`: stream the agent's log lines until interrupted.

import { FlagSet } from '../../lib/flags.js';
import type { Command } from '../command.js';
import { addHttpFlags } from '../http-flags.js';
import { parseFlags } from '../parse.js';
import { usage } from '../usage.js';

const HELP = `
Usage: consul monitor [options]

  Shows recent log messages of a Consul agent, and attaches to the agent,
  outputting log messages as they occur in real time. The monitor lets you
  listen for log levels that may be filtered out of the Consul agent. For
  example your agent may only be logging at INFO level, but with the monitor
  you can see the DEBUG level logs.
`;

function make() {
  const f = new FlagSet();
  const http = addHttpFlags(f);
  const level = f.string('log-level', 'INFO', 'Log level of the agent.');
  const json = f.bool('log-json', false, 'Output logs in JSON format.');
  return { f, http, level, json };
}

export const monitorCommand: Command = {
  synopsis: 'Stream logs from a Consul agent',
  help: () => usage(HELP, make().f),
  async run({ args, ui, services }) {
    const { f, http, level, json } = make();
    if (parseFlags(f, args, ui) === null) return 1;
    const query: Record<string, string> = { loglevel: level.value };
    if (json.value) query.logjson = 'true';
    try {
      const r = await http
        .client(services)
        .request('GET', '/v1/agent/monitor', { query, signal: services.interrupted });
      if (r.status !== 200) {
        const body = new TextDecoder().decode(await r.raw.body()).trim();
        ui.error(`Error starting monitor: Unexpected response code: ${r.status} (${body})`);
        return 1;
      }
      const dec = new TextDecoder();
      for await (const chunk of r.raw.chunks()) ui.write(dec.decode(chunk, { stream: true }));
      if (!services.interrupted.aborted)
        ui.output(
          'Remote side ended the monitor! This usually means that the\nremote side has exited or crashed.',
        );
      return 0;
    } catch (e) {
      if (services.interrupted.aborted) return 0;
      ui.error(`Error starting monitor: ${(e as Error).message}`);
      return 1;
    }
  },
};
