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
      if (key !== entries.length + 1)
        throw new Error(`raft log is corrupt: expected index ${entries.length + 1}, found ${key}`);
      entries.push({ index: key, term: value.term, type: value.type, data: new Uint8Array(value.data) });
    }
    this.last = entries.length;
    return {
      hard: {
        term: Number(this.stable.get('CurrentTerm') ?? 0),
        vote: String(this.stable.get('LastVoteCand') ?? ''),
      },
      entries,
    };
  }

  async persist(w: RaftWrite): Promise<void> {
    const lastWritten = w.entries.at(-1)?.index ?? w.truncateAfter;
    const oldLast = this.last;
    await this.root.transaction(() => {
      if (w.hard) {
        void this.stable.put('CurrentTerm', w.hard.term);
        void this.stable.put('LastVoteCand', w.hard.vote);
      }
      for (const e of w.entries) void this.logs.put(e.index, { term: e.term, type: e.type, data: e.data });
      if (lastWritten !== null) for (let i = lastWritten + 1; i <= oldLast; i++) void this.logs.remove(i);
    });
    if (lastWritten !== null) this.last = lastWritten;
  }

  async close(): Promise<void> {
    await this.root.close();
  }
}
