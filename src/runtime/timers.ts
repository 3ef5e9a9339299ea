// Timers port: one-shot and repeating callbacks on the Clock's timeline.

export interface TimerHandle {
  cancel(): void;
}

export interface Timers {
  /** Calls fn once after `ms` milliseconds (0 = on a later turn, never synchronously). */
  after(ms: number, fn: () => void): TimerHandle;
  /** Calls fn every `ms` milliseconds until cancelled. */
  every(ms: number, fn: () => void): TimerHandle;
}

/** Promise that resolves after `ms` on the given timers (resolves early if the signal aborts). */
export function sleep(timers: Timers, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const h = timers.after(ms, () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    });
    const onAbort = () => {
      h.cancel();
      resolve();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
