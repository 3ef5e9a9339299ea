// /v1/operator/raft/configuration (the Raft configuration: servers, leader, voters, last index) and
// /v1/operator/keyring (gossip keyring operations on every pool, through Serf queries).

import type { Agent } from '../agent/agent.js';
import type { Router } from './router.js';
import { NO_SERVERS } from './status-endpoints.js';
import { decodeBody } from './decode.js';
import type { Request, Reply } from './router.js';

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

  // DELETE /v1/operator/raft/peer?id=… | ?address=…: RemoveServer through the leader.
  r.on('DELETE', '/v1/operator/raft/peer', async (req) => {
    const s = agent.server;
    if (!s) return { status: 500, text: NO_SERVERS };
    const id = req.query.get('id');
    const address = req.query.get('address');
    if (!id && !address)
      return {
        status: 400,
        text: "Must specify either ?id with the server's ID or ?address with IP:port of peer to remove",
      };
    const err = await s.removePeer(id ? { id } : { address: address! });
    if (err) return { status: 500, text: err };
    return { json: null };
  });

  r.on('GET', '/v1/operator/keyring', async () => {
    const g = agent.gossip;
    if (!g) return { status: 500, text: NO_SERVERS };
    return { json: await g.keyring('list') };
  });

  const change =
    (op: 'install' | 'use' | 'remove') =>
    async (req: Request): Promise<Reply> => {
      const g = agent.gossip;
      if (!g) return { status: 500, text: NO_SERVERS };
      const raw = await req.ex.readBody(1 << 16);
      const body = raw === null ? null : decodeBody(raw);
      if (!body || !body.ok)
        return { status: 400, text: `Request decode failed: ${body ? body.error : 'body too large'}` };
      const key = (body.value as { Key?: unknown } | null)?.Key;
      if (typeof key !== 'string') return { status: 400, text: 'Request decode failed: missing Key' };
      const res = await g.keyring(op, key);
      const errs = res.flatMap((x) => Object.entries(x.Messages).map(([node, m]) => `${node}: ${m}`));
      if (errs.length > 0) return { status: 500, text: errs.join('\n') };
      return { json: null };
    };
  r.on('POST', '/v1/operator/keyring', change('install'));
  r.on('PUT', '/v1/operator/keyring', change('use'));
  r.on('DELETE', '/v1/operator/keyring', change('remove'));
}
