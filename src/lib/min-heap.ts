// A binary min-heap with handles, so entries can be removed or re-keyed in O(log n): the timer queue
// of the simulator, and of agents with thousands of check intervals. The heap is not stable: callers
// that need FIFO among equal keys put a sequence number into their ordering (as the scheduler does).

export interface HeapHandle<T> {
  readonly value: T;
}

interface Entry<T> extends HeapHandle<T> {
  value: T;
  /** Position in the array, -1 once removed. */
  index: number;
  /** Which heap owns the entry, so a foreign handle cannot corrupt this one. */
  owner: MinHeap<T>;
}

export class MinHeap<T> {
  private readonly items: Entry<T>[] = [];

  /** `less(a, b)` is true when a must come out before b (a strict weak order). */
  constructor(private readonly less: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  push(value: T): HeapHandle<T> {
    const e: Entry<T> = { value, index: this.items.length, owner: this };
    this.items.push(e);
    this.up(e.index);
    return e;
  }

  peek(): T | undefined {
    return this.items[0]?.value;
  }

  pop(): T | undefined {
    const top = this.items[0];
    if (!top) return undefined;
    this.removeAt(0);
    return top.value;
  }

  /** True while the entry is still in this heap. */
  has(h: HeapHandle<T>): boolean {
    const e = h as Entry<T>;
    return e.owner === this && e.index >= 0 && this.items[e.index] === e;
  }

  /** Removes an entry; false when it was already gone. */
  remove(h: HeapHandle<T>): boolean {
    if (!this.has(h)) return false;
    this.removeAt((h as Entry<T>).index);
    return true;
  }

  /** Gives an entry a new value and re-positions it; false (and no change) when it is gone. */
  update(h: HeapHandle<T>, value: T): boolean {
    if (!this.has(h)) return false;
    const e = h as Entry<T>;
    e.value = value;
    this.up(e.index);
    this.down(e.index);
    return true;
  }

  /** Drops every entry (their handles report gone). */
  clear(): void {
    for (const e of this.items) e.index = -1;
    this.items.length = 0;
  }

  private removeAt(i: number): void {
    const gone = this.items[i]!;
    const last = this.items.pop()!;
    gone.index = -1;
    if (i < this.items.length) {
      this.items[i] = last;
      last.index = i;
      this.up(i);
      this.down(i);
    }
  }

  private swap(i: number, j: number): void {
    const a = this.items[i]!;
    const b = this.items[j]!;
    this.items[i] = b;
    this.items[j] = a;
    a.index = j;
    b.index = i;
  }

  private up(i: number): void {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(this.items[i]!.value, this.items[p]!.value)) break;
      this.swap(i, p);
      i = p;
    }
  }

  private down(i: number): void {
    const n = this.items.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.less(this.items[l]!.value, this.items[m]!.value)) m = l;
      if (r < n && this.less(this.items[r]!.value, this.items[m]!.value)) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }
}
