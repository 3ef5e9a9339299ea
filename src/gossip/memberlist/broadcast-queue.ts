// memberlist's transmit-limited queue (reference/gossip-protocol.md §12): each message goes out at most
// retransmitMult × ⌈log10(n+1)⌉ times, least-sent and then largest first; a newer message about the
// same node replaces a queued one. Serf keeps its own queues of the same kind (without replacement).
// Messages live in buckets by transmit count, each sorted only when it changed, so a take costs
// little even with thousands of queued messages (memberlist uses a btree for the same reason).

import { retransmitLimit } from './config.js';

interface Item {
  key: string | null;
  msg: Uint8Array;
  transmits: number;
  id: number;
  onDone: (() => void) | undefined;
}

const byPriority = (a: Item, b: Item) => b.msg.length - a.msg.length || b.id - a.id;

export class BroadcastQueue {
  private readonly buckets = new Map<number, Item[]>();
  private readonly dirty = new Set<number>();
  private readonly byKey = new Map<string, Item>();
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
    if (!b) this.buckets.set(x.transmits, (b = []));
    b.push(x);
    this.dirty.add(x.transmits);
    this.count++;
    if (x.key !== null) this.byKey.set(x.key, x);
  }

  private remove(x: Item): void {
    const b = this.buckets.get(x.transmits);
    const i = b ? b.indexOf(x) : -1;
    if (i < 0) return;
    b!.splice(i, 1);
    if (b!.length === 0) this.buckets.delete(x.transmits);
    this.count--;
    if (x.key !== null && this.byKey.get(x.key) === x) this.byKey.delete(x.key);
  }

  /** Queues a message; `key` (a node name) invalidates an earlier message with the same key. */
  queue(msg: Uint8Array, key: string | null = null, onDone?: () => void): void {
    if (key !== null) {
      const old = this.byKey.get(key);
      if (old) {
        this.remove(old);
        old.onDone?.();
      }
    }
    this.add({ key, msg, transmits: 0, id: this.nextId++, onDone });
    while (this.count > this.maxDepth) {
      const worst = Math.max(...this.buckets.keys());
      const b = this.buckets.get(worst)!;
      const victim = b[b.length - 1]!;
      this.remove(victim);
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
    for (const t of [...this.buckets.keys()].sort((a, b) => a - b)) {
      const b = this.buckets.get(t)!;
      if (this.dirty.delete(t)) b.sort(byPriority);
      const keep: Item[] = [];
      for (const x of b) {
        if (used + overhead + x.msg.length > limit) {
          keep.push(x);
          continue;
        }
        used += overhead + x.msg.length;
        out.push(x.msg);
        moved.push(x);
      }
      if (keep.length === 0) this.buckets.delete(t);
      else this.buckets.set(t, keep);
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
    for (const b of this.buckets.values()) for (const x of b) x.onDone?.();
    this.buckets.clear();
    this.dirty.clear();
    this.byKey.clear();
    this.count = 0;
  }
}
