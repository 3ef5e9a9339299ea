// Health check runners (http, tcp, udp, script, docker, grpc, h2ping), each on its own interval in the
// agent's one CheckScheduler, reporting a status and output the way Consul words them, through the
// thresholds of a StatusHandler. TTL and alias checks have no runner: the agent's local state drives them.

import { formatGoDuration } from '../lib/duration.js';
import type { HttpClient } from '../runtime/http.js';
import type { Http2Client } from '../runtime/http2.js';
import type { ProcessRunner } from '../runtime/process.js';
import type { Rng } from '../runtime/rng.js';
import type { TimerHandle, Timers } from '../runtime/timers.js';
import type { PacketTransport, StreamTransport } from '../runtime/transport.js';
import { runDocker } from './docker.js';
import { runGrpc } from './grpc.js';
import { runH2Ping } from './h2ping.js';
import type { CheckScheduler } from './scheduler.js';
import { runScript } from './script.js';
import { StatusHandler, type Thresholds } from './status-handler.js';
import { runUdp } from './udp.js';

export type CheckStatus = 'passing' | 'warning' | 'critical';

export interface CheckDef {
  id: string;
  name: string;
  serviceId: string;
  http?: string;
  method?: string;
  header?: Record<string, string[]>;
  tcp?: string;
  udp?: string;
  /** Script checks: argv run directly… */
  args?: string[];
  /** …or (legacy) one shell command run with `sh -c`. */
  script?: string;
  /** Docker checks: args (or `shell -c script`) run in this container. */
  dockerContainerId?: string;
  /** A docker check's shell for `script` (Consul's default /bin/sh). */
  shell?: string;
  grpc?: string;
  grpcUseTls?: boolean;
  h2ping?: string;
  /** Defaults to true, as Consul's h2ping_use_tls. */
  h2pingUseTls?: boolean;
  tlsSkipVerify?: boolean;
  tlsServerName?: string;
  /** An HTTP check's request body (Consul's `body`). */
  body?: string;
  aliasService?: string;
  aliasNode?: string;
  thresholds?: Thresholds;
  /** deregister_critical_service_after; 0 when unset. */
  deregisterCriticalNs?: number;
  /** Bytes of output kept (output_max_size capped by check_output_max_size). */
  outputMax?: number;
  /** TTL checks: no runner; the status comes from /v1/agent/check/pass|warn|fail|update. */
  ttlNs?: number;
  intervalNs: number;
  timeoutNs: number;
  /** The definition's `notes` (maintenance checks carry their reason here). */
  notes?: string;
  /** The definition's `status`: what the check reports before its first run. */
  initialStatus?: CheckStatus;
  /** Maintenance checks: always critical, no runner, Type "maintenance". */
  maintenance?: boolean;
}

export interface CheckPorts {
  timers: Timers;
  http: HttpClient;
  streams: StreamTransport;
  /** UDP checks. */
  packets?: PacketTransport;
  /** Script checks. */
  processes?: ProcessRunner;
  /** grpc and h2ping checks. */
  http2?: Http2Client;
  /** The first-run stagger; without one a check first runs at once. */
  rng?: Rng;
}

/** The kind of check a definition makes, as Consul's CheckType.Type() names it ('' if none). */
export function checkKind(def: CheckDef): string {
  if (def.maintenance) return 'maintenance';
  if (def.ttlNs !== undefined && def.ttlNs > 0) return 'ttl';
  if (def.http) return 'http';
  if (def.tcp) return 'tcp';
  if (def.udp) return 'udp';
  if ((def.args && def.args.length > 0) || def.script) return def.dockerContainerId ? 'docker' : 'script';
  if (def.grpc) return 'grpc';
  if (def.h2ping) return 'h2ping';
  if (def.aliasService || def.aliasNode) return 'alias';
  return def.ttlNs !== undefined ? 'ttl' : '';
}

/** Kinds a CheckRunner runs on an interval. */
export const INTERVAL_KINDS = new Set(['http', 'tcp', 'udp', 'script', 'docker', 'grpc', 'h2ping']);

/** Consul's check output is capped (check_output_max_size, 4 KiB by default). */
export const OUTPUT_MAX = 4096;

const dec = new TextDecoder();

