// Consul's server RPC methods (KVS, Catalog, Health, Session, Txn, Coordinate, Operator, Internal),
// with the request and reply structs as Consul's msgpack codec writes them: embedded structs
// (QueryOptions, QueryMeta, RaftIndex, WriteRequest) flattened into their parent, strings and []byte
// as raw, durations as nanoseconds. Each method is served by the same handler as its HTTP endpoint on
// this server, so the validation, blocking, consistency and error texts are the API's; only the
// shapes are translated.
import { MsgMap, MsgWriter, utf8, type MsgValue } from '../codec/msgpack.js';
import { parseGoJson, stringifyGoJson, type JsonValue } from '../lib/gojson.js';
import { parseGoDuration } from '../lib/duration.js';
import type { HttpAnswer, HttpCall, RpcMethod } from './rpc.js';

type Local = (call: HttpCall) => Promise<HttpAnswer>;

// --- reading Consul's request structs ---

export function field(args: MsgValue, name: string): MsgValue | undefined {
  return args instanceof MsgMap ? args.get(name) : undefined;
}
export const str = (args: MsgValue, name: string): string => {
  const v = field(args, name);
  return v instanceof Uint8Array ? utf8(v) : '';
};
const bytes = (args: MsgValue, name: string): Uint8Array => {
  const v = field(args, name);
  return v instanceof Uint8Array ? v : new Uint8Array();
};
const num = (args: MsgValue, name: string): bigint => {
  const v = field(args, name);
  return typeof v === 'number' ? BigInt(Math.trunc(v)) : typeof v === 'bigint' ? v : 0n;
};
const bool = (args: MsgValue, name: string): boolean => field(args, name) === true;

/** A MsgValue as JSON for the HTTP handlers (raw strings as text, maps as objects). */
function toJson(v: MsgValue | undefined): JsonValue {
  if (v === undefined || v === null) return null;
  if (v instanceof Uint8Array) return utf8(v);
  if (Array.isArray(v)) return v.map(toJson);
  if (v instanceof MsgMap) {
    const o: Record<string, JsonValue> = {};
    for (const [k, x] of v.entries) o[k instanceof Uint8Array ? utf8(k) : String(k)] = toJson(x);
    return o;
  }
  return v;
}

/** A write request's Datacenter as ?dc. */
function dcParam(args: MsgValue): Map<string, string> {
  const dc = str(args, 'Datacenter');
  return new Map(dc ? [['dc', dc]] : []);
}

/** QueryOptions (flattened into every read request) as the HTTP API's query parameters. */
function queryParams(args: MsgValue): Map<string, string> {
  const q = new Map<string, string>();
  const dc = str(args, 'Datacenter');
  if (dc) q.set('dc', dc);
  const index = num(args, 'MinQueryIndex');
  if (index > 0n) q.set('index', String(index));
  const wait = num(args, 'MaxQueryTime');
  if (wait > 0n) q.set('wait', `${wait / 1_000_000n}ms`);
  if (bool(args, 'AllowStale')) q.set('stale', '');
  if (bool(args, 'RequireConsistent')) q.set('consistent', '');
  const filter = str(args, 'Filter');
  if (filter) q.set('filter', filter);
  return q;
}

