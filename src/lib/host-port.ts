// Go's net.JoinHostPort: an IPv6 host is bracketed, so the port stays unambiguous.

export function joinHostPort(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}
