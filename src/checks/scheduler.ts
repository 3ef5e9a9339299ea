// One timer queue for every interval check of an agent: a min-heap of deadlines and a single platform
// timer armed for the earliest one, so thousands of checks cost one timer, not one each. A check's
// deadlines stay on its grid (first + k·interval): the next run is the previous deadline plus the
// interval, however late the previous run fired or however long it took, and a run still in flight
// when its next deadline passes skips that slot (runs of one check never overlap, as in Consul, where
// each check is one goroutine).

import { MinHeap, type HeapHandle } from '../lib/min-heap.js';
import type { Clock } from '../runtime/clock.js';
import type { TimerHandle, Timers } from '../runtime/timers.js';

/**
 * One wakeup runs every deadline up to this far past the one it fired for (those run early by at most
 * this; the deadlines themselves do not move). Staggered checks are spread thinly over their interval,
 * so without batching each run costs a wakeup of its own: 5,000 checks every 10 s took ~14.5% of a core
 * with a 1 ms window and ~11% with 10 ms, as much as unstaggered ones (bench/checks-5000.mjs). It also
 * covers a platform timer firing a little before its deadline (Node rounds to whole ms).
 */
export const BATCH_MS = 10;

interface Job {
  readonly intervalMs: number;
  readonly run: () => void | Promise<unknown>;
  cancelled: boolean;
  /** The job's place in the heap; null while its run is in flight (or once cancelled). */
  slot: HeapHandle<Slot> | null;
}

interface Slot {
  at: number;
  /** Insertion order, so jobs due at the same instant run in the order they were scheduled. */
  seq: number;
  job: Job;
}

export class CheckScheduler {
  private readonly heap = new MinHeap<Slot>((a, b) => a.at < b.at || (a.at === b.at && a.seq < b.seq));
  private seq = 0;
  private timer: TimerHandle | null = null;
  /** The deadline the platform timer is armed for (Infinity when none is). */
  private armedFor = Infinity;
  /** Without a Clock, time is taken to be the deadline last fired (timers assumed punctual). */
  private virtualNow = 0;

  constructor(
    private readonly timers: Timers,
    private readonly clock?: Clock,
  ) {}

  /** Jobs waiting for a deadline (a job whose run is in flight is not counted until it returns). */
  get size(): number {
    return this.heap.size;
  }

  /**
   * Runs `run` first `firstDelayMs` from now, then on every interval after that deadline. A returned
   * promise holds the next run back until it settles. cancel() stops the job (a run in flight ends
   * on its own; nothing runs after it).
   */
  every(intervalMs: number, firstDelayMs: number, run: () => void | Promise<unknown>): TimerHandle {
    if (!(intervalMs > 0)) throw new RangeError(`CheckScheduler.every: interval ${intervalMs} ms`);
    const job: Job = { intervalMs, run, cancelled: false, slot: null };
    this.push(job, this.now() + Math.max(0, firstDelayMs));
    return {
      cancel: () => {
        if (job.cancelled) return;
        job.cancelled = true;
        // Removing the earliest slot leaves the platform timer armed; it fires, finds nothing due and
        // re-arms for what is then earliest (cheaper than re-arming on every cancel).
        if (job.slot) this.heap.remove(job.slot);
        job.slot = null;
        if (this.heap.size === 0) this.disarm();
      },
    };
  }

  /** Drops every job and cancels the platform timer. */
  stop(): void {
    for (let s = this.heap.pop(); s; s = this.heap.pop()) {
      s.job.cancelled = true;
      s.job.slot = null;
    }
    this.disarm();
  }

  private now(): number {
    return this.clock ? this.clock.monotonicMs() : this.virtualNow;
  }

  private push(job: Job, at: number): void {
    job.slot = this.heap.push({ at, seq: this.seq++, job });
    this.arm();
  }

  private disarm(): void {
    this.timer?.cancel();
    this.timer = null;
    this.armedFor = Infinity;
  }

  /** Arms the platform timer for the earliest deadline unless it is armed for that or earlier. */
  private arm(): void {
    const top = this.heap.peek();
    if (!top) return this.disarm();
    if (this.timer && this.armedFor <= top.at) return;
    this.timer?.cancel();
    this.armedFor = top.at;
    this.timer = this.timers.after(Math.max(0, top.at - this.now()), () => this.fire());
  }

  private fire(): void {
    this.timer = null;
    if (!this.clock) this.virtualNow = Math.max(this.virtualNow, this.armedFor);
    this.armedFor = Infinity;
    const now = this.now();
    const due: Slot[] = [];
    for (let top = this.heap.peek(); top && top.at <= now + BATCH_MS; top = this.heap.peek()) {
      this.heap.pop();
      top.job.slot = null;
      due.push(top);
    }
    for (const slot of due) this.start(slot);
    this.arm();
  }

  private start(slot: Slot): void {
    const { job } = slot;
    if (job.cancelled) return;
    const r = job.run();
    if (r && typeof r.then === 'function')
      r.then(
        () => this.again(slot),
        () => this.again(slot),
      );
    else this.again(slot);
  }

  /** The job's next deadline on its grid: the first that has not passed (missed slots are skipped). */
  private again(slot: Slot): void {
    const { job } = slot;
    if (job.cancelled) return;
    const late = this.now() - slot.at;
    const k = Math.max(1, Math.ceil(late / job.intervalMs));
    this.push(job, slot.at + k * job.intervalMs);
  }
}
