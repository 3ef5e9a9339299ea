// Watch plans as Consul's api/watch defines them (consul-surface.md §5.8): a parameter map (agent config
// `watches` entry or `consul watch` flags) → which blocking query to run per type, how its answer becomes
// the handler's data, and when a new answer counts as a change. Shared by `consul watch` and the agent;
// both drive it through the small ports below, so the logic holds no I/O of its own.

import { nsToMs, parseGoDuration } from '../lib/duration.js';
import { parseGoJson, type JsonValue } from '../lib/gojson.js';
import type { Timers } from '../runtime/timers.js';
import { sleep } from '../runtime/timers.js';

export const WATCH_TYPES = ['key', 'keyprefix', 'services', 'nodes', 'service', 'checks', 'event'] as const;
export type WatchType = (typeof WATCH_TYPES)[number];

export interface HttpHandlerConfig {
  path: string;
  method: string;
  header: Record<string, string[]>;
  timeoutMs: number;
  tlsSkipVerify: boolean;
}

/** One blocking request: path and query (dc and token are added by whoever sends it). */
export interface WatchRequest {
  path: string;
  query: Record<string, string | string[]>;
}

export interface WatchPlan {
  readonly type: WatchType;
  readonly datacenter: string;
  readonly token: string;
  readonly stale: boolean;
  /** '' (unset), 'script' or 'http'. */
  readonly handlerType: string;
  /** Parameters the caller asked to keep aside (agent: handler, args), plus http_handler_config. */
  readonly exempt: Readonly<Record<string, unknown>>;
  readonly httpHandler: HttpHandlerConfig | null;
  /** The query to send, blocking on `index` when it is not 0. */
  request(index: bigint): WatchRequest;
  /** The handler's data from an answer (status 200 or 404), or an Error with Consul's text. */
  result(status: number, body: string, lastIndex: bigint | null): JsonValue | Error;
}

/** Consul's default timeout of an http handler. */
export const HTTP_HANDLER_TIMEOUT_MS = 10_000;

type Params = Map<string, unknown>;

function takeString(p: Params, name: string): string | Error {
  if (!p.has(name)) return '';
  const v = p.get(name);
  p.delete(name);
  return typeof v === 'string' ? v : new Error(`Expecting ${name} to be a string`);
}

function takeBool(p: Params, name: string): boolean | Error {
  if (!p.has(name)) return false;
  const v = p.get(name);
  p.delete(name);
  return typeof v === 'boolean' ? v : new Error(`Expecting ${name} to be a boolean`);
}

function takeStrings(p: Params, name: string): string[] | Error {
  if (!p.has(name)) return [];
  const v = p.get(name);
  p.delete(name);
  if (typeof v === 'string') return [v];
  if (!Array.isArray(v)) return new Error(`Expecting ${name} to be a string or []string`);
  const out: string[] = [];
  for (const [i, x] of v.entries()) {
    if (typeof x !== 'string') return new Error(`Index ${i} of ${name} expected to be string`);
    out.push(x);
  }
  return out;
}

const seg = (s: string) => s.split('/').map(encodeURIComponent).join('/');

function unexpected(status: number, body: string): Error {
  return new Error(`Unexpected response code: ${status} (${body.trim()})`);
}

function decode(body: string): JsonValue | Error {
  const r = parseGoJson(body);
  return r.ok ? r.value : new Error(`failed to decode response: ${r.error.message}`);
}

/** A KV entry as the Go client's KVPair encodes it (Session always present). */
function kvPair(v: JsonValue): JsonValue {
  const o = (v ?? {}) as Record<string, JsonValue>;
  const out: Record<string, JsonValue> = {
    Key: o.Key ?? '',
    CreateIndex: o.CreateIndex ?? 0,
    ModifyIndex: o.ModifyIndex ?? 0,
    LockIndex: o.LockIndex ?? 0,
    Flags: o.Flags ?? 0,
    Value: o.Value ?? null,
    Session: o.Session ?? '',
  };
  if (o.Namespace) out.Namespace = o.Namespace;
  if (o.Partition) out.Partition = o.Partition;
  return out;
}

/** A user event's blocking index: the two halves of its UUID XORed (Consul's IDToIndex). */
export function eventIdToIndex(id: string): bigint {
  const hex = id.replace(/-/g, '');
  if (!/^[0-9a-f]{32}$/i.test(hex)) return 0n;
  return BigInt(`0x${hex.slice(0, 16)}`) ^ BigInt(`0x${hex.slice(16)}`);
}

interface TypeSpec {
  request(index: bigint): WatchRequest;
  result(status: number, body: string, lastIndex: bigint | null): JsonValue | Error;
}

