// Where a server's Raft state lives: term and vote (hashicorp's StableStore) and the log (LogStore),
// written together so one fsync covers a whole Ready (group commit). Implementations: in memory
// (-dev, tests) and lmdb in <data-dir>/raft/ (platform/node/raft-lmdb.ts).

import type { Entry } from './core/messages.js';
import type { Durable, HardState } from './core/raft-core.js';

export interface RaftWrite {
  hard: HardState | null;
  /** Drop stored entries above this index (a conflicting suffix). */
  truncateAfter: number | null;
  /** Drop stored entries up to this index (a snapshot holds them). */
  compactTo: number | null;
  /** The commit index known when writing: tells a later start which stored entries are committed. */
  commit?: number;
  entries: readonly Entry[];
}

export interface RaftStorage {
  /** Everything stored, read once at start. Throws when the committed part of the log is damaged. */
  load(): Durable;
  /** What load() repaired (a damaged unacknowledged tail it dropped), for the log. */
  loadNotes?(): string[];
  /** Resolves once the write is durable. Entries stored above the last written one are dropped. */
  persist(w: RaftWrite): Promise<void>;
  close(): Promise<void>;
}

export class MemRaftStorage implements RaftStorage {
  private hard: HardState = { term: 0, vote: '' };
  private entries: Entry[] = [];

  load(): Durable {
    return { hard: { ...this.hard }, entries: this.entries.map((e) => ({ ...e })) };
  }

  async persist(w: RaftWrite): Promise<void> {
    if (w.hard) this.hard = { ...w.hard };
    const after = w.truncateAfter;
    if (after !== null) this.entries = this.entries.filter((e) => e.index <= after);
    const to = w.compactTo;
    if (to !== null) this.entries = this.entries.filter((e) => e.index > to);
    for (const e of w.entries) {
      const first = this.entries[0]?.index ?? e.index;
      this.entries.length = Math.max(0, Math.min(this.entries.length, e.index - first));
      this.entries.push({ ...e });
    }
  }

  async close(): Promise<void> {}
}
