// The ACL tables, left ready for the ACL system: tokens (by AccessorID), policies and roles (by ID), in
// Consul's structs.ACLToken / ACLPolicy / ACLRole shapes, each with its table index and watch. Nothing
// writes them yet; they ride in every snapshot and are restored from it, so a cluster that later
// enables ACLs keeps them across snapshots and restores.

import { WatchSet } from './watch.js';

export interface ACLLink {
  ID: string;
  Name: string;
}

export interface ACLServiceIdentity {
  ServiceName: string;
  Datacenters?: string[];
}

export interface ACLNodeIdentity {
  NodeName: string;
  Datacenter: string;
}

export interface ACLToken {
  AccessorID: string;
  SecretID: string;
  Description: string;
  Policies: ACLLink[];
  Roles: ACLLink[];
  ServiceIdentities: ACLServiceIdentity[];
  NodeIdentities: ACLNodeIdentity[];
  Local: boolean;
  /** RFC 3339; empty when it never expires. */
  ExpirationTime: string;
  CreateTime: string;
  Hash: string;
  CreateIndex: number;
  ModifyIndex: number;
}

export interface ACLPolicy {
  ID: string;
  Name: string;
  Description: string;
  Rules: string;
  Datacenters: string[];
  Hash: string;
  CreateIndex: number;
  ModifyIndex: number;
}

export interface ACLRole {
  ID: string;
  Name: string;
  Description: string;
  Policies: ACLLink[];
  ServiceIdentities: ACLServiceIdentity[];
  NodeIdentities: ACLNodeIdentity[];
  Hash: string;
  CreateIndex: number;
  ModifyIndex: number;
}

export interface TableDump<T> {
  index: number;
  rows: T[];
}

/** One table keyed by `idOf`, with Consul's CreateIndex/ModifyIndex handling and a table watch. */
export class ACLTable<T extends { CreateIndex: number; ModifyIndex: number }> {
  private readonly rows = new Map<string, T>();
  private tableIndex = 0;
  readonly watches = new WatchSet();

  constructor(
    /** Watch key every write to this table touches. */
    readonly watchKey: string,
    private readonly idOf: (row: T) => string,
  ) {}

  get index(): number {
    return Math.max(1, this.tableIndex);
  }

  private touched(idx: number): void {
    if (idx > this.tableIndex) this.tableIndex = idx;
    this.watches.touch(this.watchKey);
  }

  get(id: string): T | undefined {
    return this.rows.get(id);
  }

  /** Rows ordered by ID (memdb order). */
  list(): T[] {
    return [...this.rows.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, r]) => r);
  }

  /** Inserts or replaces a row at `idx` (CreateIndex kept across updates). */
  set(idx: number, row: T): T {
    const id = this.idOf(row);
    const prev = this.rows.get(id);
    const stored = { ...row, CreateIndex: prev?.CreateIndex ?? idx, ModifyIndex: idx };
    this.rows.set(id, stored);
    this.touched(idx);
    return stored;
  }

  delete(idx: number, id: string): boolean {
    if (!this.rows.delete(id)) return false;
    this.touched(idx);
    return true;
  }

  dump(): TableDump<T> {
    return { index: this.tableIndex, rows: this.list().map((r) => ({ ...r })) };
  }

  /** Replaces the table with a snapshot's; every watcher wakes. */
  restore(d: TableDump<T>): void {
    this.rows.clear();
    for (const r of d.rows) this.rows.set(this.idOf(r), { ...r });
    this.tableIndex = d.index;
    this.watches.touch(this.watchKey);
  }
}

export class ACLTables {
  readonly tokens = new ACLTable<ACLToken>('acl-tokens', (t) => t.AccessorID);
  readonly policies = new ACLTable<ACLPolicy>('acl-policies', (p) => p.ID);
  readonly roles = new ACLTable<ACLRole>('acl-roles', (r) => r.ID);
}
