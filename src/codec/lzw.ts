// LZW exactly as Go's compress/lzw does it with LSB bit order and 8-bit literals (memberlist's
// compression, reference/gossip-protocol.md §8): codes 0-255 literals, 256 clear, 257 end; width 9
// growing to 12; the encoder starts with a clear code and clears again when the table fills; the
// decoder tolerates a missing first clear and stops adding entries at 4096.

const CLEAR = 256;
const EOF_CODE = 257;
const MAX_WIDTH = 12;
const MAX_CODE = (1 << MAX_WIDTH) - 1;

class BitWriter {
  private bits = 0;
  private nBits = 0;
  private out: number[] = [];

  write(code: number, width: number): void {
    this.bits |= code << this.nBits;
    this.nBits += width;
    while (this.nBits >= 8) {
      this.out.push(this.bits & 0xff);
      this.bits >>>= 8;
      this.nBits -= 8;
    }
  }

  finish(): Uint8Array {
    if (this.nBits > 0) this.out.push(this.bits & 0xff);
    return Uint8Array.from(this.out);
  }
}

export function lzwCompress(input: Uint8Array): Uint8Array {
  const w = new BitWriter();
  let width = 9;
  let hi = EOF_CODE;
  let overflow = 1 << 9;
  let dict = new Map<number, number>();
  w.write(CLEAR, width);
  if (input.length === 0) {
    w.write(EOF_CODE, width);
    return w.finish();
  }
  // Next implied code; returns false when the table ran out and was reset (after a clear code).
  const incHi = (): boolean => {
    hi++;
    if (hi === overflow) {
      width++;
      overflow <<= 1;
    }
    if (hi === MAX_CODE) {
      w.write(CLEAR, width);
      width = 9;
      hi = EOF_CODE;
      overflow = 1 << 9;
      dict = new Map();
      return false;
    }
    return true;
  };
  let code = input[0]!;
  for (let i = 1; i < input.length; i++) {
    const lit = input[i]!;
    const key = code * 256 + lit;
    const hit = dict.get(key);
    if (hit !== undefined) {
      code = hit;
      continue;
    }
    w.write(code, width);
    code = lit;
    if (incHi()) dict.set(key, hi);
  }
  w.write(code, width);
  incHi();
  w.write(EOF_CODE, width);
  return w.finish();
}

export class LzwError extends Error {
  override name = 'LzwError';
}

/** Decompresses; `limit` bounds the output (memberlist caps it at 40 MiB). */
export function lzwDecompress(data: Uint8Array, limit = 40 << 20): Uint8Array {
  let bits = 0;
  let nBits = 0;
  let pos = 0;
  let width = 9;
  let hi = EOF_CODE;
  let overflow = 1 << 9;
  let last = -1;
  const prefix = new Uint16Array(1 << MAX_WIDTH);
  const suffix = new Uint8Array(1 << MAX_WIDTH);
  const out: number[] = [];
  const scratch = new Uint8Array(1 << MAX_WIDTH);
  for (;;) {
    while (nBits < width) {
      if (pos >= data.length) throw new LzwError('lzw: unexpected EOF');
      bits |= data[pos++]! << nBits;
      nBits += 8;
    }
    const code = bits & ((1 << width) - 1);
    bits >>>= width;
    nBits -= width;
    if (code < CLEAR) {
      out.push(code);
      if (last !== -1) {
        suffix[hi] = code;
        prefix[hi] = last;
      }
    } else if (code === CLEAR) {
      width = 9;
      hi = EOF_CODE;
      overflow = 1 << 9;
      last = -1;
      continue;
    } else if (code === EOF_CODE) {
      return Uint8Array.from(out);
    } else if (code <= hi) {
      let c = code;
      let i = scratch.length - 1;
      if (code === hi && last !== -1) {
        // The code being defined: the last expansion plus its own first byte.
        c = last;
        while (c >= CLEAR) c = prefix[c]!;
        scratch[i--] = c;
        c = last;
      }
      while (c >= CLEAR) {
        scratch[i--] = suffix[c]!;
        c = prefix[c]!;
      }
      scratch[i] = c;
      for (let k = i; k < scratch.length; k++) out.push(scratch[k]!);
      if (last !== -1) {
        suffix[hi] = c;
        prefix[hi] = last;
      }
    } else {
      throw new LzwError('lzw: invalid code');
    }
    if (out.length > limit) throw new LzwError('lzw: output too large');
    last = code;
    hi++;
    if (hi >= overflow) {
      if (width === MAX_WIDTH) {
        last = -1;
        hi--;
      } else {
        width++;
        overflow <<= 1;
      }
    }
  }
}
