// Lifeguard's suspicion timer (reference/gossip-protocol.md §12): it starts at `max` when k
// independent confirmations are expected and shrinks towards `min` as distinct peers confirm,
// following max − (ln(c+1)/ln(k+1))·(max − min).

import type { AlarmHandle, Alarms } from '../../lib/alarms.js';

export class Suspicion {
  private readonly confirmedBy = new Set<string>();
  private n = 0;
  private alarm: AlarmHandle;
  private fired = false;

  constructor(
    from: string,
    private readonly k: number,
    private readonly minMs: number,
    private readonly maxMs: number,
    private readonly start: number,
    private readonly alarms: Alarms,
    private readonly onTimeout: () => void,
  ) {
    // The accuser itself never counts as a confirmation.
    this.confirmedBy.add(from);
    this.alarm = this.arm(start + (k < 1 ? minMs : maxMs));
  }

  get confirmations(): number {
    return this.n;
  }

  /** Time from the start until the timer fires, given c confirmations. */
  static timeoutMs(c: number, k: number, minMs: number, maxMs: number): number {
    if (k < 1) return minMs;
    const frac = Math.log(c + 1) / Math.log(k + 1);
    const raw = Math.floor(maxMs - frac * (maxMs - minMs));
    return Math.max(raw, minMs);
  }

  /** Records a confirmation; true if it was new (and should be rebroadcast). */
  confirm(from: string, now: number): boolean {
    if (this.fired || this.n >= this.k || this.confirmedBy.has(from)) return false;
    this.confirmedBy.add(from);
    this.n++;
    this.alarm.cancel();
    this.alarm = this.arm(
      Math.max(now, this.start + Suspicion.timeoutMs(this.n, this.k, this.minMs, this.maxMs)),
    );
    return true;
  }

  stop(): void {
    this.alarm.cancel();
  }

  private arm(at: number): AlarmHandle {
    return this.alarms.at(at, () => {
      this.fired = true;
      this.onTimeout();
    });
  }
}
