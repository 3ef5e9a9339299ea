// GET /v1/agent/service/:id (one local service with its ContentHash; ?hash blocks until it changes) and
// /v1/agent/health/service/name/:name | id/:id (local health as HTTP status codes: 200 passing, 429
// warning, 503 critical or maintenance, 404 unknown), as Consul's agent answers them.

import { createHash } from 'node:crypto';
import type { Agent } from '../agent/agent.js';
import { parseGoDuration } from '../lib/duration.js';
import type { Reply, Request, Router } from './router.js';

type Obj = Record<string, unknown>;

/** Consul hashes the service definition; the value is opaque to clients, so any stable digest does. */
function contentHash(svc: Obj): string {
  return createHash('sha256').update(JSON.stringify(svc)).digest('hex').slice(0, 16);
}

const enc = new TextEncoder();
const plain = (status: number, body: string): Reply => ({
  status,
  raw: enc.encode(body),
  headers: { 'content-type': 'text/plain' },
});

const STATUS_RANK: Record<string, number> = { passing: 0, warning: 1, critical: 2, maintenance: 3 };
const STATUS_CODE: Record<string, number> = { passing: 200, warning: 429, critical: 503, maintenance: 503 };

/** How often a hash-blocking request looks at the local state again (it is local and cheap). */
const HASH_POLL_MS = 100;

export function registerAgentServiceEndpoints(r: Router, agent: Agent): void {
  const service = (id: string): Obj | null => {
    const s = agent.localState?.servicesJson()[id];
    if (!s) return null;
    const { Datacenter: _dc, ...rest } = s;
    return { ...rest, ContentHash: contentHash(rest), Datacenter: _dc };
  };

  r.on('GET', '/v1/agent/service/:id', async (req) => {
    const id = req.params.id ?? '';
    const first = service(id);
    if (!first) return { status: 404, text: `unknown service ID: ${id}` };
    const want = req.query.get('hash');
    let current = first;
    if (want !== null && want === first.ContentHash) {
      const w = req.query.get('wait');
      const d = w === null ? 5 * 60e9 : parseGoDuration(w);
      if (d instanceof Error) return { status: 400, text: 'Invalid wait time' };
      const waitMs = Math.min(d <= 0 ? 5 * 60e3 : d / 1e6, 10 * 60e3);
      current = await new Promise<Obj>((resolve) => {
        const deadline = agent.clock.monotonicMs() + waitMs;
        const look = () => {
          const now = service(id);
          if (!now || now.ContentHash !== want || agent.clock.monotonicMs() >= deadline)
            return resolve(now ?? first);
          agent.timers.after(HASH_POLL_MS, look);
        };
        agent.timers.after(HASH_POLL_MS, look);
      });
    }
    return { json: current, headers: { 'x-consul-contenthash': String(current.ContentHash) } };
  });

  const health = (svc: Obj) => {
    const checks = Object.values(agent.localState?.checksJson() ?? {}).filter(
      (c) => c.ServiceID === svc.ID || c.ServiceID === '',
    );
    let worst = 'passing';
    for (const c of checks) {
      const st =
        c.CheckID === '_node_maintenance' || String(c.CheckID).startsWith('_service_maintenance:')
          ? 'maintenance'
          : String(c.Status);
      if ((STATUS_RANK[st] ?? 0) > (STATUS_RANK[worst] ?? 0)) worst = st;
    }
    return { AggregatedStatus: worst, Service: svc, Checks: checks };
  };

  const answer = (req: Request, status: string, json: unknown): Reply => {
    const code = STATUS_CODE[status] ?? 503;
    const text = req.query.get('format') === 'text' || /text\/plain/.test(req.ex.headers.accept ?? '');
    return text ? plain(code, status) : { status: code, json };
  };

  r.on('GET', '/v1/agent/health/service/id/:id', (req) => {
    const id = req.params.id ?? '';
    if (id === '') return { status: 400, text: 'Missing serviceID' };
    const svc = agent.localState?.servicesJson()[id];
    if (!svc) {
      const msg = `ServiceId ${id} not found`;
      return req.query.get('format') === 'text'
        ? plain(404, msg)
        : { status: 404, json: { AggregatedStatus: 'critical', Service: null, Checks: null } };
    }
    const h = health(svc);
    return answer(req, h.AggregatedStatus, h);
  });

  r.on('GET', '/v1/agent/health/service/name/:name', (req) => {
    const name = req.params.name ?? '';
    if (name === '') return { status: 400, text: 'Missing service Name' };
    const all = Object.values(agent.localState?.servicesJson() ?? {}).filter((s) => s.Service === name);
    if (all.length === 0) {
      const msg = `ServiceName ${name} Not Found`;
      return req.query.get('format') === 'text' ? plain(404, msg) : { status: 404, json: [] };
    }
    const each = all.map(health);
    let worst = 'passing';
    for (const h of each)
      if ((STATUS_RANK[h.AggregatedStatus] ?? 0) > (STATUS_RANK[worst] ?? 0)) worst = h.AggregatedStatus;
    return answer(req, worst, each);
  });
}
