// IP address text as Go's net.ParseIP reads it (dotted IPv4, RFC 4291 IPv6 with "::" and an embedded
// IPv4 tail), as 16-byte values so that both families compare and mask the same way, plus CIDR tests.

export type IPBytes = Uint8Array; // always 16 bytes; IPv4 is stored IPv4-mapped (::ffff:a.b.c.d)

function parseV4(s: string): number[] | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  const out: number[] = [];
  for (const p of parts) {
    // Go rejects empty parts, non-digits and leading zeros ("010") since 1.17.
    if (!/^\d{1,3}$/.test(p) || (p.length > 1 && p.startsWith('0'))) return null;
    const n = Number(p);
    if (n > 255) return null;
    out.push(n);
  }
  return out;
}

function parseV6(s: string): number[] | null {
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const groups = (h: string): number[] | null => {
    if (h === '') return [];
    const out: number[] = [];
    const parts = h.split(':');
    for (const [i, p] of parts.entries()) {
      if (i === parts.length - 1 && p.includes('.')) {
        const v4 = parseV4(p);
        if (v4 === null) return null;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return null;
      out.push(parseInt(p, 16));
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (head === null || tail === null) return null;
  let all: number[];
  if (halves.length === 2) {
    const fill = 8 - head.length - tail.length;
    if (fill < 1) return null;
    all = [...head, ...new Array<number>(fill).fill(0), ...tail];
  } else {
    if (head.length !== 8) return null;
    all = head;
  }
  const bytes: number[] = [];
  for (const g of all) bytes.push(g >> 8, g & 0xff);
  return bytes;
}

/** Parses an IPv4 or IPv6 address; null if it is not one (as net.ParseIP returns nil). */
export function parseIP(s: string): IPBytes | null {
  if (s.includes(':')) {
    const b = parseV6(s);
    return b === null ? null : Uint8Array.from(b);
  }
  const v4 = parseV4(s);
  if (v4 === null) return null;
  return Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...v4]);
}

export function isIP(s: string): boolean {
  return parseIP(s) !== null;
}

/** True for IPv4 and IPv4-mapped IPv6 addresses (Go's To4() != nil). */
export function isV4(ip: IPBytes): boolean {
  for (let i = 0; i < 10; i++) if (ip[i] !== 0) return false;
  return ip[10] === 0xff && ip[11] === 0xff;
}

/** Consul's ipaddr.IsAny: the unspecified address in either family, as text. */
export function isAnyAddr(s: string): boolean {
  return s === '0.0.0.0' || s === '::' || s === '[::]';
}

export interface Cidr {
  ip: IPBytes;
  /** Prefix length over the 16-byte form (IPv4 /n is stored as /96+n). */
  bits: number;
  v4: boolean;
}

/** Parses "a.b.c.d/n" or "x::y/n"; null when malformed (Go's net.ParseCIDR error). */
export function parseCidr(s: string): Cidr | null {
  const slash = s.indexOf('/');
  if (slash < 0) return null;
  const ip = parseIP(s.slice(0, slash));
  const bitsText = s.slice(slash + 1);
  if (ip === null || !/^\d{1,3}$/.test(bitsText)) return null;
  const v4 = !s.slice(0, slash).includes(':');
  const n = Number(bitsText);
  if (n > (v4 ? 32 : 128)) return null;
  return { ip, bits: v4 ? 96 + n : n, v4 };
}

export function cidrContains(c: Cidr, ip: IPBytes): boolean {
  if (c.v4 !== isV4(ip)) return false;
  let bits = c.bits;
  for (let i = 0; i < 16 && bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((c.ip[i]! & mask) !== (ip[i]! & mask)) return false;
  }
  return true;
}

/** Is the address text inside any of the CIDR texts? */
export function inAnyCidr(addr: string, cidrs: readonly string[]): boolean {
  const ip = parseIP(addr);
  if (ip === null) return false;
  return cidrs.some((c) => {
    const parsed = parseCidr(c);
    return parsed !== null && cidrContains(parsed, ip);
  });
}

/** Byte-wise order of two addresses (IPv4 sorts before IPv6 in the 16-byte form). */
export function compareIP(a: IPBytes, b: IPBytes): number {
  for (let i = 0; i < 16; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}
