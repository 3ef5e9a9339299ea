// A typed client for the HTTP API, configured like Consul's Go api client: from CONSUL_HTTP_* environment
// variables, then overridden by command-line flags. Error texts follow the Go client's wording. Besides
// raw requests it has the Go client's typed calls — kv, catalog, health, session, agent — each read
// returning its QueryMeta (the index to block on next) and a 404 read of one thing being null.

import { parseGoJson } from '../lib/gojson.js';
import type { HttpClient, HttpClientResponse } from '../runtime/http.js';

export interface ApiConfig {
  /** host:port, or a unix socket path when scheme is 'unix'. */
  address: string;
  scheme: 'http' | 'https' | 'unix';
  token: string;
  tokenFile: string;
  datacenter: string;
  stale: boolean;
  basicAuth: string;
  tls: {
    caFile: string;
    caPath: string;
    certFile: string;
    keyFile: string;
    serverName: string;
    insecure: boolean;
  };
}

export function defaultApiConfig(): ApiConfig {
  return {
    address: '127.0.0.1:8500',
    scheme: 'http',
    token: '',
    tokenFile: '',
    datacenter: '',
    stale: false,
    basicAuth: '',
    tls: { caFile: '', caPath: '', certFile: '', keyFile: '', serverName: '', insecure: false },
  };
}

/** Applies an address as CONSUL_HTTP_ADDR / -http-addr take it: host:port, http(s)://host:port, unix:///path. */
export function applyAddress(cfg: ApiConfig, addr: string): void {
  const m = /^(https?|unix):\/\/(.*)$/.exec(addr);
  if (m) {
    cfg.scheme = m[1] as ApiConfig['scheme'];
    cfg.address = m[2]!;
  } else cfg.address = addr;
}

export function apiConfigFromEnv(env: Readonly<Record<string, string | undefined>>): ApiConfig {
  const cfg = defaultApiConfig();
  if (env.CONSUL_HTTP_ADDR) applyAddress(cfg, env.CONSUL_HTTP_ADDR);
  if (env.CONSUL_HTTP_TOKEN) cfg.token = env.CONSUL_HTTP_TOKEN;
  if (env.CONSUL_HTTP_TOKEN_FILE) cfg.tokenFile = env.CONSUL_HTTP_TOKEN_FILE;
  if (env.CONSUL_HTTP_AUTH) cfg.basicAuth = env.CONSUL_HTTP_AUTH;
  const ssl = env.CONSUL_HTTP_SSL?.toLowerCase();
  if (ssl === 'true' || ssl === '1') cfg.scheme = 'https';
  const verify = env.CONSUL_HTTP_SSL_VERIFY?.toLowerCase();
  if (verify === 'false' || verify === '0') cfg.tls.insecure = true;
  if (env.CONSUL_CACERT) cfg.tls.caFile = env.CONSUL_CACERT;
  if (env.CONSUL_CAPATH) cfg.tls.caPath = env.CONSUL_CAPATH;
  if (env.CONSUL_CLIENT_CERT) cfg.tls.certFile = env.CONSUL_CLIENT_CERT;
  if (env.CONSUL_CLIENT_KEY) cfg.tls.keyFile = env.CONSUL_CLIENT_KEY;
  if (env.CONSUL_TLS_SERVER_NAME) cfg.tls.serverName = env.CONSUL_TLS_SERVER_NAME;
  return cfg;
}

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status = 0,
  ) {
    super(message);
  }
}

/** Query parameters; a list repeats the parameter (`?node-meta=a:1&node-meta=b:2`). */
export type Query = Record<string, string | readonly string[] | undefined>;

export interface RequestOptions {
  query?: Query;
  body?: string | Uint8Array;
  signal?: AbortSignal;
}

export interface ApiResponse {
  status: number;
  headers: Readonly<Record<string, string | undefined>>;
  raw: HttpClientResponse;
}

export class ApiClient {
  constructor(
    readonly config: ApiConfig,
    private readonly http: HttpClient,
    /** Reads a token file (CONSUL_HTTP_TOKEN_FILE / -token-file); supplied by the CLI. */
    private readonly readTokenFile: (path: string) => Promise<string> = async () => '',
  ) {}

