// `?near=<node>` (or `_agent`, this agent's node): results sorted by the estimated RTT from that node's
// LAN coordinate, as Consul's servers sort them. No coordinate for the source means no sort; an item
// whose node has no coordinate counts as infinitely far, so those keep their order at the end.

import { distance } from '../lib/coordinate-distance.js';
import type { Agent } from '../agent/agent.js';
import type { Coord } from '../state/coordinates.js';

/** The node a ?near names, with `_agent` standing for `self`; "" when none. */
export function nearNode(q: URLSearchParams, self: string): string {
  const n = q.get('near') ?? '';
  return n === '_agent' ? self : n;
}

const like = (c: Coord) => ({ vec: c.Vec, height: c.Height, adjustment: c.Adjustment });

export function sortByNear<T>(
  items: readonly T[],
  nodeOf: (t: T) => string,
  source: string,
  coordOf: (node: string) => Coord | undefined,
): T[] {
  const from = source === '' ? undefined : coordOf(source);
  if (!from) return [...items];
  const rtt = (t: T) => {
    const c = coordOf(nodeOf(t));
    return c && c.Vec.length === from.Vec.length ? distance(like(from), like(c)) : Infinity;
  };
  // Array.prototype.sort is stable, as Consul's sort.Stable.
  return items
    .map((t) => ({ t, d: rtt(t) }))
    .sort((a, b) => (a.d === b.d ? 0 : a.d < b.d ? -1 : 1))
    .map((x) => x.t);
}

/** The sorter endpoints use: ?near resolved against this agent, coordinates from its server's store. */
export function nearSorter(agent: Agent) {
  return <T>(q: URLSearchParams, items: readonly T[], nodeOf: (t: T) => string): T[] =>
    sortByNear(
      items,
      nodeOf,
      nearNode(q, agent.config.nodeName),
      (n) => agent.server?.state.coordinates.get(n)?.Coord,
    );
}

/**
 * A request forwarded to a server names this agent's node instead of `_agent` (Consul resolves it at
 * the agent that received the request, not at the server answering).
 */
export function resolveNearAgent(url: string, self: string): string {
  const i = url.indexOf('?');
  if (i < 0) return url;
  const q = new URLSearchParams(url.slice(i + 1));
  if (q.get('near') !== '_agent') return url;
  q.set('near', self);
  return `${url.slice(0, i)}?${q.toString()}`;
}
