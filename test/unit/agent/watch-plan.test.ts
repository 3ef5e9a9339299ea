// Watch plans: which blocking query each type sends, Consul's parameter errors, the handler's data
// shapes, change detection (index and content), error backoff on virtual time, and the agent's
// validation of `watches` entries.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseWatch,
  runWatch,
  WatchState,
  type WatchPlan,
  type WatchRequest,
} from '../../../src/structs/watch.js';
import { planAgentWatches } from '../../../src/agent/watch.js';
import { stringifyGoJson } from '../../../src/lib/gojson.js';
import { Scheduler, flushMicrotasks } from '../../sim/scheduler.js';

function plan(params: Record<string, unknown>): WatchPlan {
  const p = parseWatch(params);
  if (p instanceof Error) throw p;
  return p;
}

test('each watch type asks the HTTP API the way the Go client does', () => {
  const cases: Array<[Record<string, unknown>, WatchRequest]> = [
    [
      { type: 'key', key: 'foo/bar' },
      { path: '/v1/kv/foo/bar', query: {} },
    ],
    [
      { type: 'keyprefix', prefix: 'app/' },
      { path: '/v1/kv/app/', query: { recurse: '' } },
    ],
    [{ type: 'services' }, { path: '/v1/catalog/services', query: {} }],
    [{ type: 'nodes' }, { path: '/v1/catalog/nodes', query: {} }],
    [
      { type: 'service', service: 'web', tag: ['a', 'b'], passingonly: true },
      { path: '/v1/health/service/web', query: { tag: ['a', 'b'], passing: '1' } },
    ],
    [
      { type: 'service', service: 'web', tag: 'a' },
      { path: '/v1/health/service/web', query: { tag: ['a'] } },
    ],
    [{ type: 'checks' }, { path: '/v1/health/state/any', query: {} }],
    [
      { type: 'checks', state: 'critical' },
      { path: '/v1/health/state/critical', query: {} },
    ],
    [
      { type: 'checks', service: 'web' },
      { path: '/v1/health/checks/web', query: {} },
    ],
    [
      { type: 'event', name: 'deploy' },
      { path: '/v1/event/list', query: { name: 'deploy' } },
    ],
    [{ type: 'event' }, { path: '/v1/event/list', query: {} }],
  ];
  for (const [params, want] of cases)
    assert.deepEqual(plan(params).request(0n), want, JSON.stringify(params));
  const p = plan({ type: 'key', key: 'k', datacenter: 'dc2', token: 't', stale: true });
  assert.deepEqual([p.datacenter, p.token, p.stale], ['dc2', 't', true]);
});

test("parameter errors use Consul's texts", () => {
  const err = (params: Record<string, unknown>, exempt: string[] = []) =>
    (parseWatch(params, exempt) as Error).message;
  assert.equal(err({}), 'Watch type must be specified');
  assert.equal(err({ type: 'nope' }), 'Unsupported watch type: nope');
  assert.equal(err({ type: 'key' }), 'Must specify a single key to watch');
  assert.equal(err({ type: 'keyprefix' }), 'Must specify a single prefix to watch');
  assert.equal(err({ type: 'service' }), 'Must specify a single service to watch');
  assert.equal(err({ type: 'checks', service: 'a', state: 'any' }), 'Cannot specify service and state');
  assert.equal(err({ type: 'key', key: 3 }), 'Expecting key to be a string');
  assert.equal(
    err({ type: 'service', service: 'a', passingonly: 'yes' }),
    'Expecting passingonly to be a boolean',
  );
  assert.equal(err({ type: 'service', service: 'a', tag: [1] }), 'Index 0 of tag expected to be string');
  assert.equal(err({ type: 'key', key: 'a', handler: 'x' }), 'Invalid parameters: [handler]');
  assert.ok(!(parseWatch({ type: 'key', key: 'a', handler: 'x' }, ['handler']) instanceof Error));
  assert.equal(
    err({ type: 'key', key: 'a', handler_type: 'http' }),
    "Handler type 'http' requires 'http_handler_config' to be set",
  );
  assert.equal(
    err({ type: 'key', key: 'a', handler_type: 'http', http_handler_config: {} }),
    "Failed to parse 'http_handler_config': Requires 'path' to be set",
  );
  const h = plan({
    type: 'key',
    key: 'a',
    handler_type: 'http',
    http_handler_config: { path: 'http://x/y', header: { A: ['1', '2'] }, timeout: '2s' },
  }).httpHandler;
  assert.deepEqual(h, {
    path: 'http://x/y',
    method: 'POST',
    header: { A: ['1', '2'] },
    timeoutMs: 2000,
    tlsSkipVerify: false,
  });
});

test("results: a missing key is null, pairs take the Go client's shape, uint64s stay exact", () => {
  const key = plan({ type: 'key', key: 'foo' });
  assert.equal(key.result(404, '', null), null);
  const pair = key.result(
    200,
    '[{"LockIndex":0,"Key":"foo","Flags":16000000000000000001,"Value":"YmFy","CreateIndex":5,"ModifyIndex":6}]',
    null,
  );
  assert.equal(
    stringifyGoJson(pair),
    '{"Key":"foo","CreateIndex":5,"ModifyIndex":6,"LockIndex":0,"Flags":16000000000000000001,"Value":"YmFy","Session":""}',
  );
  assert.equal(plan({ type: 'keyprefix', prefix: 'a/' }).result(404, '', null), null);
  assert.equal(
    (key.result(500, 'rpc error\n', null) as Error).message,
    'Unexpected response code: 500 (rpc error)',
  );
  assert.equal(stringifyGoJson({ a: '<&>' }), '{"a":"\\u003c\\u0026\\u003e"}');
  assert.equal(stringifyGoJson([1], '    '), '[\n    1\n]');
});