  private url(path: string, query: Query): string {
    const q = new URLSearchParams();
    if (this.config.datacenter) q.set('dc', this.config.datacenter);
    if (this.config.stale) q.set('stale', '');
    for (const [k, v] of Object.entries(query)) {
      if (typeof v === 'string') q.set(k, v);
      else if (v) for (const x of v) q.append(k, x);
    }
    const qs = q.toString().replace(/=(&|$)/g, '$1');
    const p = qs ? `${path}?${qs}` : path;
    if (this.config.scheme === 'unix') return p;
    return `${this.config.scheme}://${this.config.address}${p}`;
  }

  private shownUrl(path: string): string {
    return this.config.scheme === 'unix'
      ? `http://${this.config.address}${path}`
      : `${this.config.scheme}://${this.config.address}${path}`;
  }

  async request(method: string, path: string, opts: RequestOptions = {}): Promise<ApiResponse> {
    const headers: Record<string, string> = {};
    let token = this.config.token;
    if (!token && this.config.tokenFile) token = (await this.readTokenFile(this.config.tokenFile)).trim();
    if (token) headers['x-consul-token'] = token;
    if (this.config.basicAuth)
      headers.authorization = `Basic ${Buffer.from(this.config.basicAuth).toString('base64')}`;
    const url = this.url(path, opts.query ?? {});
    let res: HttpClientResponse;
    try {
      res = await this.http.request({
        method,
        url,
        socketPath: this.config.scheme === 'unix' ? this.config.address : undefined,
        headers,
        body: opts.body,
        signal: opts.signal,
        tls: this.config.scheme === 'https' ? this.config.tls : undefined,
      });
    } catch (e) {
      throw new ApiError(goDialError(method, this.shownUrl(path), this.config, e as NodeJS.ErrnoException));
    }
    return { status: res.status, headers: res.headers, raw: res };
  }

  /** A request whose non-200 answer is an error "Unexpected response code: N (body)", as the Go client says. */
  async call(
    method: string,
    path: string,
    opts: RequestOptions = {},
  ): Promise<{ body: Uint8Array; headers: Readonly<Record<string, string | undefined>> }> {
    const r = await this.request(method, path, opts);
    const body = await r.raw.body();
    if (r.status !== 200) {
      throw new ApiError(
        `Unexpected response code: ${r.status} (${new TextDecoder().decode(body).trim()})`,
        r.status,
      );
    }
    return { body, headers: r.headers };
  }

  async getJson<T>(path: string, query: Query = {}): Promise<T> {
    const { body } = await this.call('GET', path, { query });
    return JSON.parse(new TextDecoder().decode(body)) as T;
  }

  async put(path: string, body?: string, query: Record<string, string | undefined> = {}): Promise<void> {
    await this.call('PUT', path, { query, body });
  }

  /**
   * A read decoded as Go does (uint64s beyond 2^53 exact), with its QueryMeta; null on a 404 when
   * `notFound` is 'null' (the Go client's "no such thing" for one KV entry, session or node).
   */
  async read<T>(
    path: string,
    opts: ReadOptions = {},
    notFound: 'null' | 'error' = 'error',
  ): Promise<{ value: T | null; meta: QueryMeta }> {
    const r = await this.request('GET', path, { query: readQuery(opts), signal: opts.signal });
    const body = await r.raw.body();
    const meta = queryMeta(r.headers);
    if (r.status === 404 && notFound === 'null') return { value: null, meta };
    if (r.status !== 200)
      throw new ApiError(`Unexpected response code: ${r.status} (${dec.decode(body).trim()})`, r.status);
    const parsed = parseGoJson(dec.decode(body));
    if (!parsed.ok) throw new ApiError(parsed.error.message, r.status);
    return { value: parsed.value as T, meta };
  }

  /** A write answering a JSON document (or true/false), decoded. */
  private async write<T>(method: string, path: string, body?: unknown, query: Query = {}): Promise<T> {
    const data = body === undefined ? undefined : body instanceof Uint8Array ? body : JSON.stringify(body);
    const { body: out } = await this.call(method, path, { query, body: data });
    const text = dec.decode(out).trim();
    if (text === '') return null as T;
    const parsed = parseGoJson(text);
    if (!parsed.ok) throw new ApiError(parsed.error.message, 200);
    return parsed.value as T;
  }

