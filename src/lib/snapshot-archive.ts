// Consul's snapshot archive (what GET /v1/snapshot returns and `consul snapshot save` writes): a gzip
// stream of a tar holding meta.json (the Raft snapshot's metadata), state.bin (the FSM state) and
// SHA256SUMS, checked on every read. The state.bin inside is proconsul's own record stream.

import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { readTar, writeTar } from './tar.js';

export interface ArchiveMeta {
  Version: number;
  ID: string;
  Index: number;
  Term: number;
  Peers: string;
  Configuration: { Servers: Array<{ Suffrage: number; ID: string; Address: string }> };
  ConfigurationIndex: number;
  Size: number;
}

const enc = new TextEncoder();
const dec = new TextDecoder();
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

export function writeArchive(meta: ArchiveMeta, state: Uint8Array, mtimeSec: number): Uint8Array {
  const metaBytes = enc.encode(JSON.stringify(meta));
  const sums = enc.encode(`${sha256(metaBytes)}  meta.json\n${sha256(state)}  state.bin\n`);
  const tar = writeTar(
    [
      { name: 'meta.json', data: metaBytes },
      { name: 'state.bin', data: state },
      { name: 'SHA256SUMS', data: sums },
    ],
    mtimeSec,
  );
  return new Uint8Array(gzipSync(tar));
}

/** Unpacks and verifies an archive; an Error says what is wrong with it. */
export function readArchive(archive: Uint8Array): { meta: ArchiveMeta; state: Uint8Array } | Error {
  let tar: Uint8Array;
  try {
    tar = new Uint8Array(gunzipSync(archive));
  } catch (e) {
    return new Error(`failed to decompress snapshot: ${(e as Error).message}`);
  }
  const files = readTar(tar);
  if (files instanceof Error) return new Error(`failed reading snapshot: ${files.message}`);
  const get = (n: string) => files.find((f) => f.name === n)?.data;
  const metaBytes = get('meta.json');
  const state = get('state.bin');
  const sums = get('SHA256SUMS');
  if (!metaBytes || !state || !sums) return new Error('failed reading snapshot: missing file in archive');
  const want = new Map(
    dec
      .decode(sums)
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const [hash, name] = l.split(/\s+/);
        return [name ?? '', hash ?? ''];
      }),
  );
  for (const [name, data] of [
    ['meta.json', metaBytes],
    ['state.bin', state],
  ] as const)
    if (want.get(name) !== sha256(data)) return new Error(`sha256 hash mismatch for ${name}`);
  try {
    return { meta: JSON.parse(dec.decode(metaBytes)) as ArchiveMeta, state };
  } catch (e) {
    return new Error(`failed to decode meta: ${(e as Error).message}`);
  }
}

/** Records per type in a state stream (its lines carry "Type"), for `consul snapshot inspect`. */
export function stateRecordCounts(state: Uint8Array): Array<{ type: string; count: number; size: number }> {
  const counts = new Map<string, { count: number; size: number }>();
  for (const line of dec.decode(state).split('\n').slice(1)) {
    if (!line) continue;
    const type = (/"Type":"([^"]+)"/.exec(line)?.[1] ?? 'Unknown') as string;
    if (type === 'Index') continue;
    const c = counts.get(type) ?? { count: 0, size: 0 };
    c.count++;
    c.size += line.length + 1;
    counts.set(type, c);
  }
  return [...counts].map(([type, c]) => ({ type, ...c }));
}
