// A typed client for the HTTP API, configured like Consul's Go api client: from CONSUL_HTTP_* environment
// variables, then overridden by command-line flags. Error texts follow the Go client's wording.

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
}

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
