import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatGoDuration, parseGoDuration, SECOND, MS, HOUR } from '../../../src/lib/duration.js';

test('parses Go durations', () => {
  assert.equal(parseGoDuration('10s'), 10 * SECOND);
  assert.equal(parseGoDuration('1h30m'), 1.5 * HOUR);
  assert.equal(parseGoDuration('1.5s'), 1.5 * SECOND);
  assert.equal(parseGoDuration('300ms'), 300 * MS);
  assert.equal(parseGoDuration('2us'), 2000);
  assert.equal(parseGoDuration('2µs'), 2000);
  assert.equal(parseGoDuration('-1m'), -60 * SECOND);
  assert.equal(parseGoDuration('0'), 0);
  assert.equal(parseGoDuration('.5s'), 0.5 * SECOND);
});

test("rejects bad durations with Go's messages", () => {
  assert.equal((parseGoDuration('') as Error).message, 'time: invalid duration ""');
  assert.equal((parseGoDuration('10') as Error).message, 'time: missing unit in duration "10"');
  assert.equal((parseGoDuration('10x') as Error).message, 'time: unknown unit "x" in duration "10x"');
  assert.equal((parseGoDuration('abc') as Error).message, 'time: invalid duration "abc"');
  assert.equal((parseGoDuration('.s') as Error).message, 'time: invalid duration ".s"');
});

test('formats like Duration.String()', () => {
  assert.equal(formatGoDuration(0), '0s');
  assert.equal(formatGoDuration(10 * SECOND), '10s');
  assert.equal(formatGoDuration(HOUR), '1h0m0s');
  assert.equal(formatGoDuration(90 * SECOND), '1m30s');
  assert.equal(formatGoDuration(1.5 * SECOND), '1.5s');
  assert.equal(formatGoDuration(300 * MS), '300ms');
  assert.equal(formatGoDuration(1500), '1.5µs');
  assert.equal(formatGoDuration(72 * HOUR), '72h0m0s');
});