  /** /v1/kv (Go's api.KV). */
  readonly kv = {
    /** One entry; null when absent. */
    get: async (key: string, opts: ReadOptions = {}): Promise<{ pair: KVPair | null; meta: QueryMeta }> => {
      const r = await this.read<WireKVPair[]>(kvPath(key), opts, 'null');
      const first = r.value?.[0];
      return { pair: first ? kvPair(first) : null, meta: r.meta };
    },
    /** Every entry under a prefix, in key order (none: empty). */
    list: async (prefix: string, opts: ReadOptions = {}): Promise<{ pairs: KVPair[]; meta: QueryMeta }> => {
      const r = await this.read<WireKVPair[]>(
        kvPath(prefix),
        { ...opts, query: { ...opts.query, recurse: '' } },
        'null',
      );
      return { pairs: (r.value ?? []).map(kvPair), meta: r.meta };
    },
    /** Keys under a prefix, folded at `separator` after it ('' folds nothing). */
    keys: async (
      prefix: string,
      separator = '',
      opts: ReadOptions = {},
    ): Promise<{ keys: string[]; meta: QueryMeta }> => {
      const query: Query = { ...opts.query, keys: '' };
      if (separator !== '') query.separator = separator;
      const r = await this.read<string[]>(kvPath(prefix), { ...opts, query }, 'null');
      return { keys: r.value ?? [], meta: r.meta };
    },
    /** Writes a value; false when a CAS, acquire or release did not take. */
    put: async (key: string, value: Uint8Array | string, opts: KVWriteOptions = {}): Promise<boolean> => {
      const query: Query = {};
      if (opts.flags !== undefined && BigInt(opts.flags) !== 0n) query.flags = String(opts.flags);
      if (opts.cas !== undefined) query.cas = String(opts.cas);
      if (opts.acquire) query.acquire = opts.acquire;
      if (opts.release) query.release = opts.release;
      const { body } = await this.call('PUT', kvPath(key), { query, body: value });
      return dec.decode(body).trim() === 'true';
    },
    /** Deletes a key (or, with `recurse`, a prefix); false when a CAS did not take. */
    delete: async (
      key: string,
      opts: { recurse?: boolean; cas?: number | bigint } = {},
    ): Promise<boolean> => {
      const query: Query = {};
      if (opts.recurse) query.recurse = '';
      if (opts.cas !== undefined) query.cas = String(opts.cas);
      const { body } = await this.call('DELETE', kvPath(key), { query });
      return dec.decode(body).trim() !== 'false';
    },
  };

  /** /v1/catalog (Go's api.Catalog). */
  readonly catalog = {
    datacenters: async (): Promise<string[]> =>
      (await this.read<string[]>('/v1/catalog/datacenters')).value ?? [],
    nodes: async (opts: ReadOptions = {}) => this.listRead<CatalogNodeJson>('/v1/catalog/nodes', opts),
    services: async (
      opts: ReadOptions = {},
    ): Promise<{ services: Record<string, string[]>; meta: QueryMeta }> => {
      const r = await this.read<Record<string, string[]>>('/v1/catalog/services', opts);
      return { services: r.value ?? {}, meta: r.meta };
    },
    service: async (name: string, opts: ReadOptions & { tags?: readonly string[] } = {}) =>
      this.listRead<CatalogServiceJson>(`/v1/catalog/service/${encodeURIComponent(name)}`, {
        ...opts,
        query: { ...opts.query, tag: opts.tags },
      }),
    /** A node with its services by ID; null for an unknown node. */
    node: async (name: string, opts: ReadOptions = {}) => {
      const r = await this.read<CatalogNodeEntry>(`/v1/catalog/node/${encodeURIComponent(name)}`, opts);
      return { entry: r.value, meta: r.meta };
    },
  };

  /** /v1/health (Go's api.Health). */
  readonly health = {
    service: async (name: string, opts: ReadOptions & { tags?: readonly string[]; passing?: boolean } = {}) =>
      this.listRead<ServiceEntry>(`/v1/health/service/${encodeURIComponent(name)}`, {
        ...opts,
        query: { ...opts.query, tag: opts.tags, passing: opts.passing ? '' : undefined },
      }),
    checks: async (service: string, opts: ReadOptions = {}) =>
      this.listRead<HealthCheckJson>(`/v1/health/checks/${encodeURIComponent(service)}`, opts),
    node: async (node: string, opts: ReadOptions = {}) =>
      this.listRead<HealthCheckJson>(`/v1/health/node/${encodeURIComponent(node)}`, opts),
    state: async (state: 'any' | 'passing' | 'warning' | 'critical', opts: ReadOptions = {}) =>
      this.listRead<HealthCheckJson>(`/v1/health/state/${state}`, opts),
  };

