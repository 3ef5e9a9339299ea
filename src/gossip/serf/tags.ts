// Serf tags in memberlist Meta (reference/gossip-protocol.md §14.8): 0xFF + msgpack map[string]string;
// Meta without the marker is a bare role (Serf protocol < 3).

import { MsgMap, MsgReader, MsgWriter, utf8 } from '../../codec/msgpack.js';

const TAG_MAGIC = 0xff;

export function encodeTags(tags: ReadonlyMap<string, string>): Uint8Array {
  const w = new MsgWriter('v05');
  w.mapHeader(tags.size);
  for (const [k, v] of tags) w.str(k).str(v);
  const body = w.bytes();
  const out = new Uint8Array(1 + body.length);
  out[0] = TAG_MAGIC;
  out.set(body, 1);
  return out;
}

export function decodeTags(meta: Uint8Array): Map<string, string> {
  const out = new Map<string, string>();
  if (meta.length === 0) return out;
  if (meta[0] !== TAG_MAGIC) {
    out.set('role', utf8(meta));
    return out;
  }
  try {
    const v = new MsgReader(meta.subarray(1)).read();
    if (v instanceof MsgMap)
      for (const [k, x] of v.entries)
        if (k instanceof Uint8Array && x instanceof Uint8Array) out.set(utf8(k), utf8(x));
  } catch {
    // Undecodable tags read as none, as Serf logs and carries on.
  }
  return out;
}
