// A minimal ustar writer and reader for regular files: enough for Consul's snapshot archive (three
// files, in order). Headers carry name, mode 0600, size and mtime; the checksum is the classic one.

const BLOCK = 512;
const enc = new TextEncoder();
const dec = new TextDecoder();

export interface TarFile {
  name: string;
  data: Uint8Array;
}

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

function header(name: string, size: number, mtimeSec: number): Uint8Array {
  const h = new Uint8Array(BLOCK);
  const put = (at: number, s: string) => h.set(enc.encode(s), at);
  put(0, name.slice(0, 100));
  put(100, octal(0o600, 8));
  put(108, octal(0, 8));
  put(116, octal(0, 8));
  put(124, octal(size, 12));
  put(136, octal(mtimeSec, 12));
  put(148, '        ');
  h[156] = 0x30; // '0': regular file
  put(257, 'ustar\u000000');
  let sum = 0;
  for (const b of h) sum += b;
  put(148, sum.toString(8).padStart(6, '0') + '\0 ');
  return h;
}

export function writeTar(files: readonly TarFile[], mtimeSec: number): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const f of files) {
    parts.push(header(f.name, f.data.length, mtimeSec), f.data);
    const pad = (BLOCK - (f.data.length % BLOCK)) % BLOCK;
    if (pad) parts.push(new Uint8Array(pad));
  }
  parts.push(new Uint8Array(BLOCK * 2));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The regular files of a tar stream, in order; an Error for a damaged one. */
export function readTar(buf: Uint8Array): TarFile[] | Error {
  const files: TarFile[] = [];
  let at = 0;
  while (at + BLOCK <= buf.length) {
    const h = buf.subarray(at, at + BLOCK);
    if (h.every((b) => b === 0)) return files;
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]!;
    const field = (from: number, len: number) =>
      dec.decode(h.subarray(from, from + len)).replace(/\0.*$/s, '');
    const want = parseInt(field(148, 8).trim(), 8);
    if (sum !== want) return new Error(`archive/tar: invalid tar header`);
    const size = parseInt(field(124, 12).trim() || '0', 8);
    const type = h[156];
    at += BLOCK;
    if (at + size > buf.length) return new Error('unexpected EOF');
    if (type === 0x30 || type === 0) files.push({ name: field(0, 100), data: buf.slice(at, at + size) });
    at += Math.ceil(size / BLOCK) * BLOCK;
  }
  return new Error('unexpected EOF');
}