export function url(path: string, q: Map<string, string>): string {
  const parts = [...q].map(([k, v]) => (v === '' ? k : `${k}=${encodeURIComponent(v)}`));
  return parts.length > 0 ? `${path}?${parts.join('&')}` : path;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

async function http(
  local: Local,
  method: string,
  path: string,
  q: Map<string, string>,
  args: MsgValue,
  body: Uint8Array | string = '',
): Promise<{ answer: HttpAnswer; json: JsonValue }> {
  const headers = new Map<string, string>();
  const token = str(args, 'Token');
  if (token) headers.set('x-consul-token', token);
  const answer = await local({
    method,
    url: url(path, q),
    headers,
    body: typeof body === 'string' ? enc.encode(body) : body,
  });
  // Consul's RPC errors are the same texts its HTTP API shows (a 404 read is an empty result, a 409
  // transaction a reply carrying its errors).
  if (answer.status !== 200 && answer.status !== 404 && answer.status !== 409)
    throw new Error(dec.decode(answer.body).trim());
  const text = dec.decode(answer.body);
  const parsed = answer.status === 404 || text.trim() === '' ? null : parseGoJson(text);
  return { answer, json: parsed && parsed.ok ? parsed.value : null };
}

// --- writing Consul's reply structs ---

/** JSON → msgpack as go-msgpack writes the same Go values (integers as unsigned when ≥ 0). */
function writeJson(w: MsgWriter, v: JsonValue, bytesKeys: ReadonlySet<string>, key = ''): void {
  if (v === null) w.nil();
  else if (typeof v === 'boolean') w.bool(v);
  else if (typeof v === 'number' && !Number.isInteger(v)) w.float64(v);
  else if (typeof v === 'bigint' || typeof v === 'number') {
    if (v >= 0) w.uint(v);
    else w.int(v);
  } else if (typeof v === 'string') w.str(bytesKeys.has(key) ? Buffer.from(v, 'base64') : v);
  else if (Array.isArray(v)) {
    w.arrayHeader(v.length);
    for (const x of v) writeJson(w, x, bytesKeys, key);
  } else {
    const keys = Object.keys(v);
    w.mapHeader(keys.length);
    for (const k of keys) {
      w.str(k);
      writeJson(w, v[k]!, bytesKeys, k);
    }
  }
}

/** A JSON object answer's fields (none when it is not an object). */
const fieldsOf = (json: JsonValue): Record<string, JsonValue> =>
  json !== null && typeof json === 'object' && !Array.isArray(json) ? json : {};

/** A result list as Consul's state store hands it to the RPC reply: nil when empty. */
const list = (json: JsonValue): JsonValue => (Array.isArray(json) && json.length > 0 ? json : null);

/** QueryMeta, flattened into every read reply, from the HTTP answer's headers. */
function queryMeta(a: HttpAnswer): Record<string, JsonValue> {
  const h = (k: string) => a.headers.get(k) ?? '';
  return {
    Index: BigInt(h('x-consul-index') || '0'),
    LastContact: BigInt(h('x-consul-lastcontact') || '0') * 1_000_000n,
    KnownLeader: h('x-consul-knownleader') === 'true',
    ConsistencyLevel: h('x-consul-effective-consistency') || 'leader',
  };
}

const DIR_ENTRY_BYTES = new Set(['Value']);
const NONE = new Set<string>();

function reply(
  obj: Record<string, JsonValue>,
  bytesKeys: ReadonlySet<string> = NONE,
): (w: MsgWriter) => void {
  return (w) => writeJson(w, obj, bytesKeys);
}

// --- the methods ---

export function consulRpcMethods(local: Local): Map<string, RpcMethod> {
  const m = new Map<string, RpcMethod>();
  const kvPath = (key: string) => `/v1/kv/${key.split('/').map(encodeURIComponent).join('/')}`;

  // KVS.Apply: structs.KVSRequest {Datacenter, Op, DirEnt{Key, Flags, Value, Session, ModifyIndex}} → bool.
  m.set('KVS.Apply', async (args) => {
    const op = str(args, 'Op');
    const ent = field(args, 'DirEnt') ?? null;
    const key = str(ent, 'Key');
    const q = dcParam(args);
    const flags = num(ent, 'Flags');
    if (flags > 0n) q.set('flags', String(flags));
    let method = 'PUT';
    if (op === 'cas') q.set('cas', String(num(ent, 'ModifyIndex')));
    else if (op === 'lock') q.set('acquire', str(ent, 'Session'));
    else if (op === 'unlock') q.set('release', str(ent, 'Session'));
    else if (op === 'delete') method = 'DELETE';
    else if (op === 'delete-cas') {
      method = 'DELETE';
      q.set('cas', String(num(ent, 'ModifyIndex')));
    } else if (op === 'delete-tree') {
      method = 'DELETE';
      q.set('recurse', '');
    } else if (op !== 'set') return `Invalid KVS operation '${op}'`;
    const { json } = await http(
      local,
      method,
      kvPath(key),
      q,
      args,
      method === 'PUT' ? bytes(ent, 'Value') : '',
    );
    return (w) => void w.bool(json === true);
  });

  // KVS.Get / KVS.List: structs.KeyRequest → structs.IndexedDirEntries {Entries, QueryMeta}.
  const getEntries =
    (recurse: boolean): RpcMethod =>
    async (args) => {
      const q = queryParams(args);
      if (recurse) q.set('recurse', '');
      const { answer, json } = await http(local, 'GET', kvPath(str(args, 'Key')), q, args);
      return reply({ Entries: list(json), ...queryMeta(answer) }, DIR_ENTRY_BYTES);
    };
  m.set('KVS.Get', getEntries(false));
  m.set('KVS.List', getEntries(true));

  // KVS.ListKeys: structs.KeyListRequest {Prefix, Seperator (sic)} → structs.IndexedKeyList {Keys}.
  m.set('KVS.ListKeys', async (args) => {
    const q = queryParams(args);
    q.set('keys', '');
    const sep = str(args, 'Seperator');
    if (sep) q.set('separator', sep);
    const { answer, json } = await http(local, 'GET', kvPath(str(args, 'Prefix')), q, args);
    return reply({ Keys: list(json), ...queryMeta(answer) });
  });

  // Catalog.Register / Deregister: structs.RegisterRequest / DeregisterRequest → struct{} (nil).
  for (const [name, path] of [
    ['Catalog.Register', '/v1/catalog/register'],
    ['Catalog.Deregister', '/v1/catalog/deregister'],
  ] as const)
    m.set(name, async (args) => {
      const body = toJson(args) as Record<string, JsonValue>;
      for (const k of ['Token', 'Datacenter']) delete body[k];
      await http(local, 'PUT', path, dcParam(args), args, stringifyGoJson(body));
      return (w) => void w.nil();
    });

  m.set('Catalog.ListDatacenters', async (args) => {
    const { json } = await http(local, 'GET', '/v1/catalog/datacenters', new Map(), args);
    return (w) => writeJson(w, json, NONE);
  });

  // Catalog.ListNodes: structs.DCSpecificRequest → structs.IndexedNodes {Nodes, QueryMeta}.
  m.set('Catalog.ListNodes', async (args) => {
    const { answer, json } = await http(local, 'GET', '/v1/catalog/nodes', queryParams(args), args);
    return reply({ Nodes: json, ...queryMeta(answer) });
  });

  // Catalog.ListServices → structs.IndexedServices {Services map[name][]tag, QueryMeta}.
  m.set('Catalog.ListServices', async (args) => {
    const { answer, json } = await http(local, 'GET', '/v1/catalog/services', queryParams(args), args);
    return reply({ Services: json, ...queryMeta(answer) });
  });

  // Catalog.ServiceNodes / Health.ServiceNodes: structs.ServiceSpecificRequest {ServiceName,
  // ServiceTags, TagFilter} → IndexedServiceNodes {ServiceNodes} / IndexedCheckServiceNodes {Nodes}.
  const serviceQuery = (args: MsgValue, passing: boolean) => {
    const q = queryParams(args);
    const tags = field(args, 'ServiceTags');
    const tag =
      Array.isArray(tags) && tags[0] instanceof Uint8Array ? utf8(tags[0]) : str(args, 'ServiceTag');
    if (tag && (bool(args, 'TagFilter') || Array.isArray(tags))) q.set('tag', tag);
    if (passing && bool(args, 'MergeCentralConfig')) q.set('merge-central-config', '');
    return q;
  };
  m.set('Catalog.ServiceNodes', async (args) => {
    const path = `/v1/catalog/service/${encodeURIComponent(str(args, 'ServiceName'))}`;
    const { answer, json } = await http(local, 'GET', path, serviceQuery(args, false), args);
    return reply({ ServiceNodes: json, ...queryMeta(answer) });
  });
  m.set('Health.ServiceNodes', async (args) => {
    const q = serviceQuery(args, true);
    // Consul's HealthFilterType... its API's ?passing maps onto the request's filter on the client;
    // a raw RPC caller asks for every instance and filters itself.
    const path = `/v1/health/service/${encodeURIComponent(str(args, 'ServiceName'))}`;
    const { answer, json } = await http(local, 'GET', path, q, args);
    return reply({ Nodes: json, ...queryMeta(answer) });
  });

  // Catalog.NodeServices: structs.NodeSpecificRequest {Node} → structs.IndexedNodeServices {NodeServices}.
  m.set('Catalog.NodeServices', async (args) => {
    const path = `/v1/catalog/node/${encodeURIComponent(str(args, 'Node'))}`;
    const { answer, json } = await http(local, 'GET', path, queryParams(args), args);
    return reply({ NodeServices: json, ...queryMeta(answer) });
  });

  // Health.NodeChecks / Health.ServiceChecks / Health.ChecksInState → structs.IndexedHealthChecks.
  const checks =
    (path: (args: MsgValue) => string): RpcMethod =>
    async (args) => {
      const { answer, json } = await http(local, 'GET', path(args), queryParams(args), args);
      return reply({ HealthChecks: json, ...queryMeta(answer) });
    };
  m.set(
    'Health.NodeChecks',
    checks((a) => `/v1/health/node/${encodeURIComponent(str(a, 'Node'))}`),
  );
  m.set(
    'Health.ServiceChecks',
    checks((a) => `/v1/health/checks/${encodeURIComponent(str(a, 'ServiceName'))}`),
  );
  m.set(
    'Health.ChecksInState',
    checks((a) => `/v1/health/state/${encodeURIComponent(str(a, 'State'))}`),
  );
  sessionMethods(m, local);
  txnMethods(m, local);
  coordinateMethods(m, local);
  operatorMethods(m, local);
  internalMethods(m, local);
  return m;
}

/**
 * Internal.NodeInfo / NodeDump: structs.NodeSpecificRequest / DCSpecificRequest → IndexedNodeDump
 * {Dump []NodeInfo{ID, Node, Address, TaggedAddresses, Meta, Services, Checks}}, from the catalog dump
 * client mirrors read; Internal.EventFire {Datacenter, Name, Payload} → EventFireResponse {QueryMeta}.
 */
function internalMethods(m: Map<string, RpcMethod>, local: Local): void {
  const dump =
    (one: boolean): RpcMethod =>
    async (args) => {
      const q = queryParams(args);
      q.delete('filter');
      const { answer, json } = await http(local, 'GET', '/v1/internal/proconsul/catalog', q, args);
      const entries = (json as { nodes?: Array<Record<string, JsonValue>> } | null)?.nodes ?? [];
      const want = str(args, 'Node');
      const infos = entries
        .filter((e) => !one || (e.node as Record<string, JsonValue> | null)?.Node === want)
        .map((e) => {
          const n = (e.node ?? {}) as Record<string, JsonValue>;
          return {
            ID: n.ID ?? '',
            Node: n.Node ?? '',
            Address: n.Address ?? '',
            TaggedAddresses: n.TaggedAddresses ?? null,
            Meta: n.Meta ?? null,
            Services: e.services ?? null,
            Checks: e.checks ?? null,
          };
        });
      return reply({ Dump: infos.length > 0 ? infos : null, ...queryMeta(answer) });
    };
  m.set('Internal.NodeInfo', dump(true));
  m.set('Internal.NodeDump', dump(false));
  m.set('Internal.EventFire', async (args) => {
    const path = `/v1/event/fire/${encodeURIComponent(str(args, 'Name'))}`;
    const { answer } = await http(local, 'PUT', path, dcParam(args), args, bytes(args, 'Payload'));
    return reply(queryMeta(answer));
  });
}

const SESSION_PATH = '/v1/session';

/** Session.*: structs.SessionRequest / SessionSpecificRequest → session ID / structs.IndexedSessions. */
function sessionMethods(m: Map<string, RpcMethod>, local: Local): void {
  // Session.Apply {Datacenter, Op "create"|"destroy", Session{ID, Name, Node, NodeChecks,
  // ServiceChecks, LockDelay (ns), Behavior, TTL}} → the session's ID.
  m.set('Session.Apply', async (args) => {
    const op = str(args, 'Op');
    const sess = field(args, 'Session') ?? null;
    if (op === 'destroy') {
      const id = str(sess, 'ID');
      await http(local, 'PUT', `${SESSION_PATH}/destroy/${encodeURIComponent(id)}`, dcParam(args), args);
      return (w) => void w.str(id);
    }
    if (op !== 'create') return `Invalid session operation '${op}'`;
    const body = toJson(sess) as Record<string, JsonValue> | null;
    const o: Record<string, JsonValue> = { ...(body ?? {}) };
    for (const k of ['ID', 'CreateIndex', 'ModifyIndex', 'Checks']) delete o[k];
    // LockDelay travels as nanoseconds; the HTTP body takes it as a Go duration.
    o.LockDelay = `${num(sess, 'LockDelay')}ns`;
    const { json } = await http(
      local,
      'PUT',
      `${SESSION_PATH}/create`,
      dcParam(args),
      args,
      stringifyGoJson(o),
    );
    const id = fieldsOf(json).ID;
    return (w) => void w.str(typeof id === 'string' ? id : '');
  });
  const sessions =
    (method: string, path: (args: MsgValue) => string): RpcMethod =>
    async (args) => {
      const q = method === 'GET' ? queryParams(args) : dcParam(args);
      const { answer, json } = await http(local, method, path(args), q, args);
      return reply({ Sessions: list(json), ...queryMeta(answer) });
    };
  const id = (a: MsgValue) => encodeURIComponent(str(a, 'SessionID'));
  m.set(
    'Session.Get',
    sessions('GET', (a) => `${SESSION_PATH}/info/${id(a)}`),
  );
  m.set(
    'Session.Renew',
    sessions('PUT', (a) => `${SESSION_PATH}/renew/${id(a)}`),
  );
  m.set(
    'Session.List',
    sessions('GET', () => `${SESSION_PATH}/list`),
  );
  m.set(
    'Session.NodeSessions',
    sessions('GET', (a) => `${SESSION_PATH}/node/${encodeURIComponent(str(a, 'Node'))}`),
  );
}

/**
 * Txn.Apply / Txn.Read: structs.TxnRequest {Datacenter, Ops} / TxnReadRequest (with QueryOptions) →
 * TxnResponse {Results, Errors} (Txn.Read adds QueryMeta). A KV op carries a DirEnt where the HTTP
 * API has flat fields; the other ops (Node, Service, Check, Session) have the same shape in both.
 */
function txnMethods(m: Map<string, RpcMethod>, local: Local): void {
  const ops = (args: MsgValue): JsonValue[] => {
    const list = field(args, 'Ops');
    return (Array.isArray(list) ? list : []).map((op) => {
      const kv = field(op, 'KV');
      if (!(kv instanceof MsgMap)) return toJson(op);
      const ent = field(kv, 'DirEnt') ?? null;
      return {
        KV: {
          Verb: str(kv, 'Verb'),
          Key: str(ent, 'Key'),
          Value: Buffer.from(bytes(ent, 'Value')).toString('base64'),
          Flags: num(ent, 'Flags'),
          Index: num(ent, 'ModifyIndex'),
          Session: str(ent, 'Session'),
        },
      };
    });
  };
  const txn =
    (read: boolean): RpcMethod =>
    async (args) => {
      const q = read ? queryParams(args) : dcParam(args);
      q.delete('index');
      q.delete('wait');
      const body = stringifyGoJson(ops(args));
      const { answer, json } = await http(local, 'PUT', '/v1/txn', q, args, body);
      const o = fieldsOf(json);
      const out = { Results: o.Results ?? null, Errors: o.Errors ?? null };
      return reply(read ? { ...out, ...queryMeta(answer) } : out, DIR_ENTRY_BYTES);
    };
  m.set('Txn.Apply', txn(false));
  m.set('Txn.Read', txn(true));
}

/** Coordinate.*: the LAN coordinates of nodes, the WAN ones of each datacenter's servers, and updates. */
function coordinateMethods(m: Map<string, RpcMethod>, local: Local): void {
  // Coordinate.ListDatacenters → []structs.DatacenterMap {Datacenter, AreaID, Coordinates}.
  m.set('Coordinate.ListDatacenters', async (args) => {
    const { json } = await http(local, 'GET', '/v1/coordinate/datacenters', new Map(), args);
    return (w) => writeJson(w, json, NONE);
  });
  // Coordinate.ListNodes / Coordinate.Node → structs.IndexedCoordinates {Coordinates, QueryMeta}.
  const coords =
    (path: (args: MsgValue) => string): RpcMethod =>
    async (args) => {
      const { answer, json } = await http(local, 'GET', path(args), queryParams(args), args);
      return reply({ Coordinates: list(json), ...queryMeta(answer) });
    };
  m.set(
    'Coordinate.ListNodes',
    coords(() => '/v1/coordinate/nodes'),
  );
  m.set(
    'Coordinate.Node',
    coords((a) => `/v1/coordinate/node/${encodeURIComponent(str(a, 'Node'))}`),
  );
  // Coordinate.Update: structs.CoordinateUpdateRequest {Datacenter, Node, Segment, Coord} → struct{}.
  m.set('Coordinate.Update', async (args) => {
    const body = {
      Node: str(args, 'Node'),
      Segment: str(args, 'Segment'),
      Coord: toJson(field(args, 'Coord')),
    };
    await http(local, 'PUT', '/v1/coordinate/update', dcParam(args), args, stringifyGoJson(body));
    return (w) => void w.nil();
  });
}

/** Operator.*: the Raft configuration, removing a peer, and autopilot's configuration. */
function operatorMethods(m: Map<string, RpcMethod>, local: Local): void {
  // Operator.RaftGetConfiguration → structs.RaftConfigurationResponse {Servers, Index}.
  m.set('Operator.RaftGetConfiguration', async (args) => {
    const { json } = await http(local, 'GET', '/v1/operator/raft/configuration', dcParam(args), args);
    return (w) => writeJson(w, json, NONE);
  });
  // Operator.RaftRemovePeerByID / ByAddress: structs.RaftRemovePeerRequest {Datacenter, ID, Address}.
  for (const [name, key, param] of [
    ['Operator.RaftRemovePeerByID', 'ID', 'id'],
    ['Operator.RaftRemovePeerByAddress', 'Address', 'address'],
  ] as const)
    m.set(name, async (args) => {
      const q = dcParam(args);
      q.set(param, str(args, key));
      await http(local, 'DELETE', '/v1/operator/raft/peer', q, args);
      return (w) => void w.nil();
    });
  // Operator.AutopilotGetConfiguration → structs.AutopilotConfig, its durations as nanoseconds.
  m.set('Operator.AutopilotGetConfiguration', async (args) => {
    const { json } = await http(local, 'GET', '/v1/operator/autopilot/configuration', dcParam(args), args);
    const conf = { ...fieldsOf(json) };
    for (const k of ['LastContactThreshold', 'ServerStabilizationTime']) {
      const d = typeof conf[k] === 'string' ? parseGoDuration(conf[k]) : 0;
      conf[k] = BigInt(d instanceof Error ? 0 : d);
    }
    return reply(conf);
  });
}
