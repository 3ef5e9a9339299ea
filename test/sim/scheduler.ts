// Virtual time. Events run in (time, insertion order) order; nothing happens between events, so a run is
// a pure function of its seed and inputs. Provides the Clock and Timers ports on that timeline.

import { MinHeap, type HeapHandle } from '../../src/lib/min-heap.js';
import type { Clock } from '../../src/runtime/clock.js';
import type { TimerHandle, Timers } from '../../src/runtime/timers.js';

interface Event {
  at: number;
  seq: number;
  fn: () => void;
}

/** Wall clock of the simulated world starts here (2026-01-01T00:00:00Z) so dates look real. */
export const SIM_EPOCH_MS = 1_767_225_600_000;

export class Scheduler {
  private nowMs = 0;
  private seq = 0;
  private readonly queue = new MinHeap<Event>((a, b) => a.at < b.at || (a.at === b.at && a.seq < b.seq));
  /** Called for every event run, with its time and sequence number (for traces). */
  onEvent: ((at: number, seq: number) => void) | null = null;

  now(): number {
    return this.nowMs;
  }

  get pending(): number {
    return this.queue.size;
  }

  /** Runs fn at virtual time `at` (never before now). */
  at(at: number, fn: () => void): HeapHandle<Event> {
    return this.queue.push({ at: Math.max(at, this.nowMs), seq: this.seq++, fn });
  }

  after(ms: number, fn: () => void): HeapHandle<Event> {
    return this.at(this.nowMs + Math.max(0, ms), fn);
  }

  cancel(h: HeapHandle<Event>): void {
    this.queue.remove(h);
  }

  /** Runs the next event; false when none is left. */
  step(): boolean {
    const e = this.queue.pop();
    if (!e) return false;
    this.nowMs = e.at;
    this.onEvent?.(e.at, e.seq);
    e.fn();
    return true;
  }

  /** Runs every event due at or before t, then sets the clock to t. */
  runUntil(t: number): void {
    for (;;) {
      const next = this.queue.peek();
      if (!next || next.at > t) break;
      this.step();
    }
    this.nowMs = Math.max(this.nowMs, t);
  }

  runFor(ms: number): void {
    this.runUntil(this.nowMs + ms);
  }

  /** Runs until no events remain, failing loudly past `limit` events (a livelock). */
  runUntilIdle(limit = 1_000_000): number {
    let n = 0;
    while (this.step()) if (++n > limit) throw new Error(`scheduler did not go idle within ${limit} events`);
    return n;
  }

  clock(): Clock {
    return { monotonicMs: () => this.nowMs, wallMs: () => SIM_EPOCH_MS + this.nowMs };
  }

  timers(): Timers {
    return {
      after: (ms: number, fn: () => void): TimerHandle => {
        const h = this.after(ms, fn);
        return { cancel: () => this.cancel(h) };
      },
      every: (ms: number, fn: () => void): TimerHandle => {
        let h: HeapHandle<Event>;
        const tick = () => {
          h = this.after(ms, tick);
          fn();
        };
        h = this.after(ms, tick);
        return { cancel: () => this.cancel(h) };
      },
    };
  }
}
