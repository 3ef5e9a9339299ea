import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MetricsRegistry, goTimeString, type MetricsOptions } from '../../../src/runtime/metrics-registry.js';
import { PROMETHEUS_CONTENT_TYPE, prometheusText } from '../../../src/runtime/metrics-prometheus.js';

function clock(startWall = Date.UTC(2017, 7, 8, 2, 55, 10)) {
  const c = { wall: startWall, mono: 1000, advance: (ms: number) => ((c.wall += ms), (c.mono += ms)) };
  return { c, port: { wallMs: () => c.wall, monotonicMs: () => c.mono } };
}

function registry(over: Partial<MetricsOptions> = {}) {
  const { c, port } = clock();
  const reg = new MetricsRegistry({
    clock: port,
    prefix: 'consul',
    hostname: null,
    filterDefault: true,
    allowedPrefixes: [],
    blockedPrefixes: [],
    prometheusRetentionMs: 60_000,
    ...over,
  });
  return { c, reg };
}

test('JSON summary has go-metrics shape: counters and samples aggregate, gauges keep the last value', () => {
  const { reg } = registry();
  reg.incrCounter(['raft', 'apply']);
  reg.incrCounter(['raft', 'apply'], 2);
  reg.addSample(['kvs', 'apply'], 1);
  reg.addSample(['kvs', 'apply'], 3);
  reg.setGauge(['runtime', 'alloc_bytes'], 5);
  reg.setGauge(['runtime', 'alloc_bytes'], 7);
  reg.addSample(['api', 'http'], 2, { path: 'v1_kv_', method: 'PUT' });
  const s = reg.summary();
  assert.equal(s.Timestamp, '2017-08-08 02:55:10 +0000 UTC');
  assert.deepEqual(s.Points, []);
  assert.deepEqual(s.Gauges, [{ Name: 'consul.runtime.alloc_bytes', Value: 7, Labels: {} }]);
  assert.deepEqual(s.Counters, [
    {
      Name: 'consul.raft.apply',
      Count: 2,
      Rate: 0.3,
      Sum: 3,
      Min: 1,
      Max: 2,
      Mean: 1.5,
      Stddev: Math.SQRT1_2,
      Labels: {},
    },
  ]);
  assert.deepEqual(
    s.Samples.map((x) => [x.Name, x.Count, x.Sum, x.Min, x.Max, x.Mean, x.Labels]),
    [
      ['consul.api.http', 1, 2, 2, 2, 2, { path: 'v1_kv_', method: 'PUT' }],
      ['consul.kvs.apply', 2, 4, 1, 3, 2, {}],
    ],
  );
  assert.equal(Object.keys(s.Counters[0]!).join(','), 'Name,Count,Rate,Sum,Min,Max,Mean,Stddev,Labels');
});

test('JSON shows the last finished interval once a second one exists', () => {
  const { c, reg } = registry();
  reg.incrCounter(['serf', 'member', 'join']);
  c.advance(10_000);
  reg.incrCounter(['serf', 'member', 'join']);
  reg.incrCounter(['serf', 'member', 'join']);
  const s = reg.summary();
  assert.equal(s.Timestamp, '2017-08-08 02:55:10 +0000 UTC');
  assert.equal(s.Counters[0]!.Count, 1);
  c.advance(10_000);
  assert.equal(reg.summary().Counters[0]!.Count, 2);
  // Intervals with nothing recorded show nothing (the finished one before the current is empty).
  c.advance(60_000);
  assert.deepEqual(reg.summary().Counters, []);
});

test('gauges carry the hostname after the prefix unless disable_hostname; prefix is configurable', () => {
  const { reg } = registry({ hostname: 'node-1', prefix: 'pc' });
  reg.setGauge(['runtime', 'alloc_bytes'], 1);
  reg.incrCounter(['raft', 'apply']);
  const s = reg.summary();
  assert.equal(s.Gauges[0]!.Name, 'pc.node-1.runtime.alloc_bytes');
  assert.equal(s.Counters[0]!.Name, 'pc.raft.apply');
  assert.match(prometheusText(reg), /^pc_node_1_runtime_alloc_bytes 1$/m);
});

test('prefix_filter: longest prefix wins, filter_default otherwise', () => {
  const { reg } = registry({
    filterDefault: false,
    allowedPrefixes: ['consul.raft', 'consul.http.GET'],
    blockedPrefixes: ['consul.raft.state'],
  });
  reg.incrCounter(['raft', 'apply']);
  reg.incrCounter(['raft', 'state', 'leader']);
  reg.addSample(['http', 'GET', 'v1', 'kv', '_'], 1);
  reg.addSample(['http', 'PUT', 'v1', 'kv', '_'], 1);
  reg.incrCounter(['serf', 'member', 'join']);
  const s = reg.summary();
  assert.deepEqual(
    s.Counters.map((x) => x.Name),
    ['consul.raft.apply'],
  );
  assert.deepEqual(
    s.Samples.map((x) => x.Name),
    ['consul.http.GET.v1.kv._'],
  );
});

