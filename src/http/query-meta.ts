// The headers a server-backed read carries (consul-surface.md §2.2): X-Consul-Index (never 0), the
// serving server's view of the leader (KnownLeader, LastContact: real values on a follower answering
// ?stale, 0 on the leader), the consistency mode that served it, and the query backend.

import type { Agent } from '../agent/agent.js';
import type { Server } from '../agent/server.js';
import type { WatchSet } from '../state/watch.js';
import { blockingParams, blockingQuery } from './blocking.js';
import { parseConsistency } from './consistency.js';
import type { Reply, Request } from './router.js';
import { NO_SERVERS } from './status-endpoints.js';

/** The mode Consul reports in X-Consul-Effective-Consistency for these query flags. */
export function effectiveConsistency(q: URLSearchParams): 'consistent' | 'stale' | 'leader' {
  const c = parseConsistency(q);
  return c instanceof Error ? 'leader' : c.mode;
}

export function queryMetaHeaders(agent: Agent, q: URLSearchParams, index: number): Record<string, string> {
  const meta = agent.server?.readMeta(agent.clock.monotonicMs()) ?? { knownLeader: false, lastContactMs: 0 };
  return {
    'x-consul-index': String(Math.max(1, index)),
    'x-consul-knownleader': String(meta.knownLeader),
    'x-consul-lastcontact': String(meta.lastContactMs),
    'x-consul-effective-consistency': effectiveConsistency(q),
    'x-consul-query-backend': 'blocking-query',
  };
}

/**
 * A blocking read of a server table (consul-surface.md §2.3): 500 without a server, 400 for a bad
 * ?index or ?wait, else `query` once its index passes ?index (woken by the table's watch on `key`) or
 * the wait runs out.
 */
export function blockingRead<T extends { index: number }>(
  agent: Agent,
  req: Request,
  watches: (s: Server) => WatchSet,
  key: string,
  query: () => T,
): Reply | Promise<T> {
  const s = agent.server;
  if (!s) return { status: 500, text: NO_SERVERS };
  const bp = blockingParams(req.query, agent.config.defaultQueryTimeNs, agent.config.maxQueryTimeNs);
  if (bp instanceof Error) return { status: 400, text: bp.message };
  return blockingQuery(
    bp,
    { timers: agent.timers, rng: agent.rng },
    watches(s),
    { key, prefix: false },
    query,
    (fn) => req.ex.onClose(fn),
  );
}
