// When anti-entropy runs its full syncs, as Consul's state syncer schedules them: one interval
// (`ae_interval`, 1 min) plus a random stagger after a good one, 15 s plus a stagger after a failed
// one, and within 3 s of a server coming up. Staggers grow with the cluster (×1 up to 128 nodes,
// then one more interval per doubling) so thousands of agents do not sync in step.
import type { Rng } from '../runtime/rng.js';
import type { TimerHandle, Timers } from '../runtime/timers.js';

export const AE_INTERVAL_MS = 60_000;
/** The longest wait before a full sync once a server has joined (Consul's serverUpIntv). */
export const SERVER_UP_MS = 3_000;
/** The shortest wait before a failed full sync is tried again (Consul's retryFailIntv). */
export const RETRY_FAIL_MS = 15_000;
/** Cluster size past which staggers double with every doubling of the cluster. */
const SCALE_THRESHOLD = 128;

/** 1 up to 128 nodes, then ceil(log2(n) − log2(128)) + 1: 2 up to 256, 3 up to 512, and so on. */
export function scaleFactor(nodes: number): number {
  if (nodes <= SCALE_THRESHOLD) return 1;
  return Math.ceil(Math.log2(nodes) - Math.log2(SCALE_THRESHOLD)) + 1;
}

export class FullSyncSchedule {
  private timer: TimerHandle | null = null;
  /** The armed timer is a server-up one: more server-ups before it fires change nothing. */
  private soon = false;
  private stopped = false;

  constructor(
    private readonly timers: Timers,
    private readonly rng: Rng,
    private readonly clusterSize: () => number,
    private readonly intervalMs: number,
    private readonly run: () => void,
  ) {}

  /** A random wait in [0, scale × ms). */
  jitter(ms: number): number {
    return Math.floor(this.rng.float() * scaleFactor(this.clusterSize()) * ms);
  }

  /** The full sync went through: the next one after an interval and a stagger. */
  succeeded(): void {
    this.arm(this.intervalMs + this.jitter(this.intervalMs));
  }

  /** The full sync could not reach the catalog: try again after 15 s and a stagger. */
  failed(): void {
    this.arm(RETRY_FAIL_MS + this.jitter(RETRY_FAIL_MS));
  }

  /** A server joined (or a leader appeared): a full sync soon, whatever was planned. */
  serverUp(): void {
    if (this.soon) return;
    this.arm(this.jitter(SERVER_UP_MS));
    this.soon = true;
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = null;
  }

  private arm(ms: number): void {
    if (this.stopped) return;
    this.timer?.cancel();
    this.soon = false;
    this.timer = this.timers.after(ms, () => {
      this.timer = null;
      this.soon = false;
      this.run();
    });
  }
}
