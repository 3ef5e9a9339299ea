// UDP datagrams through node:dgram (DNS today; gossip later).
import dgram from 'node:dgram';
import { isIP } from 'node:net';
import { lookup as dnsLookup } from 'node:dns';

/**
 * Addresses here are IP literals: answer them at once instead of through dns.lookup (which defers
 * every send by a tick); anything else still goes to the resolver.
 */
function literalLookup(
  host: string,
  opts: unknown,
  cb: (err: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void {
  const family = isIP(host);
  if (family !== 0) cb(null, host, family);
  else dnsLookup(host, opts as number, cb);
}
import type { Addr, PacketSocket, PacketTransport } from '../../runtime/transport.js';

export const nodeUdp: PacketTransport = {
  bind(addr: Addr): Promise<PacketSocket> {
    return new Promise((resolve, reject) => {
      const sock = dgram.createSocket({
        type: addr.ip.includes(':') ? 'udp6' : 'udp4',
        reuseAddr: false,
        lookup: literalLookup as unknown as dgram.SocketOptions['lookup'],
      });
      let handler: (from: Addr, data: Uint8Array) => void = () => {};
      sock.on('message', (msg, rinfo) =>
        // A view, not a copy: each datagram arrives in its own buffer.
        handler(
          { ip: rinfo.address, port: rinfo.port },
          new Uint8Array(msg.buffer, msg.byteOffset, msg.length),
        ),
      );
      sock.once('error', reject);
      sock.bind(addr.port, addr.ip, () => {
        sock.off('error', reject);
        sock.on('error', () => {}); // send errors to vanished peers are not ours to crash on
        const a = sock.address();
        resolve({
          local: { ip: a.address, port: a.port },
          send: (to, data) => sock.send(data, to.port, to.ip),
          onPacket: (fn) => void (handler = fn),
          close: () => new Promise<void>((r) => sock.close(() => r())),
        });
      });
    });
  },
};
