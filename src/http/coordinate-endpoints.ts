// /v1/coordinate/*: LAN coordinates as agents reported them (from the state store), WAN coordinates of
// the servers of each datacenter (from the WAN pool), and the update endpoint agents report through.

import type { Agent } from '../agent/agent.js';
import { decodeBody } from './decode.js';
import type { Router } from './router.js';
import { NO_SERVERS } from './status-endpoints.js';
import { queryMetaHeaders } from './query-meta.js';
import { NoLeaderError } from '../agent/server.js';
import type { Coord } from '../state/coordinates.js';

export function registerCoordinateEndpoints(r: Router, agent: Agent): void {
  r.on('GET', '/v1/coordinate/datacenters', () => {
    const wan = agent.gossip?.pool('wan');
    if (!agent.server || !wan) return { status: 500, text: NO_SERVERS };
    const byDc = new Map<string, Array<{ Node: string; Coord: unknown }>>();
    for (const m of wan.serf.allMembers()) {
      const dc = m.tags.get('dc');
      const c = wan.serf.coordinateOf(m.name);
      if (!dc || !c || m.status !== 1) continue;
      const list = byDc.get(dc) ?? [];
      list.push({
        Node: m.name,
        Coord: { Vec: c.vec, Error: c.error, Adjustment: c.adjustment, Height: c.height },
      });
      byDc.set(dc, list);
    }
    return {
      json: [...byDc]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([dc, coords]) => ({ Datacenter: dc, AreaID: 'wan', Coordinates: coords })),
    };
  });

  r.on('GET', '/v1/coordinate/nodes', (req) => {
    const s = agent.server;
    if (!s) return { status: 500, text: NO_SERVERS };
    const cat = s.state.catalog;
    return {
      json: s.state.coordinates.list((n) => cat.node(n) !== null),
      headers: queryMetaHeaders(agent, req.query, s.state.coordinates.index),
    };
  });

  r.on('GET', '/v1/coordinate/node/:node', (req) => {
    const s = agent.server;
    if (!s) return { status: 500, text: NO_SERVERS };
    const e = s.state.coordinates.get(req.params.node ?? '');
    if (!e || s.state.catalog.node(e.Node) === null)
      return {
        status: 404,
        text: '',
        headers: queryMetaHeaders(agent, req.query, s.state.coordinates.index),
      };
    return { json: [e], headers: queryMetaHeaders(agent, req.query, s.state.coordinates.index) };
  });

  r.on('PUT', '/v1/coordinate/update', async (req) => {
    const s = agent.server;
    if (!s) return { status: 500, text: NO_SERVERS };
    const raw = await req.ex.readBody(1 << 16);
    const body = raw === null ? null : decodeBody(raw);
    if (!body || !body.ok)
      return { status: 400, text: `Request decode failed: ${body ? body.error : 'too large'}` };
    const v = body.value as { Node?: unknown; Segment?: unknown; Coord?: unknown } | null;
    if (!v || typeof v.Node !== 'string' || v.Node === '') return { status: 400, text: 'Missing node name' };
    const c = v.Coord as { Vec?: unknown } | null;
    if (!c || !Array.isArray(c.Vec)) return { status: 400, text: 'Missing coordinate' };
    try {
      await s.coordinateUpdate([{ Node: v.Node, Segment: String(v.Segment ?? ''), Coord: v.Coord as Coord }]);
    } catch (e) {
      if (e instanceof NoLeaderError) return { status: 500, text: e.message };
      throw e;
    }
    return { json: null };
  });
}
