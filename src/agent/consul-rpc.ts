// Consul's server RPC methods (KVS, Catalog, Health, Status.RaftStats), with the request and reply
// structs as Consul's msgpack codec writes them: embedded structs (QueryOptions, QueryMeta,
// RaftIndex, WriteRequest) flattened into their parent, strings and []byte as raw, durations as
// nanoseconds. Each method is served by the same handler as its HTTP endpoint on this server, so the
// validation, blocking, consistency and error texts are the API's; only the shapes are translated.
import { MsgMap, MsgWriter, utf8, type MsgValue } from '../codec/msgpack.js';
import { parseGoJson, type JsonValue } from '../lib/gojson.js';
import type { HttpAnswer, HttpCall, RpcMethod } from './rpc.js';

type Local = (call: HttpCall) => Promise<HttpAnswer>;

// --- reading Consul's request structs ---

function field(args: MsgValue, name: string): MsgValue | undefined {
  return args instanceof MsgMap ? args.get(name) : undefined;
}
const str = (args: MsgValue, name: string): string => {
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

function url(path: string, q: Map<string, string>): string {
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
  // Consul's RPC errors are the same texts its HTTP API shows (a 404 read is an empty result).
  if (answer.status !== 200 && answer.status !== 404) throw new Error(dec.decode(answer.body).trim());
  const text = dec.decode(answer.body);
  const parsed = answer.status === 404 || text.trim() === '' ? null : parseGoJson(text);
  return { answer, json: parsed && parsed.ok ? parsed.value : null };
}

// --- writing Consul's reply structs ---

/** JSON → msgpack as go-msgpack writes the same Go values (integers as unsigned when ≥ 0). */
function writeJson(w: MsgWriter, v: JsonValue, bytesKeys: ReadonlySet<string>, key = ''): void {
  if (v === null) w.nil();
  else if (typeof v === 'boolean') w.bool(v);
  else if (typeof v === 'bigint' || typeof v === 'number') {
    const n = typeof v === 'number' ? Math.trunc(v) : v;
    if (n >= 0) w.uint(n);
    else w.int(n);
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
    const q = new Map<string, string>();
    const dc = str(args, 'Datacenter');
    if (dc) q.set('dc', dc);
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
      return reply({ Entries: Array.isArray(json) ? json : null, ...queryMeta(answer) }, DIR_ENTRY_BYTES);
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
    return reply({ Keys: Array.isArray(json) ? json : null, ...queryMeta(answer) });
  });

  // Catalog.Register / Deregister: structs.RegisterRequest / DeregisterRequest → struct{} (nil).
  for (const [name, path] of [
    ['Catalog.Register', '/v1/catalog/register'],
    ['Catalog.Deregister', '/v1/catalog/deregister'],
  ] as const)
    m.set(name, async (args) => {
      const body = toJson(args) as Record<string, JsonValue>;
      for (const k of ['Token', 'Datacenter']) delete body[k];
      const q = new Map<string, string>();
      const dc = str(args, 'Datacenter');
      if (dc) q.set('dc', dc);
      await http(local, 'PUT', path, q, args, JSON.stringify(body));
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
  return m;
}
