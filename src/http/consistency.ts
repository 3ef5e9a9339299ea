// The consistency mode a read asks for (consul-surface.md §2.4), parsed as Consul does: ?stale,
// ?consistent, ?leader, and ?max_stale=<duration>, which above zero implies stale and bounds how far
// behind the leader the answering server may be (beyond that the leader answers instead).

import { parseGoDuration } from '../lib/duration.js';

export interface Consistency {
  mode: 'consistent' | 'stale' | 'leader';
  /** 0: no bound. */
  maxStaleMs: number;
}

/** The mode, or an Error carrying Consul's 400 text. */
export function parseConsistency(q: URLSearchParams): Consistency | Error {
  let stale = q.has('stale');
  const consistent = q.has('consistent');
  let maxStaleMs = 0;
  const ms = q.get('max_stale');
  if (ms) {
    const d = parseGoDuration(ms);
    if (d instanceof Error) return new Error(`Invalid max_stale value ${JSON.stringify(ms)}`);
    maxStaleMs = d / 1e6;
    if (d > 0) stale = true;
  }
  if (stale && consistent) return new Error('Cannot specify ?stale with ?consistent, conflicting semantics.');
  return { mode: consistent ? 'consistent' : stale ? 'stale' : 'leader', maxStaleMs };
}

/** The request target without its stale flags: how a too-stale read is re-asked of the leader. */
export function withoutStale(url: string): string {
  const i = url.indexOf('?');
  if (i < 0) return url;
  const q = new URLSearchParams(url.slice(i + 1));
  q.delete('stale');
  q.delete('max_stale');
  const rest = q.toString();
  return rest ? `${url.slice(0, i)}?${rest}` : url.slice(0, i);
}
