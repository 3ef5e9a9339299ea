// The agent's local checks on virtual time: registration validation and script gating with Consul's
// texts, thresholds on a script check, local alias checks following the aliased service, and the
// reaper deregistering a service critical past deregister_critical_service_after.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newAgentFlags } from '../../../src/config/agent-flags.js';
import { loadConfig } from '../../../src/config/load.js';
import { LocalState, type CatalogApi } from '../../../src/agent/local-state.js';
import type { Logger } from '../../../src/runtime/logger.js';
import { fakeHost, MemDisk } from '../../helpers/fakes.js';
import { SimProcessRunner } from '../../sim/process.js';
import { Scheduler } from '../../sim/scheduler.js';

const logs: string[] = [];
const log: Logger = {
  name: '',
  named: () => log,
  isEnabled: () => true,
  log: (_l, m) => void logs.push(m),
  trace: () => {},
  debug: () => {},
  info: (m) => void logs.push(m),
  warn: () => {},
  error: (m, ...kv) => void logs.push(`${m} ${kv.join(' ')}`),
};
const catalog: CatalogApi = {
  nodeView: async () => ({ node: null, services: [], checks: [] }),
  register: async () => {},
  deregister: async () => {},
};

async function agent(flags: string[], fragment: Record<string, unknown> = {}) {
  const { flags: f, values } = newAgentFlags();
  f.parse(['-dev', ...flags]);
  const r = await loadConfig({
    flags: values,
    disk: new MemDisk(),
    host: fakeHost(),
    cwd: '/',
    baseFragment: fragment,
  });
  assert.ok(r.ok, r.ok ? '' : r.error);
  const sched = new Scheduler();
  const procs = new SimProcessRunner(sched);
  const ls = new LocalState(
    r.config,
    'id',
    catalog,
    {
      timers: sched.timers(),
      clock: sched.clock(),
      processes: procs,
      http: {} as never,
      streams: {} as never,
    },
    log,
  );
  ls.start();
  const status = (id: string) => {
    const c = ls.checksJson()[id];
    return c && `${String(c.Status)}|${String(c.Output)}`;
  };
  return { ls, sched, procs, status };
}

test('register refuses invalid checks and (by default) script checks with Consul’s texts', async () => {
  const { ls } = await agent([]);
  assert.deepEqual(ls.registerCheck({ name: 'a', args: ['x'], interval: '10s' }), {
    code: 500,
    text: "Scripts are disabled on this agent from remote calls; to enable, configure 'enable_script_checks' to true",
  });
  assert.deepEqual(ls.registerCheck({ name: 'a', args: ['x'], interval: '10s' }, false), {
    code: 500,
    text: "Scripts are disabled on this agent; to enable, configure 'enable_script_checks' or 'enable_local_script_checks' to true",
  });
  assert.deepEqual(ls.registerCheck({ name: 'a', http: 'http://x' }), {
    code: 400,
    text: 'Invalid check: Interval must be > 0 for Script, HTTP, H2PING, TCP, UDP or GRPC checks',
  });
  assert.deepEqual(ls.registerCheck({ name: 'a', alias_service: 'web', ttl: '5s' }), {
    code: 400,
    text: 'Invalid check: TTL must be not be set for Alias checks',
  });
  assert.deepEqual(ls.registerCheck({ name: 'a' }), {
    code: 400,
    text: 'Invalid check: TTL must be > 0 for TTL checks',
  });
  assert.deepEqual(ls.registerCheck({ name: 'a', ttl: '5s', interval: '5s' }), {
    code: 400,
    text: 'Invalid check: Interval and TTL cannot both be specified',
  });
  assert.deepEqual(ls.registerCheck({ name: 'a', ttl: '5s', service_id: 'nope' }), {
    code: 404,
    text: 'ServiceID "nope" does not exist',
  });
  assert.deepEqual(ls.registerService({ name: 'web', check: { args: ['x'], interval: '1s' } }), {
    code: 500,
    text: "Scripts are disabled on this agent from remote calls; to enable, configure 'enable_script_checks' to true",
  });
  assert.deepEqual(ls.registerService({ name: 'web', checks: [{ ttl: '1s' }, { tcp: 'h:1' }] }), {
    code: 400,
    text: 'Invalid check: Interval must be > 0 for Script, HTTP, H2PING, TCP, UDP or GRPC checks',
  });
  // Docker checks run scripts (gated the same way); without args they are no interval check at all.
  assert.deepEqual(
    ls.registerCheck({ name: 'd', docker_container_id: 'web1', args: ['x'], interval: '1s' }),
    {
      code: 500,
      text: "Scripts are disabled on this agent from remote calls; to enable, configure 'enable_script_checks' to true",
    },
  );
  assert.deepEqual(ls.registerCheck({ name: 'd', docker_container_id: 'web1', interval: '1s' }), {
    code: 400,
    text: 'Invalid check: TTL must be > 0 for TTL checks',
  });
  assert.deepEqual(ls.checksJson(), {});
  assert.deepEqual(ls.servicesJson(), {});
  ls.stop();
});

