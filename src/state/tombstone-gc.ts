// The leader's KV tombstone collector, as Consul's TombstoneGC: each delete hints its Raft index; hints
// are binned by expiry time (now + TTL, rounded up to the granularity) so a burst of deletes costs one
// timer, and when a bin comes due the highest index in it is handed to `expire` — the leader then
// commits a reap of every tombstone at or below it through Raft, so every server drops the same ones.
// Only the leader runs it; losing leadership drops the pending bins (the next leader starts the clock
// again over the tombstones it finds).

import type { Clock } from '../runtime/clock.js';
import type { TimerHandle, Timers } from '../runtime/timers.js';

/** Consul's defaults: tombstones live 15 minutes, expiries are batched into 30-second bins. */
export const TOMBSTONE_TTL_MS = 15 * 60_000;
export const TOMBSTONE_GRANULARITY_MS = 30_000;

export class TombstoneGC {
  private enabled = false;
  /** Bin expiry time (monotonic ms) → highest index hinted into it, and its timer. */
  private readonly bins = new Map<number, { index: number; timer: TimerHandle }>();

  constructor(
    private readonly ports: { clock: Clock; timers: Timers },
    private readonly expire: (index: number) => void,
    private readonly ttlMs = TOMBSTONE_TTL_MS,
    private readonly granularityMs = TOMBSTONE_GRANULARITY_MS,
  ) {}

  /** On for the leader only; turning it off forgets every pending expiry. */
  setEnabled(on: boolean): void {
    if (!on) {
      for (const b of this.bins.values()) b.timer.cancel();
      this.bins.clear();
    }
    this.enabled = on;
  }

  get isEnabled(): boolean {
    return this.enabled;
  }

  /** A tombstone was written at `index` (ignored while disabled). */
  hint(index: number): void {
    if (!this.enabled || index <= 0) return;
    const now = this.ports.clock.monotonicMs();
    const at = Math.ceil((now + this.ttlMs) / this.granularityMs) * this.granularityMs;
    const bin = this.bins.get(at);
    if (bin) {
      if (index > bin.index) bin.index = index;
      return;
    }
    const timer = this.ports.timers.after(at - now, () => {
      const b = this.bins.get(at);
      this.bins.delete(at);
      if (b && this.enabled) this.expire(b.index);
    });
    this.bins.set(at, { index, timer });
  }

  /** Whether any expiry is still pending. */
  get pending(): boolean {
    return this.bins.size > 0;
  }
}
