// The real disk: atomic writes with fsync of file and directory, exclusive creation for lock files.
import { promises as fsp, constants } from 'node:fs';
import path from 'node:path';
import type { DirEntry, Disk, FileStat } from '../../runtime/disk.js';

async function fsyncDir(dir: string): Promise<void> {
  const h = await fsp.open(dir, constants.O_RDONLY);
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}

function isNotFound(e: unknown): boolean {
  return (e as NodeJS.ErrnoException)?.code === 'ENOENT';
}

let tmpCounter = 0;

export const nodeDisk: Disk = {
  async readFile(p) {
    try {
      return new Uint8Array(await fsp.readFile(p));
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
  },
  async writeFileAtomic(p, data, mode = 0o600) {
    const tmp = `${p}.tmp.${process.pid}.${tmpCounter++}`;
    const h = await fsp.open(tmp, 'w', mode);
    try {
      await h.writeFile(data);
      await h.sync();
    } finally {
      await h.close();
    }
    await fsp.rename(tmp, p);
    await fsyncDir(path.dirname(p));
  },
  async createExclusive(p, data, mode = 0o600) {
    let h;
    try {
      h = await fsp.open(p, 'wx', mode);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e;
    }
    try {
      await h.writeFile(data);
      await h.sync();
    } finally {
      await h.close();
    }
    return true;
  },
  async appendFile(p, data) {
    await fsp.appendFile(p, data);
  },
  async mkdirp(p, mode = 0o755) {
    await fsp.mkdir(p, { recursive: true, mode });
  },
  async readdir(p) {
    let ents;
    try {
      ents = await fsp.readdir(p, { withFileTypes: true });
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
    const out: DirEntry[] = [];
    for (const e of ents) {
      let isFile = e.isFile();
      let isDirectory = e.isDirectory();
      if (e.isSymbolicLink()) {
        const st = await fsp.stat(path.join(p, e.name)).catch(() => null);
        isFile = st?.isFile() ?? false;
        isDirectory = st?.isDirectory() ?? false;
      }
      out.push({ name: e.name, isFile, isDirectory });
    }
    return out.sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
  },
  async stat(p): Promise<FileStat | null> {
    try {
      const st = await fsp.stat(p);
      return { isFile: st.isFile(), isDirectory: st.isDirectory(), size: st.size, mtimeMs: st.mtimeMs };
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
  },
  async remove(p) {
    await fsp.rm(p, { force: true, recursive: true });
  },
  async rename(from, to) {
    await fsp.rename(from, to);
    // A rename is durable only once the directory holding the new name is synced.
    await fsyncDir(path.dirname(to));
  },
};
