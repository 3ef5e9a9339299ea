// A binary min-heap with handles, so entries can be removed or re-keyed in O(log n): the timer queue
// of the simulator, and of agents with thousands of check intervals.

export interface HeapHandle<T> {
  readonly value: T;
}

interface Entry<T> extends HeapHandle<T> {
  value: T;
  index: number;
}

export class MinHeap<T> {
  private readonly items: Entry<T>[] = [];

  constructor(private readonly less: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  push(value: T): HeapHandle<T> {
    const e: Entry<T> = { value, index: this.items.length };
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

  /** Removes an entry; false when it was already gone. */
  remove(h: HeapHandle<T>): boolean {
    const e = h as Entry<T>;
    if (e.index < 0 || this.items[e.index] !== e) return false;
    this.removeAt(e.index);
    return true;
  }

  /** Re-positions an entry after its value's key changed. */
  update(h: HeapHandle<T>, value: T): void {
    const e = h as Entry<T>;
    e.value = value;
    this.up(e.index);
    this.down(e.index);
  }

  private removeAt(i: number): void {
    const last = this.items.pop()!;
    const gone = this.items[i] ?? last;
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
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < this.items.length && this.less(this.items[l]!.value, this.items[m]!.value)) m = l;
      if (r < this.items.length && this.less(this.items[r]!.value, this.items[m]!.value)) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }
}
