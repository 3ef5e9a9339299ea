// The Timers port on the scheduler's virtual time. A SimTimers instance belongs to one simulated node:
// cancelAll() is what a crash does to its pending timers.

import type { TimerHandle, Timers } from '../../src/runtime/timers.js';
import type { EventHandle, Scheduler } from './scheduler.js';

export class SimTimers implements Timers {
  private readonly live = new Set<{ cancel(): void }>();

  constructor(
    private readonly sched: Scheduler,
    /** Prefix of this node's event labels in traces. */
    private readonly name = '',
  ) {}

  /** Timers armed and not yet fired or cancelled (every() counts until cancelled). */
  get active(): number {
    return this.live.size;
  }

  /** fn once, ms from now; 0 (or less) means later at the same instant, never synchronously. */
  after(ms: number, fn: () => void): TimerHandle {
    const handle = {
      // `ev` is initialised below, before anyone can call cancel().
      cancel: () => {
        this.sched.cancel(ev);
        this.live.delete(handle);
      },
    };
    const ev: EventHandle = this.sched.after(
      ms,
      () => {
        this.live.delete(handle);
        fn();
      },
      this.label('after'),
    );
    this.live.add(handle);
    return handle;
  }

  /** fn every ms until cancelled; periods below 1 ms count as 1 ms, as Node's setInterval does. */
  every(ms: number, fn: () => void): TimerHandle {
    const period = ms >= 1 ? ms : 1;
    let ev: EventHandle;
    let cancelled = false;
    const tick = () => {
      ev = this.sched.after(period, tick, this.label('every'));
      fn();
    };
    const handle = {
      cancel: () => {
        cancelled = true;
        this.sched.cancel(ev);
        this.live.delete(handle);
      },
    };
    ev = this.sched.after(period, () => !cancelled && tick(), this.label('every'));
    this.live.add(handle);
    return handle;
  }

  /** Cancels every pending timer of this node (a crash or shutdown). */
  cancelAll(): void {
    for (const h of [...this.live]) h.cancel();
  }

  private label(kind: string): string {
    return this.name ? `${this.name}:${kind}` : kind;
  }
}
