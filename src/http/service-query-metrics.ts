// consul.{catalog,health}.service.query[-tag|-tags]: Consul's counters of service lookups, labelled
// with the service (and the tag; with several tags, the sorted last one, as Consul's display shows).

import type { Agent } from '../agent/agent.js';

export function countServiceQuery(agent: Agent, what: 'catalog' | 'health', service: string, tags: string[]) {
  agent.metrics.incrCounter([what, 'service', 'query'], 1, { service });
  if (tags.length === 0) return;
  const tag = [...tags].sort().at(-1)!;
  agent.metrics.incrCounter([what, 'service', tags.length === 1 ? 'query-tag' : 'query-tags'], 1, {
    service,
    tag,
  });
}
