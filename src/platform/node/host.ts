// Facts about this host from node:os and the machine-id files.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import type { Host, NetInterfaceAddr } from '../../runtime/host.js';

function readFirst(paths: string[]): string | null {
  for (const p of paths) {
    try {
      const v = readFileSync(p, 'utf8').trim();
      if (v) return v;
    } catch {
      /* try the next source */
    }
  }
  return null;
}

export const nodeHost: Host = {
  hostname: () => os.hostname(),
  interfaces() {
    const out: NetInterfaceAddr[] = [];
    for (const [name, addrs] of Object.entries(os.networkInterfaces())) {
      for (const a of addrs ?? []) {
        const prefixLength = Number(a.cidr?.split('/')[1] ?? (a.family === 'IPv4' ? 32 : 128));
        out.push({ name, address: a.address, family: a.family, prefixLength, internal: a.internal });
      }
    }
    return out;
  },
  hostUUID() {
    const raw = readFirst(['/sys/class/dmi/id/product_uuid', '/etc/machine-id', '/var/lib/dbus/machine-id']);
    if (!raw) return null;
    const hex = raw.replace(/-/g, '').toLowerCase();
    if (!/^[0-9a-f]{32}$/.test(hex)) return null;
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  },
  pid: () => process.pid,
  os: () => process.platform,
  arch: () => (process.arch === 'x64' ? 'amd64' : process.arch),
  cpuCount: () => os.availableParallelism(),
  runtimeVersion: () => process.version,
  memory: () => {
    const m = process.memoryUsage();
    return { heapUsed: m.heapUsed, heapTotal: m.heapTotal, rss: m.rss };
  },
  activeResources: () => process.getActiveResourcesInfo().length,
};
