// `?filter=` (and the older `?node-meta=k:v`) on listing endpoints: the expression is compiled against
// the shape of what the endpoint lists before the request runs (a bad one is a 500 with the parser's
// text), then applied to each listed element — each array item, each value of a map response, or each
// of a node's Services for /v1/catalog/node/:node and /v1/catalog/node-services/:node.

import { compileFilter, evaluate, FilterError, type Expr, type Shape } from '../lib/bexpr.js';
import type { Reply } from './router.js';

const S = 'string' as const;
const N = 'number' as const;
const B = 'bool' as const;
const strMap: Shape = { map: S };
const strList: Shape = { list: S };
const weights: Shape = { struct: { Passing: N, Warning: N } };

const NODE: Shape = {
  struct: {
    ID: S,
    Node: S,
    Address: S,
    Datacenter: S,
    TaggedAddresses: strMap,
    Meta: strMap,
    CreateIndex: N,
    ModifyIndex: N,
  },
};
const SERVICE: Shape = {
  struct: {
    ID: S,
    Service: S,
    Kind: S,
    Tags: strList,
    Address: S,
    Meta: strMap,
    Port: N,
    Weights: weights,
    EnableTagOverride: B,
    TaggedAddresses: { map: { struct: { Address: S, Port: N } } },
    Datacenter: S,
    CreateIndex: N,
    ModifyIndex: N,
  },
};
const CHECK: Shape = {
  struct: {
    Node: S,
    CheckID: S,
    Name: S,
    Status: S,
    Notes: S,
    Output: S,
    ServiceID: S,
    ServiceName: S,
    ServiceTags: strList,
    Type: S,
    CreateIndex: N,
    ModifyIndex: N,
  },
};
const SERVICE_NODE: Shape = {
  struct: {
    ID: S,
    Node: S,
    Address: S,
    Datacenter: S,
    TaggedAddresses: strMap,
    NodeMeta: strMap,
    ServiceKind: S,
    ServiceID: S,
    ServiceName: S,
    ServiceTags: strList,
    ServiceAddress: S,
    ServiceWeights: weights,
    ServiceMeta: strMap,
    ServicePort: N,
    ServiceEnableTagOverride: B,
    CreateIndex: N,
    ModifyIndex: N,
  },
};
const CHECK_SERVICE_NODE: Shape = { struct: { Node: NODE, Service: SERVICE, Checks: { list: CHECK } } };
const MEMBER: Shape = {
  struct: {
    Name: S,
    Addr: S,
    Port: N,
    Tags: strMap,
    Status: N,
    ProtocolMin: N,
    ProtocolMax: N,
    ProtocolCur: N,
    DelegateMin: N,
    DelegateMax: N,
    DelegateCur: N,
  },
};

type Where = 'items' | 'values' | 'services' | 'service-list';

/** Which endpoints take ?filter, what they list, and where the node's meta is for ?node-meta. */
const ROUTES: Array<{ re: RegExp; shape: Shape; where: Where; nodeMeta?: (x: unknown) => unknown }> = [
  { re: /^\/v1\/catalog\/nodes$/, shape: NODE, where: 'items', nodeMeta: (x) => get(x, 'Meta') },
  {
    re: /^\/v1\/catalog\/service\/[^/]+$/,
    shape: SERVICE_NODE,
    where: 'items',
    nodeMeta: (x) => get(x, 'NodeMeta'),
  },
  { re: /^\/v1\/catalog\/node\/[^/]+$/, shape: SERVICE, where: 'services' },
  { re: /^\/v1\/catalog\/node-services\/[^/]+$/, shape: SERVICE, where: 'service-list' },
  { re: /^\/v1\/health\/(node|checks|state)\/[^/]+$/, shape: CHECK, where: 'items' },
  {
    re: /^\/v1\/health\/service\/[^/]+$/,
    shape: CHECK_SERVICE_NODE,
    where: 'items',
    nodeMeta: (x) => get(get(x, 'Node'), 'Meta'),
  },
  { re: /^\/v1\/agent\/services$/, shape: SERVICE, where: 'values' },
  { re: /^\/v1\/agent\/checks$/, shape: CHECK, where: 'values' },
  { re: /^\/v1\/agent\/members$/, shape: MEMBER, where: 'items' },
];

function get(x: unknown, k: string): unknown {
  return x !== null && typeof x === 'object' ? (x as Record<string, unknown>)[k] : undefined;
}

/** The `?node-meta=k:v` pairs (split at the first ':'; no ':' means an empty value), all of which must match. */
export function nodeMetaPairs(q: URLSearchParams): Array<[string, string]> {
  return q.getAll('node-meta').map((p) => {
    const i = p.indexOf(':');
    return i < 0 ? [p, ''] : [p.slice(0, i), p.slice(i + 1)];
  });
}

export function matchesNodeMeta(meta: unknown, pairs: ReadonlyArray<[string, string]>): boolean {
  return pairs.every(([k, v]) => get(meta, k) === v);
}

/**
 * `?filter` for /v1/catalog/services, which Consul evaluates on each service instance (a ServiceNode, as
 * /v1/catalog/service/:name lists it) before building the name → tags map: null when none is asked for,
 * the predicate, or the 500 reply for a bad expression.
 */
export function serviceNodeFilter(q: URLSearchParams): ((x: unknown) => boolean) | Reply | null {
  const src = q.get('filter');
  if (!src) return null;
  const c = compileFilter(src, SERVICE_NODE);
  if (c instanceof FilterError) return { status: 500, text: c.message };
  return (x) => evaluate(c, x);
}

export interface ListFilter {
  apply(json: unknown): unknown;
}

/** The filter this request asks for (null: none), or the 500 reply for a bad expression. */
export function requestFilter(path: string, q: URLSearchParams): ListFilter | Reply | null {
  const route = ROUTES.find((r) => r.re.test(path));
  if (!route) return null;
  const src = q.get('filter');
  const metaPairs = route.nodeMeta ? nodeMetaPairs(q) : [];
  if (!src && metaPairs.length === 0) return null;
  let expr: Expr | null = null;
  if (src) {
    const c = compileFilter(src, route.shape);
    if (c instanceof FilterError) return { status: 500, text: c.message };
    expr = c;
  }
  const keep = (x: unknown) =>
    (expr === null || evaluate(expr, x)) &&
    (metaPairs.length === 0 || matchesNodeMeta(route.nodeMeta!(x), metaPairs));
  return {
    apply(json) {
      if (route.where === 'items') return Array.isArray(json) ? json.filter(keep) : json;
      if (route.where === 'values')
        return json && typeof json === 'object'
          ? Object.fromEntries(Object.entries(json).filter(([, v]) => keep(v)))
          : json;
      const services = get(json, 'Services');
      if (route.where === 'service-list')
        return Array.isArray(services) ? { ...(json as object), Services: services.filter(keep) } : json;
      if (!services || typeof services !== 'object') return json;
      return {
        ...(json as object),
        Services: Object.fromEntries(Object.entries(services).filter(([, v]) => keep(v))),
      };
    },
  };
}
