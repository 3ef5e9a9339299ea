// /v1/session/*: create (Consul's defaults: this agent's node, the serfHealth check, 15 s lock-delay,
// "release"), destroy, renew (404 when unknown), info ([] when unknown), node, list — blocking on the
// sessions table, with Consul's validation texts.

import { blockingRead } from './query-meta.js';
import type { Agent } from '../agent/agent.js';
import { ApplyError, NoLeaderError } from '../agent/server.js';
import type { Session, ServiceCheckRef } from '../state/sessions.js';
import { SESSIONS_WATCH } from '../state/sessions.js';
import { formatGoDuration, parseGoDuration } from '../lib/duration.js';
import type { JsonValue } from '../lib/gojson.js';
import { decodeBody, field, isObj, str, strList } from './decode.js';
import type { Reply, Request, Router } from './router.js';
import { NO_SERVERS } from './status-endpoints.js';

const MAX_BODY = 1 << 20;
/** Consul's structs.SessionTTLMax. */
const SESSION_TTL_MAX_NS = 24 * 3600 * 1e9;
/** Numbers below this are seconds, not nanoseconds (Consul's lockDelayMinThreshold). */
const LOCK_DELAY_MIN_THRESHOLD = 1000;
const SERF_CHECK = 'serfHealth';

/** The session as Consul's JSON shows it (field order of structs.Session). */
export function sessionJson(s: Session): Record<string, unknown> {
  return {
    ID: s.ID,
    Name: s.Name,
    Node: s.Node,
    LockDelay: s.LockDelay,
    Behavior: s.Behavior,
    TTL: s.TTL,
    NodeChecks: s.NodeChecks,
    ServiceChecks: s.ServiceChecks,
    CreateIndex: s.CreateIndex,
    ModifyIndex: s.ModifyIndex,
  };
}

type NewSession = Omit<Session, 'ID' | 'CreateIndex' | 'ModifyIndex'>;

/** LockDelay as Consul's Session.UnmarshalJSON reads it: a duration string or nanoseconds, small numbers being seconds. */
function lockDelay(v: JsonValue): number | Error {
  let ns: number;
  if (typeof v === 'string') {
    const d = parseGoDuration(v);
    if (d instanceof Error) return d;
    ns = d;
  } else if (typeof v === 'number' || typeof v === 'bigint') ns = Number(v);
  else return new Error(`json: cannot unmarshal ${typeof v} into Go struct field .LockDelay`);
  return ns < LOCK_DELAY_MIN_THRESHOLD ? ns * 1e9 : ns;
}

/** Decodes the optional create body over Consul's defaults; an Error is a 400 "Request decode failed". */
function decodeSession(body: JsonValue, nodeName: string): NewSession | Error {
  const s: NewSession = {
    Name: '',
    Node: nodeName,
    LockDelay: 15e9,
    Behavior: 'release',
    TTL: '',
    NodeChecks: [SERF_CHECK],
    ServiceChecks: null,
  };
  let checks: string[] = [SERF_CHECK];
  if (body === null) return s;
  if (!isObj(body))
    return new Error('json: cannot unmarshal non-object into Go value of type structs.Session');
  const name = field(body, 'Name');
  if (name !== undefined) s.Name = str(name) ?? '';
  const node = field(body, 'Node');
  if (node !== undefined) s.Node = str(node) ?? '';
  const behavior = field(body, 'Behavior');
  if (behavior !== undefined) s.Behavior = (str(behavior) ?? '') as Session['Behavior'];
  const ttl = field(body, 'TTL');
  if (ttl !== undefined) s.TTL = str(ttl) ?? '';
  const ld = field(body, 'LockDelay');
  if (ld !== undefined && ld !== null) {
    const d = lockDelay(ld);
    if (d instanceof Error) return d;
    s.LockDelay = d;
  }
  const nc = field(body, 'NodeChecks');
  if (nc !== undefined) s.NodeChecks = strList(nc) ?? [];
  const c = field(body, 'Checks');
  if (c !== undefined) checks = strList(c) ?? [];
  const sc = field(body, 'ServiceChecks');
  if (Array.isArray(sc))
    s.ServiceChecks = sc.map((x): ServiceCheckRef => ({
      ID: str(field(x, 'ID')) ?? '',
      Namespace: str(field(x, 'Namespace')) ?? '',
    }));
  // fixupEmptySessionChecks: an empty (deprecated) Checks empties NodeChecks; Checks beyond the default
  // serfHealth are node checks too.
  if (checks.length === 0) s.NodeChecks = [];
  else if (!(checks.length === 1 && checks[0] === SERF_CHECK) && s.NodeChecks.length > 0)
    for (const x of checks) if (!s.NodeChecks.includes(x)) s.NodeChecks.push(x);
  return s;
}

