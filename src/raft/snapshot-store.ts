// Where a server keeps FSM snapshots: <data-dir>/raft/snapshots/<term>-<index>-<ms>/{meta.json,state.bin},
// laid out as hashicorp's FileSnapshotStore. A snapshot is written into "<name>.tmp" and renamed into
// place once both files are durable, so a crash leaves either the whole snapshot or a .tmp that the next
// start removes. The newest (by index) two are retained. In -dev and in tests: MemSnapshotStore.

import type { Disk } from '../runtime/disk.js';
import type { Clock } from '../runtime/clock.js';
import { crc32 } from '../lib/crc32.js';
import type { SnapshotMeta } from './core/messages.js';

export interface StoredSnapshot {
  meta: SnapshotMeta;
  data: Uint8Array;
}

export interface SnapshotStore {
  /** Reads the newest intact snapshot (a damaged one is skipped with `onSkip`), removing leftovers. */
  open(onSkip?: (name: string, why: string) => void): Promise<StoredSnapshot | null>;
  /** Resolves once the snapshot is durable; then older ones beyond the retained count are removed. */
  save(s: StoredSnapshot): Promise<void>;
  /** The newest snapshot saved or opened (what InstallSnapshot sends). */
  latest(): StoredSnapshot | null;
}

/** hashicorp keeps 2 (Consul's snapshotsRetained). */
export const SNAPSHOTS_RETAINED = 2;

function newer(a: SnapshotMeta, b: SnapshotMeta | undefined): boolean {
  return !b || a.index > b.index || (a.index === b.index && a.term > b.term);
}

export class MemSnapshotStore implements SnapshotStore {
  private snap: StoredSnapshot | null = null;

  async open(): Promise<StoredSnapshot | null> {
    return this.snap;
  }

  async save(s: StoredSnapshot): Promise<void> {
    if (newer(s.meta, this.snap?.meta)) this.snap = s;
  }

  latest(): StoredSnapshot | null {
    return this.snap;
  }
}

interface MetaFile {
  Version: number;
  ID: string;
  Index: number;
  Term: number;
  Configuration: SnapshotMeta['configuration'];
  ConfigurationIndex: number;
  Size: number;
  CRC: number;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

export class DiskSnapshotStore implements SnapshotStore {
  private newest: StoredSnapshot | null = null;

  constructor(
    private readonly disk: Disk,
    private readonly clock: Clock,
    /** <data-dir>/raft/snapshots */
    private readonly dir: string,
  ) {}

  async open(onSkip?: (name: string, why: string) => void): Promise<StoredSnapshot | null> {
    await this.disk.mkdirp(this.dir, 0o700);
    const names = (await this.disk.readdir(this.dir)) ?? [];
    for (const n of names) if (n.name.endsWith('.tmp')) await this.disk.remove(`${this.dir}/${n.name}`);
    const found: StoredSnapshot[] = [];
    for (const n of names) {
      if (!n.isDirectory || n.name.endsWith('.tmp')) continue;
      const s = await this.read(n.name);
      if (typeof s === 'string') onSkip?.(n.name, s);
      else found.push(s);
    }
    found.sort((a, b) => (newer(a.meta, b.meta) ? -1 : 1));
    this.newest = found[0] ?? null;
    return this.newest;
  }

  private async read(name: string): Promise<StoredSnapshot | string> {
    const metaBytes = await this.disk.readFile(`${this.dir}/${name}/meta.json`);
    const data = await this.disk.readFile(`${this.dir}/${name}/state.bin`);
    if (!metaBytes || !data) return 'missing meta.json or state.bin';
    let m: MetaFile;
    try {
      m = JSON.parse(dec.decode(metaBytes)) as MetaFile;
    } catch (e) {
      return `bad meta.json: ${(e as Error).message}`;
    }
    if (data.length !== m.Size) return `state.bin is ${data.length} bytes, meta says ${m.Size}`;
    if (crc32(data) !== m.CRC) return 'CRC mismatch';
    return { meta: { index: m.Index, term: m.Term, configuration: m.Configuration }, data };
  }

  async save(s: StoredSnapshot): Promise<void> {
    const { index, term } = s.meta;
    const id = `${term}-${index}-${Math.floor(this.clock.wallMs())}`;
    const tmp = `${this.dir}/${id}.tmp`;
    await this.disk.mkdirp(tmp, 0o700);
    const meta: MetaFile = {
      Version: 1,
      ID: id,
      Index: index,
      Term: term,
      Configuration: s.meta.configuration,
      ConfigurationIndex: index,
      Size: s.data.length,
      CRC: crc32(s.data),
    };
    await this.disk.writeFileAtomic(`${tmp}/state.bin`, s.data);
    await this.disk.writeFileAtomic(`${tmp}/meta.json`, enc.encode(JSON.stringify(meta, null, 2)));
    await this.disk.rename(tmp, `${this.dir}/${id}`);
    if (newer(s.meta, this.newest?.meta)) this.newest = s;
    await this.reap();
  }

  /** Keeps the newest SNAPSHOTS_RETAINED snapshots. */
  private async reap(): Promise<void> {
    const names = ((await this.disk.readdir(this.dir)) ?? [])
      .filter((n) => n.isDirectory && !n.name.endsWith('.tmp'))
      .map((n) => {
        const [term, index] = n.name.split('-').map(Number);
        return { name: n.name, meta: { index: index ?? 0, term: term ?? 0, configuration: [] } };
      })
      .sort((a, b) => (newer(a.meta, b.meta) ? -1 : 1));
    for (const n of names.slice(SNAPSHOTS_RETAINED)) await this.disk.remove(`${this.dir}/${n.name}`);
  }

  latest(): StoredSnapshot | null {
    return this.newest;
  }
}
