// /v1/operator/raft/configuration: the Raft configuration (servers, leader, voters, last index).

import type { Agent } from '../agent/agent.js';
import type { Router } from './router.js';
import { NO_SERVERS } from './status-endpoints.js';

export function registerOperatorEndpoints(r: Router, agent: Agent): void {
  r.on('GET', '/v1/operator/raft/configuration', () => {
    const s = agent.server;
    if (!s) return { status: 500, text: NO_SERVERS };
    const cfg = s.raftConfiguration(agent.config.nodeName);
    if (cfg.Servers.length === 0) return { status: 500, text: 'No cluster leader' };
    return {
      json: cfg,
      headers: {
        'x-consul-index': String(Math.max(1, cfg.Index)),
        'x-consul-knownleader': String(s.leaderAddress() !== ''),
      },
    };
  });
}
