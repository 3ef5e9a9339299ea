// HTTP checks: method, headers, body and TLS settings reach the request; the output is Consul's line,
// capped at output_max_size; 2xx passing, 429 warning, anything else critical.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCheck, type CheckDef } from '../../../src/checks/runner.js';
import type { HttpClient, HttpClientRequest } from '../../../src/runtime/http.js';
import { Scheduler } from '../../sim/scheduler.js';

function client(status: number, body: string, seen: HttpClientRequest[]): HttpClient {
  return {
    request: async (req) => {
      seen.push(req);
      return {
        status,
        headers: {},
        body: async () => new TextEncoder().encode(body),
      } as never;
    },
  } as HttpClient;
}

const def = (extra: Partial<CheckDef>): CheckDef => ({
  id: 'h',
  name: 'h',
  serviceId: '',
  http: 'https://127.0.0.1:9443/health',
  intervalNs: 10e9,
  timeoutNs: 1e9,
  ...extra,
});

test('an HTTP check sends its method, headers, body and TLS settings; output is capped', async () => {
  const seen: HttpClientRequest[] = [];
  const sched = new Scheduler();
  const ports = { timers: sched.timers(), http: client(200, 'x'.repeat(100), seen), streams: {} as never };
  const r = await runCheck(
    def({
      method: 'POST',
      header: { 'X-Probe': ['a', 'b'] },
      body: '{"ping":1}',
      tlsSkipVerify: true,
      tlsServerName: 'svc.internal',
      outputMax: 10,
    }),
    ports,
  );
  assert.equal(r.status, 'passing');
  assert.equal(r.output, 'HTTP POST https://127.0.0.1:9443/health: 200 OK Output: xxxxxxxxxx');
  const req = seen[0]!;
  assert.equal(req.method, 'POST');
  assert.equal(req.body, '{"ping":1}');
  assert.equal(req.headers?.['x-probe'], 'a, b');
  assert.equal(req.headers?.['user-agent'], 'Consul Health Check');
  assert.deepEqual(req.tls, { insecure: true, serverName: 'svc.internal' });
});

test('HTTP check statuses: 429 is warning, 503 critical; no body or TLS unless configured', async () => {
  const sched = new Scheduler();
  for (const [code, want] of [
    [429, 'warning'],
    [503, 'critical'],
  ] as const) {
    const seen: HttpClientRequest[] = [];
    const ports = { timers: sched.timers(), http: client(code, '', seen), streams: {} as never };
    const r = await runCheck(def({}), ports);
    assert.equal(r.status, want);
    assert.equal(seen[0]!.method, 'GET');
    assert.equal(seen[0]!.body, undefined);
    assert.equal(seen[0]!.tls, undefined);
  }
});
