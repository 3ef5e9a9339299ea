// consul event -name=<name> [-node] [-service] [-tag] [payload]: PUT /v1/event/fire/<name>.

import type { Command } from '../command.js';
import { FlagSet } from '../../lib/flags.js';
import { addHttpFlags } from '../http-flags.js';
import { parseFlags } from '../parse.js';
import { usage } from '../usage.js';

const HELP = `
Usage: consul event [options] [payload]

  Dispatches a custom user event across a datacenter. An event must provide
  a name, but a payload is optional. Events support filtering using
  regular expressions on node name, service, and tag definitions.
`;

function flags() {
  const f = new FlagSet();
  const http = addHttpFlags(f);
  const name = f.string('name', '', 'Name of the event.');
  const node = f.string('node', '', 'Regular expression to filter on node names.');
  const service = f.string('service', '', 'Regular expression to filter on service instances.');
  const tag = f.string(
    'tag',
    '',
    'Regular expression to filter on service tags. Must be used with -service.',
  );
  return { f, http, name, node, service, tag };
}

function compiles(re: string): boolean {
  try {
    new RegExp(re);
    return true;
  } catch {
    return false;
  }
}

export const eventCommand: Command = {
  synopsis: 'Fire a new event',
  help: () => usage(HELP, flags().f),
  async run({ args, ui, services }) {
    const o = flags();
    const rest = parseFlags(o.f, args, ui);
    if (rest === null) return 1;
    if (o.name.value === '') {
      ui.error('Event name must be specified');
      ui.error('');
      ui.error(usage(HELP, o.f));
      return 1;
    }
    if (o.tag.value !== '' && o.service.value === '') {
      ui.error('Cannot provide tag filter without service filter.');
      return 1;
    }
    for (const [what, re] of [
      ['node', o.node.value],
      ['service', o.service.value],
      ['tag', o.tag.value],
    ] as const)
      if (re !== '' && !compiles(re)) {
        ui.error(`Failed to compile ${what} filter regexp`);
        return 1;
      }
    if (rest.length > 1) {
      ui.error('Too many command line arguments.');
      return 1;
    }
    const client = o.http.client(services);
    try {
      // Consul checks the agent is reachable first (it reads /v1/agent/self for the datacenter).
      await client.getJson('/v1/agent/self');
    } catch (e) {
      ui.error(`Error querying Consul agent: ${(e as Error).message}`);
      return 1;
    }
    try {
      const r = await client.call('PUT', `/v1/event/fire/${encodeURIComponent(o.name.value)}`, {
        body: rest[0] ?? '',
        query: {
          node: o.node.value || undefined,
          service: o.service.value || undefined,
          tag: o.tag.value || undefined,
        },
      });
      const ev = JSON.parse(new TextDecoder().decode(r.body)) as { ID: string };
      ui.output(`Event ID: ${ev.ID}`);
      return 0;
    } catch (e) {
      ui.error(`Error firing event: ${(e as Error).message}`);
      return 1;
    }
  },
};
