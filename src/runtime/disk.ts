// Disk port: file-system access for the agent (data dir, config files, pid file, logs).
// Paths are plain strings; implementations decide what "durable" means (real fsync or a simulated disk).

export interface DirEntry {
  name: string;
  isFile: boolean;
  isDirectory: boolean;
}

export interface FileStat {
  isFile: boolean;
  isDirectory: boolean;
  size: number;
  mtimeMs: number;
}

export interface Disk {
  /** File contents, or null when it does not exist. Other errors reject. */
  readFile(path: string): Promise<Uint8Array | null>;
  /** Writes via temp file + fsync + rename + fsync(dir), so readers see old or new, never half. */
  writeFileAtomic(path: string, data: Uint8Array | string, mode?: number): Promise<void>;
  /** Creates the file only if absent; false when it already exists. */
  createExclusive(path: string, data: Uint8Array | string, mode?: number): Promise<boolean>;
  appendFile(path: string, data: Uint8Array | string): Promise<void>;
  mkdirp(path: string, mode?: number): Promise<void>;
  /** Entries sorted by name (byte order), or null when the directory does not exist. */
  readdir(path: string): Promise<DirEntry[] | null>;
  /** Follows symlinks; null when absent. */
  stat(path: string): Promise<FileStat | null>;
  remove(path: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
}
