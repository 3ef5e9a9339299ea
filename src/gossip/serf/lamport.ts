// Serf's Lamport clocks (reference/gossip-protocol.md §14.3).

export class LamportClock {
  constructor(private t = 0) {}

  time(): number {
    return this.t;
  }

  increment(): number {
    return ++this.t;
  }

  /** Seeing time v moves the clock past it. */
  witness(v: number): void {
    if (v >= this.t) this.t = v + 1;
  }
}
