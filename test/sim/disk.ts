// A simulated disk with real durability rules: writes are volatile until synced. writeFileAtomic and
// createExclusive sync (as the real ones fsync); appendFile does not until sync(path). crash() loses
// every unsynced byte and, with a seeded coin, tears the last unsynced append (keeps a prefix of it).

import type { DirEntry, Disk, FileStat } from '../../src/runtime/disk.js';
import type { Rng } from '../../src/runtime/rng.js';

interface File {
  durable: Uint8Array;
  volatile: Uint8Array;
  mtimeMs: number;
}

const enc = new TextEncoder();
const bytes = (d: Uint8Array | string) => (typeof d === 'string' ? enc.encode(d) : d);

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

export class SimDisk implements Disk {
  private readonly files = new Map<string, File>();
  private readonly dirs = new Set<string>(['/']);

  constructor(
    private readonly rng: Rng,
    private readonly now: () => number = () => 0,
  ) {}

  private parentsOf(p: string): void {
    let d = p.slice(0, p.lastIndexOf('/'));
    while (d !== '') {
      this.dirs.add(d);
      d = d.slice(0, d.lastIndexOf('/'));
    }
  }

  async readFile(p: string): Promise<Uint8Array | null> {
    const f = this.files.get(p);
    return f ? f.volatile.slice() : null;
  }

  async writeFileAtomic(p: string, data: Uint8Array | string): Promise<void> {
    const b = bytes(data).slice();
    this.parentsOf(p);
    this.files.set(p, { durable: b, volatile: b, mtimeMs: this.now() });
  }

  async createExclusive(p: string, data: Uint8Array | string): Promise<boolean> {
    if (this.files.has(p)) return false;
    await this.writeFileAtomic(p, data);
    return true;
  }

  async appendFile(p: string, data: Uint8Array | string): Promise<void> {
    this.parentsOf(p);
    const f = this.files.get(p) ?? { durable: new Uint8Array(), volatile: new Uint8Array(), mtimeMs: 0 };
    f.volatile = concat(f.volatile, bytes(data));
    f.mtimeMs = this.now();
    this.files.set(p, f);
  }

  /** fsync(path): what was written so far survives a crash. */
  async sync(p: string): Promise<void> {
    const f = this.files.get(p);
    if (f) f.durable = f.volatile.slice();
  }

  async mkdirp(p: string): Promise<void> {
    this.parentsOf(`${p.replace(/\/+$/, '')}/x`);
  }

  async readdir(p: string): Promise<DirEntry[] | null> {
    const dir = p.replace(/\/+$/, '') || '/';
    if (!this.dirs.has(dir)) return null;
    const prefix = dir === '/' ? '/' : `${dir}/`;
    const out = new Map<string, DirEntry>();
    for (const f of this.files.keys()) {
      const rest = f.startsWith(prefix) ? f.slice(prefix.length) : null;
      if (rest && !rest.includes('/')) out.set(rest, { name: rest, isFile: true, isDirectory: false });
    }
    for (const d of this.dirs) {
      const rest = d.startsWith(prefix) ? d.slice(prefix.length) : null;
      if (rest && !rest.includes('/')) out.set(rest, { name: rest, isFile: false, isDirectory: true });
    }
    return [...out.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async stat(p: string): Promise<FileStat | null> {
    const f = this.files.get(p);
    if (f) return { isFile: true, isDirectory: false, size: f.volatile.length, mtimeMs: f.mtimeMs };
    if (this.dirs.has(p.replace(/\/+$/, '') || '/'))
      return { isFile: false, isDirectory: true, size: 0, mtimeMs: 0 };
    return null;
  }

  async remove(p: string): Promise<void> {
    this.files.delete(p);
    for (const f of [...this.files.keys()]) if (f.startsWith(`${p}/`)) this.files.delete(f);
    for (const d of [...this.dirs]) if (d === p || d.startsWith(`${p}/`)) this.dirs.delete(d);
  }

  async rename(from: string, to: string): Promise<void> {
    const f = this.files.get(from);
    if (!f) throw new Error(`rename ${from}: no such file`);
    this.files.delete(from);
    this.parentsOf(to);
    this.files.set(to, f);
  }

  /** Power loss: unsynced bytes vanish; the last unsynced append of a file may survive torn. */
  crash(): void {
    for (const [p, f] of this.files) {
      const extra = f.volatile.length - f.durable.length;
      let keep = f.durable;
      if (extra > 0 && this.rng.float() < 0.5)
        keep = f.volatile.slice(0, f.durable.length + this.rng.int(extra));
      if (keep.length === 0 && f.durable.length === 0 && f.volatile.length > 0) this.files.delete(p);
      else this.files.set(p, { durable: keep.slice(), volatile: keep.slice(), mtimeMs: f.mtimeMs });
    }
  }
}
