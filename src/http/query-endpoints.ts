// /v1/query: prepared queries — create (POST, {"ID"}), list, and per query get, update (PUT), delete,
// execute (?near, ?limit) and explain (the rendered template), with Consul's texts: 404 "Query not
// found", 500 for what PreparedQuery.Apply refuses, 400 "Request decode failed: …".

import { blockingRead } from './query-meta.js';
import type { Agent } from '../agent/agent.js';
import { ApplyError, NoLeaderError } from '../agent/server.js';
import {
  executeHere,
  EXECUTE_REMOTE_PATH,
  QUERY_NOT_FOUND,
  runPreparedQuery,
} from '../agent/prepared-query.js';
import { QUERIES_WATCH, type PreparedQuery, type QueryFailoverTarget } from '../state/prepared-queries.js';
import type { ExecuteResult } from '../state/query-execute.js';
import type { JsonValue } from '../lib/gojson.js';
import { decodeBody, field, isObj, num, str, strList, strMap } from './decode.js';
import type { Reply, Request, Router } from './router.js';
import { NO_SERVERS } from './status-endpoints.js';

const MAX_BODY = 1 << 20;

/** A prepared query as Consul's JSON shows it (field order of structs.PreparedQuery). */
export function queryJson(q: PreparedQuery): Record<string, unknown> {
  const s = q.Service;
  return {
    ID: q.ID,
    Name: q.Name,
    Session: q.Session,
    Token: q.Token,
    Template: q.Template,
    Service: {
      Service: s.Service,
      Failover: s.Failover,
      OnlyPassing: s.OnlyPassing,
      IgnoreCheckIDs: s.IgnoreCheckIDs,
      Near: s.Near,
      Tags: s.Tags,
      NodeMeta: s.NodeMeta,
      ServiceMeta: s.ServiceMeta,
      Peer: s.Peer,
      Connect: s.Connect,
    },
    DNS: q.DNS,
    CreateIndex: q.CreateIndex,
    ModifyIndex: q.ModifyIndex,
  };
}

export function executeJson(r: ExecuteResult): Record<string, unknown> {
  return {
    Service: r.Service,
    Nodes: r.Nodes.map((n) => ({
      Node: n.node,
      Service: n.service,
      Checks: n.checks.map((c) => ({ ...c, Definition: {} })),
    })),
    DNS: r.DNS,
    Datacenter: r.Datacenter,
    Failovers: r.Failovers,
  };
}

const bool = (v: JsonValue | undefined): boolean => v === true;

function nullableList(v: JsonValue | undefined): string[] | null {
  return Array.isArray(v) ? (strList(v) ?? []) : null;
}

function nullableMap(v: JsonValue | undefined): Record<string, string> | null {
  return isObj(v) ? (strMap(v) ?? {}) : null;
}

/** A wrong JSON type where Consul's decoder wants a string, with encoding/json's wording. */
function typeError(where: string, v: JsonValue | undefined): Error | null {
  if (v === undefined || v === null || typeof v === 'string') return null;
  const kind = typeof v === 'boolean' ? 'bool' : Array.isArray(v) ? 'array' : isObj(v) ? 'object' : 'number';
  return new Error(`json: cannot unmarshal ${kind} into Go struct field ${where} of type string`);
}

