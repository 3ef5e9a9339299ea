// The KV table: entries with Consul's indexes (CreateIndex, ModifyIndex, LockIndex), a graveyard of
// tombstones so deletes move list indexes forward, and watches for blocking queries. Every mutation
// takes the Raft index it is applied at; reads return the index Consul would report. Tombstones are
// reaped by a replicated reap entry (the leader's TombstoneGC decides when); a prefix list's index is
// then held at the highest reaped index, so it never goes backwards when its tombstones go.

import { WatchSet } from './watch.js';

export interface DirEntry {
  Key: string;
  /** uint64 */
  Flags: bigint;
  Value: Uint8Array | null;
  CreateIndex: number;
  ModifyIndex: number;
  LockIndex: number;
  Session: string;
}

export interface KvDump {
  index: number;
  entries: DirEntry[];
  tombstones: Array<[string, number]>;
  /** The highest tombstone index ever reaped (0: none). */
  reapedIndex?: number;
}

export class KVStore {
  private readonly entries = new Map<string, DirEntry>();
  /** Tombstones: key → the index it was deleted at. */
  private readonly graveyard = new Map<string, number>();
  private tableIndex = 0;
  private reapedIndex = 0;
  readonly watches = new WatchSet();
  /** Told the index of each tombstone written (the leader's TombstoneGC listens). */
  onTombstone: (index: number) => void = () => {};

  /** Highest index of any KV write, including deletes (never 0 to callers: see indexOr1). */
  get index(): number {
    return this.tableIndex;
  }

  get(key: string): { index: number; entry: DirEntry | null } {
    const e = this.entries.get(key) ?? null;
    return { index: e ? e.ModifyIndex : Math.max(1, this.tableIndex), entry: e };
  }

  /** Entries under prefix in key order, with the list index Consul reports. */
  list(prefix: string): { index: number; entries: DirEntry[] } {
    const entries = [...this.entries.values()]
      .filter((e) => e.Key.startsWith(prefix))
      .sort((a, b) => (a.Key < b.Key ? -1 : a.Key > b.Key ? 1 : 0));
    let idx = 0;
    if (prefix === '') idx = this.tableIndex;
    else {
      for (const e of entries) idx = Math.max(idx, e.ModifyIndex);
      for (const [k, i] of this.graveyard) if (k.startsWith(prefix)) idx = Math.max(idx, i);
      // A reaped tombstone under the prefix may have held its index up: stay at or above it.
      if (idx > 0 && this.reapedIndex > idx) idx = this.reapedIndex;
    }
    return { index: Math.max(1, idx || this.tableIndex), entries };
  }

  /** Keys under prefix, folded at the first separator after the prefix (as ?keys&separator=). */
  keys(prefix: string, separator: string): { index: number; keys: string[] } {
    const { index, entries } = this.list(prefix);
    const out: string[] = [];
    for (const e of entries) {
      let k = e.Key;
      if (separator !== '') {
        const at = k.indexOf(separator, prefix.length);
        if (at >= 0) k = k.slice(0, at + separator.length);
      }
      if (out[out.length - 1] !== k) out.push(k);
    }
    return { index, keys: out };
  }

  /** The whole table, for snapshots. */
  dump(): KvDump {
    return {
      index: this.tableIndex,
      entries: [...this.entries.values()].map((e) => ({ ...e })),
      tombstones: [...this.graveyard],
      reapedIndex: this.reapedIndex,
    };
  }

  /** The highest index among the tombstones (0: none). */
  get maxTombstoneIndex(): number {
    let m = 0;
    for (const i of this.graveyard.values()) if (i > m) m = i;
    return m;
  }

  get tombstoneCount(): number {
    return this.graveyard.size;
  }

  /**
   * Consul's TombstoneReap: drops every tombstone at or below `reapIndex`. Nothing a reader sees
   * changes (no watcher wakes); list indexes stay where they were.
   */
  reap(reapIndex: number): number {
    let n = 0;
    for (const [k, i] of this.graveyard) {
      if (i > reapIndex) continue;
      this.graveyard.delete(k);
      if (i > this.reapedIndex) this.reapedIndex = i;
      n++;
    }
    return n;
  }

  /** Replaces the whole table with a snapshot's (every watcher wakes: indexes may have moved back). */
  restore(d: KvDump): void {
    this.entries.clear();
    this.graveyard.clear();
    for (const e of d.entries) this.entries.set(e.Key, { ...e });
    for (const [k, i] of d.tombstones) this.graveyard.set(k, i);
    this.tableIndex = d.index;
    this.reapedIndex = d.reapedIndex ?? 0;
    this.watches.touchPrefix('');
  }

  /** An open transaction: each touched key's state before it, the table index, deferred wakeups. */
  private txn: {
    before: Map<string, { entry: DirEntry | undefined; tomb: number | undefined }>;
    index: number;
    wake: Array<[string, boolean]>;
  } | null = null;

  /** Starts an all-or-nothing group of writes (a /v1/txn); end it with commit() or rollback(). */
  begin(): void {
    if (this.txn) throw new Error('KV transaction already open');
    this.txn = { before: new Map(), index: this.tableIndex, wake: [] };
  }

