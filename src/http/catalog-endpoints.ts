// /v1/catalog/*: register, deregister, datacenters, nodes, services, service/:name, node/:node.

import { blockingRead } from './query-meta.js';
import type { Agent } from '../agent/agent.js';
import { NoLeaderError, type DeregisterRequest, type RegisterRequest } from '../agent/server.js';
import {
  CATALOG_WATCH,
  Catalog,
  nodeWatch,
  serviceWatch,
  type CatalogNode,
  type HealthCheck,
  type NodeService,
} from '../state/catalog.js';
import { decodeBody, field, isObj, num, str, strList, strMap } from './decode.js';
import type { Reply, Request, Router } from './router.js';
import { countServiceQuery } from './service-query-metrics.js';
import { NO_SERVERS } from './status-endpoints.js';
import { nearSorter } from './near.js';
import { matchesNodeMeta, nodeMetaPairs, serviceNodeFilter } from './filter.js';
import { queryMetaHeaders } from './query-meta.js';

const MAX_BODY = 512 * 1024;

/** A registration's Weights, when it gives them (Consul keeps 1/1 otherwise). */
function weights(w: unknown): { Weights?: { Passing: number; Warning: number } } {
  if (!isObj(w)) return {};
  return { Weights: { Passing: num(field(w, 'Passing')) ?? 1, Warning: num(field(w, 'Warning')) ?? 1 } };
}

function parseRegister(v: unknown): RegisterRequest {
  const svc = field(v, 'Service');
  const check = (c: unknown): Partial<HealthCheck> => ({
    CheckID: str(field(c, 'CheckID')) ?? str(field(c, 'ID')),
    Name: str(field(c, 'Name')),
    Status: str(field(c, 'Status')),
    Notes: str(field(c, 'Notes')),
    Output: str(field(c, 'Output')),
    ServiceID: str(field(c, 'ServiceID')),
    Type: str(field(c, 'Type')),
  });
  const checks = field(v, 'Checks');
  return {
    ID: str(field(v, 'ID')),
    Node: str(field(v, 'Node')) ?? '',
    Address: str(field(v, 'Address')) ?? '',
    TaggedAddresses: strMap(field(v, 'TaggedAddresses')),
    NodeMeta: strMap(field(v, 'NodeMeta')),
    SkipNodeUpdate: field(v, 'SkipNodeUpdate') === true,
    Service: isObj(svc)
      ? {
          ID: str(field(svc, 'ID')),
          Service: str(field(svc, 'Service')) ?? '',
          Tags: strList(field(svc, 'Tags')),
          Address: str(field(svc, 'Address')),
          Meta: strMap(field(svc, 'Meta')),
          Port: num(field(svc, 'Port')),
          EnableTagOverride: field(svc, 'EnableTagOverride') === true,
          ...weights(field(svc, 'Weights')),
        }
      : undefined,
    Check: isObj(field(v, 'Check')) ? check(field(v, 'Check')) : undefined,
    Checks: Array.isArray(checks) ? checks.map(check) : undefined,
  };
}

/** A service instance with its node, as /v1/catalog/service/:name lists it (Consul's ServiceNode). */
function serviceNodeJson(node: CatalogNode, s: NodeService): Record<string, unknown> {
  return {
    ID: node.ID,
    Node: node.Node,
    Address: node.Address,
    Datacenter: node.Datacenter,
    TaggedAddresses: node.TaggedAddresses,
    NodeMeta: node.Meta,
    ServiceKind: '',
    ServiceID: s.ID,
    ServiceName: s.Service,
    ServiceTags: s.Tags,
    ServiceAddress: s.Address,
    ServiceWeights: s.Weights,
    ServiceMeta: s.Meta,
    ServicePort: s.Port,
    ServiceSocketPath: '',
    ServiceEnableTagOverride: s.EnableTagOverride,
    ServiceProxy: { Mode: '', MeshGateway: {}, Expose: {} },
    ServiceConnect: {},
    CreateIndex: s.CreateIndex,
    ModifyIndex: s.ModifyIndex,
  };
}

/**
 * serviceName → union of tags, over the nodes whose meta matches every `?node-meta` pair and the
 * instances `keep` accepts (the `?filter`, evaluated on each instance as a ServiceNode).
 */
function listServices(
  c: Catalog,
  meta: Array<[string, string]>,
  keep: ((x: unknown) => boolean) | null,
): Record<string, string[]> {
  if (meta.length === 0 && keep === null) return c.listServices();
  const out = new Map<string, Set<string>>();
  for (const n of c.listNodes()) {
    if (!matchesNodeMeta(n.Meta, meta)) continue;
    for (const s of c.node(n.Node)?.services ?? []) {
      if (keep && !keep(serviceNodeJson(n, s))) continue;
      const tags = out.get(s.Service) ?? new Set<string>();
      for (const t of s.Tags) tags.add(t);
      out.set(s.Service, tags);
    }
  }
  return Object.fromEntries([...out].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, [...v]]));
}

/** A NodeService as Consul encodes it (Kind and TaggedAddresses are omitted when empty). */
function nodeServiceJson(s: NodeService): Record<string, unknown> {
  return {
    ID: s.ID,
    Service: s.Service,
    Tags: s.Tags,
    Address: s.Address,
    Meta: s.Meta,
    Port: s.Port,
    Weights: s.Weights,
    EnableTagOverride: s.EnableTagOverride,
    Proxy: { Mode: '', MeshGateway: {}, Expose: {} },
    Connect: {},
    CreateIndex: s.CreateIndex,
    ModifyIndex: s.ModifyIndex,
  };
}

