// The check scheduler on virtual time: deadlines run in order on one platform timer, cancel and re-arm,
// runs stay on their interval grid (late timers and slow runs do not accumulate drift; overrun slots are
// skipped), 5,000 checks share one timer, and a CheckRunner's first run waits a random stagger within
// its interval (Consul's lib.RandomStagger) drawn from the Rng port.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BATCH_MS, CheckScheduler } from '../../../src/checks/scheduler.js';
import { CheckRunner, type CheckDef, type CheckPorts } from '../../../src/checks/runner.js';
import type { Timers } from '../../../src/runtime/timers.js';
import { simRng } from '../../sim/rng.js';
import { Scheduler } from '../../sim/scheduler.js';
import { sleep } from '../../../src/runtime/timers.js';

function world() {
  const sched = new Scheduler();
  const timers = sched.timers();
  const clock = sched.clock();
  return { sched, timers, clock, cs: new CheckScheduler(timers, clock) };
}

test('deadlines run in order (ties in scheduling order) on one platform timer', () => {
  const { sched, timers, cs } = world();
  const seen: string[] = [];
  cs.every(1000, 300, () => void seen.push(`a@${sched.now()}`));
  cs.every(1000, 100, () => void seen.push(`b@${sched.now()}`));
  cs.every(500, 300, () => void seen.push(`c@${sched.now()}`));
  assert.equal(timers.active, 1);
  sched.runUntil(1300);
  assert.deepEqual(seen, ['b@100', 'a@300', 'c@300', 'c@800', 'b@1100', 'a@1300', 'c@1300']);
  assert.equal(timers.active, 1);
});

test('deadlines within BATCH_MS of the one due share its wakeup; later ones get their own', () => {
  const { sched, cs } = world();
  const seen: string[] = [];
  cs.every(1000, 100, () => void seen.push(`a@${sched.now()}`));
  cs.every(1000, 100 + BATCH_MS, () => void seen.push(`b@${sched.now()}`));
  cs.every(1000, 100 + BATCH_MS + 1, () => void seen.push(`c@${sched.now()}`));
  sched.runUntil(1200);
  const c = 100 + BATCH_MS + 1;
  assert.deepEqual(seen, ['a@100', 'b@100', `c@${c}`, 'a@1100', 'b@1100', `c@${c + 1000}`]);
});

test('cancel stops a job at once and leaves the others on time; the last cancel disarms', () => {
  const { sched, timers, cs } = world();
  const seen: string[] = [];
  const a = cs.every(1000, 0, () => void seen.push(`a@${sched.now()}`));
  const b = cs.every(1000, 500, () => void seen.push(`b@${sched.now()}`));
  sched.runUntil(1200);
  a.cancel(); // a's next deadline (2000) is not the earliest
  sched.runUntil(2600);
  assert.deepEqual(seen, ['a@0', 'b@500', 'a@1000', 'b@1500', 'b@2500']);
  b.cancel();
  b.cancel(); // twice is harmless
  assert.equal(cs.size, 0);
  assert.equal(timers.active, 0, 'no platform timer left armed');
  sched.runUntil(10_000);
  assert.equal(seen.length, 5);
});

test('cancelling the earliest deadline, and a job cancelled by another due at the same instant', () => {
  const { sched, cs } = world();
  const seen: string[] = [];
  const a = cs.every(1000, 100, () => void seen.push(`a@${sched.now()}`));
  cs.every(1000, 700, () => void seen.push(`b@${sched.now()}`));
  a.cancel(); // the timer armed for 100 fires, finds nothing due, re-arms for 700
  let d: { cancel(): void } | null = null;
  cs.every(1000, 900, () => {
    seen.push(`c@${sched.now()}`);
    d?.cancel();
  });
  d = cs.every(1000, 900, () => void seen.push(`d@${sched.now()}`));
  sched.runUntil(2000);
  assert.deepEqual(seen, ['b@700', 'c@900', 'b@1700', 'c@1900']);
});

test('an earlier deadline re-arms the one platform timer; a later one leaves it alone', () => {
  const { sched, timers, cs } = world();
  const seen: string[] = [];
  cs.every(10_000, 5000, () => void seen.push(`slow@${sched.now()}`));
  sched.runUntil(1000);
  cs.every(1000, 500, () => void seen.push(`fast@${sched.now()}`)); // due at 1500, before 5000
  assert.equal(timers.active, 1);
  cs.every(1000, 8000, () => void seen.push(`late@${sched.now()}`)); // due at 9000
  assert.equal(timers.active, 1);
  sched.runUntil(5000);
  assert.deepEqual(seen, ['fast@1500', 'fast@2500', 'fast@3500', 'fast@4500', 'slow@5000']);
});

test('no drift: next run = previous deadline + interval, whether the timer fires late or the run is slow', async () => {
  const sched = new Scheduler();
  const real = sched.timers();
  // Platform timers that fire 7 ms late, every time.
  const lateTimers: Timers = {
    after: (ms, fn) => real.after(ms + 7, fn),
    every: (ms, fn) => real.every(ms, fn),
  };
  const cs = new CheckScheduler(lateTimers, sched.clock());
  const fired: number[] = [];
  const slowStarts: number[] = [];
  cs.every(1000, 0, () => void fired.push(sched.now()));
  // A run that takes 300 ms (a slow HTTP check): the next one still starts on the grid.
  cs.every(1000, 0, async () => {
    slowStarts.push(sched.now());
    await sleep(real, 300);
  });
  await sched.runUntilAsync(5100);
  assert.deepEqual(
    fired,
    [7, 1007, 2007, 3007, 4007, 5007].filter((t) => t <= 5100),
  );
  assert.deepEqual(
    slowStarts,
    [7, 1007, 2007, 3007, 4007, 5007].filter((t) => t <= 5100),
  );
});

