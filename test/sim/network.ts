// A simulated datagram network on the scheduler: per-packet seeded delay and jitter, loss, duplication
// (which with jitter also reorders), and partitions — symmetric, one-way, or isolating a node — that
// heal on command. Implements the PacketTransport port; addresses are {ip, port}.

import type { Rng } from '../../src/runtime/rng.js';
import type { Addr, PacketSocket, PacketTransport } from '../../src/runtime/transport.js';
import type { Scheduler } from './scheduler.js';

export interface LinkFaults {
  /** Base one-way delay in ms. */
  delayMs: number;
  /** Extra uniformly random delay in [0, jitterMs). */
  jitterMs: number;
  /** Probability a packet is dropped. */
  loss: number;
  /** Probability a packet is delivered twice. */
  duplicate: number;
}

const key = (a: Addr) => `${a.ip}:${a.port}`;

export class SimNetwork implements PacketTransport {
  faults: LinkFaults = { delayMs: 1, jitterMs: 0, loss: 0, duplicate: 0 };
  private readonly sockets = new Map<string, (from: Addr, data: Uint8Array) => void>();
  /** Blocked directions "fromIp>toIp". */
  private readonly blocked = new Set<string>();
  readonly stats = { sent: 0, delivered: 0, dropped: 0, duplicated: 0 };

  constructor(
    private readonly sched: Scheduler,
    private readonly rng: Rng,
  ) {}

  async bind(addr: Addr): Promise<PacketSocket> {
    const k = key(addr);
    if (this.sockets.has(k)) throw new Error(`bind ${k}: address already in use`);
    let handler: (from: Addr, data: Uint8Array) => void = () => {};
    this.sockets.set(k, (from, data) => handler(from, data));
    return {
      local: addr,
      send: (to, data) => this.send(addr, to, data),
      onPacket: (fn) => void (handler = fn),
      close: async () => void this.sockets.delete(k),
    };
  }

  private send(from: Addr, to: Addr, data: Uint8Array): void {
    this.stats.sent++;
    if (this.blocked.has(`${from.ip}>${to.ip}`) || this.rng.float() < this.faults.loss) {
      this.stats.dropped++;
      return;
    }
    const copies = this.rng.float() < this.faults.duplicate ? 2 : 1;
    if (copies === 2) this.stats.duplicated++;
    const payload = data.slice();
    for (let i = 0; i < copies; i++) {
      const delay = this.faults.delayMs + this.rng.float() * this.faults.jitterMs;
      this.sched.after(delay, () => {
        const h = this.sockets.get(key(to));
        if (!h) return;
        this.stats.delivered++;
        h(from, payload);
      });
    }
  }

  /** Cuts traffic between two groups of IPs in both directions (or only a→b when oneWay). */
  partition(a: readonly string[], b: readonly string[], oneWay = false): void {
    for (const x of a)
      for (const y of b) {
        this.blocked.add(`${x}>${y}`);
        if (!oneWay) this.blocked.add(`${y}>${x}`);
      }
  }

  /** Cuts one IP off from all the others. */
  isolate(ip: string, others: readonly string[]): void {
    this.partition(
      [ip],
      others.filter((o) => o !== ip),
    );
  }

  heal(): void {
    this.blocked.clear();
  }
}
