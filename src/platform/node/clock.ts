// The real clock.
import { performance } from 'node:perf_hooks';
import type { Clock } from '../../runtime/clock.js';

export const systemClock: Clock = {
  monotonicMs: () => performance.now(),
  wallMs: () => Date.now(),
};
