// DNS over TCP frames each message with a two-byte big-endian length (RFC 1035 4.2.2). Bytes arrive in
// arbitrary chunks: this collects them and hands back each whole message, keeping a partial one.

export class TcpFramer {
  private buf = new Uint8Array(0);

  /** Adds a chunk; returns the messages it completed, in order (a zero-length frame gives an empty one). */
  push(chunk: Uint8Array): Uint8Array[] {
    const next = new Uint8Array(this.buf.length + chunk.length);
    next.set(this.buf);
    next.set(chunk, this.buf.length);
    const out: Uint8Array[] = [];
    let at = 0;
    while (next.length - at >= 2) {
      const len = (next[at]! << 8) | next[at + 1]!;
      if (next.length - at < 2 + len) break;
      out.push(next.slice(at + 2, at + 2 + len));
      at += 2 + len;
    }
    this.buf = next.slice(at);
    return out;
  }

  /** Bytes held for a message not yet complete. */
  get pending(): number {
    return this.buf.length;
  }
}

/** A message with its length prefix (at most 65535 bytes, as the prefix can say). */
export function frame(msg: Uint8Array): Uint8Array {
  if (msg.length > 0xffff) throw new RangeError(`DNS message of ${msg.length} bytes cannot be framed`);
  const out = new Uint8Array(msg.length + 2);
  out[0] = msg.length >> 8;
  out[1] = msg.length & 0xff;
  out.set(msg, 2);
  return out;
}
