// When a response is gzip-encoded. Consul wraps its handlers in NYTimes/gziphandler with MinSize(0):
// every non-empty body goes compressed to a client that accepts gzip, and every response says
// `Vary: Accept-Encoding`. Accept-Encoding is read as gziphandler does: codings with q-values, q=0 refuses.

export function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  for (const part of header.split(',')) {
    const [coding, ...params] = part.split(';').map((x) => x.trim());
    if (coding?.toLowerCase() !== 'gzip') continue;
    let q = 1;
    for (const p of params) {
      const m = /^q=(.*)$/i.exec(p);
      if (m) q = Number(m[1]);
    }
    return Number.isFinite(q) && q > 0;
  }
  return false;
}
