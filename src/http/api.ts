// The HTTP API handler: routing, Consul's response conventions (JSON encoding, ?pretty, plain-text
// errors, 404/405 texts, headers every response carries) and request logging.

import type { Agent } from '../agent/agent.js';
import type { HttpExchange, HttpHandler } from '../runtime/http.js';
import type { HttpCall } from '../agent/rpc.js';
import { registerAgentEndpoints } from './agent-endpoints.js';
import { registerStatusEndpoints } from './status-endpoints.js';
import { registerKvEndpoints } from './kv-endpoints.js';
import { registerCatalogEndpoints } from './catalog-endpoints.js';
import { registerHealthEndpoints } from './health-endpoints.js';
import { registerOperatorEndpoints } from './operator-endpoints.js';
import { registerCoordinateEndpoints } from './coordinate-endpoints.js';
import { registerEventEndpoints } from './event-endpoints.js';
import { registerAgentLocalEndpoints } from './agent-local-endpoints.js';
import { registerAgentServiceEndpoints } from './agent-service-endpoints.js';
import { registerSessionEndpoints } from './session-endpoints.js';
import { registerTxnEndpoints } from './txn-endpoints.js';
import { registerSnapshotEndpoints } from './snapshot-endpoints.js';
import { registerQueryEndpoints } from './query-endpoints.js';
import { encodeJson } from './encode.js';
import { acceptsGzip } from './gzip.js';
import { redactUrl, requestToken } from './token.js';
import { resolveNearAgent } from './near.js';
import { parseConsistency, withoutStale } from './consistency.js';
import { NoLeaderError } from '../agent/server.js';
import { requestFilter } from './filter.js';
import { Router, type Reply } from './router.js';

