// Blocking-query support: a waiter sleeps until a write touches what it watches. A write wakes only the
// waiters whose key or prefix it matches (a watch on a missing key wakes only when that key appears).
// Exact-key waiters are kept by key, so a write costs the waiters of its own key plus the prefix
// waiters, however many others sleep on other keys. A write that wakes many (10,000 watchers of one
// key) wakes them WAKE_BATCH at a time on successive turns when a `defer` is set: each batch's answers
// are written out and their buffers freed before the next, instead of all of them living at once
// (which made every young-generation GC in the burst copy them all, several times over).

/** Waiters woken per turn when a wake-up is spread over turns. */
export const WAKE_BATCH = 256;

export interface Waiter {
  /** Exact key, or a prefix when `prefix` is true. */
  key: string;
  prefix: boolean;
  wake: () => void;
}

export class WatchSet {
  private readonly exact = new Map<string, Set<Waiter>>();
  private readonly prefixes = new Set<Waiter>();
  private count = 0;
  /** Runs fn on a later turn (the server sets it from its Timers port); null wakes everyone at once. */
  defer: ((fn: () => void) => void) | null = null;

  add(w: Waiter): () => void {
    if (w.prefix) this.prefixes.add(w);
    else {
      let s = this.exact.get(w.key);
      if (!s) this.exact.set(w.key, (s = new Set()));
      s.add(w);
    }
    this.count++;
    return () => void this.remove(w);
  }

  private remove(w: Waiter): boolean {
    let gone: boolean;
    if (w.prefix) gone = this.prefixes.delete(w);
    else {
      const s = this.exact.get(w.key);
      gone = s?.delete(w) ?? false;
      if (s && s.size === 0) this.exact.delete(w.key);
    }
    if (gone) this.count--;
    return gone;
  }

  private wakeAll(ws: Iterable<Waiter>): void {
    // Removed before any wakes: a waker may re-arm on the same key, which must not wake it again now.
    const doomed = [...ws].filter((w) => this.remove(w));
    const defer = this.defer;
    if (defer === null || doomed.length <= WAKE_BATCH) {
      for (const w of doomed) w.wake();
      return;
    }
    let at = 0;
    const batch = () => {
      const end = Math.min(doomed.length, at + WAKE_BATCH);
      for (; at < end; at++) doomed[at]!.wake();
      if (at < doomed.length) defer(batch);
    };
    batch();
  }

  /** A write to `key` happened. */
  touch(key: string): void {
    const hit: Waiter[] = [...(this.exact.get(key) ?? [])];
    for (const w of this.prefixes) if (key.startsWith(w.key)) hit.push(w);
    this.wakeAll(hit);
  }

  /** A write to every key under `prefix` (delete-tree; '' wakes everyone). */
  touchPrefix(prefix: string): void {
    const hit: Waiter[] = [];
    for (const [k, s] of this.exact) if (k.startsWith(prefix)) hit.push(...s);
    for (const w of this.prefixes) if (w.key.startsWith(prefix) || prefix.startsWith(w.key)) hit.push(w);
    this.wakeAll(hit);
  }

  get size(): number {
    return this.count;
  }
}
