// /v1/agent/metrics of the real binary: a KV write and DNS queries show up under Consul's names in the
// JSON summary (go-metrics' last finished 10 s interval) and in the Prometheus text format; without
// telemetry.prometheus_retention_time the Prometheus form is refused as Consul refuses it; a client
// agent counts its RPCs to the servers.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { dnsQuery } from '../helpers/dns.js';
import { agentUp, httpGet, startConsul, stop, waitFor, type Proc } from '../helpers/process.js';

const procs: Proc[] = [];
after(() => Promise.all(procs.map(stop)));

/** A -dev agent on `ip` with every port of its own above 18800. */
function devAgent(ip: string, base: number, extra: string[]): Proc {
  const p = startConsul([
    'agent',
    '-dev',
    `-node=metrics-${base}`,
    `-bind=${ip}`,
    `-client=${ip}`,
    `-http-port=${base}`,
    `-dns-port=${base + 1}`,
    `-serf-lan-port=${base + 2}`,
    `-serf-wan-port=${base + 3}`,
    `-server-port=${base + 4}`,
    ...extra,
  ]);
  procs.push(p);
  return p;
}

interface Sampled {
  Name: string;
  Count: number;
  Sum: number;
  Labels: Record<string, string>;
}
interface Summary {
  Timestamp: string;
  Gauges: Array<{ Name: string; Value: number; Labels: Record<string, string> }>;
  Points: unknown[];
  Counters: Sampled[];
  Samples: Sampled[];
}

