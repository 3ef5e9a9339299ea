// memberlist's transmit-limited queue (reference/gossip-protocol.md §12): each message goes out at most
// retransmitMult × ⌈log10(n+1)⌉ times, least-sent and then largest first; a newer message about the
// same node replaces a queued one. Serf keeps its own queues of the same kind (without replacement).
// Messages live in buckets by transmit count, each kept in take order; replaced messages are only
// marked, and a take stops scanning once nothing more fits, so it costs little with thousands of
// queued messages (memberlist uses a btree for the same reason).

import { retransmitLimit } from './config.js';

interface Item {
  key: string | null;
  msg: Uint8Array;
  transmits: number;
  id: number;
  onDone: (() => void) | undefined;
  /** Invalidated or evicted: skipped and dropped by the next take that meets it. */
  dead: boolean;
}

/** Take order within a bucket: largest first, then newest. */
const before = (a: Item, b: Item) => b.msg.length - a.msg.length || b.id - a.id;

export class BroadcastQueue {
  /** Transmit count → live and dead items, kept in take order by binary insertion. */
  private readonly buckets = new Map<number, Item[]>();
  private readonly byKey = new Map<string, Item>();
  /** The bucket keys in order, rebuilt only when a bucket appears or goes. */
  private sortedKeys: number[] | null = null;
  private count = 0;
  private nextId = 0;

  constructor(
    private readonly retransmitMult: number,
    private readonly numNodes: () => number,
    /** Bound: beyond it the most-sent messages are dropped first (Serf's MaxQueueDepth policy). */
    private readonly maxDepth = 4096,
  ) {}

  get length(): number {
    return this.count;
  }

  private add(x: Item): void {
    let b = this.buckets.get(x.transmits);
    if (!b) {
      this.buckets.set(x.transmits, (b = []));
      this.sortedKeys = null;
    }
    let lo = 0;
    let hi = b.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (before(b[mid]!, x) <= 0) lo = mid + 1;
      else hi = mid;
    }
    if (lo === b.length) b.push(x);
    else b.splice(lo, 0, x);
    this.count++;
    if (x.key !== null) this.byKey.set(x.key, x);
  }

  /** O(1): the item stays in its bucket, marked, until a take or an eviction passes it. */
  private kill(x: Item): void {
    if (x.dead) return;
    x.dead = true;
    this.count--;
    if (x.key !== null && this.byKey.get(x.key) === x) this.byKey.delete(x.key);
  }

  /** Queues a message; `key` (a node name) invalidates an earlier message with the same key. */
  queue(msg: Uint8Array, key: string | null = null, onDone?: () => void): void {
    if (key !== null) {
      const old = this.byKey.get(key);
      if (old) {
        this.kill(old);
        old.onDone?.();
      }
    }
    this.add({ key, msg, transmits: 0, id: this.nextId++, onDone, dead: false });
    while (this.count > this.maxDepth) {
      const worst = Math.max(...this.buckets.keys());
      const b = this.buckets.get(worst)!;
      const victim = b.pop()!;
      if (b.length === 0) {
        this.buckets.delete(worst);
        this.sortedKeys = null;
      }
      if (victim.dead) continue;
      this.kill(victim);
      victim.onDone?.();
    }
  }

  /**
   * Messages that fit in `limit` bytes, each costing its length + `overhead`. Each returned message
   * counts one transmission; those that reach the limit leave the queue.
   */
  take(overhead: number, limit: number): Uint8Array[] {
    if (this.count === 0) return [];
    const max = retransmitLimit(this.retransmitMult, this.numNodes());
    const out: Uint8Array[] = [];
    const moved: Item[] = [];
    let used = 0;
    let keys = this.sortedKeys;
    if (keys === null) keys = this.sortedKeys = [...this.buckets.keys()].sort((a, b) => a - b);
    for (const t of keys) {
      const b = this.buckets.get(t);
      if (!b) continue;
      // Items are largest first: once even the bucket's smallest cannot fit, nothing in it will.
      const smallest = b[b.length - 1]!.msg.length;
      if (used + overhead + smallest > limit) continue;
      const kept: Item[] = [];
      let i = 0;
      for (; i < b.length; i++) {
        const x = b[i]!;
        if (x.dead) continue;
        if (used + overhead + x.msg.length > limit) {
          kept.push(x);
          if (used + overhead + smallest > limit) {
            i++;
            break;
          }
          continue;
        }
        used += overhead + x.msg.length;
        out.push(x.msg);
        moved.push(x);
      }
      // Only the scanned prefix changes; the rest stays in place.
      if (kept.length === 0 && i === b.length) {
        this.buckets.delete(t);
        this.sortedKeys = null;
      } else if (kept.length !== i) b.splice(0, i, ...kept);
      if (used + overhead >= limit) break;
    }
    for (const x of moved) {
      this.count--;
      if (x.key !== null && this.byKey.get(x.key) === x) this.byKey.delete(x.key);
      x.transmits++;
      if (x.transmits >= max) x.onDone?.();
      else this.add(x);
    }
    return out;
  }

  clear(): void {
    for (const b of this.buckets.values()) for (const x of b) if (!x.dead) x.onDone?.();
    this.buckets.clear();
    this.sortedKeys = null;
    this.byKey.clear();
    this.count = 0;
  }
}