test('thresholds hold a script check’s status until the streak is long enough', async () => {
  const { ls, sched, procs, status } = await agent(['-enable-script-checks']);
  let code = 0;
  procs.define('/chk', (p) => {
    p.stdout(`run ${code}`);
    p.exit(code);
  });
  assert.equal(
    ls.registerCheck({
      name: 'c',
      args: ['/chk'],
      interval: '1s',
      failures_before_critical: 3,
      failures_before_warning: 2,
      success_before_passing: 2,
    }),
    null,
  );
  assert.equal(status('c'), 'critical|', 'initial status before the first run');
  await sched.runForAsync(10);
  assert.equal(status('c'), 'passing|run 0', 'the first result goes through');
  code = 2;
  await sched.runForAsync(1000);
  assert.equal(status('c'), 'passing|run 0');
  await sched.runForAsync(1000);
  assert.equal(status('c'), 'warning|run 2');
  await sched.runForAsync(1000);
  assert.equal(status('c'), 'critical|run 2');
  code = 0;
  await sched.runForAsync(1000);
  assert.equal(status('c'), 'critical|run 2');
  await sched.runForAsync(1000);
  assert.equal(status('c'), 'passing|run 0');
  ls.stop();
});

test('a local alias check mirrors the worst status of the aliased service', async () => {
  const { ls, status } = await agent([]);
  assert.equal(ls.registerCheck({ name: 'alias', alias_service: 'web' }), null);
  assert.equal(status('alias'), 'critical|Service web could not be found on node ');
  assert.equal(
    ls.registerService({
      name: 'web',
      checks: [
        { id: 'a', name: 'A', ttl: '1m', status: 'passing' },
        { id: 'b', name: 'B', ttl: '1m', status: 'passing' },
      ],
    }),
    null,
  );
  assert.equal(status('alias'), 'passing|All checks passing.');
  assert.equal(ls.checksJson().alias!.Type, 'alias');
  ls.updateTtl('b', 'warning', 'slow');
  assert.equal(status('alias'), 'warning|Aliased check "B" failing: slow');
  ls.updateTtl('a', 'critical', 'down');
  assert.equal(status('alias'), 'critical|Aliased check "A" failing: down');
  ls.updateTtl('a', 'passing', '');
  ls.updateTtl('b', 'passing', '');
  assert.equal(status('alias'), 'passing|All checks passing.');
  ls.deregisterService('web');
  assert.equal(status('alias'), 'critical|Service web could not be found on node ');
  ls.stop();
});

test('deregister_critical_service_after: the reaper removes the service (never before 1m)', async () => {
  const { ls, sched, status } = await agent([]);
  assert.equal(
    ls.registerService({
      name: 'web',
      check: { ttl: '10m', status: 'passing', deregister_critical_service_after: '10s' },
    }),
    null,
  );
  ls.updateTtl('service:web', 'critical', 'broken');
  await sched.runForAsync(45_000);
  assert.equal(status('service:web'), 'critical|broken', 'below the 1m minimum the service stays');
  await sched.runForAsync(50_000); // the reaper pass at 90 s finds it critical for > 1m
  assert.deepEqual(ls.servicesJson(), {});
  assert.equal(status('service:web'), undefined);
  assert.ok(logs.includes('Check for service has been critical for too long; deregistered service'));
  // A check that recovers in time keeps its service.
  ls.registerService({
    name: 'api',
    check: { ttl: '10m', status: 'passing', deregister_critical_service_after: '1m' },
  });
  ls.updateTtl('service:api', 'critical', 'x');
  await sched.runForAsync(50_000);
  ls.updateTtl('service:api', 'passing', 'ok');
  await sched.runForAsync(120_000);
  assert.ok(ls.servicesJson().api);
  ls.stop();
});

test('registering another check leaves running checks on their interval; reload runs every check anew', async () => {
  const { ls, sched, procs } = await agent(['-enable-script-checks']);
  const runs = new Map<string, number>();
  procs.define('/count', (p) => {
    const id = p.args[0] ?? '';
    runs.set(id, (runs.get(id) ?? 0) + 1);
    p.exit(0);
  });
  assert.equal(ls.registerCheck({ name: 'a', args: ['/count', 'a'], interval: '10s' }), null);
  await sched.runForAsync(10);
  assert.equal(runs.get('a'), 1, 'a ran once at registration');
  await sched.runForAsync(3000);
  // A second registration used to restart every runner (each ran again at once, intervals reset).
  assert.equal(ls.registerCheck({ name: 'b', args: ['/count', 'b'], interval: '10s' }), null);
  await sched.runForAsync(10);
  assert.deepEqual([runs.get('a'), runs.get('b')], [1, 1]);
  await sched.runForAsync(7000);
  assert.equal(runs.get('a'), 2, 'a kept its own rhythm');
  ls.reload(ls['config']);
  await sched.runForAsync(10);
  assert.deepEqual([runs.get('a'), runs.get('b')], [3, 2], 'reload runs both anew');
  ls.stop();
});
