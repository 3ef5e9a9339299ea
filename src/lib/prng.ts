// A small, fast, seeded PRNG (sfc32 seeded through splitmix32) usable as the Rng port, so a seed
// fixes every random choice of a simulated run. fork(label) derives an independent stream from the
// stream's identity (root seed and fork path) and the label alone — never from how many numbers were
// drawn — so adding a component, or a draw in one component, does not shift any other stream.

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** FNV-1a over the label's UTF-16 units, keyed by the parent's seed. */
function hashLabel(seed: number, label: string): number {
  let h = (seed ^ 0x811c9dc5) >>> 0;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

const TWO_POW_32 = 4294967296;

// Structurally an Rng (runtime/rng.ts); lib sits below runtime, so it does not name the port.
export class SeededRng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  /** The 32-bit seed this stream was built from (forks have derived seeds). */
  readonly seed: number;

  constructor(seed: number) {
    // Seeds beyond 32 bits (SIM_SEED=<big>) fold their high word in rather than being silently cut.
    if (!Number.isSafeInteger(seed))
      throw new RangeError(`SeededRng: seed must be a safe integer, got ${seed}`);
    const high = seed >= TWO_POW_32 ? Math.floor(seed / TWO_POW_32) >>> 0 : 0;
    const folded = (seed >>> 0) ^ Math.imul(high, 0x9e3779b1);
    this.seed = folded >>> 0;
    const sm = splitmix32(this.seed);
    this.a = sm();
    this.b = sm();
    this.c = sm();
    this.d = sm();
    for (let i = 0; i < 12; i++) this.next();
  }

  /** Next 32-bit unsigned integer (sfc32). */
  next(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** Uniform float in [0, 1) with 53 random bits. */
  float(): number {
    return ((this.next() >>> 5) * 67108864 + (this.next() >>> 6)) / 9007199254740992;
  }

  /** Uniform integer in [0, n); n must be positive (an empty range is a caller bug). */
  int(n: number): number {
    if (!(n > 0) || n > Number.MAX_SAFE_INTEGER) throw new RangeError(`SeededRng.int: bad bound ${n}`);
    return Math.floor(this.float() * n);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return p > 0 && this.float() < p;
  }

  /** A uniformly chosen element; the array must not be empty. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  /** Fisher–Yates shuffle in place; returns the array. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = items[i]!;
      items[i] = items[j]!;
      items[j] = t;
    }
    return items;
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i += 4) {
      const v = this.next();
      for (let k = 0; k < 4 && i + k < n; k++) out[i + k] = (v >>> (8 * k)) & 0xff;
    }
    return out;
  }

  fork(label: string): SeededRng {
    return new SeededRng(hashLabel(this.seed, label));
  }
}
