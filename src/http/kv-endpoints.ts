// /v1/kv/<key>: GET (raw, keys + separator, recurse, blocking), PUT (flags, cas, 512 KiB limit),
// DELETE (recurse, cas) — with Consul's answers: true/false bodies, empty 404 on a miss, X-Consul-Index.

import type { Agent } from '../agent/agent.js';
import { ApplyError, NoLeaderError, type KvRequest } from '../agent/server.js';
import type { DirEntry } from '../state/kv-store.js';
import { blockingParams, blockingQuery } from './blocking.js';
import type { Reply, Request, Router } from './router.js';
import { NO_SERVERS } from './status-endpoints.js';
import { queryMetaHeaders } from './query-meta.js';

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

export function entryJson(e: DirEntry): Record<string, unknown> {
  const o: Record<string, unknown> = {
    LockIndex: e.LockIndex,
    Key: e.Key,
    // uint64: a bigint only when a JSON number would lose precision (encodeJson writes it exactly).
    Flags: e.Flags <= MAX_SAFE ? Number(e.Flags) : e.Flags,
    Value: e.Value === null ? null : Buffer.from(e.Value).toString('base64'),
  };
  if (e.Session) o.Session = e.Session;
  o.CreateIndex = e.CreateIndex;
  o.ModifyIndex = e.ModifyIndex;
  return o;
}

const UINT64_MAX = 2n ** 64n - 1n;

/** Go's url.QueryEscape: unreserved bytes stay, spaces become '+', the rest %XX (upper-case). */
function goQueryEscape(s: string): string {
  let out = '';
  for (const b of new TextEncoder().encode(s)) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Consul's conflictingFlags: more than one of `flags` present → 400 "Conflicting flags: " + url.Values.Encode(). */
export function conflictingFlags(q: URLSearchParams, ...flags: string[]): Reply | null {
  if (flags.filter((f) => q.has(f)).length < 2) return null;
  const keys = [...new Set(q.keys())].sort();
  const enc = keys
    .flatMap((k) => q.getAll(k).map((v) => `${goQueryEscape(k)}=${goQueryEscape(v)}`))
    .join('&');
  return { status: 400, text: `Conflicting flags: ${enc}` };
}

function parseUint(v: string | null): bigint | null | Error {
  if (v === null) return null;
  if (!/^\d+$/.test(v)) return new Error('bad');
  const n = BigInt(v);
  return n > UINT64_MAX ? new Error('bad') : n;
}

export function registerKvEndpoints(r: Router, agent: Agent): void {
  const keyOf = (req: Request) => {
    const raw = req.params['*'] ?? '';
    try {
      return decodeURIComponent(raw);
    } catch {
      return raw;
    }
  };

  r.on('GET', '/v1/kv/*', async (req) => {
    const s = agent.server;
    if (!s) return { status: 500, text: NO_SERVERS };
    const key = keyOf(req);
    const q = req.query;
    const bp = blockingParams(q, agent.config.defaultQueryTimeNs, agent.config.maxQueryTimeNs);
    if (bp instanceof Error) return { status: 400, text: bp.message };
    const kv = s.state.kv;
    const ports = { timers: agent.timers, rng: agent.rng };
    const onClose = (fn: () => void) => req.ex.onClose(fn);
    if (q.has('keys')) {
      // Consul reads its historic misspelling first, then the correct one.
      const sep = q.get('seperator') || q.get('separator') || '';
      const res = await blockingQuery(
        bp,
        ports,
        kv.watches,
        { key, prefix: true },
        () => kv.keys(key, sep),
        onClose,
      );
      if (res.keys.length === 0 && key !== '')
        return { status: 404, headers: queryMetaHeaders(agent, q, res.index) };
      return { json: res.keys, headers: queryMetaHeaders(agent, q, res.index) };
    }
    if (q.has('recurse')) {
      const res = await blockingQuery(
        bp,
        ports,
        kv.watches,
        { key, prefix: true },
        () => kv.list(key),
        onClose,
      );
      if (res.entries.length === 0) return { status: 404, headers: queryMetaHeaders(agent, q, res.index) };
      return {
        json: res.entries.map(entryJson),
        headers: queryMetaHeaders(agent, q, res.index),
      };
    }
    const res = await blockingQuery(
      bp,
      ports,
      kv.watches,
      { key, prefix: false },
      () => kv.get(key),
      onClose,
    );
    if (!res.entry) return { status: 404, headers: queryMetaHeaders(agent, q, res.index) };
    if (q.has('raw')) {
      return {
        raw: res.entry.Value ?? new Uint8Array(),
        headers: {
          ...queryMetaHeaders(agent, q, res.index),
          'content-type': 'text/plain',
          'x-content-type-options': 'nosniff',
          'content-security-policy': 'sandbox',
        },
      } as Reply;
    }
    return {
      json: [entryJson(res.entry)],
      headers: queryMetaHeaders(agent, q, res.index),
    };
  });

  const write = async (req: Request, kvReq: KvRequest): Promise<Reply> => {
    const s = agent.server;
    if (!s) return { status: 500, text: NO_SERVERS };
    try {
      return { json: await s.kvWrite(kvReq) };
    } catch (e) {
      if (e instanceof NoLeaderError || e instanceof ApplyError) return { status: 500, text: e.message };
      throw e;
    }
  };

  r.on('PUT', '/v1/kv/*', async (req) => {
    const key = keyOf(req);
    if (key === '') return { status: 400, text: 'Missing key name' };
    const q = req.query;
    const flags = parseUint(q.get('flags'));
    if (flags instanceof Error) return { status: 400, text: 'Invalid flags' };
    const conflict = conflictingFlags(q, 'cas', 'acquire', 'release');
    if (conflict) return conflict;
    const cas = parseUint(q.get('cas'));
    if (cas instanceof Error) return { status: 400, text: 'Invalid cas' };
    const max = agent.config.kvMaxValueSize;
    const body = await req.ex.readBody(max);
    if (body === null) {
      const len = Number(req.ex.headers['content-length'] ?? max + 1);
      return {
        status: 413,
        text: `Request body(${len} bytes) too large, max size: ${max} bytes. See https://developer.hashicorp.com/consul/docs/agent/config/config-files#kv_max_value_size.`,
      };
    }
    const acquire = q.get('acquire');
    const release = q.get('release');
    return write(req, {
      Op: acquire !== null ? 'lock' : release !== null ? 'unlock' : cas === null ? 'set' : 'cas',
      Key: key,
      Value: Buffer.from(body).toString('base64'),
      Flags: String(flags ?? 0n),
      ModifyIndex: Number(cas ?? 0n),
      Session: acquire ?? release ?? undefined,
    });
  });

  r.on('DELETE', '/v1/kv/*', async (req) => {
    const key = keyOf(req);
    const q = req.query;
    const cas = parseUint(q.get('cas'));
    if (cas instanceof Error) return { status: 400, text: 'Invalid cas' };
    const conflict = conflictingFlags(q, 'recurse', 'cas');
    if (conflict) return conflict;
    const recurse = q.has('recurse');
    if (key === '' && !recurse) return { status: 400, text: 'Missing key name' };
    return write(req, {
      Op: recurse ? 'delete-tree' : cas !== null ? 'delete-cas' : 'delete',
      Key: key,
      Value: null,
      Flags: '0',
      ModifyIndex: Number(cas ?? 0n),
    });
  });
}
