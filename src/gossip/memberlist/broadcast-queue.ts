// memberlist's transmit-limited queue (reference/gossip-protocol.md §12): each message goes out at most
// retransmitMult × ⌈log10(n+1)⌉ times, least-sent and then largest first; a newer message about the
// same node replaces a queued one. Serf keeps its own queues of the same kind (without replacement).

import { retransmitLimit } from './config.js';

interface Item {
  key: string | null;
  msg: Uint8Array;
  transmits: number;
  id: number;
  onDone: (() => void) | undefined;
}

export class BroadcastQueue {
  private items: Item[] = [];
  private nextId = 0;

  constructor(
    private readonly retransmitMult: number,
    private readonly numNodes: () => number,
    /** Bound: beyond it the oldest, most-sent messages are dropped (Serf's MaxQueueDepth policy). */
    private readonly maxDepth = 4096,
  ) {}

  get length(): number {
    return this.items.length;
  }

  /** Queues a message; `key` (a node name) invalidates an earlier message with the same key. */
  queue(msg: Uint8Array, key: string | null = null, onDone?: () => void): void {
    if (key !== null) {
      const i = this.items.findIndex((x) => x.key === key);
      if (i >= 0) {
        this.items[i]!.onDone?.();
        this.items.splice(i, 1);
      }
    }
    this.items.push({ key, msg, transmits: 0, id: this.nextId++, onDone });
    if (this.items.length > this.maxDepth) {
      this.sort();
      for (const x of this.items.splice(this.maxDepth)) x.onDone?.();
    }
  }

  private sort(): void {
    this.items.sort((a, b) => a.transmits - b.transmits || b.msg.length - a.msg.length || b.id - a.id);
  }

  /**
   * Messages that fit in `limit` bytes, each costing its length + `overhead`. Each returned message
   * counts one transmission; those that reach the limit leave the queue.
   */
  take(overhead: number, limit: number): Uint8Array[] {
    if (this.items.length === 0) return [];
    this.sort();
    const max = retransmitLimit(this.retransmitMult, this.numNodes());
    const out: Uint8Array[] = [];
    let used = 0;
    const keep: Item[] = [];
    for (const x of this.items) {
      if (used + overhead + x.msg.length > limit) {
        keep.push(x);
        continue;
      }
      used += overhead + x.msg.length;
      out.push(x.msg);
      x.transmits++;
      if (x.transmits >= max) x.onDone?.();
      else keep.push(x);
    }
    this.items = keep;
    return out;
  }

  clear(): void {
    for (const x of this.items) x.onDone?.();
    this.items = [];
  }
}
