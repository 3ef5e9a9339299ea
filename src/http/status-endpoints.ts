// /v1/status/leader and /v1/status/peers: the Raft view of this server. A client agent would ask a
// server over RPC; with no server known it answers as Consul does when it has none.

import type { Agent } from '../agent/agent.js';
import type { Router } from './router.js';

export const NO_SERVERS = 'No known Consul servers';

export function registerStatusEndpoints(r: Router, agent: Agent): void {
  r.on('GET', '/v1/status/leader', () => {
    const s = agent.server;
    if (!s) return { status: 500, text: NO_SERVERS };
    return { json: s.leaderAddress() };
  });
  r.on('GET', '/v1/status/peers', () => {
    const s = agent.server;
    if (!s) return { status: 500, text: NO_SERVERS };
    return { json: s.peerAddresses() };
  });
}
