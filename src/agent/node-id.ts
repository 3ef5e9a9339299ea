// The node ID, as Consul settles it: -node-id / node_id wins; -dev uses a fresh random ID; otherwise
// the one stored in <data-dir>/node-id; otherwise a new one — derived from the host's ID (SHA-512 of it,
// so the host ID itself is not revealed) when disable_host_node_id is false, random when true — which
// is then stored. Cloned VMs share a host ID, which is why the seed shows node-ID conflicts.

import { createHash } from 'node:crypto';
import type { Disk } from '../runtime/disk.js';
import type { Host } from '../runtime/host.js';
import type { Logger } from '../runtime/logger.js';
import { uuidFrom, type Rng } from '../runtime/rng.js';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function isUuid(s: string): boolean {
  return UUID_RE.test(s);
}

export function hostDerivedId(hostId: string): string {
  const h = createHash('sha512').update(hostId).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

export async function resolveNodeId(
  opts: { configured: string; dataDir: string; devMode: boolean; disableHostNodeId: boolean },
  ports: { disk: Disk; host: Host; rng: Rng; logger: Logger },
): Promise<string | Error> {
  if (opts.configured !== '') {
    const id = opts.configured.toLowerCase();
    if (!isUuid(id)) return new Error(`node ID is not a valid UUID: ${JSON.stringify(opts.configured)}`);
    return id;
  }
  if (opts.devMode || opts.dataDir === '') {
    const id = uuidFrom(ports.rng);
    ports.logger.debug('Using random ID as node ID', 'id', id);
    return id;
  }
  const file = `${opts.dataDir}/node-id`;
  const stored = await ports.disk.readFile(file);
  if (stored !== null) {
    const id = new TextDecoder().decode(stored).trim().toLowerCase();
    if (!isUuid(id)) return new Error(`loaded node ID is invalid: ${JSON.stringify(id)} (in ${file})`);
    return id;
  }
  let id: string;
  const hostId = opts.disableHostNodeId ? null : ports.host.hostUUID();
  if (hostId !== null) {
    id = hostDerivedId(hostId);
    ports.logger.debug('Using unique ID from host as node ID', 'id', id);
  } else {
    id = uuidFrom(ports.rng);
    ports.logger.debug('Using random ID as node ID', 'id', id);
  }
  await ports.disk.writeFileAtomic(file, id, 0o600);
  return id;
}
