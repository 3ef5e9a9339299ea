// The agent's DNS entry point: answers from this server's catalog (a client agent, which would ask a
// server over RPC, answers SERVFAIL until the cluster layer gives it one).

import type { Agent } from '../agent/agent.js';
import { answerQuery } from './server.js';

export function createDnsHandler(
  agent: Agent,
): (query: Uint8Array, transport: 'udp' | 'tcp') => Uint8Array | null {
  const ctx = {
    config: () => agent.config,
    catalog: () => agent.server?.state.catalog ?? null,
    nowSeconds: () => Math.floor(agent.clock.wallMs() / 1000),
    shuffle: <T>(xs: T[]): T[] => {
      const out = [...xs];
      for (let i = out.length - 1; i > 0; i--) {
        const j = agent.rng.int(i + 1);
        [out[i], out[j]] = [out[j]!, out[i]!];
      }
      return out;
    },
  };
  const log = agent.logger.named('dns');
  return (query, transport) => {
    try {
      return answerQuery(query, transport, ctx);
    } catch (e) {
      // A query we cannot answer is dropped, never a crash of the agent.
      log.error('failed to answer DNS query', 'error', e);
      return null;
    }
  };
}
