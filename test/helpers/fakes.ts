// Small in-memory ports for unit tests (the simulator in test/sim has the full-featured ones).
import type { DirEntry, Disk, FileStat } from '../../src/runtime/disk.js';
import type { Host, NetInterfaceAddr } from '../../src/runtime/host.js';

export class MemDisk implements Disk {
  readonly files = new Map<string, Uint8Array>();
  readonly dirs = new Set<string>(['/']);

  constructor(init: Record<string, string> = {}) {
    for (const [p, c] of Object.entries(init)) this.put(p, c);
  }

  put(path: string, content: string): void {
    this.files.set(path, new TextEncoder().encode(content));
    let d = path;
    while ((d = d.slice(0, d.lastIndexOf('/')) || '/') !== '/') this.dirs.add(d);
  }

  text(path: string): string | undefined {
    const b = this.files.get(path);
    return b && new TextDecoder().decode(b);
  }

  async readFile(p: string) {
    return this.files.get(p) ?? null;
  }
  async writeFileAtomic(p: string, d: Uint8Array | string) {
    this.put(p, typeof d === 'string' ? d : new TextDecoder().decode(d));
  }
  async createExclusive(p: string, d: Uint8Array | string) {
    if (this.files.has(p)) return false;
    await this.writeFileAtomic(p, d);
    return true;
  }
  async appendFile(p: string, d: Uint8Array | string) {
    this.put(p, (this.text(p) ?? '') + (typeof d === 'string' ? d : new TextDecoder().decode(d)));
  }
  async mkdirp(p: string) {
    let d = p.replace(/\/+$/, '');
    while (d !== '' && d !== '/') {
      this.dirs.add(d);
      d = d.slice(0, d.lastIndexOf('/'));
    }
  }
  async readdir(p: string): Promise<DirEntry[] | null> {
    const dir = p.replace(/\/+$/, '');
    if (!this.dirs.has(dir)) return null;
    const names = new Map<string, DirEntry>();
    for (const f of this.files.keys())
      if (f.startsWith(`${dir}/`) && !f.slice(dir.length + 1).includes('/'))
        names.set(f, { name: f.slice(dir.length + 1), isFile: true, isDirectory: false });
    for (const d of this.dirs)
      if (d.startsWith(`${dir}/`) && !d.slice(dir.length + 1).includes('/'))
        names.set(d, { name: d.slice(dir.length + 1), isFile: false, isDirectory: true });
    return [...names.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  }
  async stat(p: string): Promise<FileStat | null> {
    const q = p.replace(/(.)\/+$/, '$1');
    if (this.files.has(q))
      return { isFile: true, isDirectory: false, size: this.files.get(q)!.length, mtimeMs: 0 };
    if (this.dirs.has(q)) return { isFile: false, isDirectory: true, size: 0, mtimeMs: 0 };
    return null;
  }
  async remove(p: string) {
    this.files.delete(p);
    this.dirs.delete(p);
  }
  async rename(a: string, b: string) {
    const v = this.files.get(a);
    if (v) {
      this.files.set(b, v);
      this.files.delete(a);
    }
  }
}

export function fakeHost(
  ifaces: Array<[string, string]> = [
    ['lo', '127.0.0.1'],
    ['eth0', '10.0.0.5'],
  ],
): Host {
  const list: NetInterfaceAddr[] = ifaces.map(([name, address]) => ({
    name,
    address,
    family: address.includes(':') ? 'IPv6' : 'IPv4',
    prefixLength: address.includes(':') ? 64 : 8,
    internal: name === 'lo',
  }));
  return {
    hostname: () => 'test-host',
    interfaces: () => list,
    hostUUID: () => '0f2e9c4a-1b3d-4e5f-8a7b-9c0d1e2f3a4b',
    pid: () => 4242,
    os: () => 'linux',
    arch: () => 'amd64',
    cpuCount: () => 2,
    runtimeVersion: () => 'v20.0.0',
    memory: () => ({ heapUsed: 1, heapTotal: 2, rss: 3 }),
  };
}
