// Vivaldi network coordinates as Serf keeps them (reference/gossip-protocol.md §15): 8 dimensions plus
// a height, an error estimate and an adjustment; updated from ping RTTs filtered by a 3-sample median.

import type { Rng } from '../../runtime/rng.js';
import { MsgReader, MsgWriter } from '../../codec/msgpack.js';
import { readStruct, writeStruct, type Field } from '../../codec/struct.js';
import { distance, rawDistance } from '../../lib/coordinate-distance.js';

export { distance, rawDistance };

export interface Coordinate {
  vec: number[];
  error: number;
  adjustment: number;
  height: number;
}

const DIMENSIONS = 8;
const ERROR_MAX = 1.5;
const CE = 0.25;
const CC = 0.25;
const ADJUSTMENT_WINDOW = 20;
const HEIGHT_MIN = 10e-6;
const LATENCY_FILTER = 3;
const GRAVITY_RHO = 150;
const ZERO = 1e-6;
/** RTTs above this are discarded as bogus (seconds). */
const MAX_RTT = 10;

export function newCoordinate(): Coordinate {
  return { vec: Array<number>(DIMENSIONS).fill(0), error: ERROR_MAX, adjustment: 0, height: HEIGHT_MIN };
}

function diff(a: number[], b: number[]): number[] {
  return a.map((x, i) => x - (b[i] ?? 0));
}

function magnitude(v: number[]): number {
  return Math.sqrt(v.reduce((s, x) => s + x * x, 0));
}

function valid(c: Coordinate): boolean {
  return [...c.vec, c.error, c.adjustment, c.height].every(Number.isFinite);
}

export class VivaldiClient {
  private coord = newCoordinate();
  private readonly origin = newCoordinate();
  private readonly samples = Array<number>(ADJUSTMENT_WINDOW).fill(0);
  private sampleIndex = 0;
  private readonly latency = new Map<string, number[]>();
  /** Times the coordinate went non-finite and was reset (Serf's coordinate_resets). */
  resets = 0;

  constructor(private readonly rng: Rng) {}

  coordinate(): Coordinate {
    return { ...this.coord, vec: [...this.coord.vec] };
  }

  forget(node: string): void {
    this.latency.delete(node);
  }

  /** Folds one RTT observation in; false when the sample is rejected. */
  update(node: string, other: Coordinate, rttMs: number): boolean {
    const rtt = rttMs / 1000;
    if (!(rtt >= 0 && rtt <= MAX_RTT) || other.vec.length !== DIMENSIONS || !valid(other)) return false;
    const hist = this.latency.get(node) ?? [];
    hist.push(rtt);
    if (hist.length > LATENCY_FILTER) hist.shift();
    this.latency.set(node, hist);
    const sorted = [...hist].sort((a, b) => a - b);
    const filtered = sorted[Math.floor(sorted.length / 2)]!;
    this.updateVivaldi(other, filtered);
    this.updateAdjustment(other, filtered);
    this.applyForce(-Math.pow(distance(this.origin, this.coord) / GRAVITY_RHO, 2), this.origin);
    if (!valid(this.coord)) {
      this.coord = newCoordinate();
      this.resets++;
      return false;
    }
    return true;
  }

  private updateVivaldi(other: Coordinate, rttIn: number): void {
    const dist = distance(this.coord, other);
    const rtt = Math.max(rttIn, ZERO);
    const wrongness = Math.abs(dist - rtt) / rtt;
    const total = Math.max(this.coord.error + other.error, ZERO);
    const weight = this.coord.error / total;
    this.coord.error = Math.min(CE * weight * wrongness + this.coord.error * (1 - CE * weight), ERROR_MAX);
    this.applyForce(CC * weight * (rtt - dist), other);
  }

  private updateAdjustment(other: Coordinate, rtt: number): void {
    this.samples[this.sampleIndex] = rtt - rawDistance(this.coord, other);
    this.sampleIndex = (this.sampleIndex + 1) % ADJUSTMENT_WINDOW;
    this.coord.adjustment = this.samples.reduce((s, x) => s + x, 0) / (2 * ADJUSTMENT_WINDOW);
  }

  private applyForce(force: number, other: Coordinate): void {
    let unit = diff(this.coord.vec, other.vec);
    const mag = magnitude(unit);
    if (mag > ZERO) unit = unit.map((x) => x / mag);
    else {
      // Coincident points: push in a random direction.
      unit = unit.map(() => this.rng.float() - 0.5);
      const m = magnitude(unit);
      unit = m > ZERO ? unit.map((x) => x / m) : unit.map((_, i) => (i === 0 ? 1 : 0));
    }
    this.coord.vec = this.coord.vec.map((x, i) => x + unit[i]! * force);
    if (mag > ZERO) {
      this.coord.height = Math.max(
        (this.coord.height + other.height) * (force / mag) + this.coord.height,
        HEIGHT_MIN,
      );
    }
  }
}

const SCHEMA: readonly Field[] = [
  { name: 'Adjustment', kind: 'float' },
  { name: 'Error', kind: 'float' },
  { name: 'Height', kind: 'float' },
  { name: 'Vec', kind: 'floatList' },
];

/** The ack payload a Serf node sends: version byte 1 + msgpack Coordinate. */
export function encodePingPayload(c: Coordinate): Uint8Array {
  const w = new MsgWriter('v05');
  writeStruct(w, SCHEMA, { Adjustment: c.adjustment, Error: c.error, Height: c.height, Vec: c.vec });
  const body = w.bytes();
  const out = new Uint8Array(1 + body.length);
  out[0] = 1;
  out.set(body, 1);
  return out;
}

export function decodePingPayload(p: Uint8Array): Coordinate | null {
  if (p[0] !== 1) return null;
  try {
    const f = readStruct(new MsgReader(p.subarray(1)).read(), SCHEMA);
    return {
      adjustment: Number(f.Adjustment),
      error: Number(f.Error),
      height: Number(f.Height),
      vec: f.Vec as number[],
    };
  } catch {
    return null;
  }
}
