// Anti-entropy's full-sync schedule on virtual time: Consul's minute plus a stagger that grows with the
// cluster, 15 s (plus stagger) after a failed sync, a few seconds after a server comes up; and a
// LocalState repairing a catalog entry removed behind its back at the next full sync, not before.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FullSyncSchedule, scaleFactor, AE_INTERVAL_MS } from '../../../src/agent/anti-entropy.js';
import { LocalState, type CatalogApi } from '../../../src/agent/local-state.js';
import { newAgentFlags } from '../../../src/config/agent-flags.js';
import { loadConfig } from '../../../src/config/load.js';
import { SeededRng } from '../../../src/lib/prng.js';
import type { Logger } from '../../../src/runtime/logger.js';
import type { HealthCheck, NodeService, RegisterRequest } from '../../../src/state/catalog.js';
import { fakeHost, MemDisk } from '../../helpers/fakes.js';
import { Scheduler } from '../../sim/scheduler.js';

test('scale factor: 1 up to 128 nodes, then one more per doubling', () => {
  const cases: Array<[number, number]> = [
    [1, 1],
    [128, 1],
    [129, 2],
    [256, 2],
    [257, 3],
    [512, 3],
    [513, 4],
    [1024, 4],
    [8192, 7],
  ];
  for (const [n, f] of cases) assert.equal(scaleFactor(n), f, `${n} nodes`);
});

/** When each full sync of a schedule ran, over `ms` of virtual time, for a cluster of `nodes`. */
function runs(
  nodes: number,
  ms: number,
  seed: number,
  plan: (s: FullSyncSchedule, sched: Scheduler) => void,
): number[] {
  const sched = new Scheduler();
  const at: number[] = [];
  const s = new FullSyncSchedule(
    sched.timers(),
    new SeededRng(seed),
    () => nodes,
    AE_INTERVAL_MS,
    () => {
      at.push(sched.now());
      s.succeeded();
    },
  );
  plan(s, sched);
  sched.runFor(ms);
  return at;
}

test('after a good sync the next is one interval plus a stagger of up to one (scaled) interval', () => {
  for (const [nodes, scale] of [
    [3, 1],
    [300, 3],
  ] as const) {
    const at = runs(nodes, 3_600_000, 42, (s) => s.succeeded());
    const gaps = at.map((t, i) => t - (at[i - 1] ?? 0));
    assert.ok(gaps.length > 5, `${nodes} nodes: some syncs ran`);
    for (const g of gaps) {
      assert.ok(g >= AE_INTERVAL_MS, `${nodes} nodes: gap ${g} ≥ 1 min`);
      assert.ok(g < AE_INTERVAL_MS * (1 + scale), `${nodes} nodes: gap ${g} < ${1 + scale} min`);
    }
    // The stagger is random: gaps differ.
    assert.ok(new Set(gaps).size > 1);
  }
});

test('a failed sync is retried after 15–30 s; a server coming up brings a sync within 3 s', () => {
  const sched = new Scheduler();
  const at: number[] = [];
  const s = new FullSyncSchedule(
    sched.timers(),
    new SeededRng(7),
    () => 3,
    AE_INTERVAL_MS,
    () => at.push(sched.now()),
  );
  s.failed();
  sched.runFor(40_000);
  assert.equal(at.length, 1);
  assert.ok(at[0]! >= 15_000 && at[0]! < 30_000, `retry at ${at[0]}`);
  s.succeeded();
  sched.runFor(1_000);
  const up = sched.now();
  s.serverUp();
  // Three servers joining at once is one sync, not three, and not later than the first one planned.
  s.serverUp();
  s.serverUp();
  sched.runFor(3_000);
  assert.equal(at.length, 2);
  assert.ok(at[1]! - up < 3_000, 'within 3 s of the server-up');
  s.stop();
  s.serverUp();
  sched.runFor(200_000);
  assert.equal(at.length, 2, 'nothing after stop');
});

const quiet: Logger = {
  name: '',
  named: () => quiet,
  isEnabled: () => false,
  log: () => {},
  trace: () => {},
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
};

test('a service deleted from the catalog behind the agent comes back at the next full sync', async () => {
  const { flags, values } = newAgentFlags();
  flags.parse(['-dev', '-node=n1']);
  const r = await loadConfig({
    flags: values,
    disk: new MemDisk(),
    host: fakeHost(),
    cwd: '/',
    baseFragment: { service: { name: 'web', port: 80 } },
  });
  assert.ok(r.ok, r.ok ? '' : r.error);
  // A catalog of one node, reachable or not as the test says.
  let reachable = true;
  let services: NodeService[] = [];
  const writes: number[] = [];
  const sched = new Scheduler();
  const catalog: CatalogApi = {
    nodeView: async () =>
      reachable
        ? {
            node: { ID: 'id', Node: 'n1' } as never,
            services,
            checks: [] as HealthCheck[],
          }
        : null,
    register: async (req: RegisterRequest) => {
      if (req.Service?.ID !== 'web') return; // (a dev agent is a server: also the consul service)
      services = [{ ...req.Service, Service: req.Service.Service } as NodeService];
      writes.push(sched.now());
    },
    deregister: async () => {},
  };
  const ls = new LocalState(
    r.config,
    'id',
    catalog,
    {
      timers: sched.timers(),
      clock: sched.clock(),
      aeRng: new SeededRng(3),
      clusterSize: () => 1,
      http: {} as never,
      streams: {} as never,
    },
    quiet,
  );
  ls.start();
  await sched.runForAsync(1_000);
  assert.equal(writes.length, 1, 'registered at start');
  services = []; // deleted behind the agent's back
  await sched.runForAsync(AE_INTERVAL_MS - 2_000);
  assert.equal(writes.length, 1, 'not before the interval has passed');
  for (let t = 0; t < 2 * AE_INTERVAL_MS && writes.length === 1; t += 1_000) await sched.runForAsync(1_000);
  assert.equal(writes.length, 2, 'put back');
  assert.ok(writes[1]! >= AE_INTERVAL_MS && writes[1]! < 2 * AE_INTERVAL_MS + 1_000, `at ${writes[1]}`);
  // While no server answers, full syncs are retried every 15–30 s; the first to get through repairs.
  reachable = false;
  services = [];
  await sched.runForAsync(3 * AE_INTERVAL_MS);
  assert.equal(writes.length, 2);
  reachable = true;
  const back = sched.now();
  for (let t = 0; t < 31_000 && writes.length === 2; t += 1_000) await sched.runForAsync(1_000);
  assert.equal(writes.length, 3, 'repaired by a retry');
  assert.ok(writes[2]! - back <= 31_000);
  ls.stop();
});
