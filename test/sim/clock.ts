// The Clock port on the scheduler's virtual time. Each simulated node may get its own clock with a
// different monotonic origin and wall offset, and a wall clock that jumps (NTP steps), so code that
// confuses the two clocks, or assumes they agree across nodes, shows up in simulation.

import type { Clock } from '../../src/runtime/clock.js';
import type { Scheduler } from './scheduler.js';

/** Wall clock of the simulated world starts here (2026-01-01T00:00:00Z) so dates look real. */
export const SIM_EPOCH_MS = 1_767_225_600_000;

export interface SimClockOptions {
  /** Monotonic reading at virtual time 0 (default 0); real monotonic clocks start anywhere. */
  monotonicOriginMs?: number;
  /** Wall-clock reading at virtual time 0 (default SIM_EPOCH_MS, 2026-01-01T00:00:00Z). */
  wallAtZeroMs?: number;
}

export class SimClock implements Clock {
  private readonly origin: number;
  private wallBase: number;

  constructor(
    private readonly sched: Scheduler,
    opts: SimClockOptions = {},
  ) {
    this.origin = opts.monotonicOriginMs ?? 0;
    this.wallBase = opts.wallAtZeroMs ?? SIM_EPOCH_MS;
  }

  monotonicMs(): number {
    return this.origin + this.sched.now();
  }

  wallMs(): number {
    return this.wallBase + this.sched.now();
  }

  /** Steps the wall clock by deltaMs (may be negative); the monotonic clock is unaffected. */
  jumpWall(deltaMs: number): void {
    this.wallBase += deltaMs;
  }
}
