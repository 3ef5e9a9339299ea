// The agent's `watches` (consul-surface.md §5.8): each config entry becomes a watch plan
// (structs/watch.ts) run against this agent's own HTTP API, with a script handler (args, or the
// deprecated shell `handler`) or an http handler that receives the JSON. Reload replaces them all.

import { stringifyGoJson, type JsonValue } from '../lib/gojson.js';
import type { ListenAddr } from '../config/runtime-config.js';
import type { HttpClient } from '../runtime/http.js';
import type { Logger } from '../runtime/logger.js';
import type { ProcessRunner } from '../runtime/process.js';
import type { Timers } from '../runtime/timers.js';
import { parseWatch, runWatch, type WatchPlan } from '../structs/watch.js';

export interface AgentWatchPorts {
  http: HttpClient;
  processes?: ProcessRunner;
  timers: Timers;
  logger: Logger;
}

/** A validated agent watch: its plan and how it hands results out. */
export interface AgentWatch {
  plan: WatchPlan;
  handler: { kind: 'shell'; script: string } | { kind: 'args'; args: string[] } | { kind: 'http' };
}

/** Go's %#v of a decoded config map, as Consul prints it in "Failed to parse watch (…)". */
function goSyntax(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[]interface {}{${v.map(goSyntax).join(', ')}}`;
  if (v !== null && typeof v === 'object')
    return `map[string]interface {}{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${goSyntax((v as Record<string, unknown>)[k])}`)
      .join(', ')}}`;
  return String(v);
}

/** Validates the `watches` definitions with Consul's texts; an Error fails agent start or reload. */
export function planAgentWatches(
  defs: ReadonlyArray<Readonly<Record<string, unknown>>>,
  httpAddrs: readonly ListenAddr[],
): AgentWatch[] | Error {
  if (defs.length === 0) return [];
  if (httpAddrs.length === 0) return new Error('watch plans require an HTTP or HTTPS endpoint');
  const out: AgentWatch[] = [];
  for (const params of defs) {
    if (typeof params.type === 'string' && params.type.startsWith('connect_'))
      return new Error(`Watch type ${params.type} is not allowed in agent config`);
    const plan = parseWatch(params, ['handler', 'args']);
    if (plan instanceof Error)
      return new Error(`Failed to parse watch (${goSyntax(params)}): ${plan.message}`);
    const hasHandler = 'handler' in plan.exempt;
    const hasArgs = 'args' in plan.exempt;
    if (hasHandler && typeof plan.exempt.handler !== 'string')
      return new Error('Watch handler must be a string');
    let args: string[] = [];
    if (hasArgs) {
      const a = plan.exempt.args;
      if (typeof a === 'string') args = [a];
      else if (Array.isArray(a) && a.every((x) => typeof x === 'string')) args = a as string[];
      else return new Error('Watch args must be a list of strings');
    }
    const http = plan.handlerType === 'http';
    if ((hasHandler && hasArgs) || (hasHandler && http) || (hasArgs && http))
      return new Error('Only one watch handler allowed');
    if (!hasHandler && !hasArgs && !http) return new Error('Must define a watch handler');
    out.push({
      plan,
      handler: http
        ? { kind: 'http' }
        : hasHandler
          ? { kind: 'shell', script: plan.exempt.handler as string }
          : { kind: 'args', args },
    });
  }
  return out;
}

/** Where the agent reaches its own HTTP API (a wildcard bind is reached on loopback). */
function selfTarget(a: ListenAddr): { base: string; socketPath?: string } {
  if (a.kind === 'unix') return { base: '', socketPath: a.path };
  const ip = a.ip === '0.0.0.0' ? '127.0.0.1' : a.ip === '::' ? '::1' : a.ip;
  return { base: `http://${ip.includes(':') ? `[${ip}]` : ip}:${a.port}` };
}

const dec = new TextDecoder();

/** The running watches of one agent. */
export class AgentWatches {
  private stop = new AbortController();

  constructor(private readonly ports: AgentWatchPorts) {}

  /** Starts every watch against the agent's first HTTP address. */
  start(watches: readonly AgentWatch[], httpAddrs: readonly ListenAddr[]): void {
    if (watches.length === 0) return;
    const target = selfTarget(httpAddrs[0]!);
    const signal = this.stop.signal;
    for (const w of watches) {
      const log = this.ports.logger;
      if (w.handler.kind === 'shell')
        log.warn(
          "The 'handler' field in watches has been deprecated and replaced with the 'args' field. See https://www.consul.io/docs/agent/watches.html",
        );
      void runWatch(
        w.plan,
        {
          fetch: async (req, sig) => {
            const q = new URLSearchParams();
            for (const [k, v] of Object.entries(req.query))
              for (const x of Array.isArray(v) ? v : [v]) q.append(k, x);
            if (w.plan.datacenter) q.set('dc', w.plan.datacenter);
            if (w.plan.stale) q.set('stale', '');
            const qs = q.toString().replace(/=(&|$)/g, '$1');
            const headers: Record<string, string> = {};
            if (w.plan.token) headers['x-consul-token'] = w.plan.token;
            const r = await this.ports.http.request({
              method: 'GET',
              url: `${target.base}${req.path}${qs ? `?${qs}` : ''}`,
              ...(target.socketPath ? { socketPath: target.socketPath } : {}),
              headers,
              signal: sig,
            });
            return { status: r.status, index: r.headers['x-consul-index'], body: dec.decode(await r.body()) };
          },
          timers: this.ports.timers,
          handle: (index, data) => this.invoke(w, index, data, signal),
          onError: (err, retryMs) =>
            log.error(
              'Watch errored',
              'type',
              w.plan.type,
              'error',
              err.message,
              'retry',
              `${retryMs / 1000}s`,
            ),
        },
        signal,
      ).catch((e: unknown) => log.error('Failed to run watch', 'error', e));
    }
  }

  /** Stops every watch (shutdown, or reload before the new set starts). */
  stopAll(): void {
    this.stop.abort();
    this.stop = new AbortController();
  }

  private async invoke(w: AgentWatch, index: bigint, data: JsonValue, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    if (w.handler.kind === 'http') return this.post(w, index, data);
    const log = this.ports.logger;
    const procs = this.ports.processes;
    const [file, args, shown] =
      w.handler.kind === 'shell'
        ? ['/bin/sh', ['-c', w.handler.script], w.handler.script]
        : [w.handler.args[0] ?? '', w.handler.args.slice(1), w.handler.args.join(' ')];
    if (!procs || file === '') {
      log.error('Failed to run watch handler', 'handler', shown, 'error', 'no process runner');
      return;
    }
    const child = procs.spawn(file, args, {
      extraEnv: { CONSUL_INDEX: index.toString() },
      stdin: `${stringifyGoJson(data)}\n`,
    });
    let output = '';
    child.onStdout((c) => (output += dec.decode(c)));
    child.onStderr((c) => (output += dec.decode(c)));
    const code = await child.exited;
    if (code !== 0)
      log.error('Failed to run watch handler', 'handler', shown, 'error', `exit status ${code}`);
    log.debug('watch handler output', 'handler', shown, 'output', output);
  }

  private async post(w: AgentWatch, index: bigint, data: JsonValue): Promise<void> {
    const h = w.plan.httpHandler!;
    const log = this.ports.logger;
    const headers: Record<string, string> = {};
    for (const [k, vs] of Object.entries(h.header)) headers[k.toLowerCase()] = vs.join(', ');
    headers['content-type'] = 'application/json';
    headers['x-consul-index'] = index.toString();
    const ac = new AbortController();
    const timer = this.ports.timers.after(h.timeoutMs, () => ac.abort());
    try {
      const r = await this.ports.http.request({
        method: h.method,
        url: h.path,
        headers,
        body: stringifyGoJson(data),
        signal: ac.signal,
        ...(h.path.startsWith('https:') ? { tls: { insecure: h.tlsSkipVerify } } : {}),
      });
      const body = dec.decode(await r.body());
      if (r.status < 200 || r.status > 299)
        log.error('http watch handler failed with response code', 'status', r.status, 'output', body);
      else log.trace('http watch handler output', 'watch', h.path, 'output', body);
    } catch (e) {
      log.error('Failed to execute http watch handler', 'error', (e as Error).message);
    } finally {
      timer.cancel();
    }
  }
}
