// Executing a prepared query as Consul's PreparedQuery.Execute does, for the HTTP API and DNS: resolve
// it on a server, run it against the local catalog (near "_agent" / "_ip" resolved here), and when no
// instance is left fail over to other datacenters — the NearestN closest by WAN RTT, then the listed
// Datacenters, each at most once — shipping the rendered query to one of their servers. A client asks
// its servers over HTTP.

import type { Agent } from './agent.js';
import type { HttpAnswer } from './rpc.js';
import type { PreparedQuery } from '../state/prepared-queries.js';
import { executeQuery, type ExecuteResult, type QueryNode } from '../state/query-execute.js';
import type { CatalogNode, HealthCheck, NodeService } from '../state/catalog.js';

export interface ExecuteParams {
  /** ?near (already "" when absent). */
  near: string;
  limit: number;
  /** The requester's address, for near "_ip". */
  sourceIp: string;
}

/** Consul's structs.ErrQueryNotFound text (HTTP 404, DNS NXDOMAIN). */
export const QUERY_NOT_FOUND = 'Query not found';

export type ExecuteOutcome =
  { ok: true; result: ExecuteResult } | { ok: false; status: number; text: string };

/** The internal path a remote datacenter's server runs a shipped query on (proconsul's own). */
export const EXECUTE_REMOTE_PATH = '/v1/internal/proconsul/query-execute-remote';

const dec = new TextDecoder();
const enc = new TextEncoder();

/** A CheckServiceNode as the execute JSON carries it, back into the store's shape. */
function fromJson(n: { Node: CatalogNode; Service: NodeService; Checks: HealthCheck[] }): QueryNode {
  return {
    node: n.Node,
    service: n.Service,
    checks: n.Checks,
    health: n.Checks.some((c) => c.Status === 'warning') ? 'warning' : 'passing',
  };
}

function parseAnswer(a: HttpAnswer): ExecuteOutcome {
  if (a.status !== 200) return { ok: false, status: a.status, text: dec.decode(a.body).replace(/\n$/, '') };
  const j = JSON.parse(dec.decode(a.body)) as Omit<ExecuteResult, 'Nodes'> & {
    Nodes: Array<{ Node: CatalogNode; Service: NodeService; Checks: HealthCheck[] }>;
  };
  return { ok: true, result: { ...j, Nodes: j.Nodes.map(fromJson) } };
}

/** The node to sort near: ?near over the query's Near; "_agent" is this agent, "_ip" the node at the source address. */
function nearNode(agent: Agent, q: PreparedQuery, p: ExecuteParams): string {
  const near = p.near !== '' ? p.near : q.Service.Near;
  if (near === '_agent') return agent.config.nodeName;
  if (near === '_ip') {
    const nodes = agent.server?.state.catalog.listNodes() ?? [];
    return nodes.find((n) => n.Address === p.sourceIp)?.Node ?? '';
  }
  return near;
}

function shuffler(agent: Agent) {
  return <T>(xs: T[]): T[] => {
    const out = [...xs];
    for (let i = out.length - 1; i > 0; i--) {
      const j = agent.rng.int(i + 1);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  };
}

/** Runs an already-resolved query against this server's catalog. */
export function executeHere(agent: Agent, q: PreparedQuery, p: ExecuteParams): ExecuteResult {
  const s = agent.server!.state;
  return executeQuery(q, s.catalog, s.coordinates, {
    datacenter: agent.config.datacenter,
    near: nearNode(agent, q, p),
    limit: p.limit,
    shuffle: shuffler(agent),
  });
}

/** Datacenters to fail over to, in Consul's order: NearestN by RTT, then the named ones, known ones only, ours never. */
function failoverTargets(agent: Agent, q: PreparedQuery): string[] {
  const known = agent.datacenters();
  const ours = agent.config.datacenter;
  const out: string[] = [];
  for (const dc of known.filter((x) => x !== ours).slice(0, q.Service.Failover.NearestN)) out.push(dc);
  for (const dc of q.Service.Failover.Datacenters ?? [])
    if (dc !== ours && known.includes(dc) && !out.includes(dc)) out.push(dc);
  return out;
}

async function failover(
  agent: Agent,
  q: PreparedQuery,
  p: ExecuteParams,
  local: ExecuteResult,
): Promise<ExecuteResult> {
  let failovers = 0;
  for (const dc of failoverTargets(agent, q)) {
    failovers++;
    const a = await agent.forwardToDatacenter(dc, {
      method: 'POST',
      url: EXECUTE_REMOTE_PATH,
      headers: new Map([['content-type', 'application/json']]),
      body: enc.encode(JSON.stringify({ Query: q, Limit: p.limit })),
    });
    const r = parseAnswer(a);
    if (!r.ok) {
      agent.logger
        .named('server')
        .warn('Failed querying for service in datacenter', 'service', q.Service.Service, 'datacenter', dc);
      continue;
    }
    if (r.result.Nodes.length > 0) return { ...r.result, Failovers: failovers };
  }
  return { ...local, Failovers: failovers };
}

/**
 * Resolves and runs `idOrName` on a server of `datacenter` (ours by default): here when this agent is
 * one of ours, else through a server (a client's, or the other datacenter's).
 */
export async function runPreparedQuery(
  agent: Agent,
  idOrName: string,
  p: ExecuteParams,
  datacenter = agent.config.datacenter,
): Promise<ExecuteOutcome> {
  const s = agent.server;
  const remote = datacenter !== agent.config.datacenter;
  if (!s || remote) {
    const qs = new URLSearchParams();
    if (p.near !== '') qs.set('near', p.near);
    if (p.limit > 0) qs.set('limit', String(p.limit));
    if (remote && !s) qs.set('dc', datacenter);
    const call = {
      method: 'GET',
      url: `/v1/query/${encodeURIComponent(idOrName)}/execute?${qs.toString()}`,
      // The requester's address travels as Consul's HTTP source does, for near "_ip" over there.
      headers: new Map<string, string>(p.sourceIp ? [['x-forwarded-for', p.sourceIp]] : []),
      body: new Uint8Array(),
    };
    return parseAnswer(s ? await agent.forwardToDatacenter(datacenter, call) : await agent.forwardHttp(call));
  }
  const q = s.state.queries.resolve(idOrName);
  if (q === null) return { ok: false, status: 404, text: QUERY_NOT_FOUND };
  if (q instanceof Error) return { ok: false, status: 500, text: q.message };
  const local = executeHere(agent, q, p);
  if (local.Nodes.length > 0) return { ok: true, result: local };
  return { ok: true, result: await failover(agent, q, p, local) };
}
