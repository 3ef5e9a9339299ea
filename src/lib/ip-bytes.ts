// IP addresses as the 4- or 16-byte forms memberlist puts on the wire, and back to text.

/** IPv4 dotted quad → 4 bytes; IPv6 → 16 bytes; an IPv4-mapped IPv6 becomes 4 bytes (Go's To4). */
export function ipToBytes(ip: string): Uint8Array {
  const v4 = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(ip);
  if (v4) return Uint8Array.from(v4.slice(1, 5).map(Number));
  const s = ip.replace(/^\[|\]$/g, '');
  const [head, tail] = s.includes('::') ? s.split('::') : [s, undefined];
  const words = (x: string | undefined) => (x ? x.split(':').filter((w) => w !== '') : []);
  let h = words(head);
  let t = words(tail);
  const last = (tail === undefined ? h : t).at(-1);
  let v4tail: number[] = [];
  if (last?.includes('.')) {
    const b = ipToBytes(last);
    v4tail = [(b[0]! << 8) | b[1]!, (b[2]! << 8) | b[3]!];
    if (tail === undefined) h = h.slice(0, -1);
    else t = t.slice(0, -1);
  }
  const fill = 8 - h.length - t.length - v4tail.length;
  const all = [
    ...h.map((w) => parseInt(w, 16)),
    ...Array<number>(tail === undefined ? 0 : fill).fill(0),
    ...t.map((w) => parseInt(w, 16)),
    ...v4tail,
  ];
  const out = new Uint8Array(16);
  all.forEach((w, i) => {
    out[2 * i] = (w >> 8) & 0xff;
    out[2 * i + 1] = w & 0xff;
  });
  const mapped = out.slice(0, 10).every((b) => b === 0) && out[10] === 0xff && out[11] === 0xff;
  return mapped ? out.slice(12) : out;
}

/** IPv4 texts by address: every gossip message carries one, and a pool has few distinct ones. */
const V4_TEXT = new Map<number, string>();

function v4Text(b: Uint8Array, o: number): string {
  const k = ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
  let s = V4_TEXT.get(k);
  if (s === undefined) {
    s = `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
    if (V4_TEXT.size >= 65_536) V4_TEXT.clear();
    V4_TEXT.set(k, s);
  }
  return s;
}

export function bytesToIp(b: Uint8Array): string {
  if (b.length === 4) return v4Text(b, 0);
  if (b.length === 16) {
    const mapped = b.slice(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;
    if (mapped) return v4Text(b, 12);
    const w: number[] = [];
    for (let i = 0; i < 16; i += 2) w.push((b[i]! << 8) | b[i + 1]!);
    // Longest run of zero words (length ≥ 2) becomes "::", as Go prints it.
    let best = -1;
    let bestLen = 1;
    for (let i = 0; i < 8;) {
      if (w[i] !== 0) {
        i++;
        continue;
      }
      let j = i;
      while (j < 8 && w[j] === 0) j++;
      if (j - i > bestLen) {
        best = i;
        bestLen = j - i;
      }
      i = j;
    }
    const hex = w.map((x) => x.toString(16));
    if (best < 0) return hex.join(':');
    return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
  }
  return '';
}
