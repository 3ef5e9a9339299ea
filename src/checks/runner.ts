// Health check runners (the first two kinds: http and tcp), each on its own interval, reporting a
// status and output the way Consul words them. More kinds (ttl, script, grpc, …) arrive with the
// local-agent issue.

import { formatGoDuration } from '../lib/duration.js';
import type { HttpClient } from '../runtime/http.js';
import type { TimerHandle, Timers } from '../runtime/timers.js';
import type { StreamTransport } from '../runtime/transport.js';

export type CheckStatus = 'passing' | 'warning' | 'critical';

export interface CheckDef {
  id: string;
  name: string;
  serviceId: string;
  http?: string;
  method?: string;
  header?: Record<string, string[]>;
  tcp?: string;
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
}

/** Consul's check output is capped (check_output_max_size, 4 KiB by default). */
export const OUTPUT_MAX = 4096;

const dec = new TextDecoder();

/** Runs one check now; resolves with its status and output. */
export async function runCheck(
  def: CheckDef,
  ports: CheckPorts,
): Promise<{ status: CheckStatus; output: string }> {
  const timeoutMs = def.timeoutNs / 1e6;
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
      const r = await ports.http.request({ method, url: def.http, headers, signal: ctrl.signal });
      const body = dec.decode((await r.body()).subarray(0, OUTPUT_MAX));
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

/** Runs a check every interval, reporting each result; stop() cancels it. */
export class CheckRunner {
  private timer: TimerHandle | null = null;
  private stopped = false;

  constructor(
    readonly def: CheckDef,
    private readonly ports: CheckPorts,
    private readonly report: (status: CheckStatus, output: string) => void,
  ) {}

  start(): void {
    const tick = async () => {
      if (this.stopped) return;
      const r = await runCheck(this.def, this.ports);
      if (this.stopped) return;
      this.report(r.status, r.output);
      this.timer = this.ports.timers.after(this.def.intervalNs / 1e6, () => void tick());
    };
    void tick();
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
  }
}

export function describeInterval(ns: number): string {
  return formatGoDuration(ns);
}
