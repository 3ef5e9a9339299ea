// Rng port: every random choice goes through one of these, so a seed fixes a simulated run.

export interface Rng {
  /** Uniform float in [0, 1). */
  float(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** n random bytes. */
  bytes(n: number): Uint8Array;
  /** An independent stream for a component, derived from this one and a label. */
  fork(label: string): Rng;
}

/** RFC 4122 version-4 UUID text from an Rng (lower-case hex, as Consul prints node IDs). */
export function uuidFrom(rng: Rng): string {
  const b = rng.bytes(16);
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
