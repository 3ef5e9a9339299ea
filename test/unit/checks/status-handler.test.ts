// Thresholds between a check's results and its reported status (Consul's StatusHandler).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatusHandler } from '../../../src/checks/status-handler.js';
import type { CheckStatus } from '../../../src/checks/runner.js';

function handler(
  successBeforePassing: number,
  failuresBeforeWarning: number,
  failuresBeforeCritical: number,
) {
  const seen: string[] = [];
  const h = new StatusHandler(
    { successBeforePassing, failuresBeforeWarning, failuresBeforeCritical },
    (s: CheckStatus, o: string) => seen.push(`${s}:${o}`),
  );
  return { h, seen };
}

test('no thresholds: every result is reported as it comes', () => {
  const { h, seen } = handler(0, 0, 0);
  for (const s of ['critical', 'passing', 'warning', 'critical'] as const) h.update(s, s[0]!);
  assert.deepEqual(seen, ['critical:c', 'passing:p', 'warning:w', 'critical:c']);
});

test('the first result goes through at once; later ones need their streaks', () => {
  const { h, seen } = handler(2, 2, 3);
  h.update('passing', '1'); // counters start at the thresholds
  assert.deepEqual(seen, ['passing:1']);
  h.update('critical', 'f1');
  assert.deepEqual(seen, ['passing:1'], 'one failure is below failures_before_warning');
  h.update('critical', 'f2');
  assert.deepEqual(seen.at(-1), 'warning:f2', 'two failures: warning, with the critical output');
  h.update('critical', 'f3');
  assert.deepEqual(seen.at(-1), 'critical:f3');
  h.update('passing', 'p1');
  assert.deepEqual(seen.at(-1), 'critical:f3', 'one success is below success_before_passing');
  h.update('warning', 'p2');
  assert.deepEqual(seen.at(-1), 'warning:p2', 'a warning counts as a success');
  h.update('critical', 'x');
  h.update('passing', 'y');
  h.update('critical', 'z');
  assert.deepEqual(seen.at(-1), 'warning:p2', 'a success resets the failure streak');
});
