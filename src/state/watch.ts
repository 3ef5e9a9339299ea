// Blocking-query support: a waiter sleeps until a write touches what it watches. A write wakes only the
// waiters whose key or prefix it matches (a watch on a missing key wakes only when that key appears).

export interface Waiter {
  /** Exact key, or a prefix when `prefix` is true. */
  key: string;
  prefix: boolean;
  wake: () => void;
}

export class WatchSet {
  private readonly waiters = new Set<Waiter>();

  add(w: Waiter): () => void {
    this.waiters.add(w);
    return () => void this.waiters.delete(w);
  }

  /** A write to `key` happened. */
  touch(key: string): void {
    for (const w of [...this.waiters]) {
      if (w.prefix ? key.startsWith(w.key) : key === w.key) {
        this.waiters.delete(w);
        w.wake();
      }
    }
  }

  /** A write to every key under `prefix` (delete-tree). */
  touchPrefix(prefix: string): void {
    for (const w of [...this.waiters]) {
      if (w.key.startsWith(prefix) || (w.prefix && prefix.startsWith(w.key))) {
        this.waiters.delete(w);
        w.wake();
      }
    }
  }

  get size(): number {
    return this.waiters.size;
  }
}