export function registerCatalogEndpoints(r: Router, agent: Agent): void {
  const write = async (req: Request, apply: (body: unknown) => Promise<void> | Error): Promise<Reply> => {
    const s = agent.server;
    if (!s) return { status: 500, text: NO_SERVERS };
    const raw = await req.ex.readBody(MAX_BODY);
    if (raw === null) return { status: 413, text: 'Request body too large' };
    const body = decodeBody(raw);
    if (!body.ok) return { status: 400, text: body.error };
    try {
      const res = apply(body.value);
      if (res instanceof Error) return { status: 400, text: res.message };
      await res;
      return { json: true };
    } catch (e) {
      if (e instanceof NoLeaderError) return { status: 500, text: e.message };
      throw e;
    }
  };

  const sortNear = nearSorter(agent);
  const near = <T>(req: Request, items: readonly T[], nodeOf: (t: T) => string): T[] =>
    sortNear(req.query, items, nodeOf);

  r.on('PUT', '/v1/catalog/register', (req) =>
    write(req, (v) => {
      const reg = parseRegister(v);
      const bad = Catalog.validate(reg);
      if (bad) return bad;
      return agent.server!.catalogRegister(reg);
    }),
  );

  r.on('PUT', '/v1/catalog/deregister', (req) =>
    write(req, (v) => {
      const d: DeregisterRequest = {
        Node: str(field(v, 'Node')) ?? '',
        ServiceID: str(field(v, 'ServiceID')),
        CheckID: str(field(v, 'CheckID')),
      };
      if (!d.Node) return new Error('Missing node name');
      return agent.server!.catalogDeregister(d);
    }),
  );

  r.on('GET', '/v1/catalog/datacenters', () => ({ json: agent.datacenters() }));

  /** A blocking read woken by writes to watch key `key` only (the whole table's, a service's, a node's). */
  const read = <T extends { index: number }>(
    req: Request,
    query: () => T,
    reply: (t: T) => Reply,
    key = CATALOG_WATCH,
  ) => {
    const r = blockingRead(agent, req, (s) => s.state.catalog.watches, key, query);
    if (!(r instanceof Promise)) return r;
    return r.then((t) => ({ ...reply(t), headers: queryMetaHeaders(agent, req.query, t.index) }));
  };

  // The whole catalog for a client agent's mirror (proconsul's own, not a Consul endpoint).
  r.on('GET', '/v1/internal/proconsul/catalog', (req) => {
    const c = agent.server?.state.catalog;
    return read(
      req,
      () => c?.exportAll() ?? { index: 1, nodes: [] },
      (t) => ({ json: t }),
    );
  });

  r.on('GET', '/v1/catalog/nodes', (req) => {
    const c = agent.server?.state.catalog;
    return read(
      req,
      () => ({ index: c?.index ?? 1, nodes: c?.listNodes() ?? [] }),
      (t) => ({ json: near(req, t.nodes, (n) => n.Node) }),
    );
  });

  r.on('GET', '/v1/catalog/services', (req) => {
    const c = agent.server?.state.catalog;
    const keep = serviceNodeFilter(req.query);
    if (keep !== null && typeof keep !== 'function') return keep;
    const meta = nodeMetaPairs(req.query);
    return read(
      req,
      () => ({ index: c?.index ?? 1, services: c ? listServices(c, meta, keep) : {} }),
      (t) => ({ json: t.services }),
    );
  });

  r.on('GET', '/v1/catalog/service/:service', (req) => {
    const c = agent.server?.state.catalog;
    const name = req.params.service ?? '';
    if (name === '') return { status: 400, text: 'Missing service name' };
    const tags = req.query.getAll('tag');
    countServiceQuery(agent, 'catalog', name, tags);
    return read(
      req,
      () => ({ index: c?.serviceIndex(name, false) ?? 1, rows: c?.serviceNodes(name, tags) ?? [] }),
      (t) => ({
        json: near(req, t.rows, (x) => x.node.Node).map(({ node, service }) =>
          serviceNodeJson(node, service),
        ),
      }),
      serviceWatch(name),
    );
  });

  r.on('GET', '/v1/catalog/node/:node', (req) => {
    const c = agent.server?.state.catalog;
    const name = req.params.node ?? '';
    if (name === '') return { status: 400, text: 'Missing node name' };
    return read(
      req,
      () => ({ index: c?.nodeServicesIndex ?? 1, entry: c?.node(name) ?? null }),
      (t) => ({
        json: t.entry && {
          Node: t.entry.node,
          Services: Object.fromEntries(t.entry.services.map((s) => [s.ID, s])),
        },
      }),
      nodeWatch(name),
    );
  });

  // The array form (Consul 1.7+): an unknown node is 200 with both fields null, as Consul's zero value.
  r.on('GET', '/v1/catalog/node-services/:node', (req) => {
    const c = agent.server?.state.catalog;
    const name = req.params.node ?? '';
    if (name === '') return { status: 400, text: 'Missing node name' };
    return read(
      req,
      () => ({ index: c?.nodeServicesIndex ?? 1, entry: c?.node(name) ?? null }),
      (t) => ({
        json: t.entry
          ? { Node: t.entry.node, Services: t.entry.services.map(nodeServiceJson) }
          : { Node: null, Services: null },
      }),
      nodeWatch(name),
    );
  });
}
