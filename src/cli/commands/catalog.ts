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

/** `-node-meta k=v` pairs as the API's `?node-meta=k:v` list. */
const metaQuery = (m: Record<string, string>) => Object.entries(m).map(([k, v]) => `${k}:${v}`);

const nodes = simple(
  `
Usage: consul catalog nodes [options]

  Retrieves the list nodes registered in a given datacenter. By default, the
  datacenter of the local agent is queried.

  To retrieve the list of nodes:

      $ consul catalog nodes

  To print detailed information including full node IDs, tagged addresses, and
  metadata information:

      $ consul catalog nodes -detailed

  To list nodes which are running a particular service:

      $ consul catalog nodes -service=web

  To filter by node metadata:

      $ consul catalog nodes -node-meta="foo=bar"

  To sort nodes by estimated round-trip time from node-web:

      $ consul catalog nodes -near=node-web

  For a full list of options and examples, please see the Consul documentation.
`,
  (f) => ({
    detailed: f.bool(
      'detailed',
      false,
      'Output detailed information about the nodes including their addresses and metadata.',
    ),
    near: f.string(
      'near',
      '',
      'Node name to sort the node list in ascending order based on estimated round-trip time from that ' +
        'node. Passing "_agent" will use this agent\'s node for sorting.',
    ),
    nodeMeta: f.map(
      'node-meta',
      'Metadata to filter nodes with the given `key=value` pairs. This flag may be specified multiple ' +
        'times to filter on multiple sources of metadata.',
    ),
    service: f.string(
      'service',
      '',
      'Service `id or name` to filter nodes. Only nodes which are providing the given service will be ' +
        'returned.',
    ),
    filter: f.string('filter', '', 'Filter to use with the request'),
  }),
);

interface ServiceNode {
  ID: string;
  Node: string;
  Address: string;
  Datacenter: string;
  TaggedAddresses: Record<string, string>;
  NodeMeta: Record<string, string>;
}

export const catalogNodesCommand: Command = {
  synopsis: 'Lists all nodes in the given datacenter',
  help: () => usage(nodes().help, nodes().f),
  async run({ args, ui, services }) {
    const { f, http, o } = nodes();
    if (parseFlags(f, args, ui) === null) return 1;
    const query = {
      near: (o.near!.value as string) || undefined,
      'node-meta': metaQuery(o.nodeMeta!.value as Record<string, string>),
      filter: (o.filter!.value as string) || undefined,
    };
    const service = o.service!.value as string;
    let list: CatalogNode[] | null;
    if (service !== '') {
      // The instances of the service, seen as their nodes (one row per instance, as Consul prints).
      const rows = await getJsonOrReport<ServiceNode[]>(
        http.client(services),
        ui,
        'Error listing nodes for service',
        `/v1/catalog/service/${encodeURIComponent(service)}`,
        query,
      );
      list = rows && rows.map((s) => ({ ...s, Meta: s.NodeMeta }));
    } else {
      list = await getJsonOrReport<CatalogNode[]>(
        http.client(services),
        ui,
        'Error listing nodes',
        '/v1/catalog/nodes',
        query,
      );
    }
    if (list === null) return 1;
    if (list.length === 0) {
      ui.error('No nodes match the given query - try expanding your search.');
      return 0;
    }
    const kv = (m: Record<string, string> | null) =>
      Object.keys(m ?? {})
        .sort()
        .map((k) => `${k}=${m![k]}`)
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

  To retrieve the list of services:

      $ consul catalog services

  To include the services' tags in the output:

      $ consul catalog services -tags

  To list services which run on a particular node:

      $ consul catalog services -node=web

  To filter services on node metadata:

      $ consul catalog services -node-meta="foo=bar"

  For a full list of options and examples, please see the Consul documentation.
`,
  (f) => ({
    node: f.string('node', '', 'Node `id or name` for which to list services.'),
    nodeMeta: f.map(
      'node-meta',
      'Metadata to filter nodes with the given `key=value` pairs. If specified, only services running on ' +
        'nodes matching the metadata will be returned. This flag may be specified multiple times to filter ' +
        'on multiple sources of metadata.',
    ),
    tags: f.bool(
      'tags',
      false,
      "Display each service's tags as a comma-separated list beside each service entry.",
    ),
    filter: f.string('filter', '', 'Filter to use with the request'),
  }),
);

export const catalogServicesCommand: Command = {
  synopsis: 'Lists all registered services in a datacenter',
  help: () => usage(svcs().help, svcs().f),
  async run({ args, ui, services }) {
    const { f, http, o } = svcs();
    if (parseFlags(f, args, ui) === null) return 1;
    const query = {
      'node-meta': metaQuery(o.nodeMeta!.value as Record<string, string>),
      filter: (o.filter!.value as string) || undefined,
    };
    const node = o.node!.value as string;
    let map: Record<string, string[]> | null;
    if (node !== '') {
      // An unknown node answers null (no services); only a failed request is an error here.
      let entry: { Services: Record<string, { Service: string; Tags: string[] | null }> } | null;
      try {
        entry = await http.client(services).getJson(`/v1/catalog/node/${encodeURIComponent(node)}`, query);
      } catch (e) {
        ui.error(`Error listing services for node: ${(e as Error).message}`);
        return 1;
      }
      map = {};
      // Tags of every instance, appended (duplicates kept, as Consul's command does).
      for (const s of Object.values(entry?.Services ?? {}))
        map[s.Service] = [...(map[s.Service] ?? []), ...(s.Tags ?? [])];
    } else {
      map = await getJsonOrReport<Record<string, string[]>>(
        http.client(services),
        ui,
        'Error listing services',
        '/v1/catalog/services',
        query,
      );
    }
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
