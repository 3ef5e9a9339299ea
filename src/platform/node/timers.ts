// Real timers. Handles are unref'd only when asked: an agent's timers must keep the process alive.
import type { TimerHandle, Timers } from '../../runtime/timers.js';

export const systemTimers: Timers = {
  after(ms: number, fn: () => void): TimerHandle {
    const t = setTimeout(fn, Math.max(0, ms));
    return { cancel: () => clearTimeout(t) };
  },
  every(ms: number, fn: () => void): TimerHandle {
    const t = setInterval(fn, Math.max(1, ms));
    return { cancel: () => clearInterval(t) };
  },
};
