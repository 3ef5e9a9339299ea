// The data directory: created on first start and held by one agent at a time. The lock is a file
// holding the owner's pid, created exclusively; a lock whose owner is gone (kill -9) is taken over.
// A second agent on a held data dir fails before it touches anything in it.

import type { Disk } from '../runtime/disk.js';

export const LOCK_FILE = 'agent.lock';

export interface DataDirLock {
  release(): Promise<void>;
}

export async function lockDataDir(
  disk: Disk,
  dir: string,
  pid: number,
  isAlive: (pid: number) => boolean,
): Promise<DataDirLock | Error> {
  const st = await disk.stat(dir);
  if (st !== null && !st.isDirectory) return new Error(`data_dir ${JSON.stringify(dir)} is not a directory`);
  if (st === null) await disk.mkdirp(dir, 0o700);
  const path = `${dir}/${LOCK_FILE}`;
  for (let attempt = 0; attempt < 3; attempt++) {
    if (await disk.createExclusive(path, `${pid}\n`, 0o600)) {
      return { release: () => disk.remove(path) };
    }
    const held = await disk.readFile(path);
    const owner = held === null ? NaN : Number(new TextDecoder().decode(held).trim());
    if (Number.isInteger(owner) && owner > 0 && owner !== pid && isAlive(owner)) {
      return new Error(
        `data_dir ${JSON.stringify(dir)} is in use by another Consul agent (pid ${owner}); ` +
          `refusing to start a second agent on it (lock file ${path})`,
      );
    }
    // Stale: its owner died without cleaning up. Take it over.
    await disk.remove(path);
  }
  return new Error(`could not lock data_dir ${JSON.stringify(dir)} (${path})`);
}
