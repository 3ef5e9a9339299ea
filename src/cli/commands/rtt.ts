// consul rtt [-wan] node1 [node2]: the round-trip estimate between two nodes' Vivaldi coordinates.

import type { Command } from '../command.js';
import { FlagSet } from '../../lib/flags.js';
import { addHttpFlags } from '../http-flags.js';
import { parseFlags } from '../parse.js';
import { usage } from '../usage.js';
import { distance, type CoordinateLike } from '../../lib/coordinate-distance.js';

const HELP = `
Usage: consul rtt [options] node1 [node2]

  Estimates the round trip time between two nodes using Consul's network
  coordinate model of the cluster.

  At least one node name is required. If the second node name isn't given, it
  is set to the agent's node name. These are node names as known to Consul as
  the "consul members" command would show, not IP addresses.

  By default, the two nodes are assumed to be nodes in the local datacenter
  and the LAN coordinates are used. If the -wan option is given, then the WAN
  coordinates are used, and the node names must be suffixed by a period and
  the datacenter (eg. "myserver.dc1").

  It is not possible to measure between LAN coordinates and WAN coordinates
  because they are maintained by independent Serf gossip areas, so they are
  not compatible.
`;

interface WireCoord {
  Vec: number[];
  Error: number;
  Adjustment: number;
  Height: number;
}

function flags() {
  const f = new FlagSet();
  const http = addHttpFlags(f);
  const wan = f.bool('wan', false, 'Use WAN coordinates instead of LAN coordinates.');
  return { f, http, wan };
}

const toCoord = (c: WireCoord): CoordinateLike => ({
  vec: c.Vec,
  adjustment: c.Adjustment,
  height: c.Height,
});

export const rttCommand: Command = {
  synopsis: 'Estimates network round trip time between nodes',
  help: () => usage(HELP, flags().f),
  async run({ args, ui, services }) {
    const { f, http, wan } = flags();
    const nodes = parseFlags(f, args, ui);
    if (nodes === null) return 1;
    if (nodes.length < 1 || nodes.length > 2) {
      ui.error('One or two node names must be specified');
      ui.error('');
      ui.error(usage(HELP, f));
      return 1;
    }
    const client = http.client(services);
    try {
      if (nodes.length === 1) {
        const self = await client.getJson<{ Config: { NodeName: string; Datacenter: string } }>(
          '/v1/agent/self',
        );
        nodes.push(wan.value ? `${self.Config.NodeName}.${self.Config.Datacenter}` : self.Config.NodeName);
      }
      const coords = new Map<string, WireCoord>();
      if (wan.value) {
        const dcs = await client.getJson<Array<{ Coordinates: Array<{ Node: string; Coord: WireCoord }> }>>(
          '/v1/coordinate/datacenters',
        );
        for (const dc of dcs) for (const c of dc.Coordinates) coords.set(c.Node, c.Coord);
      } else {
        const list = await client.getJson<Array<{ Node: string; Coord: WireCoord }>>('/v1/coordinate/nodes');
        for (const c of list) coords.set(c.Node, c.Coord);
      }
      const [a, b] = nodes as [string, string];
      for (const n of [a, b])
        if (!coords.has(n)) {
          ui.error(`Could not find a coordinate for node "${n}"`);
          return 1;
        }
      const secs = distance(toCoord(coords.get(a)!), toCoord(coords.get(b)!));
      ui.output(
        `Estimated ${a} <-> ${b} rtt: ${(secs * 1000).toFixed(3)} ms (using ${wan.value ? 'WAN' : 'LAN'} coordinates)`,
      );
      return 0;
    } catch (e) {
      ui.error(`Error getting coordinates: ${(e as Error).message}`);
      return 1;
    }
  },
};
