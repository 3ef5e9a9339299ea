// A handful of RaftCores wired through an in-memory message queue with instant storage and a manual
// clock: tests decide who is cut off and when time moves, so each Raft rule can be driven directly.
import { SeededRng } from '../../../src/lib/prng.js';
import type { Envelope } from '../../../src/raft/core/messages.js';
import { RaftCore, type RaftTimings, type Ready } from '../../../src/raft/core/raft-core.js';

export interface Harness {
  cores: Map<string, RaftCore>;
  core(id: string): RaftCore;
  /** Commands each server applied, in order (decoded). */
  applied: Map<string, string[]>;
  /** Every Ready each server took with anything to persist, in order. */
  persisted: Map<string, Ready[]>;
  /** Messages delivered so far (after the `cut` filter). */
  delivered: Envelope[];
  /** Servers whose messages (to and from) are dropped. */
  down: Set<string>;
  now: number;
  /** Delivers queued messages until none are left. */
  run(): void;
  /** Moves the clock to `t`, ticks every server that is up, and delivers. */
  at(t: number): void;
  /** Moves the clock in steps of `stepMs` until `t`, ticking and delivering at each step. */
  until(t: number, stepMs: number): void;
  leader(): RaftCore | undefined;
}

export function harness(
  ids: string[],
  timings: RaftTimings,
  opts: { voters?: (id: string) => string[]; nonVoters?: string[]; seed?: number } = {},
): Harness {
  const h: Harness = {
    cores: new Map(),
    core: (id) => h.cores.get(id)!,
    applied: new Map(ids.map((id) => [id, []])),
    persisted: new Map(ids.map((id) => [id, []])),
    delivered: [],
    down: new Set(),
    now: 0,
    run,
    at,
    until,
    leader: () => [...h.cores.values()].find((c) => c.role === 'leader' && !h.down.has(c.id)),
  };
  ids.forEach((id, i) =>
    h.cores.set(
      id,
      new RaftCore({
        id,
        voters: opts.voters?.(id) ?? ids.filter((x) => !opts.nonVoters?.includes(x)),
        nonVoters: opts.voters ? undefined : opts.nonVoters,
        timings,
        rng: new SeededRng((opts.seed ?? 1) * 100 + i),
        nowMs: 0,
      }),
    ),
  );
  const queue: Envelope[] = [];
  const dec = new TextDecoder();
  function flush(id: string): void {
    const c = h.core(id);
    while (c.hasReady()) {
      const rd = c.ready();
      if (rd.entries.length > 0 || rd.hard) h.persisted.get(id)!.push(rd);
      queue.push(...rd.messages);
      for (const e of rd.committed) if (e.type === 0) h.applied.get(id)!.push(dec.decode(e.data));
      c.advance(rd);
    }
  }
  function run(): void {
    for (const id of ids) flush(id);
    while (queue.length > 0) {
      const e = queue.shift()!;
      if (h.down.has(e.to) || h.down.has(e.from)) continue;
      h.delivered.push(e);
      const c = h.core(e.to);
      c.setTime(h.now);
      c.step(e);
      flush(e.to);
    }
  }
  function at(t: number): void {
    h.now = t;
    for (const id of ids) if (!h.down.has(id)) h.core(id).tick(t);
    run();
  }
  function until(t: number, stepMs: number): void {
    while (h.now < t) at(Math.min(t, h.now + stepMs));
  }
  return h;
}

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Makes `id` campaign at once (as a TimeoutNow would) and delivers until the election is over. */
export function elect(h: Harness, id: string): RaftCore {
  const c = h.core(id);
  c.step({ from: 'test', to: id, msg: { type: 'timeoutNow', term: c.term, leader: 'test' } });
  h.run();
  return c;
}
