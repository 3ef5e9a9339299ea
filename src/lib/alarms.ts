// Deadlines inside a synchronous protocol core: the core schedules callbacks at absolute times and its
// driver calls runDue(now) at next(); no timers or clocks are touched here, so a seed fixes the order.

import { MinHeap, type HeapHandle } from './min-heap.js';

interface Alarm {
  at: number;
  seq: number;
  fn: () => void;
}

export interface AlarmHandle {
  cancel(): void;
}

export class Alarms {
  private readonly heap = new MinHeap<Alarm>((a, b) => a.at < b.at || (a.at === b.at && a.seq < b.seq));
  private seq = 0;

  at(time: number, fn: () => void): AlarmHandle {
    const h: HeapHandle<Alarm> = this.heap.push({ at: time, seq: this.seq++, fn });
    return { cancel: () => void this.heap.remove(h) };
  }

  /** The earliest pending deadline, or undefined. */
  next(): number | undefined {
    return this.heap.peek()?.at;
  }

  /** Runs every alarm due at or before `now`, in time order (alarms they add are run too if due). */
  runDue(now: number): void {
    for (;;) {
      const top = this.heap.peek();
      if (!top || top.at > now) return;
      this.heap.pop();
      top.fn();
    }
  }

  clear(): void {
    this.heap.clear();
  }
}
