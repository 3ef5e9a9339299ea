// Forwarding names outside Consul's domains to the configured `recursors`, as Consul's handleRecurse
// does: over the transport the question came in on, each recursor in turn (or in random order with
// dns_config.recursor_strategy = "random") with recursor_timeout each; the first answer that is
// NOERROR or NXDOMAIN (or truncated) goes back as it came; if none, SERVFAIL.

import type { Addr, PacketTransport, StreamTransport } from '../runtime/transport.js';
import type { Timers } from '../runtime/timers.js';

export interface RecursorPorts {
  packets: PacketTransport;
  streams: StreamTransport;
  timers: Timers;
}

/** "8.8.8.8", "8.8.8.8:53", "[::1]:5353" → address (port 53 unless given). */
export function recursorAddr(s: string): Addr {
  const v6 = /^\[(.+)\](?::(\d+))?$/.exec(s);
  if (v6) return { ip: v6[1]!, port: Number(v6[2] ?? 53) };
  const i = s.lastIndexOf(':');
  if (i > 0 && s.indexOf(':') === i) return { ip: s.slice(0, i), port: Number(s.slice(i + 1)) };
  return { ip: s, port: 53 };
}

/** One exchange with one server; rejects on timeout or a transport error. */
export function exchange(
  ports: RecursorPorts,
  to: Addr,
  query: Uint8Array,
  transport: 'udp' | 'tcp',
  timeoutMs: number,
): Promise<Uint8Array> {
  return transport === 'udp'
    ? exchangeUdp(ports, to, query, timeoutMs)
    : exchangeTcp(ports, to, query, timeoutMs);
}

async function exchangeUdp(
  ports: RecursorPorts,
  to: Addr,
  query: Uint8Array,
  timeoutMs: number,
): Promise<Uint8Array> {
  const sock = await ports.packets.bind({ ip: to.ip.includes(':') ? '::' : '0.0.0.0', port: 0 });
  try {
    return await new Promise<Uint8Array>((resolve, reject) => {
      const timer = ports.timers.after(timeoutMs, () =>
        reject(new Error(`read udp ${to.ip}:${to.port}: i/o timeout`)),
      );
      sock.onPacket((from, data) => {
        // Only the server's answer to this question (same ID).
        if (from.port !== to.port || data.length < 2 || data[0] !== query[0] || data[1] !== query[1]) return;
        timer.cancel();
        resolve(data);
      });
      sock.send(to, query);
    });
  } finally {
    await sock.close();
  }
}

async function exchangeTcp(
  ports: RecursorPorts,
  to: Addr,
  query: Uint8Array,
  timeoutMs: number,
): Promise<Uint8Array> {
  const conn = await ports.streams.connect(to, timeoutMs);
  return new Promise<Uint8Array>((resolve, reject) => {
    const timer = ports.timers.after(timeoutMs, () => {
      conn.destroy();
      reject(new Error(`read tcp ${to.ip}:${to.port}: i/o timeout`));
    });
    let buf = new Uint8Array();
    conn.onData((chunk) => {
      const next = new Uint8Array(buf.length + chunk.length);
      next.set(buf);
      next.set(chunk, buf.length);
      buf = next;
      if (buf.length < 2) return;
      const len = (buf[0]! << 8) | buf[1]!;
      if (buf.length < 2 + len) return;
      timer.cancel();
      conn.end();
      resolve(buf.slice(2, 2 + len));
    });
    conn.onClose((err) => {
      timer.cancel();
      reject(err ?? new Error('connection closed'));
    });
    const framed = new Uint8Array(query.length + 2);
    framed[0] = query.length >> 8;
    framed[1] = query.length & 0xff;
    framed.set(query, 2);
    conn.write(framed);
  });
}