  commit(): void {
    const t = this.txn;
    this.txn = null;
    for (const [k, prefix] of t?.wake ?? []) this.notify(k, prefix);
  }

  /** Puts every key the transaction touched back as it was; nobody was woken. */
  rollback(): void {
    const t = this.txn;
    this.txn = null;
    if (!t) return;
    for (const [k, b] of t.before) {
      if (b.entry) this.entries.set(k, b.entry);
      else this.entries.delete(k);
      if (b.tomb !== undefined) this.graveyard.set(k, b.tomb);
      else this.graveyard.delete(k);
    }
    this.tableIndex = t.index;
  }

  private remember(key: string): void {
    const t = this.txn;
    if (t && !t.before.has(key))
      t.before.set(key, { entry: this.entries.get(key), tomb: this.graveyard.get(key) });
  }

  private notify(key: string, prefix = false): void {
    if (this.txn) this.txn.wake.push([key, prefix]);
    else if (prefix) this.watches.touchPrefix(key);
    else this.watches.touch(key);
  }

  private bump(idx: number): void {
    if (idx > this.tableIndex) this.tableIndex = idx;
  }

  set(idx: number, key: string, value: Uint8Array | null, flags: bigint, session = ''): void {
    this.remember(key);
    const prev = this.entries.get(key);
    this.entries.set(key, {
      Key: key,
      Flags: flags,
      Value: value,
      CreateIndex: prev ? prev.CreateIndex : idx,
      ModifyIndex: idx,
      LockIndex: prev ? prev.LockIndex : 0,
      Session: prev ? prev.Session : session,
    });
    this.graveyard.delete(key);
    this.bump(idx);
    this.notify(key);
  }

  /** Check-and-set: cas 0 means "only if absent"; otherwise the ModifyIndex must match. */
  cas(idx: number, key: string, value: Uint8Array | null, flags: bigint, cas: number): boolean {
    const prev = this.entries.get(key);
    if (cas === 0 ? prev !== undefined : prev?.ModifyIndex !== cas) return false;
    this.set(idx, key, value, flags);
    return true;
  }

  /**
   * Acquire (Consul's KVSLock; the caller checked the session exists): succeeds when the key is free
   * or already held by this session. A new holder bumps LockIndex; a re-acquire does not.
   */
  lock(idx: number, key: string, value: Uint8Array | null, flags: bigint, session: string): boolean {
    const prev = this.entries.get(key);
    if (prev && prev.Session !== '' && prev.Session !== session) return false;
    this.remember(key);
    this.entries.set(key, {
      Key: key,
      Flags: flags,
      Value: value,
      CreateIndex: prev ? prev.CreateIndex : idx,
      ModifyIndex: idx,
      LockIndex: prev ? (prev.Session === session ? prev.LockIndex : prev.LockIndex + 1) : 1,
      Session: session,
    });
    this.graveyard.delete(key);
    this.bump(idx);
    this.notify(key);
    return true;
  }

  /** Release (KVSUnlock): only the holder's session clears the lock; LockIndex stays. */
  unlock(idx: number, key: string, value: Uint8Array | null, flags: bigint, session: string): boolean {
    const prev = this.entries.get(key);
    if (!prev || prev.Session !== session) return false;
    this.remember(key);
    this.entries.set(key, { ...prev, Flags: flags, Value: value, ModifyIndex: idx, Session: '' });
    this.bump(idx);
    this.notify(key);
    return true;
  }

  /** Keys a session holds, in key order. */
  heldBy(session: string): string[] {
    return [...this.entries.values()]
      .filter((e) => e.Session === session)
      .map((e) => e.Key)
      .sort();
  }

  /** A session was invalidated with behaviour "release": its locks are cleared (ModifyIndex moves). */
  releaseHeld(idx: number, key: string): void {
    const prev = this.entries.get(key);
    if (!prev) return;
    this.remember(key);
    this.entries.set(key, { ...prev, ModifyIndex: idx, Session: '' });
    this.bump(idx);
    this.notify(key);
  }

  delete(idx: number, key: string): void {
    if (!this.entries.has(key)) return;
    this.remember(key);
    this.entries.delete(key);
    this.graveyard.set(key, idx);
    this.bump(idx);
    this.notify(key);
    this.onTombstone(idx);
  }

  deleteCas(idx: number, key: string, cas: number): boolean {
    const prev = this.entries.get(key);
    if (!prev) return cas === 0;
    if (prev.ModifyIndex !== cas) return false;
    this.delete(idx, key);
    return true;
  }

  deleteTree(idx: number, prefix: string): void {
    let any = false;
    for (const k of [...this.entries.keys()]) {
      if (!k.startsWith(prefix)) continue;
      this.remember(k);
      this.entries.delete(k);
      this.graveyard.set(k, idx);
      any = true;
    }
    if (any) {
      this.bump(idx);
      this.notify(prefix, true);
      this.onTombstone(idx);
    }
  }
}
