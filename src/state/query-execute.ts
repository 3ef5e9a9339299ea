// Running a (resolved) prepared query against the local catalog, as Consul's PreparedQuery.Execute
// does in one datacenter: the service's instances filtered by health (critical out; warning out with
// OnlyPassing; IgnoreCheckIDs skipped), tags ("!tag" excludes), node and service meta; shuffled, then
// sorted by RTT from the Near node when it has a coordinate (that node first); Limit last.

import { distance } from '../lib/coordinate-distance.js';
import type { Catalog, CatalogNode, HealthCheck, NodeService } from './catalog.js';
import type { Coordinates } from './coordinates.js';
import type { PreparedQuery } from './prepared-queries.js';

export interface QueryNode {
  node: CatalogNode;
  service: NodeService;
  checks: HealthCheck[];
  /** Worst status of the checks that count (IgnoreCheckIDs left out). */
  health: 'passing' | 'warning';
}

export interface ExecuteResult {
  Service: string;
  Nodes: QueryNode[];
  DNS: { TTL: string };
  Datacenter: string;
  Failovers: number;
}

export interface ExecuteOptions {
  datacenter: string;
  /** The node to sort near (already resolved from ?near / Service.Near, "_agent" and "_ip"); "" none. */
  near: string;
  limit: number;
  shuffle<T>(xs: T[]): T[];
}

function hasTag(tags: readonly string[], want: string): boolean {
  const w = want.toLowerCase();
  return tags.some((t) => t.toLowerCase() === w);
}

function metaMatches(have: Record<string, string>, want: Record<string, string> | null): boolean {
  return Object.entries(want ?? {}).every(([k, v]) => have[k] === v);
}

/** Sorts `rows` by estimated RTT from `near` (those without a coordinate last), `near` itself first. */
function sortNear(rows: QueryNode[], near: string, coords: Coordinates | null): QueryNode[] {
  const from = coords?.get(near)?.Coord;
  const out = from ? byDistance(rows, from, coords!) : [...rows];
  // The near node answers first when it is an instance (Consul looks within the first ten).
  const self = out.findIndex((r, i) => i < 10 && r.node.Node.toLowerCase() === near.toLowerCase());
  if (self > 0) [out[0], out[self]] = [out[self]!, out[0]!];
  return out;
}

function byDistance(
  rows: QueryNode[],
  from: { Vec: number[]; Height: number; Adjustment: number },
  coords: Coordinates,
): QueryNode[] {
  const at = (c: { Vec: number[]; Height: number; Adjustment: number }) => ({
    vec: c.Vec,
    height: c.Height,
    adjustment: c.Adjustment,
  });
  const origin = at(from);
  const rtt = (r: QueryNode) => {
    const c = coords.get(r.node.Node)?.Coord;
    return c ? distance(origin, at(c)) : Number.POSITIVE_INFINITY;
  };
  const keyed = rows.map((r) => ({ r, d: rtt(r) }));
  keyed.sort((a, b) => (a.d === b.d ? 0 : a.d < b.d ? -1 : 1)); // stable: equal distances keep the shuffled order
  return keyed.map((k) => k.r);
}

export function executeQuery(
  q: PreparedQuery,
  catalog: Catalog,
  coords: Coordinates | null,
  opts: ExecuteOptions,
): ExecuteResult {
  const svc = q.Service;
  const ignore = new Set(svc.IgnoreCheckIDs ?? []);
  const rows: QueryNode[] = [];
  for (const { node, service } of catalog.serviceNodes(svc.Service)) {
    const checks = catalog
      .nodeChecks(node.Node)
      .filter((c) => c.ServiceID === '' || c.ServiceID === service.ID);
    let health: QueryNode['health'] = 'passing';
    let drop = false;
    for (const c of checks) {
      if (ignore.has(c.CheckID)) continue;
      if (c.Status === 'critical' || c.Status === 'maintenance') drop = true;
      else if (c.Status === 'warning') {
        health = 'warning';
        if (svc.OnlyPassing) drop = true;
      }
    }
    if (drop) continue;
    const tagsOk = (svc.Tags ?? []).every((t) =>
      t.startsWith('!') ? !hasTag(service.Tags, t.slice(1)) : hasTag(service.Tags, t),
    );
    if (!tagsOk || !metaMatches(node.Meta, svc.NodeMeta) || !metaMatches(service.Meta, svc.ServiceMeta))
      continue;
    rows.push({ node, service, checks, health });
  }
  let nodes = opts.shuffle(rows);
  if (opts.near !== '') nodes = sortNear(nodes, opts.near, coords);
  if (opts.limit > 0) nodes = nodes.slice(0, opts.limit);
  return { Service: svc.Service, Nodes: nodes, DNS: q.DNS, Datacenter: opts.datacenter, Failovers: 0 };
}
