// The Raft log and stable store in lmdb at <data-dir>/raft/raft.db: one transaction per Ready, flushed
// to disk before it resolves (lmdb batches concurrent transactions into one commit: group commit for free).
// Each entry carries a CRC-32 of its index, term, type and data. At start a damaged entry past the last
// commit index written is the start of an unacknowledged tail and is dropped (as hashicorp/raft's WAL
// truncates a torn tail); one inside the committed prefix stops the server with an explanation.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { open, type Database, type RootDatabase } from 'lmdb';
import type { Entry } from '../../raft/core/messages.js';
import type { Durable } from '../../raft/core/raft-core.js';
import type { RaftStorage, RaftWrite } from '../../raft/storage.js';
import { crc32 } from '../../lib/crc32.js';

interface StoredEntry {
  term: number;
  type: number;
  data: Uint8Array;
  /** Absent in logs written before checksums. */
  crc?: number;
}

/** The checksum of an entry: its index, term and type, then its data. */
export function entryCrc(index: number, term: number, type: number, data: Uint8Array): number {
  const b = new Uint8Array(17 + data.length);
  const v = new DataView(b.buffer);
  v.setBigUint64(0, BigInt(index));
  v.setBigUint64(8, BigInt(term));
  b[16] = type;
  b.set(data, 17);
  return crc32(b);
}

export class LmdbRaftStorage implements RaftStorage {
  private readonly root: RootDatabase;
  private readonly logs: Database<StoredEntry, number>;
  private readonly stable: Database<unknown, string>;
  /** First and last stored indexes (first > last: none). */
  private first = 1;
  private last = 0;
  private notes: string[] = [];
  private commitWritten = 0;

  loadNotes(): string[] {
    return this.notes;
  }

  constructor(dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.root = open({ path: path.join(dir, 'raft.db'), compression: false });
    this.logs = this.root.openDB<StoredEntry, number>({ name: 'logs' });
    this.stable = this.root.openDB<unknown, string>({ name: 'stable' });
  }

  load(): Durable {
    const entries: Entry[] = [];
    const commit = Number(this.stable.get('CommitIndex') ?? 0);
    let damagedAt = 0;
    let storedLast = 0;
    for (const { key, value } of this.logs.getRange({})) {
      storedLast = key;
      if (damagedAt) continue;
      const want = (entries[0]?.index ?? key) + entries.length;
      const data = new Uint8Array(value.data);
      const bad =
        key !== want ||
        (value.crc !== undefined && value.crc !== entryCrc(key, value.term, value.type, data));
      if (!bad) {
        entries.push({ index: key, term: value.term, type: value.type, data });
        continue;
      }
      damagedAt = Math.min(key, want);
      if (damagedAt <= commit)
        throw new Error(
          `raft log entry ${damagedAt} is damaged (checksum mismatch) inside the committed prefix ` +
            `(commit index ${commit}); refusing to start. Restore this server from a snapshot, or ` +
            `remove its data directory so it rejoins the cluster as a new server`,
        );
    }
    if (damagedAt) {
      // Never acknowledged as committed: drop it and everything after it.
      this.logs.transactionSync(() => {
        for (let i = damagedAt; i <= storedLast; i++) void this.logs.remove(i);
      });
      this.notes.push(
        `raft log: dropped entries ${damagedAt}..${storedLast} after a damaged entry past the commit index ${commit}`,
      );
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
      if (w.commit !== undefined && w.commit > this.commitWritten) {
        void this.stable.put('CommitIndex', w.commit);
        this.commitWritten = w.commit;
      }
      for (const e of w.entries)
        void this.logs.put(e.index, {
          term: e.term,
          type: e.type,
          data: e.data,
          crc: entryCrc(e.index, e.term, e.type, e.data),
        });
      // Whatever was stored outside [first, last] is gone: a conflicting suffix or a compacted prefix.
      for (let i = oldFirst; i <= Math.min(first - 1, oldLast); i++) void this.logs.remove(i);
      for (let i = Math.max(last + 1, oldFirst); i <= oldLast; i++) void this.logs.remove(i);
    });
    // With lmdb's overlappingSync (its default here) a transaction resolves once committed and visible,
    // while the fsync runs after it; an entry is acknowledged only once it is durable.
    await this.root.flushed;
    this.first = first;
    this.last = last;
  }

  async close(): Promise<void> {
    await this.root.close();
  }
}