  /** /v1/session (Go's api.Session). */
  readonly session = {
    /** Creates a session; its ID. */
    create: async (entry: SessionCreate): Promise<string> =>
      (await this.write<{ ID: string }>('PUT', '/v1/session/create', entry)).ID,
    destroy: async (id: string): Promise<void> => {
      await this.call('PUT', `/v1/session/destroy/${encodeURIComponent(id)}`);
    },
    /** Renews a TTL session; null when it no longer exists (404), as the Go client. */
    renew: async (id: string): Promise<SessionJson | null> => {
      const r = await this.request('PUT', `/v1/session/renew/${encodeURIComponent(id)}`);
      const body = await r.raw.body();
      if (r.status === 404) return null;
      if (r.status !== 200)
        throw new ApiError(`Unexpected response code: ${r.status} (${dec.decode(body).trim()})`, r.status);
      const list = JSON.parse(dec.decode(body)) as SessionJson[] | null;
      return list?.[0] ?? null;
    },
    /** One session; null when there is none. */
    info: async (id: string, opts: ReadOptions = {}) => {
      const r = await this.listRead<SessionJson>(`/v1/session/info/${encodeURIComponent(id)}`, opts);
      return { session: r.items[0] ?? null, meta: r.meta };
    },
    list: async (opts: ReadOptions = {}) => this.listRead<SessionJson>('/v1/session/list', opts),
  };

  /** /v1/agent (Go's api.Agent), the local agent's own view. */
  readonly agent = {
    self: async (): Promise<AgentSelf> => (await this.read<AgentSelf>('/v1/agent/self')).value!,
    services: async (): Promise<Record<string, AgentServiceJson>> =>
      (await this.read<Record<string, AgentServiceJson>>('/v1/agent/services')).value ?? {},
    checks: async (): Promise<Record<string, AgentCheckJson>> =>
      (await this.read<Record<string, AgentCheckJson>>('/v1/agent/checks')).value ?? {},
    serviceRegister: async (def: Record<string, unknown>): Promise<void> => {
      await this.call('PUT', '/v1/agent/service/register', { body: JSON.stringify(def) });
    },
    serviceDeregister: async (id: string): Promise<void> => {
      await this.call('PUT', `/v1/agent/service/deregister/${encodeURIComponent(id)}`);
    },
  };

  private async listRead<T>(path: string, opts: ReadOptions): Promise<{ items: T[]; meta: QueryMeta }> {
    const r = await this.read<T[]>(path, opts);
    return { items: r.value ?? [], meta: r.meta };
  }
}

const dec = new TextDecoder();

/** A blocking or filtered read's options (Go's api.QueryOptions, the parts the CLI uses). */
export interface ReadOptions {
  /** Block until the index passes this (the previous read's meta.lastIndex). */
  index?: string | number;
  /** Go duration text ("5m"). */
  wait?: string;
  signal?: AbortSignal;
  query?: Query;
}

/** What a read's headers say (Go's api.QueryMeta). */
export interface QueryMeta {
  /** X-Consul-Index, a uint64 kept as text. */
  lastIndex: string;
  knownLeader: boolean;
  lastContactMs: number;
}

function readQuery(o: ReadOptions): Query {
  const q: Query = { ...o.query };
  if (o.index !== undefined && String(o.index) !== '0') q.index = String(o.index);
  if (o.wait) q.wait = o.wait;
  return q;
}

function queryMeta(h: Readonly<Record<string, string | undefined>>): QueryMeta {
  return {
    lastIndex: h['x-consul-index'] ?? '0',
    knownLeader: h['x-consul-knownleader'] === 'true',
    lastContactMs: Number(h['x-consul-lastcontact'] ?? 0),
  };
}

/** /v1/kv/<key>, each segment escaped (the key's slashes stay). */
const kvPath = (key: string) => `/v1/kv/${key.split('/').map(encodeURIComponent).join('/')}`;

interface WireKVPair {
  Key: string;
  Flags?: number | bigint;
  Value?: string | null;
  CreateIndex?: number;
  ModifyIndex?: number;
  LockIndex?: number;
  Session?: string;
}

/** A KV entry (Go's api.KVPair); Value stays base64 as on the wire, Flags a uint64. */
export interface KVPair {
  Key: string;
  Flags: bigint;
  /** base64, null for an entry without a value. */
  Value: string | null;
  CreateIndex: number;
  ModifyIndex: number;
  LockIndex: number;
  /** '' when unlocked. */
  Session: string;
}

