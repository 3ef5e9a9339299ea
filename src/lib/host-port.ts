// Go's net.JoinHostPort: an IPv6 host is bracketed, so the port stays unambiguous.

export function joinHostPort(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** An address as Go's net.Addr.String() prints it (Consul's logConn writes `from=` and this). */
export function formatAddr(a: { ip: string; port: number }): string {
  return joinHostPort(a.ip, a.port);
}
