// Name compression (RFC 1035 4.1.4) as a pass over an encoded message: dns-packet writes every name in
// full, Consul's miekg/dns points a name's suffix at an earlier occurrence of the same suffix. As miekg
// does it: owner names, question names and the names inside NS, CNAME, PTR, SOA, MX (and the other
// RFC 1035 types) are compressed; SRV targets are written in full (RFC 2782) but later names may
// point into them; suffixes are matched byte for byte (case kept) and only offsets below 2^14 are
// targets.

/** Pointers can reach the first 16 KiB of a message (14 bits). */
const MAX_POINTER_TARGET = 0x3fff;

/**
 * Where each label of the name at `at` starts and where the name ends (after its zero byte); the
 * input has no pointers (dns-packet writes names in full).
 */
function readName(msg: Uint8Array, at: number): { end: number; starts: number[] } {
  const starts: number[] = [];
  let i = at;
  for (;;) {
    if (i >= msg.length) throw new RangeError('name runs past the message');
    const len = msg[i]!;
    if (len === 0) return { end: i + 1, starts };
    if (len > 63 || i + 1 + len > msg.length) throw new RangeError('bad label');
    starts.push(i);
    i += 1 + len;
  }
}

class Writer {
  readonly out: Uint8Array;
  pos = 0;
  /** Suffixes written so far (their wire bytes as latin1 text) → offset in `out`. */
  private readonly seen = new Map<string, number>();

  constructor(
    size: number,
    private readonly src: Buffer,
  ) {
    this.out = new Uint8Array(size);
  }

  bytes(b: Uint8Array): void {
    this.out.set(b, this.pos);
    this.pos += b.length;
  }

  /**
   * Writes the source name whose labels start at `starts` (ending at `end`), pointing at an earlier
   * equal suffix when `compress`; remembers its own suffixes either way.
   */
  name(starts: number[], end: number, compress: boolean): void {
    for (const at of starts) {
      // A suffix's key is its wire form, read natively from the source (names there are whole).
      const key = this.src.toString('latin1', at, end);
      const target = this.seen.get(key);
      if (target !== undefined && compress) {
        this.out[this.pos++] = 0xc0 | (target >> 8);
        this.out[this.pos++] = target & 0xff;
        return;
      }
      if (target === undefined && this.pos <= MAX_POINTER_TARGET) this.seen.set(key, this.pos);
      const len = this.src[at]!;
      this.out.set(this.src.subarray(at, at + 1 + len), this.pos);
      this.pos += 1 + len;
    }
    this.out[this.pos++] = 0;
  }
}

/** Type codes whose RDATA is one compressible name (NS, MD, MF, CNAME, MB, MG, MR, PTR). */
const ONE_NAME = new Set([2, 3, 4, 5, 7, 8, 9, 12]);

/**
 * The same message with names compressed. Decodes to exactly what `msg` decodes to; never longer.
 * `msg` must hold no pointers (dns-packet's output); throws RangeError on one it cannot walk.
 */
export function compressMessage(msg: Uint8Array): Uint8Array {
  if (msg.length < 12) throw new RangeError('short message');
  // A name can only shrink, and a pointer (2 bytes) never replaces less than 2 bytes.
  const src = Buffer.from(msg.buffer, msg.byteOffset, msg.length);
  const w = new Writer(msg.length, src);
  w.bytes(msg.subarray(0, 12));
  const count = (i: number) => (msg[i]! << 8) | msg[i + 1]!;
  const qd = count(4);
  const rrs = count(6) + count(8) + count(10);
  let i = 12;
  for (let q = 0; q < qd; q++) {
    const n = readName(msg, i);
    w.name(n.starts, n.end, true);
    if (n.end + 4 > msg.length) throw new RangeError('short question');
    w.bytes(msg.subarray(n.end, n.end + 4));
    i = n.end + 4;
  }
  for (let r = 0; r < rrs; r++) {
    const n = readName(msg, i);
    w.name(n.starts, n.end, true);
    i = n.end;
    if (i + 10 > msg.length) throw new RangeError('short record');
    const type = count(i);
    const rdlength = count(i + 8);
    w.bytes(msg.subarray(i, i + 8));
    const lengthAt = w.pos;
    w.pos += 2;
    const rdata = i + 10;
    const rdend = rdata + rdlength;
    if (rdend > msg.length) throw new RangeError('short rdata');
    const start = w.pos;
    const names = (from: number, k: number, compress: boolean): number => {
      let at = from;
      for (let j = 0; j < k; j++) {
        const x = readName(msg, at);
        w.name(x.starts, x.end, compress);
        at = x.end;
      }
      return at;
    };
    let rest: number;
    if (ONE_NAME.has(type)) rest = names(rdata, 1, true);
    else if (type === 6)
      rest = names(rdata, 2, true); // SOA: mname, rname, then 5 numbers
    else if (type === 14)
      rest = names(rdata, 2, true); // MINFO
    else if (type === 15) {
      w.bytes(msg.subarray(rdata, rdata + 2)); // MX preference
      rest = names(rdata + 2, 1, true);
    } else if (type === 33) {
      w.bytes(msg.subarray(rdata, rdata + 6)); // SRV priority, weight, port; target not compressed
      rest = names(rdata + 6, 1, false);
    } else rest = rdata;
    if (rest > rdend) throw new RangeError('rdata overrun');
    w.bytes(msg.subarray(rest, rdend));
    const len = w.pos - start;
    w.out[lengthAt] = len >> 8;
    w.out[lengthAt + 1] = len & 0xff;
    i = rdend;
  }
  w.bytes(msg.subarray(i));
  return w.out.slice(0, w.pos);
}