/** The body of a create or update, fields matched case-insensitively as Go's decoder does. */
function decodeQuery(body: JsonValue): PreparedQuery | Error {
  const o = isObj(body) ? body : {};
  if (body !== null && !isObj(body))
    return new Error('json: cannot unmarshal non-object into Go value of type structs.PreparedQuery');
  const svc = field(o, 'Service');
  const fo = field(svc, 'Failover');
  const tpl = field(o, 'Template');
  const dns = field(o, 'DNS');
  for (const [where, v] of [
    ['PreparedQuery.Name', field(o, 'Name')],
    ['PreparedQuery.Session', field(o, 'Session')],
    ['PreparedQuery.Token', field(o, 'Token')],
    ['PreparedQuery.Service.Service', field(svc, 'Service')],
    ['PreparedQuery.DNS.TTL', field(dns, 'TTL')],
  ] as const) {
    const e = typeError(where, v);
    if (e) return e;
  }
  const targets = field(fo, 'Targets');
  return {
    ID: str(field(o, 'ID')) ?? '',
    Name: str(field(o, 'Name')) ?? '',
    Session: str(field(o, 'Session')) ?? '',
    Token: str(field(o, 'Token')) ?? '',
    Template: {
      Type: str(field(tpl, 'Type')) ?? '',
      Regexp: str(field(tpl, 'Regexp')) ?? '',
      RemoveEmptyTags: bool(field(tpl, 'RemoveEmptyTags')),
    },
    Service: {
      Service: str(field(svc, 'Service')) ?? '',
      Failover: {
        NearestN: num(field(fo, 'NearestN')) ?? 0,
        Datacenters: nullableList(field(fo, 'Datacenters')),
        Targets: Array.isArray(targets)
          ? targets.map((t): QueryFailoverTarget => ({
              Peer: str(field(t, 'Peer')) ?? '',
              Datacenter: str(field(t, 'Datacenter')) ?? '',
              Partition: str(field(t, 'Partition')) ?? '',
              Namespace: str(field(t, 'Namespace')) ?? '',
            }))
          : null,
      },
      OnlyPassing: bool(field(svc, 'OnlyPassing')),
      IgnoreCheckIDs: nullableList(field(svc, 'IgnoreCheckIDs')),
      Near: str(field(svc, 'Near')) ?? '',
      Tags: nullableList(field(svc, 'Tags')),
      NodeMeta: nullableMap(field(svc, 'NodeMeta')),
      ServiceMeta: nullableMap(field(svc, 'ServiceMeta')),
      Peer: str(field(svc, 'Peer')) ?? '',
      Connect: { Enabled: bool(field(field(svc, 'Connect'), 'Enabled')) },
    },
    DNS: { TTL: str(field(dns, 'TTL')) ?? '' },
    CreateIndex: 0,
    ModifyIndex: 0,
  };
}

/** Go's strconv.Atoi, as Consul parses ?limit. */
function parseLimit(q: URLSearchParams): number | Error {
  const v = q.get('limit');
  if (v === null || v === '') return 0;
  if (!/^[+-]?\d+$/.test(v))
    return new Error(`Bad limit: strconv.Atoi: parsing ${JSON.stringify(v)}: invalid syntax`);
  return Number(v);
}

/** The requester's address (X-Forwarded-For first, as Consul's sourceAddrFromRequest), for near "_ip". */
function sourceIp(req: Request): string {
  const fwd = req.ex.headers['x-forwarded-for'];
  if (fwd) return fwd.split(',')[0]!.trim();
  return req.ex.remote.ip;
}