/** Runs one check now; resolves with its status and output. */
export async function runCheck(
  def: CheckDef,
  ports: CheckPorts,
): Promise<{ status: CheckStatus; output: string; direct?: boolean }> {
  const timeoutMs = def.timeoutNs / 1e6;
  const kind = checkKind(def);
  const tls = (on: boolean) => ({
    tls: on,
    skipVerify: def.tlsSkipVerify === true,
    ...(def.tlsServerName ? { serverName: def.tlsServerName } : {}),
    timeoutMs,
  });
  if (kind === 'udp' && ports.packets)
    return runUdp(def.udp!, timeoutMs, { ...ports, packets: ports.packets });
  if (kind === 'script' && ports.processes)
    return runScript(
      {
        args: def.args,
        script: def.script,
        timeoutNs: def.timeoutNs,
        outputMax: def.outputMax ?? OUTPUT_MAX,
      },
      { processes: ports.processes, timers: ports.timers },
    );
  if (kind === 'docker' && ports.processes)
    return runDocker(
      {
        containerId: def.dockerContainerId!,
        ...(def.args ? { args: def.args } : {}),
        ...(def.script !== undefined ? { script: def.script } : {}),
        ...(def.shell ? { shell: def.shell } : {}),
        outputMax: def.outputMax ?? OUTPUT_MAX,
      },
      { processes: ports.processes },
    );
  if (kind === 'grpc' && ports.http2) return runGrpc(def.grpc!, tls(def.grpcUseTls === true), ports.http2);
  if (kind === 'h2ping' && ports.http2)
    return runH2Ping(def.h2ping!, tls(def.h2pingUseTls !== false), ports.http2);
  if (def.http) {
    const method = def.method || 'GET';
    const ctrl = new AbortController();
    const t = ports.timers.after(timeoutMs, () => ctrl.abort());
    try {
      const headers: Record<string, string> = {
        'user-agent': 'Consul Health Check',
        accept: 'text/plain, text/*, */*',
      };
      for (const [k, v] of Object.entries(def.header ?? {})) headers[k.toLowerCase()] = v.join(', ');
      const tls =
        def.tlsSkipVerify || def.tlsServerName
          ? {
              tls: {
                ...(def.tlsSkipVerify ? { insecure: true } : {}),
                ...(def.tlsServerName ? { serverName: def.tlsServerName } : {}),
              },
            }
          : {};
      const r = await ports.http.request({
        method,
        url: def.http,
        headers,
        signal: ctrl.signal,
        ...(def.body !== undefined ? { body: def.body } : {}),
        ...tls,
      });
      const body = dec.decode((await r.body()).subarray(0, def.outputMax ?? OUTPUT_MAX));
      const line = `HTTP ${method} ${def.http}: ${r.status} ${statusText(r.status)} Output: ${body}`;
      if (r.status >= 200 && r.status <= 299) return { status: 'passing', output: line };
      if (r.status === 429) return { status: 'warning', output: line };
      return { status: 'critical', output: line };
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (ctrl.signal.aborted)
        return {
          status: 'critical',
          output: `${method} ${def.http}: context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
        };
      const host = def.http.replace(/^\w+:\/\//, '').replace(/\/.*$/, '');
      const why = err.code === 'ECONNREFUSED' ? `dial tcp ${host}: connect: connection refused` : err.message;
      return { status: 'critical', output: `Get "${def.http}": ${why}` };
    } finally {
      t.cancel();
    }
  }
  if (def.tcp) {
    const i = def.tcp.lastIndexOf(':');
    try {
      const c = await ports.streams.connect(
        { ip: def.tcp.slice(0, i), port: Number(def.tcp.slice(i + 1)) },
        timeoutMs,
      );
      c.destroy();
      return { status: 'passing', output: `TCP connect ${def.tcp}: Success` };
    } catch (e) {
      return { status: 'critical', output: `dial tcp ${def.tcp}: ${(e as Error).message}` };
    }
  }
  return { status: 'critical', output: 'unsupported check type' };
}

function statusText(code: number): string {
  const t: Record<number, string> = {
    200: 'OK',
    201: 'Created',
    204: 'No Content',
    301: 'Moved Permanently',
    302: 'Found',
    400: 'Bad Request',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'Not Found',
    429: 'Too Many Requests',
    500: 'Internal Server Error',
    502: 'Bad Gateway',
    503: 'Service Unavailable',
  };
  return t[code] ?? '';
}

/** A uniform pause in [0, interval) before a check's first run (Consul's lib.RandomStagger). */
export function firstRunStagger(intervalMs: number, rng: Rng | undefined): number {
  return rng ? rng.float() * intervalMs : 0;
}

/** Runs a check every interval on the agent's CheckScheduler, reporting each result; stop() cancels it. */
export class CheckRunner {
  private handle: TimerHandle | null = null;
  private stopped = false;

  constructor(
    readonly def: CheckDef,
    private readonly ports: CheckPorts,
    private readonly scheduler: CheckScheduler,
    private readonly report: (status: CheckStatus, output: string) => void,
  ) {}

  start(): void {
    const t = this.def.thresholds;
    const handler = t ? new StatusHandler(t, this.report) : null;
    const intervalMs = this.def.intervalNs / 1e6;
    // As Consul: the first run waits a random part of the interval, so checks registered together
    // (a config load, a restart) spread over the interval instead of all running at once.
    const first = firstRunStagger(intervalMs, this.ports.rng);
    this.handle = this.scheduler.every(intervalMs, first, async () => {
      if (this.stopped) return;
      const r = await runCheck(this.def, this.ports);
      if (this.stopped) return;
      if (handler && !r.direct) handler.update(r.status, r.output);
      else this.report(r.status, r.output);
    });
  }

  stop(): void {
    this.stopped = true;
    this.handle?.cancel();
  }
}

export function describeInterval(ns: number): string {
  return formatGoDuration(ns);
}
