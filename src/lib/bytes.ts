// Byte-array joining for framing code (network buffers, wire messages).

/** The parts back to back in one new array; a single non-empty part comes back as is. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  // Plain loops: this sits on every gossip message's path.
  let total = 0;
  let nonEmpty = 0;
  let only: Uint8Array | undefined;
  for (const p of parts) {
    if (p.length === 0) continue;
    total += p.length;
    nonEmpty++;
    only = p;
  }
  if (nonEmpty === 1) return only!;
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    if (p.length === 0) continue;
    if (p.length < 64) for (let i = 0; i < p.length; i++) out[o + i] = p[i]!;
    else out.set(p, o);
    o += p.length;
  }
  return out;
}