export function registerQueryEndpoints(r: Router, agent: Agent): void {
  const failed = (e: unknown): Reply => {
    if (e instanceof NoLeaderError || e instanceof ApplyError) return { status: 500, text: e.message };
    throw e;
  };
  const headers = (index: number) => {
    const meta = agent.server!.readMeta(agent.clock.monotonicMs());
    return {
      'x-consul-index': String(Math.max(1, index)),
      'x-consul-knownleader': String(meta.knownLeader),
      'x-consul-lastcontact': String(meta.lastContactMs),
    };
  };
  const readBody = async (req: Request): Promise<PreparedQuery | Reply> => {
    const raw = await req.ex.readBody(MAX_BODY);
    if (raw === null) return { status: 413, text: 'Request body too large' };
    const body = decodeBody(raw);
    if (!body.ok) return { status: 400, text: body.error };
    const q = decodeQuery(body.value);
    if (q instanceof Error) return { status: 400, text: `Request decode failed: ${q.message}` };
    return q;
  };
  const isReply = (x: PreparedQuery | Reply): x is Reply => !('Service' in x && 'Template' in x);

  /** A blocking read of the queries table. */
  const read = async <T>(req: Request, q: () => T, reply: (t: T) => Reply): Promise<Reply> => {
    const t = agent.server?.state.queries;
    const r = blockingRead(
      agent,
      req,
      (s) => s.state.queries.watches,
      QUERIES_WATCH,
      () => ({
        index: t!.index,
        value: q(),
      }),
    );
    if (!(r instanceof Promise)) return r;
    const res = await r;
    return { ...reply(res.value), headers: headers(res.index) };
  };

  r.on('POST', '/v1/query', async (req) => {
    const s = agent.server;
    if (!s) return { status: 500, text: NO_SERVERS };
    const q = await readBody(req);
    if (isReply(q)) return q;
    try {
      return { json: { ID: await s.preparedQueryApply('create', q) } };
    } catch (e) {
      return failed(e);
    }
  });

  r.on('GET', '/v1/query', (req) =>
    read(
      req,
      () => agent.server!.state.queries.list(),
      (qs) => ({ json: qs.map(queryJson) }),
    ),
  );

  // A name may hold "/", so the tail is split on its last segment as Consul's handler does.
  r.on(['GET', 'PUT', 'DELETE'], '/v1/query/*', async (req) => {
    const s = agent.server;
    const tail = req.path.slice('/v1/query/'.length);
    const action = tail.endsWith('/execute') ? 'execute' : tail.endsWith('/explain') ? 'explain' : '';
    const id = action ? tail.slice(0, -(action.length + 1)) : tail;
    if (action && req.method !== 'GET')
      return { status: 405, text: `method ${req.method} not allowed`, headers: { allow: 'OPTIONS,GET' } };
    if (!s) return { status: 500, text: NO_SERVERS };
    if (action === 'execute') {
      const limit = parseLimit(req.query);
      if (limit instanceof Error) return { status: 500, text: limit.message };
      const out = await runPreparedQuery(agent, id, {
        near: req.query.get('near') ?? '',
        limit,
        sourceIp: sourceIp(req),
      });
      if (!out.ok) return { status: out.status, text: out.text };
      return { json: executeJson(out.result), headers: headers(s.state.queries.index) };
    }
    if (action === 'explain') {
      const limit = parseLimit(req.query);
      if (limit instanceof Error) return { status: 500, text: limit.message };
      const q = s.state.queries.resolve(id);
      if (q === null) return { status: 404, text: QUERY_NOT_FOUND };
      if (q instanceof Error) return { status: 500, text: q.message };
      return { json: { Query: queryJson(q) }, headers: headers(s.state.queries.index) };
    }
    if (req.method === 'GET')
      return read(
        req,
        () => s.state.queries.get(id),
        (q) => (q ? { json: [queryJson(q)] } : { status: 404, text: QUERY_NOT_FOUND }),
      );
    try {
      if (req.method === 'DELETE') {
        await s.preparedQueryApply('delete', { ID: id } as PreparedQuery);
        return {};
      }
      const q = await readBody(req);
      if (isReply(q)) return q;
      // The ID comes from the URL, never the body.
      await s.preparedQueryApply('update', { ...q, ID: id });
      return {};
    } catch (e) {
      return failed(e);
    }
  });

  // Another datacenter's failover: the rendered query shipped here, run against this catalog only.
  r.on('POST', EXECUTE_REMOTE_PATH, async (req) => {
    if (!agent.server) return { status: 500, text: NO_SERVERS };
    const raw = await req.ex.readBody(MAX_BODY);
    const body = raw === null ? null : decodeBody(raw);
    if (!body?.ok || !isObj(body.value)) return { status: 400, text: 'Request decode failed' };
    const v = body.value as unknown as { Query: PreparedQuery; Limit?: number };
    // As Consul's ExecuteRemote: shuffled, never sorted near a node of the asking datacenter.
    const q = { ...v.Query, Service: { ...v.Query.Service, Near: '' } };
    const res = executeHere(agent, q, { near: '', limit: Number(v.Limit ?? 0), sourceIp: '' });
    return { json: executeJson(res) };
  });
}