function kvPair(w: WireKVPair): KVPair {
  return {
    Key: w.Key,
    Flags: BigInt(w.Flags ?? 0),
    Value: w.Value ?? null,
    CreateIndex: w.CreateIndex ?? 0,
    ModifyIndex: w.ModifyIndex ?? 0,
    LockIndex: w.LockIndex ?? 0,
    Session: w.Session ?? '',
  };
}

/** The value bytes of an entry (empty for none). */
export function kvValue(p: KVPair): Uint8Array {
  return p.Value === null ? new Uint8Array() : new Uint8Array(Buffer.from(p.Value, 'base64'));
}

export interface KVWriteOptions {
  flags?: number | bigint;
  /** Check-and-set on this ModifyIndex (0: only if absent). */
  cas?: number | bigint;
  acquire?: string;
  release?: string;
}

export interface CatalogNodeJson {
  ID: string;
  Node: string;
  Address: string;
  Datacenter: string;
  TaggedAddresses: Record<string, string>;
  Meta: Record<string, string>;
  CreateIndex: number;
  ModifyIndex: number;
}

export interface CatalogServiceJson {
  ID: string;
  Node: string;
  Address: string;
  Datacenter: string;
  NodeMeta: Record<string, string>;
  ServiceID: string;
  ServiceName: string;
  ServiceTags: string[];
  ServiceAddress: string;
  ServicePort: number;
  ServiceMeta: Record<string, string>;
  CreateIndex: number;
  ModifyIndex: number;
}

export interface CatalogNodeEntry {
  Node: CatalogNodeJson;
  Services: Record<string, { ID: string; Service: string; Tags: string[]; Port: number; Address: string }>;
}

export interface HealthCheckJson {
  Node: string;
  CheckID: string;
  Name: string;
  Status: string;
  Notes: string;
  Output: string;
  ServiceID: string;
  ServiceName: string;
  ServiceTags: string[];
  CreateIndex: number;
  ModifyIndex: number;
}

export interface ServiceEntry {
  Node: CatalogNodeJson;
  Service: {
    ID: string;
    Service: string;
    Tags: string[];
    Address: string;
    Port: number;
    Meta: Record<string, string>;
  };
  Checks: HealthCheckJson[];
}

/** Go's api.SessionEntry as a create takes it. */
export interface SessionCreate {
  Name?: string;
  Node?: string;
  /** Go duration text ("15s"). */
  LockDelay?: string;
  Behavior?: 'release' | 'delete';
  TTL?: string;
  /** Deprecated form of NodeChecks. */
  Checks?: string[];
  NodeChecks?: string[];
}

export interface SessionJson {
  ID: string;
  Name: string;
  Node: string;
  LockDelay: number;
  Behavior: string;
  TTL: string;
  NodeChecks: string[] | null;
  CreateIndex: number;
  ModifyIndex: number;
}

export interface AgentSelf {
  Config: { Datacenter: string; NodeName: string; NodeID?: string; Server?: boolean; Version?: string };
  Member?: Record<string, unknown>;
  Stats?: Record<string, Record<string, string>>;
}

export interface AgentServiceJson {
  ID: string;
  Service: string;
  Tags: string[];
  Meta: Record<string, string>;
  Port: number;
  Address: string;
  Datacenter: string;
}

/** A check as /v1/agent/checks shows it: the catalog's fields without tags or Raft indexes. */
export type AgentCheckJson = Omit<HealthCheckJson, 'ServiceTags' | 'CreateIndex' | 'ModifyIndex'>;

/** Node's connection errors worded as Go's net/http client words them. */
function goDialError(method: string, url: string, cfg: ApiConfig, e: NodeJS.ErrnoException): string {
  const verb = method[0]! + method.slice(1).toLowerCase();
  const target = cfg.scheme === 'unix' ? `unix ${cfg.address}` : `tcp ${cfg.address}`;
  switch (e.code) {
    case 'ECONNREFUSED':
      return `${verb} "${url}": dial ${target}: connect: connection refused`;
    case 'ENOENT':
      return `${verb} "${url}": dial ${target}: connect: no such file or directory`;
    case 'ETIMEDOUT':
      return `${verb} "${url}": dial ${target}: i/o timeout`;
    case 'ENOTFOUND':
      return `${verb} "${url}": dial ${target}: lookup ${cfg.address.replace(/:\d+$/, '')}: no such host`;
    default:
      return `${verb} "${url}": ${e.message}`;
  }
}
