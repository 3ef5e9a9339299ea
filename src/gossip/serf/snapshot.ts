// Serf's snapshot file (reference/gossip-protocol.md §14.9; Consul's serf/local.snapshot and
// serf/remote.snapshot): an append-only text log of members and clocks, so that a restarted agent
// rejoins the nodes it knew. Records: "alive: <name> <ip:port>", "not-alive: <name>", "clock: <n>",
// "event-clock: <n>", "query-clock: <n>", "leave". The file is replayed at start and compacted when it
// grows past max(2 × 128 × alive nodes, 128 KiB). Pure text in and out: the caller owns the file.

export interface SnapshotState {
  /** Members alive at the end of the log: name → "ip:port". */
  alive: Map<string, string>;
  clock: number;
  eventClock: number;
  queryClock: number;
  /** The log ends with a graceful leave: do not rejoin (unless rejoin_after_leave). */
  left: boolean;
}

/** Replays a snapshot's text; malformed lines are skipped as Serf does (with a warning by the caller). */
export function replaySnapshot(
  text: string,
  rejoinAfterLeave = false,
): { state: SnapshotState; bad: string[]; ignoredLeave: boolean } {
  let ignoredLeave = false;
  const state: SnapshotState = { alive: new Map(), clock: 0, eventClock: 0, queryClock: 0, left: false };
  const bad: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (line === '' || line.startsWith('#') || line.startsWith('coordinate: ')) continue;
    if (line.startsWith('alive: ')) {
      // Names may contain spaces: the address is after the last one.
      const rest = line.slice('alive: '.length);
      const i = rest.lastIndexOf(' ');
      if (i <= 0) {
        bad.push(line);
        continue;
      }
      state.alive.set(rest.slice(0, i), rest.slice(i + 1));
      state.left = false;
    } else if (line.startsWith('not-alive: ')) state.alive.delete(line.slice('not-alive: '.length));
    else if (/^(clock|event-clock|query-clock): \d+$/.test(line)) {
      const [k, v] = line.split(': ') as [string, string];
      const n = Number(v);
      if (k === 'clock') state.clock = n;
      else if (k === 'event-clock') state.eventClock = n;
      else state.queryClock = n;
    } else if (line === 'leave') {
      // rejoin_after_leave: the leave is ignored and the known members stay.
      if (rejoinAfterLeave) ignoredLeave = true;
      else {
        state.left = true;
        state.alive.clear();
      }
    } else bad.push(line);
  }
  return { state, bad, ignoredLeave };
}

/** Builds the records to append as members come and go and clocks move. */
export class SnapshotWriter {
  private pending: string[] = [];
  private last = { clock: -1, eventClock: -1, queryClock: -1 };
  private size = 0;

  constructor(startSize = 0) {
    this.size = startSize;
  }

  alive(name: string, addr: string): void {
    this.pending.push(`alive: ${name} ${addr}`);
  }

  notAlive(name: string): void {
    this.pending.push(`not-alive: ${name}`);
  }

  leave(): void {
    this.pending.push('leave');
  }

  /** Clock lines, only for clocks that moved since the last ones written. */
  clocks(clock: number, eventClock: number, queryClock: number): void {
    if (clock !== this.last.clock) this.pending.push(`clock: ${clock}`);
    if (eventClock !== this.last.eventClock) this.pending.push(`event-clock: ${eventClock}`);
    if (queryClock !== this.last.queryClock) this.pending.push(`query-clock: ${queryClock}`);
    this.last = { clock, eventClock, queryClock };
  }

  /** Text to append now ('' when nothing is pending). */
  take(): string {
    if (this.pending.length === 0) return '';
    const text = `${this.pending.join('\n')}\n`;
    this.pending = [];
    this.size += text.length;
    return text;
  }

  /** Serf compacts past max(2 × 128 × alive, 128 KiB) bytes. */
  needsCompaction(aliveCount: number): boolean {
    return this.size > Math.max(2 * 128 * aliveCount, 128 * 1024);
  }

  /** The whole file rewritten from the live state. */
  compacted(alive: Map<string, string>, clock: number, eventClock: number, queryClock: number): string {
    const lines = [...alive].map(([n, a]) => `alive: ${n} ${a}`);
    lines.push(`clock: ${clock}`, `event-clock: ${eventClock}`, `query-clock: ${queryClock}`);
    const text = `${lines.join('\n')}\n`;
    this.size = text.length;
    this.last = { clock, eventClock, queryClock };
    return text;
  }
}
