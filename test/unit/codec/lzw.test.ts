import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { lzwCompress, lzwDecompress } from '../../../src/codec/lzw.js';
import { decodePacket, decodeStream } from '../../../src/gossip/memberlist/packet.js';

test('LZW round-trips arbitrary data, including inputs that fill the 4096-entry table', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 3000 }), (b) => {
      assert.deepEqual(lzwDecompress(lzwCompress(b)), b);
    }),
    { numRuns: 200 },
  );
  // Random bytes over 64 KiB force several table resets (clear codes mid-stream).
  const big = new Uint8Array(70_000);
  let x = 12345;
  for (let i = 0; i < big.length; i++) big[i] = (x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 24;
  assert.deepEqual(lzwDecompress(lzwCompress(big)), big);
  const runs = new Uint8Array(100_000).fill(7);
  const c = lzwCompress(runs);
  assert.ok(c.length < 2_000, `compressed to ${c.length}`);
  assert.deepEqual(lzwDecompress(c), runs);
});

test('LZW refuses bad input and oversized output', () => {
  assert.throws(() => lzwDecompress(new Uint8Array([0xff, 0xff, 0xff])), /lzw/);
  assert.throws(() => lzwDecompress(lzwCompress(new Uint8Array(5000).fill(1)), 1000), /too large/);
});

test('the gossip decoders never fail with anything but their own errors', () => {
  const ours = new Set(['WireError', 'MsgDecodeError', 'LzwError', 'StructError']);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
      for (const fn of [
        () => decodePacket(b),
        () => decodeStream(b),
        () => decodePacket(b, { keys: [new Uint8Array(32)] }),
      ]) {
        try {
          fn();
        } catch (e) {
          assert.ok(ours.has((e as Error).name), String(e));
        }
      }
    }),
    { numRuns: 3000 },
  );
});
