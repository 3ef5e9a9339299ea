import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkLinearizable, linearizableRegister, type Op } from './linearizability.js';

const w = (call: number, ret: number, value: string): Op => ({ call, ret, kind: 'write', key: 'x', value });
const r = (call: number, ret: number, value: string | null): Op => ({
  call,
  ret,
  kind: 'read',
  key: 'x',
  value,
});

test('accepts linearizable histories, including overlapping operations and unknown outcomes', () => {
  assert.ok(linearizableRegister([w(0, 10, 'a'), r(20, 30, 'a')]));
  assert.ok(linearizableRegister([w(0, 10, 'a'), r(5, 15, null)])); // the read may come first
  assert.ok(linearizableRegister([w(0, 10, 'a'), w(5, 15, 'b'), r(20, 30, 'a')])); // b then a
  assert.ok(linearizableRegister([w(0, Infinity, 'a'), r(20, 30, null)])); // the lost write never happened
  assert.ok(linearizableRegister([w(0, Infinity, 'a'), r(20, 30, 'a')])); // or it did
});

test('rejects stale and impossible reads', () => {
  assert.equal(linearizableRegister([w(0, 10, 'a'), r(20, 30, null)]), false); // stale read after a completed write
  assert.equal(linearizableRegister([w(0, 10, 'a'), w(20, 30, 'b'), r(40, 50, 'a')]), false);
  assert.equal(linearizableRegister([r(0, 10, 'ghost')]), false);
  assert.equal(linearizableRegister([w(0, 10, 'a'), r(20, 30, 'a'), r(40, 50, null)]), false); // value vanished
  assert.deepEqual(
    checkLinearizable([w(0, 10, 'a'), { ...r(20, 30, null), key: 'y' }, { ...r(20, 30, null) }]),
    { ok: false, key: 'x' },
  );
});
