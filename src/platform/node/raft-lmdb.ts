// The Raft log and stable store in lmdb at <data-dir>/raft/raft.db: one transaction per Ready, synced
// before it resolves (lmdb batches concurrent transactions into one commit: group commit for free).
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { open, type Database, type RootDatabase } from 'lmdb';
import type { Entry } from '../../raft/core/messages.js';
import type { Durable } from '../../raft/core/raft-core.js';
import type { RaftStorage, RaftWrite } from '../../raft/storage.js';

interface StoredEntry {
  term: number;
  type: number;
  data: Uint8Array;
}

export class LmdbRaftStorage implements RaftStorage {
  private readonly root: RootDatabase;
  private readonly logs: Database<StoredEntry, number>;
  private readonly stable: Database<unknown, string>;
  /** First and last stored indexes (first > last: none). */
  private first = 1;
  private last = 0;

  constructor(dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.root = open({ path: path.join(dir, 'raft.db'), compression: false });
    this.logs = this.root.openDB<StoredEntry, number>({ name: 'logs' });
    this.stable = this.root.openDB<unknown, string>({ name: 'stable' });
  }

  load(): Durable {
    const entries: Entry[] = [];
    for (const { key, value } of this.logs.getRange({})) {
      const want = (entries[0]?.index ?? key) + entries.length;
      if (key !== want) throw new Error(`raft log is corrupt: expected index ${want}, found ${key}`);
      entries.push({ index: key, term: value.term, type: value.type, data: new Uint8Array(value.data) });
    }
    this.first = entries[0]?.index ?? 1;
    this.last = entries.at(-1)?.index ?? 0;
    return {
      hard: {
        term: Number(this.stable.get('CurrentTerm') ?? 0),
        vote: String(this.stable.get('LastVoteCand') ?? ''),
      },
      entries,
    };
  }

  async persist(w: RaftWrite): Promise<void> {
    const oldFirst = this.first;
    const oldLast = this.last;
    let first = oldFirst;
    let last = oldLast;
    if (w.truncateAfter !== null) last = Math.min(last, w.truncateAfter);
    const lastNew = w.entries.at(-1);
    if (lastNew) {
      // Appending to an empty log (a fresh one, or one a snapshot install emptied) starts it anew.
      if (last < first) first = w.entries[0]!.index;
      last = lastNew.index;
    }
    if (w.compactTo !== null && w.compactTo >= first) first = w.compactTo + 1;
    if (last < first) last = first - 1;
    await this.root.transaction(() => {
      if (w.hard) {
        void this.stable.put('CurrentTerm', w.hard.term);
        void this.stable.put('LastVoteCand', w.hard.vote);
      }
      for (const e of w.entries) void this.logs.put(e.index, { term: e.term, type: e.type, data: e.data });
      // Whatever was stored outside [first, last] is gone: a conflicting suffix or a compacted prefix.
      for (let i = oldFirst; i <= Math.min(first - 1, oldLast); i++) void this.logs.remove(i);
      for (let i = Math.max(last + 1, oldFirst); i <= oldLast; i++) void this.logs.remove(i);
    });
    this.first = first;
    this.last = last;
  }

  async close(): Promise<void> {
    await this.root.close();
  }
}
