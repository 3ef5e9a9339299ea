// Blocking queries (consul-surface.md §2.3): with ?index=N the request waits until the result's index
// passes N or ?wait (default 5 min, at most 10 min, plus up to wait/16 of jitter) runs out, then
// answers with whatever is current. Waiting is on the store's watches, not on polling.

import { parseGoDuration } from '../lib/duration.js';
import type { Rng } from '../runtime/rng.js';
import type { Timers } from '../runtime/timers.js';
import type { WatchSet } from '../state/watch.js';

export interface BlockingParams {
  minIndex: number;
  waitMs: number;
}

/** Parses ?index and ?wait; an Error carries Consul's 400 text. */
export function blockingParams(
  q: URLSearchParams,
  defaultWaitNs: number,
  maxWaitNs: number,
): BlockingParams | Error {
  let minIndex = 0;
  const idx = q.get('index');
  if (idx !== null) {
    if (!/^\d+$/.test(idx)) return new Error('Invalid index');
    minIndex = Number(idx);
  }
  let waitNs = defaultWaitNs;
  const w = q.get('wait');
  if (w !== null) {
    const d = parseGoDuration(w);
    if (d instanceof Error) return new Error('Invalid wait time');
    waitNs = d;
  }
  // As Consul's server: a zero or negative wait means the default, never "answer at once".
  if (waitNs <= 0) waitNs = defaultWaitNs;
  if (waitNs > maxWaitNs) waitNs = maxWaitNs;
  return { minIndex, waitMs: waitNs / 1e6 };
}

/**
 * Runs `query`; while its index is not past `minIndex`, sleeps on the store's watch for `scope` until a
 * matching write or the wait (plus jitter) runs out, then answers with the current result.
 */
export function blockingQuery<T extends { index: number }>(
  p: BlockingParams,
  ports: { timers: Timers; rng: Rng },
  watches: WatchSet,
  scope: { key: string; prefix: boolean },
  query: () => T,
  onClose: (fn: () => void) => void,
): Promise<T> {
  const first = query();
  if (p.minIndex === 0 || first.index > p.minIndex) return Promise.resolve(first);
  const jitter = ports.rng.float() * (p.waitMs / 16);
  return new Promise<T>((resolve) => {
    let finished = false;
    let cancelWatch = () => {};
    const finish = (result?: T) => {
      if (finished) return;
      finished = true;
      cancelWatch();
      timer.cancel();
      resolve(result ?? query());
    };
    const arm = () => {
      cancelWatch = watches.add({
        key: scope.key,
        prefix: scope.prefix,
        wake: () => {
          const r = query();
          if (r.index > p.minIndex) finish(r);
          else arm();
        },
      });
    };
    const timer = ports.timers.after(p.waitMs + jitter, () => finish());
    arm();
    onClose(() => finish());
  });
}
