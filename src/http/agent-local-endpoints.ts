// /v1/agent/service/* and /v1/agent/check/*: services and checks registered through this agent's API,
// TTL check updates. Bodies use Consul's API field names (Name, ID, Check, HTTP, TTL, …), which map
// onto the same definitions a service file gives.

import type { Agent } from '../agent/agent.js';
type CheckStatus = 'passing' | 'warning' | 'critical';
import { decodeBody } from './decode.js';
import type { Reply, Request, Router } from './router.js';

type Obj = Record<string, unknown>;

/** CamelCase API keys to config keys, for the structural levels only (Meta and Header keys are data). */
function configKeys(v: unknown, dataKeys = false): unknown {
  if (Array.isArray(v)) return v.map((x) => configKeys(x));
  if (!v || typeof v !== 'object') return v;
  if (dataKeys) return v;
  const out: Obj = {};
  for (const [k, x] of Object.entries(v as Obj)) {
    let key = k
      .replace(/ID$/, 'Id')
      .replace(/^(HTTP|TCP|TTL|UDP|GRPC)$/, (m) => m.toLowerCase())
      .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
      .toLowerCase();
    if (key === 'check_id') key = 'id';
    out[key] = configKeys(x, key === 'meta' || key === 'header' || key === 'tagged_addresses');
  }
  return out;
}

async function jsonBody(req: Request): Promise<Obj | Reply> {
  const raw = await req.ex.readBody(1 << 20);
  if (raw === null) return { status: 413, text: 'Request body too large' };
  const body = decodeBody(raw);
  if (!body.ok) return { status: 400, text: `Request decode failed: ${body.error}` };
  if (!body.value || typeof body.value !== 'object' || Array.isArray(body.value))
    return { status: 400, text: 'Request decode failed: expected an object' };
  return configKeys(body.value) as Obj;
}

export function registerAgentLocalEndpoints(r: Router, agent: Agent): void {
  const local = () => agent.localState;

  r.on('PUT', '/v1/agent/service/register', async (req) => {
    const ls = local();
    if (!ls) return { status: 500, text: 'agent not started' };
    const body = await jsonBody(req);
    if ('status' in body && typeof body.status === 'number') return body as Reply;
    const err = ls.registerService(body as Obj);
    if (err) return { status: 400, text: err };
    await ls.flushed();
    return { json: null };
  });

  r.on('PUT', '/v1/agent/service/deregister/:id', async (req) => {
    const id = req.params.id ?? '';
    if (!local()?.deregisterService(id))
      return {
        status: 404,
        text: `Unknown service ID "${id}". Ensure that the service ID is passed, not the service name.`,
      };
    await local()?.flushed();
    return { json: null };
  });

  r.on('PUT', '/v1/agent/check/register', async (req) => {
    const ls = local();
    if (!ls) return { status: 500, text: 'agent not started' };
    const body = await jsonBody(req);
    if ('status' in body && typeof body.status === 'number') return body as Reply;
    const err = ls.registerCheck(body as Obj);
    if (err) return { status: 400, text: err };
    await ls.flushed();
    return { json: null };
  });

  r.on('PUT', '/v1/agent/check/deregister/:id', async (req) => {
    const id = req.params.id ?? '';
    if (!local()?.deregisterCheck(id))
      return {
        status: 404,
        text: `Unknown check ID "${id}". Ensure that the check ID is passed, not the check name.`,
      };
    await local()?.flushed();
    return { json: null };
  });

  const ttl = (status: CheckStatus) => (req: Request) => {
    const err = local()?.updateTtl(req.params.id ?? '', status, req.query.get('note') ?? '');
    if (err) return { status: err.code, text: err.text };
    return { json: null };
  };
  r.on('PUT', '/v1/agent/check/pass/:id', ttl('passing'));
  r.on('PUT', '/v1/agent/check/warn/:id', ttl('warning'));
  r.on('PUT', '/v1/agent/check/fail/:id', ttl('critical'));

  r.on('PUT', '/v1/agent/check/update/:id', async (req) => {
    const body = await jsonBody(req);
    if ('status' in body && typeof body.status === 'number') return body as Reply;
    const b = body as { status?: unknown; output?: unknown };
    const status = String(b.status ?? '');
    if (!['passing', 'warning', 'critical'].includes(status))
      return { status: 400, text: `Invalid check status: '${status}'` };
    const err = local()?.updateTtl(req.params.id ?? '', status as CheckStatus, String(b.output ?? ''));
    if (err) return { status: err.code, text: err.text };
    return { json: null };
  });
}
