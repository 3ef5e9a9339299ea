// The agent's DNS entry point: a server answers from its own catalog, a client from its mirror of the
// servers' catalog (kept current by a blocking query, like Consul's agent cache); another datacenter's
// lookups, and ours when a stale read will not do (allow_stale, max_stale), are read over the HTTP
// forwarding the API uses (?dc= to that datacenter's servers, or to our leader).

import type { Agent } from '../agent/agent.js';
import { AnswerCache, answerQuery } from './server.js';
import { exchange, recursorAddr } from './recursor.js';
import { runPreparedQuery } from '../agent/prepared-query.js';
import type { ExecuteResult } from '../state/query-execute.js';
import { catalogFromFetch, fetchUrl, readHere } from './remote.js';
import type { CatalogFetch } from './planner.js';
import { FetchCache, type FetchAnswer } from './fetch-cache.js';
import { QueryResultCache } from './query-cache.js';

export function createDnsHandler(
  agent: Agent,
): (query: Uint8Array, transport: 'udp' | 'tcp', from?: string) => Uint8Array | null | Promise<Uint8Array> {
  const ports = { packets: agent.packets, streams: agent.streams, timers: agent.timers };
  /**
   * A server read over the API's forwarding: another datacenter's through one of its servers (from a
   * client, through ours), our own through the leader.
   */
  const read = async (url: string, dc: string): Promise<FetchAnswer> => {
    const call = { method: 'GET', url, headers: new Map<string, string>(), body: new Uint8Array() };
    const a =
      dc !== agent.config.datacenter && agent.server
        ? await agent.forwardToDatacenter(dc, call)
        : await agent.forwardHttp(call);
    return {
      status: a.status,
      index: Number(a.headers.get('x-consul-index') ?? 0) || 0,
      text: new TextDecoder().decode(a.body),
    };
  };
  const fetches = new FetchCache({
    fetch: (url) =>
      read(url, new URLSearchParams(url.split('?')[1] ?? '').get('dc') ?? agent.config.datacenter),
    nowMs: () => agent.clock.monotonicMs(),
    after: (ms, fn) => void agent.timers.after(ms, fn),
    alive: () => !agent.isStopped,
  });
  const queries = new QueryResultCache<ExecuteResult>(() => agent.clock.monotonicMs());
  const ctx = {
    config: () => agent.config,
    catalog: () => agent.server?.state.catalog ?? agent.catalogMirror,
    nowSeconds: () => Math.floor(agent.clock.wallMs() / 1000),
    shuffle: <T>(xs: T[]): T[] => {
      const out = [...xs];
      for (let i = out.length - 1; i > 0; i--) {
        const j = agent.rng.int(i + 1);
        [out[i], out[j]] = [out[j]!, out[i]!];
      }
      return out;
    },
    executeQuery: (name: string, datacenter: string, sourceIp: string) => {
      const run = async () => {
        const r = await runPreparedQuery(agent, name, { near: '', limit: 0, sourceIp }, datacenter);
        if (r.ok) return r.result;
        if (r.status === 404) return null;
        throw new Error(r.text);
      };
      const d = agent.config.dnsConfig;
      // The requester's address is part of the key: a query's near "_ip" sorts by it.
      return d.useCache
        ? queries.get(`${name}\0${datacenter}\0${sourceIp}`, d.cacheMaxAgeNs / 1e6, run)
        : run();
    },
    readLocal: () => {
      const s = agent.server;
      // A server is as stale as its last contact with the leader; a client's mirror as its failed refreshes.
      const how = readHere(
        agent.config.dnsConfig,
        s
          ? { leader: s.isLeader(), lastContactMs: s.readMeta(agent.clock.monotonicMs()).lastContactMs }
          : { leader: false, lastContactMs: agent.mirrorLagMs() },
      );
      if (how === 'stale') agent.metrics.incrCounter(['dns', 'stale_queries']);
      return how !== 'leader';
    },
    fetchCatalog: async (f: CatalogFetch, qtype: string) => {
      const cfg = agent.config;
      const ours = f.datacenter === cfg.datacenter;
      const d = cfg.dnsConfig;
      const url = fetchUrl(f, cfg.datacenter, d.allowStale, d.maxStaleNs);
      // use_cache: from the agent's cache of such reads (kept current in the background).
      const a = d.useCache ? await fetches.get(url, d.cacheMaxAgeNs / 1e6) : await read(url, f.datacenter);
      if (a.status !== 200) {
        if (!ours && a.text.trim() === 'No path to datacenter') return null;
        throw new Error(a.text.trim());
      }
      return catalogFromFetch(f, JSON.parse(a.text), !ours && cfg.translateWanAddrs, qtype);
    },
    cache: new AnswerCache(),
    pick: (n: number) => pick(n),
    exchange: (recursor: string, q: Uint8Array, transport: 'udp' | 'tcp', timeoutMs: number) =>
      exchange(ports, recursorAddr(recursor), q, transport, timeoutMs),
  };
  const log = agent.logger.named('dns');
  const clock = agent.clock;
  // Which cached ordering an answer gets, from random bytes drawn 256 at a time (one draw from the
  // system's CSPRNG per query cost a tenth of the cached path).
  let pool: Uint8Array = new Uint8Array(0);
  let used = 0;
  function pick(n: number): number {
    if (n > 256 || 256 % n !== 0) return agent.rng.int(n);
    if (used >= pool.length) {
      pool = agent.rng.bytes(256);
      used = 0;
    }
    return pool[used++]! % n;
  }
  // One frozen label set (the metrics registry remembers its key) while the node name stays.
  let labels = Object.freeze({ node: agent.config.nodeName });
  const QUERY_KEYS = { ptr: ['dns', 'ptr_query'], domain: ['dns', 'domain_query'] } as const;
  return (query, transport, from) => {
    const t0 = clock.monotonicMs();
    // Consul times each query: consul.dns.ptr_query for reverse lookups, else consul.dns.domain_query.
    const done = () => {
      if (labels.node !== agent.config.nodeName) labels = Object.freeze({ node: agent.config.nodeName });
      agent.metrics.addSample(
        isReverse(query) ? QUERY_KEYS.ptr : QUERY_KEYS.domain,
        clock.monotonicMs() - t0,
        labels,
      );
    };
    try {
      const r = answerQuery(query, transport, ctx, from);
      if (r instanceof Promise) void r.then(done, () => {});
      else done();
      return r;
    } catch (e) {
      // A query we cannot answer is dropped, never a crash of the agent.
      log.error('failed to answer DNS query', 'error', e);
      return null;
    }
  };
}

/** Whether the first question's name is under .arpa (a PTR lookup), read straight from the wire. */
function isReverse(q: Uint8Array): boolean {
  let i = 12;
  let last = -1;
  while (i < q.length) {
    const len = q[i]!;
    if (len === 0 || len >= 0xc0) break;
    last = i;
    i += 1 + len;
  }
  // The last label, compared byte by byte ("arpa" in any case), without building strings.
  if (last < 0 || q[last] !== 4 || last + 5 > q.length) return false;
  return (
    (q[last + 1]! | 0x20) === 0x61 &&
    (q[last + 2]! | 0x20) === 0x72 &&
    (q[last + 3]! | 0x20) === 0x70 &&
    (q[last + 4]! | 0x20) === 0x61
  );
}