/** The exposition format: comments, or `name{labels} value`. */
const LINE =
  /^(# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .*|[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*"(,[a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*")*\})? (NaN|[+-]Inf|[-+]?[0-9.]+(e[-+]?[0-9]+)?))$/;

test('a KV write and DNS queries appear in /v1/agent/metrics as JSON and as Prometheus text', async () => {
  const ip = '127.0.0.150';
  const p = devAgent(ip, 18850, ['-hcl', 'telemetry { prometheus_retention_time = "60s" }']);
  await agentUp(ip, 18850);
  const base = `http://${ip}:18850`;
  await waitFor('a leader', async () => (await httpGet(`${base}/v1/status/leader`)).body.length > 4);
  const put = await fetch(`${base}/v1/kv/metrics/hello`, { method: 'PUT', body: 'world' });
  assert.equal((await put.text()).trim(), 'true');
  await dnsQuery(ip, 18851, 'consul.service.consul', 'A');
  await dnsQuery(ip, 18851, '150.0.0.127.in-addr.arpa', 'PTR');
  assert.equal((await httpGet(`${base}/v1/catalog/service/consul`)).status, 200);

  // The JSON shows the last finished interval, so the write shows by the next 10 s boundary at most.
  // What this test did may straddle a boundary (start-up, the write, the queries), so the finished
  // intervals seen are read together, each metric from the first interval that has it.
  const find = (xs: Sampled[], name: string) => xs.find((x) => x.Name === name);
  const intervals = new Map<string, Summary>();
  const s = await waitFor(
    'consul.kvs.apply in /v1/agent/metrics',
    async () => {
      const r = await httpGet(`${base}/v1/agent/metrics`);
      assert.equal(r.status, 200);
      const one = JSON.parse(r.body) as Summary;
      intervals.set(one.Timestamp, one);
      const all = [...intervals.values()];
      const j: Summary = {
        Timestamp: one.Timestamp,
        Gauges: all.flatMap((x) => x.Gauges),
        Points: all.flatMap((x) => x.Points),
        Counters: all.flatMap((x) => x.Counters),
        Samples: all.flatMap((x) => x.Samples),
      };
      const ok =
        (find(j.Counters, 'consul.raft.apply')?.Count ?? 0) >= 1 &&
        (find(j.Samples, 'consul.kvs.apply')?.Count ?? 0) >= 1 &&
        find(j.Samples, 'consul.dns.ptr_query') !== undefined &&
        find(j.Counters, 'consul.catalog.service.query') !== undefined &&
        // Runtime gauges are sampled every second, as go-metrics' runtime collector does.
        j.Gauges.some((g) => g.Name.endsWith('.runtime.alloc_bytes')) &&
        // The leader's autopilot gauges, once it leads (an interval from before has none).
        j.Gauges.some((g) => g.Name.endsWith('.autopilot.healthy'));
      return ok ? j : null;
    },
    // Two 10 s intervals plus a loaded machine's start-up: the autopilot gauges are first emitted in
    // the interval after the one leadership began in.
    30_000,
    250,
  );
  assert.match(s.Timestamp, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d0 \+0000 UTC$/);
  assert.deepEqual(s.Points, []);
  assert.deepEqual(Object.keys(s.Counters[0]!), [
    'Name',
    'Count',
    'Rate',
    'Sum',
    'Min',
    'Max',
    'Mean',
    'Stddev',
    'Labels',
  ]);
  assert.ok(find(s.Samples, 'consul.http.PUT.v1.kv._'), 'pre-1.9 HTTP timing name');
  assert.ok(
    s.Samples.some(
      (x) => x.Name === 'consul.api.http' && x.Labels.method === 'PUT' && x.Labels.path === 'v1_kv_',
    ),
  );
  assert.deepEqual(find(s.Samples, 'consul.dns.domain_query')?.Labels, { node: 'metrics-18850' });
  assert.ok(find(s.Counters, 'consul.serf.member.join'), 'serf join counter');
  assert.deepEqual(find(s.Counters, 'consul.catalog.service.query')?.Labels, { service: 'consul' });
  assert.ok(find(s.Counters, 'consul.raft.state.leader'), 'raft leader counter');
  // Gauges carry the host name after the prefix (telemetry.disable_hostname defaults to false).
  const alloc = s.Gauges.find((g) => g.Name === `consul.${hostname()}.runtime.alloc_bytes`);
  assert.ok(alloc && alloc.Value > 0, JSON.stringify(s.Gauges.map((g) => g.Name)));
  const healthy = s.Gauges.find((g) => g.Name === `consul.${hostname()}.autopilot.healthy`);
  assert.equal(healthy?.Value, 1, 'a lone -dev server is a healthy autopilot group');

  const prom = await httpGet(`${base}/v1/agent/metrics?format=prometheus`);
  assert.equal(prom.status, 200);
  assert.equal(prom.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  for (const line of prom.body.trimEnd().split('\n')) assert.match(line, LINE);
  assert.match(prom.body, /^# TYPE consul_raft_apply counter$/m);
  const applied = Number(/^consul_raft_apply (\S+)$/m.exec(prom.body)?.[1]);
  assert.ok(applied >= 1, prom.body);
  assert.match(prom.body, /^# TYPE consul_kvs_apply summary$/m);
  assert.match(prom.body, /^consul_kvs_apply_count [1-9]/m);
  assert.match(prom.body, /^consul_raft_commitTime\{quantile="0.99"\} /m);
  assert.match(prom.body, /^consul_serf_member_join [1-9]/m);
  assert.match(prom.body, /^consul_catalog_service_query\{service="consul"\} 1$/m);
  // Prometheus' scraper asks by Accept header and gets the same format without ?format.
  const byAccept = await fetch(`${base}/v1/agent/metrics`, {
    headers: {
      accept: 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1',
    },
  });
  assert.match(await byAccept.text(), /^# TYPE consul_raft_apply counter$/m);
  await stop(p);
});

test('a client agent counts its RPCs to the servers; without prometheus_retention_time ?format=prometheus is 415', async () => {
  // A -dev server serves no RPC port; a -bootstrap server does.
  const dirs = [0, 1].map(() => mkdtempSync(path.join(tmpdir(), 'proconsul-metrics-')));
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const server = startConsul([
    'agent',
    '-server',
    '-bootstrap',
    '-node=metrics-server',
    '-bind=127.0.0.154',
    '-client=127.0.0.154',
    `-data-dir=${dirs[0]}`,
    '-http-port=18860',
    '-dns-port=18861',
    '-serf-lan-port=18862',
    '-serf-wan-port=18863',
    '-server-port=18864',
    '-hcl',
    'performance { raft_multiplier = 1 }',
  ]);
  procs.push(server);
  await agentUp('127.0.0.154', 18860);
  const ip = '127.0.0.155';
  const client = startConsul([
    'agent',
    '-node=metrics-client',
    `-bind=${ip}`,
    `-client=${ip}`,
    `-data-dir=${dirs[1]}`,
    '-http-port=18890',
    '-dns-port=18891',
    '-serf-lan-port=18892',
    '-retry-join=127.0.0.154:18862',
  ]);
  procs.push(client);
  await agentUp(ip, 18890);
  const base = `http://${ip}:18890`;
  const r = await httpGet(`${base}/v1/agent/metrics?format=prometheus`);
  assert.equal(r.status, 415);
  assert.equal(r.body.trim(), 'Prometheus is not enabled since its retention time is not positive');
  // A read through the client is an RPC to a server (once the server is known from gossip).
  await waitFor(
    'a KV read through the client',
    async () => (await httpGet(`${base}/v1/kv/?keys`)).status !== 500,
  );
  const counters = await waitFor(
    'consul.client.rpc in the client metrics',
    async () => {
      const j = JSON.parse((await httpGet(`${base}/v1/agent/metrics`)).body) as Summary;
      return j.Counters.some((c) => c.Name === 'consul.client.rpc' && c.Count >= 1) ? j.Counters : null;
    },
    15_000,
    250,
  );
  // A client has no Raft: nothing of it shows on the client.
  assert.equal(
    counters.find((c) => c.Name === 'consul.raft.apply'),
    undefined,
  );

  // /v1/agent/metrics/stream: one summary per line as each 10 s interval completes.
  const ac = new AbortController();
  const res = await fetch(`${base}/v1/agent/metrics/stream`, { signal: ac.signal });
  assert.equal(res.status, 200);
  const reader = res.body!.getReader();
  let buf = '';
  const timer = setTimeout(() => ac.abort(), 12_000);
  try {
    while (!buf.includes('\n')) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += new TextDecoder().decode(value);
    }
  } finally {
    clearTimeout(timer);
    ac.abort();
  }
  const first = JSON.parse(buf.slice(0, buf.indexOf('\n'))) as Summary;
  assert.match(first.Timestamp, /\d0 \+0000 UTC$/);
  assert.ok(first.Gauges.some((g) => g.Name.endsWith('.runtime.alloc_bytes')));
});