/** Session.Apply's checks before anything is proposed (500s with Consul's texts). */
function validate(s: NewSession, ttlMinNs: number): Error | null {
  if (s.Node === '') return new Error('Must provide Node');
  if ((s.Behavior as string) === '') s.Behavior = 'release';
  if (s.Behavior !== 'release' && s.Behavior !== 'delete')
    return new Error(`Invalid Behavior setting '${s.Behavior as string}'`);
  if (s.TTL !== '') {
    const ttl = parseGoDuration(s.TTL);
    if (ttl instanceof Error) return new Error(`Session TTL '${s.TTL}' invalid: ${ttl.message}`);
    if (ttl !== 0 && (ttl < ttlMinNs || ttl > SESSION_TTL_MAX_NS))
      return new Error(
        `Invalid Session TTL '${ttl}', must be between [${formatGoDuration(ttlMinNs)}=${formatGoDuration(SESSION_TTL_MAX_NS)}]`,
      );
  }
  return null;
}

export function registerSessionEndpoints(r: Router, agent: Agent): void {
  const tail = (req: Request) => {
    const raw = req.params['*'] ?? '';
    try {
      return decodeURIComponent(raw);
    } catch {
      return raw;
    }
  };
  const failed = (e: unknown): Reply => {
    if (e instanceof NoLeaderError || e instanceof ApplyError) return { status: 500, text: e.message };
    throw e;
  };

  r.on('PUT', '/v1/session/create', async (req) => {
    const s = agent.server;
    if (!s) return { status: 500, text: NO_SERVERS };
    const raw = await req.ex.readBody(MAX_BODY);
    if (raw === null) return { status: 413, text: 'Request body too large' };
    const body = decodeBody(raw);
    if (!body.ok) return { status: 400, text: body.error };
    const sess = decodeSession(body.value, agent.config.nodeName);
    if (sess instanceof Error) return { status: 400, text: `Request decode failed: ${sess.message}` };
    const bad = validate(sess, agent.config.sessionTtlMinNs);
    if (bad) return { status: 500, text: bad.message };
    try {
      return { json: { ID: await s.sessionCreate(sess) } };
    } catch (e) {
      return failed(e);
    }
  });

  r.on('PUT', '/v1/session/destroy/*', async (req) => {
    const s = agent.server;
    if (!s) return { status: 500, text: NO_SERVERS };
    const id = tail(req);
    if (id === '') return { status: 400, text: 'Missing session' };
    try {
      await s.sessionDestroy(id);
      return { json: true };
    } catch (e) {
      return failed(e);
    }
  });

  const headers = (index: number) => {
    const meta = agent.server!.readMeta(agent.clock.monotonicMs());
    return {
      'x-consul-index': String(Math.max(1, index)),
      'x-consul-knownleader': String(meta.knownLeader),
      'x-consul-lastcontact': String(meta.lastContactMs),
    };
  };

  r.on('PUT', '/v1/session/renew/*', (req) => {
    const s = agent.server;
    if (!s) return { status: 500, text: NO_SERVERS };
    const id = tail(req);
    if (id === '') return { status: 400, text: 'Missing session' };
    const sess = s.sessionRenew(id);
    if (!sess) return { status: 404, text: `Session id '${id}' not found` };
    return { json: [sessionJson(sess)], headers: headers(s.state.sessions.index) };
  });

  const read = async (req: Request, query: () => Session[]): Promise<Reply> => {
    const t = agent.server?.state.sessions;
    const r = blockingRead(
      agent,
      req,
      (s) => s.state.sessions.watches,
      SESSIONS_WATCH,
      () => ({
        index: t!.index,
        rows: query(),
      }),
    );
    if (!(r instanceof Promise)) return r;
    const res = await r;
    return { json: res.rows.map(sessionJson), headers: headers(res.index) };
  };

  r.on('GET', '/v1/session/info/*', (req) => {
    const id = tail(req);
    if (id === '') return { status: 400, text: 'Missing session' };
    return read(req, () => {
      const sess = agent.server?.state.sessions.get(id);
      return sess ? [sess] : [];
    });
  });

  r.on('GET', '/v1/session/node/*', (req) => {
    const node = tail(req);
    if (node === '') return { status: 400, text: 'Missing node name' };
    return read(req, () => agent.server?.state.sessions.byNode(node) ?? []);
  });

  r.on('GET', '/v1/session/list', (req) => read(req, () => agent.server?.state.sessions.list() ?? []));
}
