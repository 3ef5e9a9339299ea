// /v1/txn: up to 128 KV / Node / Service / Check operations applied atomically. 200 with Results, or
// 409 with Errors (nothing applied); read-only transactions skip Raft. Limits and texts are Consul's.

import type { Agent } from '../agent/agent.js';
import { NoLeaderError, type TxnOp, type TxnOutcome, type TxnResultItem } from '../agent/server.js';
import type { JsonValue } from '../lib/gojson.js';
import type { HealthCheck, NodeService } from '../state/catalog.js';
import { decodeBody, field, isObj, num, str, strList, strMap } from './decode.js';
import { entryJson } from './kv-endpoints.js';
import type { Reply, Router } from './router.js';
import { NO_SERVERS } from './status-endpoints.js';

/** Consul's maxTxnOps (64 before 1.14). */
export const MAX_TXN_OPS = 128;
const LIMIT_DOC = 'https://www.consul.io/docs/agent/config/config-files#txn_max_req_len';

class BadOp extends Error {}

const u64 = (v: JsonValue | undefined): string =>
  typeof v === 'bigint' ? v.toString() : typeof v === 'number' ? String(Math.trunc(v)) : '0';

function base64Value(v: JsonValue | undefined): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw new BadOp(`unexpected value type: ${typeof v}`);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(v) || v.length % 4 !== 0)
    throw new BadOp('failed to decode value: illegal base64 data at input byte 0');
  return v;
}

function convertOp(o: JsonValue): TxnOp {
  const kv = field(o, 'KV');
  if (isObj(kv))
    return {
      KV: {
        Verb: str(field(kv, 'Verb')) ?? '',
        Key: str(field(kv, 'Key')) ?? '',
        Value: base64Value(field(kv, 'Value')),
        Flags: u64(field(kv, 'Flags')),
        Index: num(field(kv, 'Index')) ?? 0,
        Session: str(field(kv, 'Session')) ?? '',
      },
    };
  const node = field(o, 'Node');
  if (isObj(node)) {
    const n = field(node, 'Node');
    return {
      Node: {
        Verb: str(field(node, 'Verb')) ?? '',
        Node: {
          ID: str(field(n, 'ID')),
          Node: str(field(n, 'Node')) ?? '',
          Address: str(field(n, 'Address')),
          TaggedAddresses: strMap(field(n, 'TaggedAddresses')),
          Meta: strMap(field(n, 'Meta')),
          ModifyIndex: num(field(n, 'ModifyIndex')),
        },
      },
    };
  }
  const svc = field(o, 'Service');
  if (isObj(svc)) {
    const s = field(svc, 'Service');
    const service: Partial<NodeService> = {
      ID: str(field(s, 'ID')),
      Service: str(field(s, 'Service')),
      Tags: strList(field(s, 'Tags')),
      Address: str(field(s, 'Address')),
      Meta: strMap(field(s, 'Meta')),
      Port: num(field(s, 'Port')),
      ModifyIndex: num(field(s, 'ModifyIndex')),
    };
    return {
      Service: { Verb: str(field(svc, 'Verb')) ?? '', Node: str(field(svc, 'Node')) ?? '', Service: service },
    };
  }
  const chk = field(o, 'Check');
  if (isObj(chk)) {
    const c = field(chk, 'Check');
    const check: Partial<HealthCheck> & { Node: string } = {
      Node: str(field(c, 'Node')) ?? '',
      CheckID: str(field(c, 'CheckID')),
      Name: str(field(c, 'Name')),
      Status: str(field(c, 'Status')),
      Notes: str(field(c, 'Notes')),
      Output: str(field(c, 'Output')),
      ServiceID: str(field(c, 'ServiceID')),
      ModifyIndex: num(field(c, 'ModifyIndex')),
    };
    return { Check: { Verb: str(field(chk, 'Verb')) ?? '', Check: check } };
  }
  throw new BadOp('operation has no KV, Node, Service or Check');
}

function resultJson(r: TxnResultItem): Record<string, unknown> {
  if ('KV' in r) return { KV: entryJson(r.KV) };
  return r;
}

export function registerTxnEndpoints(r: Router, agent: Agent): void {
  r.on('PUT', '/v1/txn', async (req): Promise<Reply> => {
    const s = agent.server;
    if (!s) return { status: 500, text: NO_SERVERS };
    const kvMax = agent.config.kvMaxValueSize;
    const max = Math.max(agent.config.txnMaxReqLen, kvMax);
    const len = Number(req.ex.headers['content-length'] ?? 0);
    if (len > max)
      return {
        status: 413,
        text: `Request body(${len} bytes) too large, max size: ${max} bytes. See ${LIMIT_DOC}.`,
      };
    const raw = await req.ex.readBody(max);
    if (raw === null)
      return { status: 413, text: `Request body too large, max size: ${max} bytes. See ${LIMIT_DOC}.` };
    const body = decodeBody(raw);
    if (!body.ok)
      return { status: 400, text: body.error.replace('Request decode failed', 'Failed to parse body') };
    const list = body.value ?? [];
    if (!Array.isArray(list))
      return {
        status: 400,
        text: 'Failed to parse body: json: cannot unmarshal object into Go value of type api.TxnOps',
      };
    if (list.length > MAX_TXN_OPS)
      return {
        status: 413,
        text: `Transaction contains too many operations (${list.length} > ${MAX_TXN_OPS})`,
      };
    let ops: TxnOp[];
    try {
      ops = list.map(convertOp);
    } catch (e) {
      if (e instanceof BadOp) return { status: 400, text: `Failed to parse body: ${e.message}` };
      throw e;
    }
    for (const op of ops) {
      if (!('KV' in op)) continue;
      const size = op.KV.Value === null ? 0 : Buffer.from(op.KV.Value, 'base64').length;
      if (size > kvMax)
        return {
          status: 413,
          text: `Value for key ${JSON.stringify(op.KV.Key)} is too large (${size} > ${kvMax} bytes)`,
        };
    }
    let out: TxnOutcome;
    try {
      out = await s.txn(ops);
    } catch (e) {
      if (e instanceof NoLeaderError) return { status: 500, text: e.message };
      throw e;
    }
    const meta = s.readMeta(agent.clock.monotonicMs());
    const headers = {
      'x-consul-knownleader': String(meta.knownLeader),
      'x-consul-lastcontact': String(meta.lastContactMs),
    };
    return {
      status: out.Errors ? 409 : 200,
      json: { Results: out.Results?.map(resultJson) ?? null, Errors: out.Errors },
      headers,
    };
  });
}