test('a run outlasting its interval skips the missed slots and never overlaps itself', async () => {
  const sched = new Scheduler();
  const timers = sched.timers();
  const cs = new CheckScheduler(timers, sched.clock());
  const starts: number[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  cs.every(1000, 0, async () => {
    starts.push(sched.now());
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    // The first run takes 2.5 intervals, later ones 100 ms.
    await sleep(timers, starts.length === 1 ? 2500 : 100);
    inFlight--;
  });
  await sched.runUntilAsync(5500);
  // Slots at 1000 and 2000 were missed while the first run was in flight; 3000 is the next one.
  assert.deepEqual(starts, [0, 3000, 4000, 5000]);
  assert.equal(maxInFlight, 1);
});

test('5,000 staggered checks: one platform timer, each on its own interval grid', async () => {
  const sched = new Scheduler();
  const timers = sched.timers();
  let wakeups = 0;
  const counted: Timers = {
    after: (ms, fn) => timers.after(ms, () => (wakeups++, fn())),
    every: (ms, fn) => timers.every(ms, fn),
  };
  const cs = new CheckScheduler(counted, sched.clock());
  const rng = simRng(42);
  const runs = new Map<number, number[]>();
  let maxTimers = 0;
  sched.afterEach(() => void (maxTimers = Math.max(maxTimers, timers.active)));
  const first: number[] = [];
  for (let i = 0; i < 5000; i++) {
    const interval = 10_000;
    const stagger = rng.float() * interval;
    first.push(stagger);
    runs.set(i, []);
    cs.every(interval, stagger, () => void runs.get(i)!.push(sched.now()));
  }
  assert.equal(timers.active, 1);
  await sched.runUntilAsync(60_000);
  assert.equal(maxTimers, 1, 'never more than one platform timer');
  let total = 0;
  for (const [i, r] of runs) {
    total += r.length;
    assert.ok(r.length >= 5 && r.length <= 7, `check ${i} ran ${r.length} times`);
    // Deadlines within BATCH_MS of the one the timer fired for run in the same wakeup (that much early);
    // none runs late, and the grid never moves.
    r.forEach((t, k) => {
      const due = first[i]! + k * 10_000;
      assert.ok(t <= due + 1e-6 && due - t <= BATCH_MS, `check ${i} run ${k} at ${t}, due ${due}`);
    });
  }
  assert.ok(total > 29_000, `${total} runs`);
  // Spread over 10 s, 5,000 deadlines batch into at most one wakeup per BATCH_MS.
  assert.ok(wakeups <= 60_000 / BATCH_MS + 1 && wakeups < total / 4, `${wakeups} wakeups for ${total} runs`);
  cs.stop();
  assert.equal(timers.active, 0);
});

const tcpDef: CheckDef = {
  id: 'web',
  name: 'web',
  serviceId: '',
  tcp: '127.0.0.1:80',
  intervalNs: 10e9,
  timeoutNs: 1e9,
};

test('CheckRunner: the first run waits a random stagger within the interval, then runs every interval', async () => {
  const staggers: number[] = [];
  for (const seed of [1, 2, 3]) {
    const { sched, timers, cs } = world();
    const rng = simRng(seed);
    const expected = simRng(seed).float() * 10_000;
    const ports: CheckPorts = {
      timers,
      http: {} as never,
      streams: { connect: async () => ({ destroy: () => {} }) } as never,
      rng,
    };
    const at: number[] = [];
    const r = new CheckRunner(tcpDef, ports, cs, (status, output) => {
      at.push(sched.now());
      assert.equal(status, 'passing');
      assert.equal(output, 'TCP connect 127.0.0.1:80: Success');
    });
    r.start();
    await sched.runUntilAsync(35_000);
    assert.ok(expected >= 0 && expected < 10_000);
    assert.deepEqual(
      at,
      [0, 1, 2, 3].map((k) => expected + k * 10_000).filter((t) => t <= 35_000),
    );
    staggers.push(at[0]!);
    const before = at.length;
    r.stop();
    await sched.runUntilAsync(100_000);
    assert.equal(at.length, before, 'no run after stop()');
    assert.equal(timers.active, 0);
  }
  assert.equal(new Set(staggers).size, 3, 'different seeds, different staggers');
});

test('CheckRunner without an Rng runs at once (no stagger) and stop() ends it', async () => {
  const { sched, timers, cs } = world();
  const at: number[] = [];
  const r = new CheckRunner(
    tcpDef,
    { timers, http: {} as never, streams: { connect: async () => ({ destroy: () => {} }) } as never },
    cs,
    () => void at.push(sched.now()),
  );
  r.start();
  await sched.runUntilAsync(20_500);
  r.stop();
  await sched.runUntilAsync(60_000);
  assert.deepEqual(at, [0, 10_000, 20_000]);
});