function formatLatency(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(3)}s`;
  if (ms >= 1) return `${ms.toFixed(3).replace(/\.?0+$/, '')}ms`;
  return `${Math.round(ms * 1000)}µs`;
}

/** Endpoints that read from the servers take ?dc and the consistency flags. */
const SERVER_READS = /^\/v1\/(kv|catalog|health|status|operator|coordinate|session|query)\/|^\/v1\/query$/;
/** Endpoints a server answers (a client forwards them; a follower forwards them to the leader). */
const SERVER_BACKED =
  /^\/v1\/(kv|catalog|health|status|operator|coordinate|session|query|internal\/proconsul)\/|^\/v1\/(txn|snapshot|query)$/;
/**
 * Server-backed endpoints whose RPCs Consul answers on whichever server gets them, leader or not:
 * status, the server's own Raft configuration view, keyring operations (Serf queries) and the
 * datacenter lists (the WAN pool).
 */
const ANY_SERVER =
  /^\/v1\/(status\/|operator\/raft\/configuration|operator\/keyring|catalog\/datacenters|coordinate\/datacenters)/;
/** Largest request body forwarded (KV values are at most 512 KiB; txn payloads more). */
const MAX_FORWARD_BODY = 8 << 20;

/**
 * Whether this agent must hand the request to a server: a client always does; a follower does for
 * writes and for default/consistent reads (Consul forwards them to the leader), not for stale reads
 * or ANY_SERVER endpoints, which every server answers itself — unless the follower is further behind
 * than the read's ?max_stale allows, when the leader answers it as a default read ('too-stale').
 * 'no-leader': it needs the leader and none is known.
 */
function mustForward(
  agent: Agent,
  ex: HttpExchange,
  path: string,
  q: URLSearchParams,
): false | 'forward' | 'too-stale' | 'no-leader' {
  // A client's (or another datacenter's) forward may be forwarded once more by a follower, to the
  // leader; a follower's never.
  if (!SERVER_BACKED.test(path) || ex.headers['x-proconsul-forwarded'] === 'server') return false;
  const s = agent.server;
  if (!s) return ex.headers['x-proconsul-forwarded'] ? false : 'forward';
  if (s.isLeader() || ANY_SERVER.test(path)) return false;
  const c = parseConsistency(q);
  if (ex.method === 'GET' && !(c instanceof Error) && c.mode === 'stale') {
    const behind = s.readMeta(agent.clock.monotonicMs()).lastContactMs;
    if (!(c.maxStaleMs > 0 && behind > c.maxStaleMs)) return false;
    return s.leaderAddress() !== '' ? 'too-stale' : 'no-leader';
  }
  return s.leaderAddress() !== '' ? 'forward' : 'no-leader';
}

/** Query checks every server-backed endpoint shares (consul-surface.md §2.1): conflicting flags are a 400. */
function commonQueryError(path: string, q: URLSearchParams): Reply | null {
  if (!SERVER_READS.test(path)) return null;
  const c = parseConsistency(q);
  if (c instanceof Error) return { status: 400, text: c.message };
  if (q.has('cached') && q.has('consistent'))
    return { status: 400, text: 'Cannot specify ?cached with ?consistent, conflicting semantics.' };
  return null;
}

/** The ?dc a server-backed request names when it is not ours (lower-cased, as Consul compares). */
function otherDatacenter(path: string, q: URLSearchParams, dc: string): string | null {
  if (!SERVER_BACKED.test(path)) return null;
  const want = (q.get('datacenter') ?? q.get('dc'))?.toLowerCase();
  return want && want !== dc ? want : null;
}

/** The request as it travels to another server (method, target, headers, body). */
async function forwardable(ex: HttpExchange, self: string): Promise<HttpCall> {
  const body =
    ex.method === 'GET' ? new Uint8Array() : ((await ex.readBody(MAX_FORWARD_BODY)) ?? new Uint8Array());
  const headers = new Map<string, string>();
  for (const [k, v] of Object.entries(ex.headers)) if (v !== undefined) headers.set(k, v);
  return { method: ex.method, url: resolveNearAgent(ex.url, self), headers, body };
}

/** Control characters in a decoded path (Consul refuses them unless the filter is disabled). */
function hasUnprintable(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/** A relayed answer arrives uncompressed (the server's in-process exchange never gzips); compress it here. */
const relayGzip = (ex: HttpExchange) => ({ gzip: acceptsGzip(ex.headers['accept-encoding']) });

export function createHttpHandler(agent: Agent): HttpHandler {
  const router = new Router();
  registerAgentEndpoints(router, agent);
  registerStatusEndpoints(router, agent);
  registerKvEndpoints(router, agent);
  registerCatalogEndpoints(router, agent);
  registerHealthEndpoints(router, agent);
  registerOperatorEndpoints(router, agent);
  registerCoordinateEndpoints(router, agent);
  registerEventEndpoints(router, agent);
  registerAgentLocalEndpoints(router, agent);
  registerAgentServiceEndpoints(router, agent);
  registerSessionEndpoints(router, agent);
  registerTxnEndpoints(router, agent);
  registerSnapshotEndpoints(router, agent);
  registerQueryEndpoints(router, agent);
  const log = agent.hub.logger('agent.http');

  /** The headers every answer carries, rebuilt only when the configuration object changes (reload). */
  let base: { config: unknown; headers: Record<string, string> } | null = null;
  const baseHeaders = () => {
    const c = agent.config;
    if (base?.config !== c)
      base = {
        config: c,
        headers: {
          ...c.httpResponseHeaders,
          'x-consul-default-acl-policy': c.acl.defaultPolicy,
          vary: 'Accept-Encoding',
        },
      };
    return base.headers;
  };

  const send = (ex: HttpExchange, reply: Reply, pretty: boolean) => {
    const headers: Record<string, string> = { ...baseHeaders(), ...(reply.headers ?? {}) };
    const gzip = { gzip: acceptsGzip(ex.headers['accept-encoding']) };
    if (reply.text !== undefined) {
      headers['content-type'] = 'text/plain; charset=utf-8';
      headers['x-content-type-options'] = 'nosniff';
      const text = reply.text.endsWith('\n') ? reply.text : `${reply.text}\n`;
      ex.respond(reply.status ?? 200, headers, text, gzip);
      return;
    }
    if (reply.raw !== undefined) {
      ex.respond(reply.status ?? 200, headers, reply.raw, gzip);
      return;
    }
    if ('json' in reply) {
      headers['content-type'] = 'application/json';
      ex.respond(reply.status ?? 200, headers, encodeJson(reply.json, pretty), gzip);
      return;
    }
    ex.respond(reply.status ?? 200, headers, '');
  };

  const handle: HttpHandler = async (ex) => {
    const start = agent.clock.monotonicMs();
    const q = ex.url.indexOf('?');
    const rawPath = q < 0 ? ex.url : ex.url.slice(0, q);
    const query = new URLSearchParams(q < 0 ? '' : ex.url.slice(q + 1));
    const pretty = agent.config.devMode || query.has('pretty');
    let path: string;
    try {
      path = decodeURIComponent(rawPath);
    } catch {
      path = rawPath;
    }
    try {
      if (!agent.config.disableHttpUnprintableCharFilter && hasUnprintable(path)) {
        send(ex, { status: 400, text: `Bad request: invalid characters in path` }, pretty);
        return;
      }
      const common = commonQueryError(rawPath, query);
      if (common) {
        send(ex, common, pretty);
        return;
      }
      const dc = otherDatacenter(rawPath, query, agent.config.datacenter);
      if (dc !== null && !agent.server && rawPath === '/v1/session/create') {
        send(ex, { status: 500, text: 'cross datacenter lock must be created at server agent' }, pretty);
        return;
      }
      if (dc !== null) {
        // Another datacenter: a client hands it to a local server, a server to one of that DC's servers.
        const call = await forwardable(ex, agent.config.nodeName);
        const a = agent.server ? await agent.forwardToDatacenter(dc, call) : await agent.forwardHttp(call);
        ex.respond(a.status, Object.fromEntries(a.headers), a.body, relayGzip(ex));
        return;
      }
      let fwd = mustForward(agent, ex, rawPath, query);
      if (fwd === 'no-leader') {
        // Held while an election runs (rpc_hold_timeout), then Consul's error if none was won.
        if (!(await agent.server!.holdForLeader())) {
          send(ex, { status: 500, text: 'No cluster leader' }, pretty);
          return;
        }
        fwd = mustForward(agent, ex, rawPath, query);
        if (fwd === 'no-leader') fwd = false;
      }
      if (fwd) {
        const call = await forwardable(ex, agent.config.nodeName);
        if (fwd === 'too-stale') call.url = withoutStale(call.url);
        const a = await agent.forwardHttp(call);
        ex.respond(a.status, Object.fromEntries(a.headers), a.body, relayGzip(ex));
        return;
      }
      // ?consistent: the leader proves it still leads (a barrier through the log) before reading.
      if (ex.method === 'GET' && query.has('consistent') && agent.server && SERVER_READS.test(rawPath)) {
        try {
          await agent.server.barrier();
        } catch (e) {
          if (e instanceof NoLeaderError) {
            send(ex, { status: 500, text: e.message }, pretty);
            return;
          }
          throw e;
        }
      }
      const found = router.find(ex.method, rawPath);
      if (found === null) {
        send(ex, { status: 404, text: '404 page not found' }, pretty);
      } else if ('allow' in found) {
        const allow = found.allow.join(',');
        if (ex.method === 'OPTIONS') send(ex, { status: 200, headers: { allow } }, pretty);
        else send(ex, { status: 405, text: `method ${ex.method} not allowed`, headers: { allow } }, pretty);
      } else {
        const filter = ex.method === 'GET' ? requestFilter(rawPath, query) : null;
        if (filter && !('apply' in filter)) {
          send(ex, filter, pretty);
          return;
        }
        const token = requestToken(query, ex.headers, agent.config.acl.tokens.default);
        const reply = await found.handler({
          ex,
          method: ex.method,
          path,
          params: found.params,
          query,
          token,
        });
        if (reply && filter && 'json' in reply && (reply.status ?? 200) === 200)
          reply.json = filter.apply(reply.json);
        if (reply) send(ex, reply, pretty);
      }
    } catch (e) {
      log.error(
        'Request error',
        'method',
        ex.method,
        'url',
        redactUrl(ex.url),
        'from',
        `${ex.remote.ip}:${ex.remote.port}`,
        'error',
        e,
      );
      send(ex, { status: 500, text: (e as Error).message }, pretty);
    }
    if (log.isEnabled('debug')) {
      log.debug(
        'Request finished',
        'method',
        ex.method,
        'url',
        redactUrl(ex.url),
        'from',
        `${ex.remote.ip}:${ex.remote.port}`,
        'latency',
        formatLatency(agent.clock.monotonicMs() - start),
      );
    }
  };

  /** Per method and route: the metric labels and compat key (built once, not on every request). */
  const metricNames = new Map<
    string,
    { labels: Readonly<{ method: string; path: string }>; compat: string[] }
  >();
  const namesOf = (method: string, pattern: string) => {
    const k = `${method} ${pattern}`;
    let n = metricNames.get(k);
    if (!n) {
      const parts = consulPattern(pattern).split('/');
      n = {
        labels: Object.freeze({ method, path: parts.join('_') }),
        compat: ['http', method, ...parts.map((p) => (p === '' ? '_' : p))],
      };
      metricNames.set(k, n);
    }
    return n;
  };

  return async (ex) => {
    const t0 = agent.clock.monotonicMs();
    try {
      await handle(ex);
    } finally {
      const q = ex.url.indexOf('?');
      const pattern = router.patternOf(ex.method, q < 0 ? ex.url : ex.url.slice(0, q));
      // Only requests that came in over HTTP count: not the agent's own calls, nor forwarded RPCs.
      if (pattern !== null && ex.remote.ip !== '') {
        const ms = agent.clock.monotonicMs() - t0;
        const n = namesOf(ex.method, pattern);
        agent.metrics.addSample(['api', 'http'], ms, n.labels);
        // The pre-1.9 name Consul still emits by default (telemetry.disable_compat_1.9 = false).
        agent.metrics.addSample(n.compat, ms);
      }
    }
  };
}

/**
 * Consul registers prefix patterns ("/v1/kv/"); ours end in a parameter ("/v1/kv/*"), which stands for
 * that prefix. Returned without the leading slash: "v1/kv/".
 */
function consulPattern(pattern: string): string {
  const segs = pattern.slice(1).split('/');
  const at = segs.findIndex((s) => s.startsWith(':') || s.startsWith('*'));
  return at < 0 ? segs.join('/') : `${segs.slice(0, at).join('/')}/`;
}