test('event watches hand out only the events after the last one seen', () => {
  const ev = plan({ type: 'event' });
  const id1 = '00000000-0000-0001-0000-000000000003'; // index 1 ^ 3 = 2
  const id2 = '00000000-0000-0000-0000-000000000009';
  const body = JSON.stringify([{ ID: id1 }, { ID: id2 }]);
  assert.deepEqual(ev.result(200, body, null), [{ ID: id1 }, { ID: id2 }]);
  assert.deepEqual(ev.result(200, body, 2n), [{ ID: id2 }]);
  assert.deepEqual(ev.result(200, body, 77n), [{ ID: id1 }, { ID: id2 }]);
});

test('change detection: first answer fires; same index or same content does not; errors reset', () => {
  const st = new WatchState();
  assert.equal(st.waitIndex, 0n);
  assert.equal(st.observe(5n, { a: 1, b: 2 }), true);
  assert.equal(st.waitIndex, 5n);
  assert.equal(st.observe(5n, { a: 9 }), false, 'unchanged index');
  assert.equal(st.observe(7n, { b: 2, a: 1 }), false, 'same content under a new index');
  assert.equal(st.waitIndex, 7n);
  assert.equal(st.observe(8n, { a: 2 }), true);
  assert.equal(st.observe(3n, { a: 3 }), true, 'a lower index (event IDs are unordered)');
  assert.equal(st.waitIndex, 3n, 'blocks on it');
  assert.deepEqual(
    [st.failed(), st.failed(), st.failed(), st.failed(), st.failed(), st.failed(), st.failed()],
    [5000, 20_000, 45_000, 80_000, 125_000, 180_000, 180_000],
  );
  assert.equal(st.waitIndex, 0n);
  assert.equal(st.observe(8n, { a: 3 }), true, 'after an error the next answer fires again');
});

test('runWatch blocks on the last index, backs off 5 s after an error, and stops when the handler says so', async () => {
  const sched = new Scheduler();
  const timers = sched.timers();
  const sent: string[] = [];
  const answers: Array<() => { status: number; index: string; body: string }> = [
    () => ({ status: 200, index: '4', body: '[{"Key":"k","Value":"MQ=="}]' }),
    () => {
      throw new Error('connection refused');
    },
    () => ({ status: 200, index: '4', body: '[{"Key":"k","Value":"MQ=="}]' }),
    () => ({ status: 200, index: '9', body: '[{"Key":"k","Value":"Mg=="}]' }),
  ];
  const handled: Array<[bigint, unknown]> = [];
  const errors: string[] = [];
  const done = runWatch(
    plan({ type: 'key', key: 'k' }),
    {
      fetch: async (req) => {
        sent.push(`${sched.now()} ${req.path}?index=${req.query.index ?? ''}`);
        return answers.shift()!();
      },
      timers,
      handle: (i, d) => {
        handled.push([i, (d as { Value: string }).Value]);
        return handled.length < 3;
      },
      onError: (e, ms) => void errors.push(`${e.message} ${ms}`),
    },
    new AbortController().signal,
  );
  await flushMicrotasks();
  await sched.runForAsync(10_000);
  await done;
  assert.deepEqual(sent, [
    '0 /v1/kv/k?index=',
    '0 /v1/kv/k?index=4',
    '5000 /v1/kv/k?index=',
    '5000 /v1/kv/k?index=4',
  ]);
  assert.deepEqual(errors, ['connection refused 5000']);
  assert.deepEqual(handled, [
    [4n, 'MQ=='],
    [4n, 'MQ=='],
    [9n, 'Mg=='],
  ]);
});

test("agent watches: Consul's validation of handlers and the HTTP endpoint", () => {
  const http = [{ kind: 'tcp' as const, ip: '127.0.0.1', port: 8500 }];
  const err = (w: Record<string, unknown>, addrs = http) => (planAgentWatches([w], addrs) as Error).message;
  assert.equal(
    err({ type: 'key', key: 'a', args: ['x'] }, []),
    'watch plans require an HTTP or HTTPS endpoint',
  );
  assert.equal(err({ type: 'key', key: 'a' }), 'Must define a watch handler');
  assert.equal(err({ type: 'key', key: 'a', args: ['x'], handler: 'y' }), 'Only one watch handler allowed');
  assert.equal(err({ type: 'key', key: 'a', args: [true] }), 'Watch args must be a list of strings');
  assert.equal(err({ type: 'key', key: 'a', handler: 3 }), 'Watch handler must be a string');
  assert.equal(
    err({ type: 'connect_roots', args: ['x'] }),
    'Watch type connect_roots is not allowed in agent config',
  );
  assert.equal(
    err({ type: 'key', args: ['x'] }),
    'Failed to parse watch (map[string]interface {}{"args":[]interface {}{"x"}, "type":"key"}): Must specify a single key to watch',
  );
  const ok = planAgentWatches(
    [
      { type: 'key', key: 'a', args: ['/bin/echo', 'hi'] },
      { type: 'keyprefix', prefix: 'p/', handler: 'cat' },
      { type: 'services', handler_type: 'http', http_handler_config: { path: 'http://127.0.0.1:1/h' } },
    ],
    http,
  );
  assert.ok(!(ok instanceof Error));
  assert.deepEqual(
    ok.map((w) => w.handler),
    [{ kind: 'args', args: ['/bin/echo', 'hi'] }, { kind: 'shell', script: 'cat' }, { kind: 'http' }],
  );
});
