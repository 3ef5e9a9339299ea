// A linearizability checker for histories of register operations (Wing & Gong's search with
// Lowe's memoization, as Porcupine does it), per key. A write whose outcome is unknown (no response)
// may take effect at any point after its call, or never; reads without a response are dropped.

export interface Op {
  call: number;
  /** Response time; Infinity when the client never learned the outcome. */
  ret: number;
  kind: 'write' | 'read';
  key: string;
  /** The value written, or the value the read returned (null = absent). */
  value: string | null;
}

export interface CheckResult {
  ok: boolean;
  /** The first key whose history has no linearization. */
  key?: string;
}

/** Checks one register's history (initial value null). */
export function linearizableRegister(history: readonly Op[], maxStates = 2_000_000): boolean {
  // A write of unknown outcome that no read ever saw can be taken to have never happened: dropping it
  // keeps every linearization valid, and it would only multiply the search.
  const observed = new Set(
    history.filter((o) => o.kind === 'read' && Number.isFinite(o.ret)).map((o) => o.value),
  );
  const ops = history
    .filter((o) => Number.isFinite(o.ret) || (o.kind === 'write' && observed.has(o.value)))
    .sort((a, b) => a.call - b.call);
  const n = ops.length;
  const required = ops.reduce((m, o, i) => (Number.isFinite(o.ret) ? m | (1n << BigInt(i)) : m), 0n);
  const seen = new Set<string>();
  let states = 0;
  const search = (done: bigint, state: string | null): boolean => {
    if ((done & required) === required) return true;
    if (++states > maxStates) throw new Error('linearizability search exceeded its budget');
    // An op may go next only if it was called before every pending (not yet linearized) op returned.
    let horizon = Infinity;
    for (let i = 0; i < n; i++)
      if (!(done & (1n << BigInt(i))) && ops[i]!.ret < horizon) horizon = ops[i]!.ret;
    for (let i = 0; i < n; i++) {
      const bit = 1n << BigInt(i);
      const o = ops[i]!;
      if (done & bit || o.call > horizon) continue;
      if (o.kind === 'read' && o.value !== state) continue;
      const next = o.kind === 'write' ? o.value : state;
      const k = `${(done | bit).toString(36)}|${next}`;
      if (seen.has(k)) continue;
      seen.add(k);
      if (search(done | bit, next)) return true;
    }
    return false;
  };
  return search(0n, null);
}

export function checkLinearizable(history: readonly Op[]): CheckResult {
  const byKey = new Map<string, Op[]>();
  for (const o of history) {
    const list = byKey.get(o.key);
    if (list) list.push(o);
    else byKey.set(o.key, [o]);
  }
  for (const [key, ops] of byKey) if (!linearizableRegister(ops)) return { ok: false, key };
  return { ok: true };
}
