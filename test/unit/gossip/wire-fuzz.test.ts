// Mutation fuzzing of the packets captured from real Go memberlist/Serf peers
// (reference/gossip-vectors): flipped, truncated, extended or overwritten bytes never make the
// decoders throw anything but their own error types (which the driver counts and logs), and the
// incremental stream reader never throws at all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { decodePacket, decodeStream, type Packet } from '../../../src/gossip/memberlist/packet.js';
import { readStreamSoFar } from '../../../src/gossip/memberlist/frame.js';
import { WireError } from '../../../src/gossip/memberlist/messages.js';
import { decodeSerf, SerfDecodeError } from '../../../src/gossip/serf/messages.js';
import { MsgDecodeError } from '../../../src/codec/msgpack.js';
import { LzwError } from '../../../src/codec/lzw.js';
import { StructError } from '../../../src/codec/struct.js';

const DIR = new URL('../../../../../shared/reference/gossip-vectors/', import.meta.url);
const key = (f: string) =>
  new Uint8Array(Buffer.from(readFileSync(new URL(`raw/${f}`, DIR), 'utf8').trim(), 'base64'));
const KEY1 = key('key1.b64');
const KEY2 = key('key2.b64');

const FILES: Array<[string, { keys: Uint8Array[]; label: string }]> = [
  ['vectors-plain.json', { keys: [], label: '' }],
  ['vectors-memberlist.json', { keys: [], label: '' }],
  ['vectors-periodic.json', { keys: [], label: '' }],
  ['vectors-encrypted.json', { keys: [KEY1], label: '' }],
  ['vectors-keyring.json', { keys: [KEY1, KEY2], label: '' }],
  ['vectors-label.json', { keys: [], label: 'partition-a' }],
];

interface Vector {
  kind: string;
  transport: 'udp' | 'tcp';
  hex: string;
}

const vectors = FILES.flatMap(([file, opts]) =>
  (JSON.parse(readFileSync(new URL(file, DIR), 'utf8')) as Vector[]).map((v) => ({
    name: `${file} ${v.kind}`,
    udp: v.transport === 'udp',
    bytes: new Uint8Array(Buffer.from(v.hex, 'hex')),
    opts,
  })),
);

const HANDLED = [WireError, MsgDecodeError, LzwError, StructError, SerfDecodeError];

function handled(what: string, fn: () => void): void {
  try {
    fn();
  } catch (e) {
    assert.ok(
      HANDLED.some((k) => e instanceof k),
      `${what}: unhandled ${(e as Error).constructor.name}: ${(e as Error).message}`,
    );
  }
}

function userPayloads(p: Packet, out: Uint8Array[] = []): Uint8Array[] {
  if (p.kind === 'user') out.push(p.payload);
  else if (p.kind === 'compound') for (const x of p.parts) userPayloads(x, out);
  else if (p.kind !== 'message') userPayloads(p.inner, out);
  return out;
}

type Mutation =
  | { op: 'flip'; at: number; bit: number }
  | { op: 'set'; at: number; value: number }
  | { op: 'truncate'; at: number }
  | { op: 'insert'; at: number; value: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ op: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
);

function mutate(src: Uint8Array, ms: Mutation[]): Uint8Array {
  let b = src.slice();
  for (const m of ms) {
    if (b.length === 0) break;
    const at = m.at % b.length;
    if (m.op === 'flip') b[at]! ^= 1 << m.bit;
    else if (m.op === 'set') b[at] = m.value;
    else if (m.op === 'truncate') b = b.slice(0, at);
    else b = Uint8Array.from([...b.subarray(0, at), m.value, ...b.subarray(at)]);
  }
  return b;
}

test('wire fuzz: mutated captured packets fail only with the decoders’ own errors', () => {
  assert.ok(vectors.length >= 40, `only ${vectors.length} vectors`);
  fc.assert(
    fc.property(
      fc.nat({ max: vectors.length - 1 }),
      fc.array(mutation, { minLength: 1, maxLength: 4 }),
      (i, ms) => {
        const v = vectors[i]!;
        const b = mutate(v.bytes, ms);
        if (v.udp) {
          handled(v.name, () => {
            for (const payload of userPayloads(decodePacket(b, v.opts))) {
              handled(`${v.name} serf payload`, () => decodeSerf(payload));
            }
          });
        } else {
          handled(v.name, () => decodeStream(b, v.opts));
          // The driver's incremental reader turns every failure into a value.
          const r = readStreamSoFar(b, v.opts);
          assert.ok(['message', 'incomplete', 'error'].includes(r.kind));
        }
      },
    ),
    { seed: 42, numRuns: 4000 },
  );
});
