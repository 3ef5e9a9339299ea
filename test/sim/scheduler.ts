// Virtual time. Events run in (time, insertion order) order and nothing happens between events, so a run
// is a pure function of its seed and inputs. The Clock and Timers ports on this timeline live in
// clock.ts and timers.ts; `clock()` and `timers()` here are shortcuts for them.

import { setImmediate as hostTurn } from 'node:timers';
import { MinHeap, type HeapHandle } from '../../src/lib/min-heap.js';
import { SimClock, type SimClockOptions } from './clock.js';
export { SIM_EPOCH_MS } from './clock.js';
import { SimTimers } from './timers.js';

interface SimEvent {
  at: number;
  seq: number;
  label: string;
  fn: () => void;
}

/** An event as traces and hooks see it. */
export interface TraceRecord {
  at: number;
  seq: number;
  /** Free text given at scheduling time ("" when none): which component, which kind of event. */
  label: string;
}

/** Opaque handle of a scheduled event, for cancel(). */
export type EventHandle = HeapHandle<SimEvent>;

/** Lets pending promise continuations run: one host macrotask turn, during which no virtual time passes. */
export function flushMicrotasks(): Promise<void> {
  return new Promise((resolve) => hostTurn(resolve));
}

export class Scheduler {
  private nowMs = 0;
  private seq = 0;
  private executed = 0;
  private readonly queue = new MinHeap<SimEvent>((a, b) => a.at < b.at || (a.at === b.at && a.seq < b.seq));
  private readonly traceHooks: Array<(r: TraceRecord) => void> = [];
  private readonly afterHooks: Array<(r: TraceRecord) => void> = [];
  /** Called before every event with its time and sequence number (kept for older callers; see onTrace). */
  onEvent: ((at: number, seq: number) => void) | null = null;

  now(): number {
    return this.nowMs;
  }

  /** Events waiting to run. */
  get pending(): number {
    return this.queue.size;
  }

  /** Events run so far. */
  get eventsRun(): number {
    return this.executed;
  }

  /** Time of the next event, or undefined when idle. */
  nextAt(): number | undefined {
    return this.queue.peek()?.at;
  }

  /** Runs fn at virtual time `at`; a time in the past means "now, after what is already due now". */
  schedule(at: number, fn: () => void, label = ''): EventHandle {
    if (Number.isNaN(at)) throw new RangeError('Scheduler.schedule: time is NaN');
    return this.queue.push({ at: Math.max(at, this.nowMs), seq: this.seq++, label, fn });
  }

  /** Same as schedule (the older name). */
  at(at: number, fn: () => void, label = ''): EventHandle {
    return this.schedule(at, fn, label);
  }

  /** Runs fn `ms` from now (negative or NaN counts as 0). */
  after(ms: number, fn: () => void, label = ''): EventHandle {
    return this.schedule(this.nowMs + (ms > 0 ? ms : 0), fn, label);
  }

  /** Cancels a pending event; false when it already ran or was cancelled. */
  cancel(h: EventHandle): boolean {
    return this.queue.remove(h);
  }

  /** Observes every event before it runs (traces, determinism checks). Returns an unsubscribe. */
  onTrace(fn: (r: TraceRecord) => void): () => void {
    return addHook(this.traceHooks, fn);
  }

  /** Runs after every event (invariant checks: throw to stop the run). Returns an unsubscribe. */
  afterEach(fn: (r: TraceRecord) => void): () => void {
    return addHook(this.afterHooks, fn);
  }

  /** Runs the next event; false when none is left. */
  step(): boolean {
    const e = this.queue.pop();
    if (!e) return false;
    this.nowMs = e.at;
    this.executed++;
    this.onEvent?.(e.at, e.seq);
    const rec: TraceRecord | null =
      this.traceHooks.length + this.afterHooks.length > 0 ? { at: e.at, seq: e.seq, label: e.label } : null;
    if (rec) for (const h of this.traceHooks) h(rec);
    e.fn();
    if (rec) for (const h of this.afterHooks) h(rec);
    return true;
  }

  /** Runs every event due at or before t, then sets the clock to t. Returns the number of events run. */
  runUntil(t: number): number {
    let n = 0;
    for (;;) {
      const next = this.queue.peek();
      if (!next || next.at > t) break;
      this.step();
      n++;
    }
    this.nowMs = Math.max(this.nowMs, t);
    return n;
  }

  runFor(ms: number): number {
    return this.runUntil(this.nowMs + ms);
  }

  /** Runs until no events remain, failing loudly past `limit` events (a livelock or a forgotten every()). */
  runUntilIdle(limit = 1_000_000): number {
    let n = 0;
    while (this.step()) if (++n > limit) throw new Error(`scheduler did not go idle within ${limit} events`);
    return n;
  }

  // The async variants let promise continuations (async ports: disk, connect, sleep) run after every
  // event, so code written with await behaves as it would on the real event loop, minus real time.

  async runUntilAsync(t: number): Promise<number> {
    let n = 0;
    for (;;) {
      await flushMicrotasks();
      const next = this.queue.peek();
      if (!next || next.at > t) break;
      this.step();
      n++;
    }
    this.nowMs = Math.max(this.nowMs, t);
    await flushMicrotasks();
    return n;
  }

  runForAsync(ms: number): Promise<number> {
    return this.runUntilAsync(this.nowMs + ms);
  }

  async runUntilIdleAsync(limit = 1_000_000): Promise<number> {
    let n = 0;
    for (;;) {
      await flushMicrotasks();
      if (!this.step()) return n;
      if (++n > limit) throw new Error(`scheduler did not go idle within ${limit} events`);
    }
  }

  /**
   * Advances virtual time event by event until `p` settles, and returns its outcome. Rejects with a
   * timeout error when `maxMs` of virtual time pass first (or nothing is left to run that could settle it).
   */
  async settle<T>(p: Promise<T>, maxMs = 60_000): Promise<T> {
    let done = false;
    const watched = p.finally(() => void (done = true));
    watched.catch(() => {}); // the caller sees the rejection through the return value
    const end = this.nowMs + maxMs;
    await flushMicrotasks();
    while (!done) {
      const next = this.queue.peek();
      if (!next || next.at > end) {
        throw new Error(`settle: promise still pending after ${maxMs} ms of virtual time (t=${this.nowMs})`);
      }
      this.step();
      await flushMicrotasks();
    }
    return watched;
  }

  /** The Clock port on this timeline (see clock.ts for per-node offsets). */
  clock(opts?: SimClockOptions): SimClock {
    return new SimClock(this, opts);
  }

  /** The Timers port on this timeline; `name` labels its events in traces. */
  timers(name = ''): SimTimers {
    return new SimTimers(this, name);
  }
}

function addHook<F>(list: F[], fn: F): () => void {
  list.push(fn);
  return () => {
    const i = list.indexOf(fn);
    if (i >= 0) list.splice(i, 1);
  };
}
