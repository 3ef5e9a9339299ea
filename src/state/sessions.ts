// The sessions table: sessions with the node and checks they are bound to (Consul's structs.Session),
// plus the lock-delay each invalidated lock leaves on its key. Lock-delays are wall-clock and kept only
// in memory, as Consul does: the leader enforces them before proposing an acquire, never the FSM.

import { WatchSet } from './watch.js';

export interface ServiceCheckRef {
  ID: string;
  Namespace: string;
}

export interface Session {
  ID: string;
  Name: string;
  Node: string;
  /** Nanoseconds. */
  LockDelay: number;
  Behavior: 'release' | 'delete';
  TTL: string;
  NodeChecks: string[];
  ServiceChecks: ServiceCheckRef[] | null;
  CreateIndex: number;
  ModifyIndex: number;
}

/** Watch key every session write touches. */
export const SESSIONS_WATCH = 'sessions';

export class Sessions {
  private readonly rows = new Map<string, Session>();
  private tableIndex = 0;
  /** key → wall-clock ms until which it cannot be acquired. */
  private readonly lockDelays = new Map<string, number>();
  readonly watches = new WatchSet();

  get index(): number {
    return Math.max(1, this.tableIndex);
  }

  private touched(idx: number): void {
    if (idx > this.tableIndex) this.tableIndex = idx;
    this.watches.touch(SESSIONS_WATCH);
  }

  get(id: string): Session | undefined {
    return this.rows.get(id);
  }

  /** Every session, ordered by ID (Consul's memdb order). */
  list(): Session[] {
    return [...this.rows.values()].sort((a, b) => (a.ID < b.ID ? -1 : a.ID > b.ID ? 1 : 0));
  }

  byNode(node: string): Session[] {
    return this.list().filter((s) => s.Node === node);
  }

  /** Sessions bound to a check of `node` (as a node check or a service check). */
  byCheck(node: string, checkId: string): Session[] {
    return this.list().filter(
      (s) =>
        s.Node === node &&
        (s.NodeChecks.includes(checkId) || (s.ServiceChecks ?? []).some((c) => c.ID === checkId)),
    );
  }

  create(idx: number, s: Session): void {
    this.rows.set(s.ID, { ...s, CreateIndex: idx, ModifyIndex: idx });
    this.touched(idx);
  }

  /** Removes the session; the caller releases or deletes its locks. */
  delete(idx: number, id: string): Session | null {
    const s = this.rows.get(id);
    if (!s) return null;
    this.rows.delete(id);
    this.touched(idx);
    return s;
  }

  setLockDelay(key: string, untilMs: number): void {
    this.lockDelays.set(key, untilMs);
  }

  /** Wall-clock ms until which `key` is in lock-delay (0 = none). */
  lockDelay(key: string, nowMs: number): number {
    const t = this.lockDelays.get(key) ?? 0;
    if (t !== 0 && t <= nowMs) this.lockDelays.delete(key);
    return t > nowMs ? t : 0;
  }

  dump(): { index: number; rows: Session[] } {
    return { index: this.tableIndex, rows: this.list() };
  }

  restore(d: { index: number; rows: Session[] }): void {
    this.rows.clear();
    for (const s of d.rows) this.rows.set(s.ID, s);
    this.tableIndex = d.index;
    this.watches.touch(SESSIONS_WATCH);
  }
}
