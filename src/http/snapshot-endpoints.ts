// /v1/snapshot: GET saves the whole state as Consul's archive (gzip'd tar of meta.json, state.bin,
// SHA256SUMS) with X-Consul-Index; PUT verifies an archive and restores it on every server.

import type { Agent } from '../agent/agent.js';
import { NoLeaderError } from '../agent/server.js';
import { readArchive, writeArchive } from '../lib/snapshot-archive.js';
import type { Router } from './router.js';
import { NO_SERVERS } from './status-endpoints.js';

/** Largest archive PUT accepted (the whole store travels in one request). */
const MAX_ARCHIVE = 1 << 30;

export function registerSnapshotEndpoints(r: Router, agent: Agent): void {
  r.on('GET', '/v1/snapshot', () => {
    const s = agent.server;
    if (!s) return { status: 500, text: NO_SERVERS };
    const snap = s.stateSnapshot();
    const wallMs = agent.clock.wallMs();
    const archive = writeArchive(
      {
        Version: 1,
        ID: `${snap.term}-${snap.index}-${Math.floor(wallMs)}`,
        Index: snap.index,
        Term: snap.term,
        Peers: '',
        Configuration: {
          Servers: snap.configuration.map((x) => ({
            Suffrage: x.voter ? 0 : 1,
            ID: x.id,
            Address: x.address,
          })),
        },
        ConfigurationIndex: snap.index,
        Size: snap.state.length,
      },
      snap.state,
      Math.floor(wallMs / 1000),
    );
    return {
      raw: archive,
      headers: {
        'content-type': 'application/x-gzip',
        'x-consul-index': String(Math.max(1, snap.index)),
      },
    };
  });

  r.on('PUT', '/v1/snapshot', async (req) => {
    const s = agent.server;
    if (!s) return { status: 500, text: NO_SERVERS };
    const body = await req.ex.readBody(MAX_ARCHIVE);
    if (body === null) return { status: 413, text: 'Request body too large' };
    const a = readArchive(body);
    if (a instanceof Error) return { status: 500, text: `failed to read snapshot file: ${a.message}` };
    try {
      const err = await s.restoreSnapshot(a.state);
      if (err) return { status: 500, text: `failed to restore snapshot: ${err.message}` };
    } catch (e) {
      if (e instanceof NoLeaderError) return { status: 500, text: e.message };
      throw e;
    }
    return { status: 200 };
  });
}
