import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeOne, MsgMap, MsgReader, MsgWriter, utf8, type MsgValue } from '../../../src/codec/msgpack.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const unhex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));

test('a Serf join message encodes byte-exactly as captured from a Go peer', () => {
  // From reference/gossip-vectors/vectors-plain.json "serf:join": the msgpack body after the type bytes.
  const want = '82a54c54696d6501a44e6f6465a163';
  const w = new MsgWriter().struct({ Node: (x) => x.str('c'), LTime: (x) => x.uint(1) });
  assert.equal(hex(w.bytes()), want);
  const m = decodeOne(unhex(want)) as MsgMap;
  assert.equal(m.get('LTime'), 1);
  assert.equal(utf8(m.get('Node') as Uint8Array), 'c');
});

test('old-spec raw strings: fixstr to 31 bytes, then str16 (never str8 or bin)', () => {
  assert.equal(hex(new MsgWriter().str('a'.repeat(31)).bytes()).slice(0, 2), 'bf');
  assert.equal(hex(new MsgWriter().str(new Uint8Array(98)).bytes()).slice(0, 6), 'da0062');
  assert.equal(hex(new MsgWriter().str(new Uint8Array(70000)).bytes()).slice(0, 10), 'db00011170');
  assert.equal(hex(new MsgWriter().bytesOrNil(null).bytes()), 'c0');
});

test('integers: v0.5 writes non-negative signed values in the unsigned family; v2 in the signed one', () => {
  assert.equal(hex(new MsgWriter('v05').int(3_200_000_000).bytes()), 'cebebc2000');
  assert.equal(hex(new MsgWriter('v05').int(585).bytes()), 'cd0249');
  assert.equal(hex(new MsgWriter('v2').int(585).bytes()), 'd10249');
  assert.equal(hex(new MsgWriter('v2').int(3_200_000_000).bytes()), 'd300000000bebc2000');
  assert.equal(hex(new MsgWriter('v2').int(127).bytes()), '7f');
  assert.equal(hex(new MsgWriter().int(-1).bytes()), 'ff');
  assert.equal(hex(new MsgWriter().int(-33).bytes()), 'd0df');
  assert.equal(hex(new MsgWriter().uint(2n ** 64n - 1n).bytes()), 'cfffffffffffffffff');
});

test('struct keys are sorted byte-wise and omitted fields are left out', () => {
  const w = new MsgWriter().struct({
    SourcePort: undefined,
    SeqNo: (x) => x.uint(7),
    Node: (x) => x.str('n'),
    SourceAddr: undefined,
  });
  assert.equal(hex(w.bytes()), '82a44e6f6465a16ea55365714e6f07');
});

test('the decoder accepts every form and rejects truncation without over-allocating', () => {
  assert.equal(decodeOne(unhex('d90161')) instanceof Uint8Array, true); // str8
  assert.equal((decodeOne(unhex('c40162')) as Uint8Array)[0], 0x62); // bin8
  assert.equal(decodeOne(unhex('cb3ff8000000000000')), 1.5);
  assert.equal(decodeOne(unhex('cf001fffffffffffff')), 2 ** 53 - 1);
  assert.equal(decodeOne(unhex('cf0020000000000001')), 2n ** 53n + 1n);
  assert.throws(() => decodeOne(unhex('dd7fffffff')), /unexpected end/);
  assert.throws(() => decodeOne(unhex('da0010')), /unexpected end/);
  assert.throws(() => decodeOne(unhex('0101')), /trailing/);
});

function reencode(w: MsgWriter, v: MsgValue): void {
  if (v === null) w.nil();
  else if (typeof v === 'boolean') w.bool(v);
  else if (typeof v === 'bigint') w.int(v);
  else if (typeof v === 'number') {
    if (Number.isInteger(v)) w.int(v);
    else w.float64(v);
  } else if (v instanceof Uint8Array) w.str(v);
  else if (Array.isArray(v)) {
    w.arrayHeader(v.length);
    for (const x of v) reencode(w, x);
  } else {
    w.mapHeader(v.entries.length);
    for (const [k, x] of v.entries) {
      reencode(w, k);
      reencode(w, x);
    }
  }
}

test('property: whatever the writer produces, the reader reads back to the same bytes', () => {
  const leaf = fc.oneof(
    fc.constant(null),
    fc.boolean(),
    fc.integer({ min: -(2 ** 31), max: 2 ** 32 }),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
    fc.double({ noNaN: true }).filter((d) => !Number.isInteger(d)),
    fc.uint8Array({ maxLength: 40 }),
  );
  const value = fc.letrec<{ v: unknown }>((tie) => ({
    v: fc.oneof(
      { depthSize: 'small' },
      leaf,
      fc.array(tie('v'), { maxLength: 5 }),
      fc
        .array(fc.tuple(fc.uint8Array({ maxLength: 8 }), tie('v')), { maxLength: 5 })
        .map((e) => new MsgMap(e as Array<[MsgValue, MsgValue]>)),
    ),
  })).v as fc.Arbitrary<MsgValue>;
  fc.assert(
    fc.property(value, (v) => {
      const w = new MsgWriter();
      reencode(w, v);
      const bytes = w.bytes();
      const w2 = new MsgWriter();
      reencode(w2, decodeOne(bytes));
      assert.deepEqual(w2.bytes(), bytes);
    }),
  );
});

test('property: arbitrary bytes never crash the reader with anything but MsgDecodeError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
      try {
        new MsgReader(b).read();
      } catch (e) {
        assert.equal((e as Error).name, 'MsgDecodeError');
      }
    }),
  );
});
