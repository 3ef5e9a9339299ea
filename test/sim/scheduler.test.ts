import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sleep } from '../../src/runtime/timers.js';
import { SIM_EPOCH_MS } from './clock.js';
import { Scheduler, type TraceRecord } from './scheduler.js';

test('events run in time order, ties in insertion order; now() follows them', () => {
  const s = new Scheduler();
  const seen: string[] = [];
  s.schedule(10, () => seen.push(`b@${s.now()}`));
  s.schedule(5, () => seen.push(`a@${s.now()}`));
  s.schedule(10, () => seen.push(`c@${s.now()}`));
  s.after(5, () => {
    seen.push(`d@${s.now()}`);
    s.after(0, () => seen.push(`e@${s.now()}`)); // same instant, after what is already due
  });
  assert.equal(s.pending, 4);
  assert.equal(s.nextAt(), 5);
  assert.equal(s.runUntilIdle(), 5);
  assert.deepEqual(seen, ['a@5', 'd@5', 'e@5', 'b@10', 'c@10']);
  assert.equal(s.eventsRun, 5);
});

test('a time in the past means now; NaN is refused', () => {
  const s = new Scheduler();
  s.runUntil(100);
  let at = -1;
  s.schedule(50, () => (at = s.now()));
  s.step();
  assert.equal(at, 100);
  assert.throws(() => s.schedule(NaN, () => {}), RangeError);
});

test('runUntil runs what is due and moves the clock; runFor is relative; step runs one event', () => {
  const s = new Scheduler();
  const seen: number[] = [];
  for (const t of [3, 7, 12]) s.schedule(t, () => seen.push(t));
  assert.equal(s.runUntil(7), 2);
  assert.equal(s.now(), 7);
  assert.equal(s.runFor(2), 0);
  assert.equal(s.now(), 9);
  assert.equal(s.step(), true);
  assert.equal(s.now(), 12);
  assert.equal(s.step(), false);
  assert.deepEqual(seen, [3, 7, 12]);
});

test('cancelled events never run; cancelling twice reports false', () => {
  const s = new Scheduler();
  let ran = false;
  const h = s.after(5, () => (ran = true));
  assert.equal(s.cancel(h), true);
  assert.equal(s.cancel(h), false);
  s.runUntilIdle();
  assert.equal(ran, false);
});

test('runUntilIdle fails loudly on a livelock', () => {
  const s = new Scheduler();
  s.timers().every(10, () => {});
  assert.throws(() => s.runUntilIdle(1000), /did not go idle within 1000 events/);
});

test('timers: after/every on virtual time; cancel from inside; cancelAll for a crashed node', () => {
  const s = new Scheduler();
  const t = s.timers('n1');
  const seen: string[] = [];
  t.after(10, () => seen.push('b'));
  t.after(5, () => seen.push('a'));
  t.after(10, () => seen.push('c'));
  t.after(7, () => seen.push('never')).cancel();
  const rep = t.every(4, () => seen.push(`tick@${s.now()}`));
  let n = 0;
  const self = t.every(3, () => {
    if (++n === 2) self.cancel();
  });
  s.runUntil(12);
  rep.cancel();
  s.runUntilIdle();
  assert.deepEqual(seen, ['tick@4', 'a', 'tick@8', 'b', 'c', 'tick@12']);
  assert.equal(n, 2);
  // after(0) is never synchronous
  let sync = true;
  t.after(0, () => (sync = false));
  assert.equal(sync, true);
  s.runUntilIdle();
  assert.equal(sync, false);
  // A crash cancels every pending timer of that node only.
  const other = s.timers('n2');
  let fired = 0;
  t.after(5, () => fired++);
  t.every(5, () => fired++);
  other.after(5, () => (fired += 10));
  assert.equal(t.active, 2);
  t.cancelAll();
  assert.equal(t.active, 0);
  s.runUntilIdle();
  assert.equal(fired, 10);
  // every(0) does not spin at one instant: like setInterval, it counts as 1 ms.
  let ticks = 0;
  const z = t.every(0, () => ticks++);
  s.runFor(5);
  z.cancel();
  assert.equal(ticks, 5);
});

test('clock: monotonic and wall on virtual time; per-node origins; wall jumps leave monotonic alone', () => {
  const s = new Scheduler();
  const c = s.clock();
  const d = s.clock({ monotonicOriginMs: 5_000, wallAtZeroMs: SIM_EPOCH_MS - 250 });
  s.runFor(1_000);
  assert.equal(c.monotonicMs(), 1_000);
  assert.equal(c.wallMs(), SIM_EPOCH_MS + 1_000);
  assert.equal(new Date(c.wallMs()).toISOString(), '2026-01-01T00:00:01.000Z');
  assert.equal(d.monotonicMs(), 6_000);
  assert.equal(d.wallMs(), SIM_EPOCH_MS + 750);
  d.jumpWall(-60_000);
  assert.equal(d.wallMs(), SIM_EPOCH_MS + 750 - 60_000);
  assert.equal(d.monotonicMs(), 6_000);
});

test('trace hooks see every event with its label; afterEach can stop a run on a broken invariant', () => {
  const s = new Scheduler();
  const trace: TraceRecord[] = [];
  const off = s.onTrace((r) => trace.push(r));
  let x = 0;
  s.after(1, () => x++, 'inc');
  s.after(2, () => (x += 10), 'jump');
  s.after(3, () => x++, 'inc');
  const offCheck = s.afterEach(() => {
    if (x > 5) throw new Error(`invariant x<=5 broken: x=${x}`);
  });
  assert.throws(() => s.runUntilIdle(), /x=11/);
  assert.deepEqual(
    trace.map((r) => `${r.at}:${r.label}`),
    ['1:inc', '2:jump'],
  );
  off();
  offCheck();
  s.step();
  assert.equal(trace.length, 2);
});

test('async runners let awaited code (sleep, promise chains) run between events', async () => {
  const s = new Scheduler();
  const timers = s.timers();
  const log: string[] = [];
  const worker = async (name: string, ms: number) => {
    for (let i = 0; i < 3; i++) {
      await sleep(timers, ms);
      await Promise.resolve();
      log.push(`${name}${i}@${s.now()}`);
    }
    return name;
  };
  const a = worker('a', 10);
  const b = worker('b', 15);
  await s.runForAsync(30);
  // b's second sleep was armed at 15, before a's third (armed at 20): same instant, earlier first.
  assert.deepEqual(log, ['a0@10', 'b0@15', 'a1@20', 'b1@30', 'a2@30']);
  assert.equal(await s.settle(b), 'b');
  assert.equal(s.now(), 45);
  assert.equal(await a, 'a');
  await assert.rejects(s.settle(new Promise(() => {}), 1_000), /still pending after 1000 ms/);
  assert.equal(await s.runUntilIdleAsync(), 0);
});
