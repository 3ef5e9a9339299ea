// `consul members [-detailed] [-wan] [-status=<regexp>]`: the member table, exit 2 when none match.

import { joinHostPort } from '../../lib/host-port.js';
import { FlagSet } from '../../lib/flags.js';
import type { Command } from '../command.js';
import { addHttpFlags } from '../http-flags.js';
import { getJsonOrReport } from '../fetch.js';
import { parseFlags } from '../parse.js';
import { usage } from '../usage.js';
import { columnize } from './operator.js';

interface Member {
  Name: string;
  Addr: string;
  Port: number;
  Tags: Record<string, string>;
  Status: number;
}

const HELP = `
Usage: consul members [options]

  Outputs the members of a running Consul agent.
`;

const STATUS = ['none', 'alive', 'leaving', 'left', 'failed'];

function make() {
  const f = new FlagSet();
  return {
    f,
    http: addHttpFlags(f),
    detailed: f.bool('detailed', false, 'Provides detailed information about nodes.'),
    wan: f.bool(
      'wan',
      false,
      'If the agent is in server mode, this can be used to return the other peers in the WAN pool.',
    ),
    status: f.string(
      'status',
      '.*',
      'If provided, output is filtered to only nodes matching the regular expression for status.',
    ),
    segment: f.string(
      'segment',
      '',
      '(Enterprise-only) If provided, output is filtered to only nodes inthe given segment.',
    ),
  };
}

export const membersCommand: Command = {
  synopsis: 'Lists the members of a Consul cluster',
  help: () => usage(HELP, make().f),
  async run({ args, ui, services }) {
    const o = make();
    if (parseFlags(o.f, args, ui) === null) return 1;
    let re: RegExp;
    try {
      re = new RegExp(o.status.value);
    } catch (e) {
      ui.error(`Failed to compile status regexp: ${(e as Error).message}`);
      return 1;
    }
    const members = await getJsonOrReport<Member[]>(
      o.http.client(services),
      ui,
      'Error retrieving members',
      '/v1/agent/members',
      {
        ...(o.wan.value ? { wan: '1' } : {}),
        ...(o.segment.value !== '' ? { segment: o.segment.value } : {}),
      },
    );
    if (members === null) return 1;
    const rows = members
      .map((m) => ({ m, status: STATUS[m.Status] ?? 'none' }))
      .filter((x) => re.test(x.status))
      .sort((a, b) => {
        const sa = a.m.Tags.role === 'consul' ? 0 : 1;
        const sb = b.m.Tags.role === 'consul' ? 0 : 1;
        return sa - sb || (a.m.Name < b.m.Name ? -1 : a.m.Name > b.m.Name ? 1 : 0);
      });
    if (rows.length === 0) return 2;
    const addr = (m: Member) => joinHostPort(m.Addr, m.Port);
    if (o.detailed.value) {
      const table = [['Node', 'Address', 'Status', 'Tags']];
      for (const { m, status } of rows)
        table.push([
          m.Name,
          addr(m),
          status,
          Object.keys(m.Tags)
            .sort()
            .map((k) => `${k}=${m.Tags[k]}`)
            .join(','),
        ]);
      ui.output(columnize(table));
      return 0;
    }
    const table = [['Node', 'Address', 'Status', 'Type', 'Build', 'Protocol', 'DC', 'Partition', 'Segment']];
    for (const { m, status } of rows) {
      const role = m.Tags.role;
      const type = role === 'consul' ? 'server' : role === 'node' ? 'client' : 'unknown';
      if (type === 'unknown') {
        table.push([m.Name, addr(m), status, type, '', '', '', '', '']);
        continue;
      }
      const build = (m.Tags.build ?? '< 0.3').split(':')[0]!;
      table.push([
        m.Name,
        addr(m),
        status,
        type,
        build,
        m.Tags.vsn ?? '',
        m.Tags.dc ?? '',
        'default',
        type === 'server' ? '<all>' : '<default>',
      ]);
    }
    ui.output(columnize(table));
    return 0;
  },
};
