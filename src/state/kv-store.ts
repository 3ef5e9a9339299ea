// The KV table: entries with Consul's indexes (CreateIndex, ModifyIndex, LockIndex), a graveyard of
// tombstones so deletes move list indexes forward, and watches for blocking queries. Every mutation
// takes the Raft index it is applied at; reads return the index Consul would report.

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
}

export class KVStore {
  private readonly entries = new Map<string, DirEntry>();
  /** Tombstones: key → the index it was deleted at. */
  private readonly graveyard = new Map<string, number>();
  private tableIndex = 0;
  readonly watches = new WatchSet();

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
    };
  }

  /** Replaces the whole table with a snapshot's (every watcher wakes: indexes may have moved back). */
  restore(d: KvDump): void {
    this.entries.clear();
    this.graveyard.clear();
    for (const e of d.entries) this.entries.set(e.Key, { ...e });
    for (const [k, i] of d.tombstones) this.graveyard.set(k, i);
    this.tableIndex = d.index;
    this.watches.touchPrefix('');
  }

  private bump(idx: number): void {
    if (idx > this.tableIndex) this.tableIndex = idx;
  }

  set(idx: number, key: string, value: Uint8Array | null, flags: bigint, session = ''): void {
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
    this.watches.touch(key);
  }

  /** Check-and-set: cas 0 means "only if absent"; otherwise the ModifyIndex must match. */
  cas(idx: number, key: string, value: Uint8Array | null, flags: bigint, cas: number): boolean {
    const prev = this.entries.get(key);
    if (cas === 0 ? prev !== undefined : prev?.ModifyIndex !== cas) return false;
    this.set(idx, key, value, flags);
    return true;
  }

  delete(idx: number, key: string): void {
    if (!this.entries.delete(key)) return;
    this.graveyard.set(key, idx);
    this.bump(idx);
    this.watches.touch(key);
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
      this.entries.delete(k);
      this.graveyard.set(k, idx);
      any = true;
    }
    if (any) {
      this.bump(idx);
      this.watches.touchPrefix(prefix);
    }
  }
}
