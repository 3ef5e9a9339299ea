// The RTT estimate between two Vivaldi coordinates (Consul's lib.ComputeDistance): the Euclidean
// distance of the vectors plus both heights, plus both adjustments when that stays positive; seconds.

export interface CoordinateLike {
  vec: number[];
  height: number;
  adjustment: number;
}

export function rawDistance(a: CoordinateLike, b: CoordinateLike): number {
  let sum = 0;
  for (let i = 0; i < a.vec.length; i++) {
    const d = a.vec[i]! - (b.vec[i] ?? 0);
    sum += d * d;
  }
  return Math.sqrt(sum) + a.height + b.height;
}

export function distance(a: CoordinateLike, b: CoordinateLike): number {
  const d = rawDistance(a, b);
  const adjusted = d + a.adjustment + b.adjustment;
  return adjusted > 0 ? adjusted : d;
}