/** 200 → decoded body (through `shape`); 404 → null (the Go client's "not found"); else an error. */
function answer(notFoundIsNull: boolean, shape: (v: JsonValue) => JsonValue = (v) => v): TypeSpec['result'] {
  return (status, body) => {
    if (status === 404 && notFoundIsNull) return null;
    if (status !== 200) return unexpected(status, body);
    const v = decode(body);
    return v instanceof Error ? v : shape(v);
  };
}

type Factory = (p: Params) => TypeSpec | Error;

const FACTORIES: Record<WatchType, Factory> = {
  key(p) {
    const key = takeString(p, 'key');
    if (key instanceof Error) return key;
    if (key === '') return new Error('Must specify a single key to watch');
    return {
      request: () => ({ path: `/v1/kv/${seg(key)}`, query: {} }),
      result: answer(true, (v) => (Array.isArray(v) && v.length > 0 ? kvPair(v[0]!) : null)),
    };
  },
  keyprefix(p) {
    const prefix = takeString(p, 'prefix');
    if (prefix instanceof Error) return prefix;
    if (prefix === '') return new Error('Must specify a single prefix to watch');
    return {
      request: () => ({ path: `/v1/kv/${seg(prefix)}`, query: { recurse: '' } }),
      result: answer(true, (v) => (Array.isArray(v) ? v.map(kvPair) : v)),
    };
  },
  services: () => ({ request: () => ({ path: '/v1/catalog/services', query: {} }), result: answer(false) }),
  nodes: () => ({ request: () => ({ path: '/v1/catalog/nodes', query: {} }), result: answer(false) }),
  service(p) {
    const service = takeString(p, 'service');
    if (service instanceof Error) return service;
    if (service === '') return new Error('Must specify a single service to watch');
    const tags = takeStrings(p, 'tag');
    if (tags instanceof Error) return tags;
    const passing = takeBool(p, 'passingonly');
    if (passing instanceof Error) return passing;
    const query: Record<string, string | string[]> = {};
    if (tags.length > 0) query.tag = tags;
    if (passing) query.passing = '1';
    return {
      request: () => ({ path: `/v1/health/service/${seg(service)}`, query: { ...query } }),
      result: answer(false),
    };
  },
  checks(p) {
    const service = takeString(p, 'service');
    if (service instanceof Error) return service;
    let state = takeString(p, 'state');
    if (state instanceof Error) return state;
    if (service !== '' && state !== '') return new Error('Cannot specify service and state');
    if (service === '' && state === '') state = 'any';
    const path = state !== '' ? `/v1/health/state/${seg(state)}` : `/v1/health/checks/${seg(service)}`;
    return { request: () => ({ path, query: {} }), result: answer(false) };
  },
  event(p) {
    const name = takeString(p, 'name');
    if (name instanceof Error) return name;
    const base = answer(false);
    return {
      request: (): WatchRequest => ({ path: '/v1/event/list', query: name ? { name } : {} }),
      result(status, body, lastIndex) {
        const v = base(status, body, lastIndex);
        if (!Array.isArray(v) || lastIndex === null) return v;
        // Only the events after the last one handed out are new.
        const i = v.findIndex(
          (e) => eventIdToIndex(String((e as Record<string, JsonValue>).ID ?? '')) === lastIndex,
        );
        return i >= 0 ? v.slice(i + 1) : v;
      },
    };
  },
};

function parseHttpHandler(raw: unknown): HttpHandlerConfig | Error {
  const o = (raw ?? {}) as Record<string, unknown>;
  const path = typeof o.path === 'string' ? o.path : '';
  if (path === '') return new Error("Failed to parse 'http_handler_config': Requires 'path' to be set");
  const header: Record<string, string[]> = {};
  for (const [k, v] of Object.entries((o.header ?? {}) as Record<string, unknown>))
    header[k] = Array.isArray(v) ? v.map(String) : [String(v)];
  let timeoutMs = HTTP_HANDLER_TIMEOUT_MS;
  if (o.timeout !== undefined && o.timeout !== '') {
    const ns = parseGoDuration(String(o.timeout));
    if (ns instanceof Error)
      return new Error(`Failed to parse 'http_handler_config': Failed to parse timeout: ${ns.message}`);
    timeoutMs = nsToMs(ns);
  }
  return {
    path,
    method: typeof o.method === 'string' && o.method !== '' ? o.method : 'POST',
    header,
    timeoutMs,
    tlsSkipVerify: o.tls_skip_verify === true || o.tls_skip_verify === 'true',
  };
}

/**
 * Compiles a watch's parameters into a plan, with Consul's error texts. Parameters named in `exempt`
 * are kept aside for the caller (the agent keeps `handler` and `args`); any other unknown one is an error.
 */
