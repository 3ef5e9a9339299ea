// `consul catalog datacenters | nodes | services`.

import { FlagSet } from '../../lib/flags.js';
import { RUN_RESULT_HELP } from '../cli.js';
import type { Command } from '../command.js';
import { addHttpFlags } from '../http-flags.js';
import { getJsonOrReport } from '../fetch.js';
import { parseFlags } from '../parse.js';
import { usage } from '../usage.js';
import { columnize } from './operator.js';

interface CatalogNode {
  ID: string;
  Node: string;
  Address: string;
  Datacenter: string;
  TaggedAddresses: Record<string, string>;
  Meta: Record<string, string>;
}

export const catalogCommand: Command = {
  synopsis: 'Interact with the catalog',
  help: () =>
    usage(`
Usage: consul catalog <subcommand> [options] [args]

  This command has subcommands for interacting with Consul's catalog. The
  catalog should not be confused with the agent, although the APIs and
  responses may be similar.

  List all datacenters:

      $ consul catalog datacenters

  List all nodes:

      $ consul catalog nodes

  List all services:

      $ consul catalog services

  For more examples, ask for subcommand help or view the documentation.
`),
  run: async () => RUN_RESULT_HELP,
};

function simple(help: string, extra: (f: FlagSet) => Record<string, { value: unknown }>) {
  return () => {
    const f = new FlagSet();
    const http = addHttpFlags(f, { server: true });
    return { f, http, o: extra(f), help };
  };
}

const dcs = simple(
  `
Usage: consul catalog datacenters [options]

  Retrieves the list of all known datacenters. This datacenters are sorted in
  ascending order based on the estimated median round trip time from the servers
  in this datacenter to the servers in the other datacenters.
`,
  () => ({}),
);

export const catalogDatacentersCommand: Command = {
  synopsis: 'Lists all known datacenters',
  help: () => usage(dcs().help, dcs().f),
  async run({ args, ui, services }) {
    const { f, http } = dcs();
    if (parseFlags(f, args, ui) === null) return 1;
    const list = await getJsonOrReport<string[]>(
      http.client(services),
      ui,
      'Error listing datacenters',
      '/v1/catalog/datacenters',
    );
    if (list === null) return 1;
    for (const d of list) ui.output(d);
    return 0;
  },
};

const nodes = simple(
  `
Usage: consul catalog nodes [options]

  Retrieves the list nodes registered in a given datacenter. By default, the
  datacenter of the local agent is queried.
`,
  (f) => ({
    detailed: f.bool(
      'detailed',
      false,
      'Output detailed information about the nodes including their addresses and metadata.',
    ),
  }),
);

export const catalogNodesCommand: Command = {
  synopsis: 'Lists all nodes in the given datacenter',
  help: () => usage(nodes().help, nodes().f),
  async run({ args, ui, services }) {
    const { f, http, o } = nodes();
    if (parseFlags(f, args, ui) === null) return 1;
    const list = await getJsonOrReport<CatalogNode[]>(
      http.client(services),
      ui,
      'Error listing nodes',
      '/v1/catalog/nodes',
    );
    if (list === null) return 1;
    if (list.length === 0) {
      ui.error('No nodes match the given query - try expanding your search.');
      return 0;
    }
    const kv = (m: Record<string, string>) =>
      Object.keys(m)
        .sort()
        .map((k) => `${k}=${m[k]}`)
        .join(', ');
    const detailed = o.detailed!.value === true;
    const rows = [
      detailed ? ['Node', 'ID', 'Address', 'DC', 'TaggedAddresses', 'Meta'] : ['Node', 'ID', 'Address', 'DC'],
    ];
    for (const n of list)
      rows.push(
        detailed
          ? [n.Node, n.ID, n.Address, n.Datacenter, kv(n.TaggedAddresses), kv(n.Meta)]
          : [n.Node, n.ID.slice(0, 8), n.Address, n.Datacenter],
      );
    ui.output(columnize(rows));
    return 0;
  },
};

const svcs = simple(
  `
Usage: consul catalog services [options]

  Retrieves the list services registered in a given datacenter. By default, the
  datacenter of the local agent is queried.
`,
  (f) => ({
    tags: f.bool(
      'tags',
      false,
      "Display each service's tags as a comma-separated list beside each service entry.",
    ),
  }),
);

export const catalogServicesCommand: Command = {
  synopsis: 'Lists all registered services in a datacenter',
  help: () => usage(svcs().help, svcs().f),
  async run({ args, ui, services }) {
    const { f, http, o } = svcs();
    if (parseFlags(f, args, ui) === null) return 1;
    const map = await getJsonOrReport<Record<string, string[]>>(
      http.client(services),
      ui,
      'Error listing services',
      '/v1/catalog/services',
    );
    if (map === null) return 1;
    const names = Object.keys(map).sort();
    if (names.length === 0) {
      ui.error('No services match the given query - try expanding your search.');
      return 0;
    }
    if (o.tags!.value === true) ui.output(columnize(names.map((n) => [n, [...map[n]!].sort().join(',')])));
    else for (const n of names) ui.output(n);
    return 0;
  },
};
