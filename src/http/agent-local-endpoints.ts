// /v1/agent/service/* and /v1/agent/check/*: services and checks registered through this agent's API,
// TTL check updates. Bodies use Consul's API field names (Name, ID, Check, HTTP, TTL, …), which map
// onto the same definitions a service file gives.

import type { Agent } from '../agent/agent.js';
type CheckStatus = 'passing' | 'warning' | 'critical';
import { decodeBody } from './decode.js';
import { tokenKind } from '../agent/tokens.js';
import type { Reply, Request, Router } from './router.js';

type Obj = Record<string, unknown>;

/** API keys whose acronyms the generic CamelCase split gets wrong. */
const ODD_KEYS: Record<string, string> = {
  GRPCUseTLS: 'grpc_use_tls',
  H2PingUseTLS: 'h2ping_use_tls',
  TCPUseTLS: 'tcp_use_tls',
  TLSSkipVerify: 'tls_skip_verify',
  TLSServerName: 'tls_server_name',
  ScriptArgs: 'args',
};

/** CamelCase API keys to config keys, for the structural levels only (Meta and Header keys are data). */
function configKeys(v: unknown, dataKeys = false): unknown {
  if (Array.isArray(v)) return v.map((x) => configKeys(x));
  if (!v || typeof v !== 'object') return v;
  if (dataKeys) return v;
  const out: Obj = {};
  for (const [k, x] of Object.entries(v as Obj)) {
    let key = k
      .replace(/ID$/, 'Id')
      .replace(/^(HTTP|TCP|TTL|UDP|GRPC|H2PING)$/, (m) => m.toLowerCase())
      .replace(
        /^(GRPCUseTLS|H2PingUseTLS|TCPUseTLS|TLSSkipVerify|TLSServerName|ScriptArgs)$/,
        (m) => ODD_KEYS[m]!,
      )
      .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
      .toLowerCase();
    if (key === 'check_id') key = 'id';
    out[key] = configKeys(x, key === 'meta' || key === 'header' || key === 'tagged_addresses');
  }
  return out;
}

/** The body as config-form keys, or the reply that refuses it. */
async function jsonBody(req: Request): Promise<{ ok: true; value: Obj } | { ok: false; reply: Reply }> {
  const raw = await req.ex.readBody(1 << 20);
  if (raw === null) return { ok: false, reply: { status: 413, text: 'Request body too large' } };
  const body = decodeBody(raw);
  if (!body.ok) return { ok: false, reply: { status: 400, text: `Request decode failed: ${body.error}` } };
  if (!body.value || typeof body.value !== 'object' || Array.isArray(body.value))
    return { ok: false, reply: { status: 400, text: 'Request decode failed: expected an object' } };
  return { ok: true, value: configKeys(body.value) as Obj };
}

export function registerAgentLocalEndpoints(r: Router, agent: Agent): void {
  const local = () => agent.localState;

  // Register and deregister work alike for services and checks; they answer once the file is on disk.
  for (const kind of ['service', 'check'] as const) {
    r.on('PUT', `/v1/agent/${kind}/register`, async (req) => {
      const ls = local();
      if (!ls) return { status: 500, text: 'agent not started' };
      const body = await jsonBody(req);
      if (!body.ok) return body.reply;
      // `maintenance` marks the agent's own maintenance checks; it is not part of Consul's API.
      const def = { ...body.value };
      delete def.maintenance;
      const err = kind === 'service' ? ls.registerService(def) : ls.registerCheck(def);
      if (err) return { status: err.code, text: err.text };
      await ls.flushed();
      return { json: null };
    });

    r.on('PUT', `/v1/agent/${kind}/deregister/:id`, async (req) => {
      const id = req.params.id ?? '';
      const ls = local();
      const done = kind === 'service' ? ls?.deregisterService(id) : ls?.deregisterCheck(id);
      if (!done)
        return {
          status: 404,
          text: `Unknown ${kind} ID "${id}". Ensure that the ${kind} ID is passed, not the ${kind} name.`,
        };
      await ls?.flushed();
      return { json: null };
    });
  }

  const ttl = (status: CheckStatus) => async (req: Request) => {
    const err = local()?.updateTtl(req.params.id ?? '', status, req.query.get('note') ?? '');
    if (err) return { status: err.code, text: err.text };
    // The check's state is on disk before the answer (a restart right after keeps it).
    await local()?.flushed();
    return { json: null };
  };
  r.on('PUT', '/v1/agent/check/pass/:id', ttl('passing'));
  r.on('PUT', '/v1/agent/check/warn/:id', ttl('warning'));
  r.on('PUT', '/v1/agent/check/fail/:id', ttl('critical'));

  // ?enable=true|false (required, Go's ParseBool) and an optional ?reason.
  const enableParam = (req: Request): boolean | Reply => {
    if (!req.query.has('enable')) return { status: 400, text: 'Missing value for enable' };
    const raw = req.query.get('enable') ?? '';
    const t = ['1', 't', 'T', 'TRUE', 'true', 'True'];
    const f = ['0', 'f', 'F', 'FALSE', 'false', 'False'];
    if (t.includes(raw)) return true;
    if (f.includes(raw)) return false;
    return { status: 400, text: `Invalid value for enable: ${JSON.stringify(raw)}` };
  };

  // PUT /v1/agent/token/:type {"Token": "…"}: replaces one of the agent's ACL tokens.
  r.on('PUT', '/v1/agent/token/:type', async (req) => {
    if (!agent.config.acl.enabled) return { status: 401, text: 'ACL support disabled' };
    const name = req.params.type ?? '';
    const kind = tokenKind(name);
    if (!kind) return { status: 404, text: `Token "${name}" is unknown` };
    const body = await jsonBody(req);
    if (!body.ok) return body.reply;
    const token = (body.value as { token?: unknown } | null)?.token;
    const store = agent.tokens;
    if (!store) return { status: 500, text: 'agent not started' };
    try {
      await store.set(kind, typeof token === 'string' ? token : '');
    } catch (e) {
      return { status: 500, text: `Failed to persist tokens - ${(e as Error).message}` };
    }
    return { json: null };
  });

  r.on('PUT', '/v1/agent/maintenance', async (req) => {
    const enable = enableParam(req);
    if (typeof enable !== 'boolean') return enable;
    const ls = local();
    if (!ls) return { status: 500, text: 'agent not started' };
    ls.nodeMaintenance(enable, req.query.get('reason') ?? '');
    await ls.flushed();
    return { json: null };
  });

  r.on('PUT', '/v1/agent/service/maintenance/:id', async (req) => {
    const id = req.params.id ?? '';
    if (id === '') return { status: 400, text: 'Missing service ID' };
    const enable = enableParam(req);
    if (typeof enable !== 'boolean') return enable;
    const ls = local();
    if (!ls) return { status: 500, text: 'agent not started' };
    const err = ls.serviceMaintenance(id, enable, req.query.get('reason') ?? '');
    if (err) return { status: 404, text: err.message };
    await ls.flushed();
    return { json: null };
  });

  r.on('PUT', '/v1/agent/check/update/:id', async (req) => {
    const body = await jsonBody(req);
    if (!body.ok) return body.reply;
    const b = body.value as { status?: unknown; output?: unknown };
    const status = String(b.status ?? '');
    if (!['passing', 'warning', 'critical'].includes(status))
      return { status: 400, text: `Invalid check status: '${status}'` };
    const err = local()?.updateTtl(req.params.id ?? '', status as CheckStatus, String(b.output ?? ''));
    if (err) return { status: err.code, text: err.text };
    await local()?.flushed();
    return { json: null };
  });
}