test('Prometheus text: counter, gauge and summary families with flattened names and escaped labels', () => {
  const { reg } = registry();
  reg.incrCounter(['raft', 'apply']);
  reg.incrCounter(['raft', 'apply']);
  reg.setGauge(['raft', 'last_index'], 12);
  reg.addSample(['http', 'GET', 'v1', 'kv', '_'], 4);
  reg.addSample(['http', 'GET', 'v1', 'kv', '_'], 2);
  reg.addSample(['dns', 'domain_query'], 1, { node: 'a"b' });
  const t = prometheusText(reg);
  assert.equal(PROMETHEUS_CONTENT_TYPE, 'text/plain; version=0.0.4; charset=utf-8');
  assert.match(
    t,
    /^# HELP consul_raft_apply consul_raft_apply\n# TYPE consul_raft_apply counter\nconsul_raft_apply 2$/m,
  );
  assert.match(t, /^# TYPE consul_raft_last_index gauge\nconsul_raft_last_index 12$/m);
  assert.match(t, /^# TYPE consul_http_GET_v1_kv__ summary$/m);
  assert.match(t, /^consul_http_GET_v1_kv__\{quantile="0.5"\} 2$/m);
  assert.match(t, /^consul_http_GET_v1_kv__\{quantile="0.99"\} 4$/m);
  assert.match(t, /^consul_http_GET_v1_kv___sum 6$/m);
  assert.match(t, /^consul_http_GET_v1_kv___count 2$/m);
  assert.match(t, /^consul_dns_domain_query\{node="a\\"b",quantile="0.9"\} 1$/m);
  // Every line is a comment or `name{labels} value` (the exposition grammar).
  for (const line of t.trimEnd().split('\n'))
    assert.match(
      line,
      /^(# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+|[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? (NaN|[-+0-9.e]+|[+-]Inf))$/,
    );
  // Families come sorted by name.
  const names = [...t.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]!);
  assert.deepEqual(names, [...names].sort());
});

test('Prometheus series expire after the retention time; summaries forget old observations', () => {
  const { c, reg } = registry({ prometheusRetentionMs: 30_000 });
  reg.incrCounter(['raft', 'apply']);
  reg.addSample(['raft', 'commitTime'], 5);
  c.advance(11_000);
  assert.match(prometheusText(reg), /^consul_raft_commitTime\{quantile="0.5"\} NaN$/m);
  assert.match(prometheusText(reg), /^consul_raft_commitTime_count 1$/m);
  c.advance(20_000);
  assert.equal(prometheusText(reg), '');
  // Counters stay cumulative while updated (unlike the JSON intervals).
  reg.incrCounter(['raft', 'apply']);
  c.advance(20_000);
  reg.incrCounter(['raft', 'apply']);
  assert.match(prometheusText(reg), /^consul_raft_apply 2$/m);
});

test('without prometheus_retention_time no Prometheus store is kept', () => {
  const { reg } = registry({ prometheusRetentionMs: 0 });
  reg.incrCounter(['raft', 'apply']);
  assert.equal(reg.prometheusEnabled, false);
  assert.equal(prometheusText(reg), '');
  assert.equal(reg.summary().Counters.length, 1);
});

test('onIntervalDone hands each finished interval to subscribers once the next one begins', () => {
  const { c, reg } = registry();
  const got: Array<[string, number]> = [];
  const stop = reg.onIntervalDone((s) => got.push([s.Timestamp, s.Counters[0]?.Count ?? 0]));
  reg.incrCounter(['raft', 'apply']);
  reg.incrCounter(['raft', 'apply']);
  assert.deepEqual(got, []);
  c.advance(10_000);
  reg.setGauge(['runtime', 'alloc_bytes'], 1);
  assert.deepEqual(got, [['2017-08-08 02:55:10 +0000 UTC', 2]]);
  stop();
  c.advance(10_000);
  reg.incrCounter(['raft', 'apply']);
  assert.equal(got.length, 1);
});

test('goTimeString formats like Go time.Time.String in UTC', () => {
  assert.equal(goTimeString(Date.UTC(2021, 11, 20, 0, 20, 30, 400)), '2021-12-20 00:20:30 +0000 UTC');
});