export function parseWatch(
  params: Readonly<Record<string, unknown>>,
  exempt: readonly string[] = [],
): WatchPlan | Error {
  const p: Params = new Map(Object.entries(params).filter(([, v]) => v !== undefined));
  const datacenter = takeString(p, 'datacenter');
  if (datacenter instanceof Error) return datacenter;
  const token = takeString(p, 'token');
  if (token instanceof Error) return token;
  const type = takeString(p, 'type');
  if (type instanceof Error) return type;
  if (type === '') return new Error('Watch type must be specified');
  const handlerType = takeString(p, 'handler_type');
  if (handlerType instanceof Error) return handlerType;
  const kept: Record<string, unknown> = {};
  let httpHandler: HttpHandlerConfig | null = null;
  if (handlerType === 'http') {
    if (!p.has('http_handler_config'))
      return new Error("Handler type 'http' requires 'http_handler_config' to be set");
    const h = parseHttpHandler(p.get('http_handler_config'));
    if (h instanceof Error) return h;
    httpHandler = h;
    kept.http_handler_config = h;
    p.delete('http_handler_config');
  }
  const factory = (FACTORIES as Record<string, Factory | undefined>)[type];
  if (!factory) return new Error(`Unsupported watch type: ${type}`);
  // Every Consul type but event takes `stale`.
  let stale: boolean | Error = false;
  if (type !== 'event') stale = takeBool(p, 'stale');
  if (stale instanceof Error) return stale;
  const spec = factory(p);
  if (spec instanceof Error) return spec;
  for (const ex of exempt) {
    if (p.has(ex)) {
      kept[ex] = p.get(ex);
      p.delete(ex);
    }
  }
  if (p.size > 0) return new Error(`Invalid parameters: [${[...p.keys()].join(' ')}]`);
  return {
    type: type as WatchType,
    datacenter,
    token,
    stale,
    handlerType,
    exempt: kept,
    httpHandler,
    request: spec.request,
    result: spec.result,
  };
}

/** The plan's change detection: which index to block on next and whether an answer fires the handler. */
export class WatchState {
  /** The index the last answer carried (null before the first answer and after an error). */
  last: bigint | null = null;
  private lastResult: string | null = null;
  failures = 0;

  /** The index to block on: 0 (answer at once) until there is one. */
  get waitIndex(): bigint {
    return this.last ?? 0n;
  }

  /** An answer arrived: true when the handler should run with it. */
  observe(index: bigint, data: JsonValue): boolean {
    this.failures = 0;
    if (this.last !== null && index === this.last) return false;
    const old = this.last;
    // No reset when the index goes down: event indexes are hashes of IDs, not ordered (as in Consul).
    this.last = index;
    const encoded = canonical(data);
    if (old !== null && encoded === this.lastResult) return false;
    this.lastResult = encoded;
    return true;
  }

  /** A query failed: the next one does not block, and the delay before it (Consul: 5 s × n², ≤ 180 s). */
  failed(): number {
    this.failures++;
    this.last = null;
    return Math.min(5000 * this.failures * this.failures, 180_000);
  }
}

/** Key-order-independent encoding, for Go's reflect.DeepEqual over decoded maps. */
function canonical(v: JsonValue): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(v[k]!)}`)
      .join(',')}}`;
  return typeof v === 'bigint' ? v.toString() : JSON.stringify(v);
}

export interface WatchFetchAnswer {
  status: number;
  /** X-Consul-Index as sent. */
  index: string | undefined;
  body: string;
}

export interface WatchLoopPorts {
  /** Sends one query; throws on transport errors. */
  fetch(req: WatchRequest, signal: AbortSignal): Promise<WatchFetchAnswer>;
  timers: Timers;
  /** Called with each changed result, one at a time; returning false stops the watch. */
  handle(index: bigint, data: JsonValue): Promise<boolean | void> | boolean | void;
  /** A failed query and the delay before the next. */
  onError?(err: Error, retryMs: number): void;
}

/** Runs the plan until `signal` aborts or the handler stops it. */
export async function runWatch(plan: WatchPlan, ports: WatchLoopPorts, signal: AbortSignal): Promise<void> {
  const st = new WatchState();
  while (!signal.aborted) {
    let outcome: { index: bigint; data: JsonValue } | Error;
    try {
      const req = plan.request(st.waitIndex);
      if (st.waitIndex > 0n) req.query.index = st.waitIndex.toString();
      const a = await ports.fetch(req, signal);
      const data = plan.result(a.status, a.body, st.last);
      outcome = data instanceof Error ? data : { index: parseIndex(a.index), data };
    } catch (e) {
      outcome = e instanceof Error ? e : new Error(String(e));
    }
    if (signal.aborted) return;
    if (outcome instanceof Error) {
      const retry = st.failed();
      ports.onError?.(outcome, retry);
      await sleep(ports.timers, retry, signal);
      continue;
    }
    if (!st.observe(outcome.index, outcome.data)) continue;
    if ((await ports.handle(outcome.index, outcome.data)) === false) return;
  }
}

function parseIndex(h: string | undefined): bigint {
  if (h === undefined || !/^\d+$/.test(h)) return 0n;
  return BigInt(h);
}
