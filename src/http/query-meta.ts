// The headers a server-backed read carries (consul-surface.md §2.2): X-Consul-Index (never 0), the
// serving server's view of the leader (KnownLeader, LastContact: real values on a follower answering
// ?stale, 0 on the leader), the consistency mode that served it, and the query backend.

import type { Agent } from '../agent/agent.js';
import { parseConsistency } from './consistency.js';

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
