// `consul maint [-enable|-disable] [-reason] [-service]`: node or service maintenance mode through the
// local agent; with no flags, lists what is in maintenance.

import type { AgentCheckJson } from '../../api/client.js';
import { FlagSet } from '../../lib/flags.js';
import type { Command } from '../command.js';
import { addHttpFlags } from '../http-flags.js';
import { parseFlags } from '../parse.js';
import { usage } from '../usage.js';

const HELP = `
Usage: consul maint [options]

  Places a node or service into maintenance mode. During maintenance mode,
  the node or service will be excluded from all queries through the DNS
  or API interfaces, effectively taking it out of the pool of available
  nodes. This is done by registering an additional critical health check.

  When enabling maintenance mode for a node or service, you may optionally
  specify a reason string. This string will appear in the "Notes" field
  of the critical health check which is registered against the node or
  service. If no reason is provided, a default value will be used.

  Maintenance mode is persistent, and will be restored in the event of an
  agent restart. It is therefore required to disable maintenance mode on
  a given node or service before it will be placed back into the pool.

  By default, we operate on the node as a whole. By specifying the
  "-service" argument, this behavior can be changed to enable or disable
  only a specific service.

  If no arguments are given, the agent's maintenance status will be shown.
  This will return blank if nothing is currently under maintenance.
`;

function flags() {
  const f = new FlagSet();
  return {
    f,
    http: addHttpFlags(f, { server: false }),
    enable: f.bool('enable', false, 'Enable maintenance mode.'),
    disable: f.bool('disable', false, 'Disable maintenance mode.'),
    reason: f.string('reason', '', 'Text describing the maintenance reason.'),
    service: f.string('service', '', 'Control maintenance mode for a specific service ID.'),
  };
}

export const maintCommand: Command = {
  synopsis: 'Controls node or service maintenance mode',
  help: () => usage(HELP, flags().f),
  async run({ args, ui, services }) {
    const o = flags();
    if (parseFlags(o.f, args, ui) === null) return 1;
    const enable = o.enable.value;
    const disable = o.disable.value;
    if (enable && disable) {
      ui.error('Only one of -enable or -disable may be provided');
      return 1;
    }
    if (!enable && o.reason.value !== '') {
      ui.error('Reason may only be provided with -enable');
      return 1;
    }
    if (!enable && !disable && o.service.value !== '') {
      ui.error('Service requires either -enable or -disable');
      return 1;
    }
    const client = o.http.client(services);
    if (!enable && !disable) {
      let node: string;
      let checks: Record<string, AgentCheckJson>;
      try {
        node = (await client.agent.self()).Config.NodeName;
        checks = await client.agent.checks();
      } catch (e) {
        ui.error(`Error querying agent: ${(e as Error).message}`);
        return 1;
      }
      // The node first, then services by ID (Consul walks a Go map; a stable order reads better).
      const ordered = Object.values(checks).sort((a, b) =>
        a.CheckID === '_node_maintenance'
          ? -1
          : b.CheckID === '_node_maintenance'
            ? 1
            : a.ServiceID.localeCompare(b.ServiceID),
      );
      for (const c of ordered) {
        if (c.CheckID === '_node_maintenance')
          ui.output(['Node:', `  Name:   ${node}`, `  Reason: ${c.Notes}`, ''].join('\n'));
        else if (c.CheckID.startsWith('_service_maintenance:'))
          ui.output(['Service:', `  ID:     ${c.ServiceID}`, `  Reason: ${c.Notes}`, ''].join('\n'));
      }
      return 0;
    }
    const what = o.service.value ? 'service' : 'node';
    const path = o.service.value
      ? `/v1/agent/service/maintenance/${encodeURIComponent(o.service.value)}`
      : '/v1/agent/maintenance';
    const query: Record<string, string> = { enable: String(enable) };
    if (enable && o.reason.value) query.reason = o.reason.value;
    try {
      await client.call('PUT', path, { query });
    } catch (e) {
      ui.error(`Error ${enable ? 'enabling' : 'disabling'} ${what} maintenance: ${(e as Error).message}`);
      return 1;
    }
    const state = enable ? 'enabled' : 'disabled';
    ui.output(
      o.service.value
        ? `Service maintenance is now ${state} for ${JSON.stringify(o.service.value)}`
        : `Node maintenance is now ${state}`,
    );
    return 0;
  },
};
