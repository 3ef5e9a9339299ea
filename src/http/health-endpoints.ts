// /v1/health/*: node checks, a service's checks, service instances with their checks (?passing),
// and checks by state.

import { blockingRead } from './query-meta.js';
import type { Agent } from '../agent/agent.js';
import { CATALOG_WATCH, nodeWatch, serviceWatch, type Catalog, type HealthCheck } from '../state/catalog.js';
import type { Reply, Request, Router } from './router.js';
import { countServiceQuery } from './service-query-metrics.js';
import { nearSorter } from './near.js';
import { matchesNodeMeta, nodeMetaPairs } from './filter.js';
import { queryMetaHeaders } from './query-meta.js';

const STATES = ['any', 'passing', 'warning', 'critical'];

/** Go's strconv.ParseBool spellings; a bare `?passing` is true (Consul's backwards compatibility). */
const BOOLS: Record<string, boolean> = {
  '': true,
  '1': true,
  t: true,
  T: true,
  true: true,
  TRUE: true,
  True: true,
  '0': false,
  f: false,
  F: false,
  false: false,
  FALSE: false,
  False: false,
};

export function parsePassing(q: URLSearchParams): boolean | Error {
  const v = q.get('passing');
  if (v === null) return false;
  return Object.hasOwn(BOOLS, v) ? BOOLS[v]! : new Error('Invalid value for ?passing');
}

/** The checks whose node's meta matches every `?node-meta` pair. */
function onMatchingNodes(c: Catalog, q: URLSearchParams, checks: HealthCheck[]): HealthCheck[] {
  const meta = nodeMetaPairs(q);
  if (meta.length === 0) return checks;
  return checks.filter((x) => matchesNodeMeta(c.node(x.Node)?.node.Meta, meta));
}

function checkJson(c: HealthCheck): Record<string, unknown> {
  return { ...c, Definition: {} };
}

export function registerHealthEndpoints(r: Router, agent: Agent): void {
  /**
   * A blocking read woken by writes to watch key `key` only, answering with the X-Consul-Index
   * `index` gives (Consul's for that read).
   */
  const read = <T>(
    req: Request,
    q: (c: Catalog) => T,
    reply: (t: T) => Reply,
    key: string,
    index: (c: Catalog) => number,
  ): Reply | Promise<Reply> => {
    const c = agent.server?.state.catalog;
    const r = blockingRead(
      agent,
      req,
      (s) => s.state.catalog.watches,
      key,
      () => ({
        index: index(c!),
        value: q(c!),
      }),
    );
    if (!(r instanceof Promise)) return r;
    return r.then((t) => ({
      ...reply(t.value),
      headers: queryMetaHeaders(agent, req.query, t.index),
    }));
  };

  const sortNear = nearSorter(agent);
  const near = <T>(req: Request, items: readonly T[], nodeOf: (t: T) => string): T[] =>
    sortNear(req.query, items, nodeOf);

  r.on('GET', '/v1/health/node/:node', (req) =>
    read(
      req,
      (c) => c.nodeChecks(req.params.node ?? ''),
      (v) => ({ json: v.map(checkJson) }),
      nodeWatch(req.params.node ?? ''),
      (c) => c.checksIndex,
    ),
  );

  r.on('GET', '/v1/health/checks/:service', (req) =>
    read(
      req,
      (c) =>
        onMatchingNodes(
          c,
          req.query,
          c.allChecks().filter((x) => x.ServiceName === req.params.service),
        ),
      (v) => ({ json: near(req, v, (x) => x.Node).map(checkJson) }),
      serviceWatch(req.params.service ?? ''),
      (c) => c.checksIndex,
    ),
  );

  r.on('GET', '/v1/health/state/:state', (req) => {
    const state = req.params.state ?? '';
    if (!STATES.includes(state)) return { status: 400, text: `Bad state: ${state}` };
    return read(
      req,
      (c) =>
        onMatchingNodes(
          c,
          req.query,
          c.allChecks().filter((x) => state === 'any' || x.Status === state),
        ),
      (v) => ({ json: near(req, v, (x) => x.Node).map(checkJson) }),
      CATALOG_WATCH,
      (c) => c.checksIndex,
    );
  });

  r.on('GET', '/v1/health/service/:service', (req) => {
    const passing = parsePassing(req.query);
    if (passing instanceof Error) return { status: 400, text: passing.message };
    const tags = req.query.getAll('tag');
    countServiceQuery(agent, 'health', req.params.service ?? '', tags);
    return read(
      req,
      (c) =>
        c
          .serviceNodes(req.params.service ?? '', tags)
          .map(({ node, service }) => ({
            node,
            service,
            checks: c.nodeChecks(node.Node).filter((x) => x.ServiceID === '' || x.ServiceID === service.ID),
          }))
          .filter((e) => !passing || e.checks.every((x) => x.Status === 'passing')),
      (v) => ({
        json: near(req, v, (e) => e.node.Node).map((e) => ({
          Node: e.node,
          Service: e.service,
          Checks: e.checks.map(checkJson),
        })),
      }),
      serviceWatch(req.params.service ?? ''),
      (c) => c.serviceIndex(req.params.service ?? '', true),
    );
  });
}
