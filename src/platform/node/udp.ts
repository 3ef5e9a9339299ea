// UDP datagrams through node:dgram (DNS today; gossip later).
import dgram from 'node:dgram';
import type { Addr, PacketSocket, PacketTransport } from '../../runtime/transport.js';

export const nodeUdp: PacketTransport = {
  bind(addr: Addr): Promise<PacketSocket> {
    return new Promise((resolve, reject) => {
      const sock = dgram.createSocket({ type: addr.ip.includes(':') ? 'udp6' : 'udp4', reuseAddr: false });
      let handler: (from: Addr, data: Uint8Array) => void = () => {};
      sock.on('message', (msg, rinfo) =>
        handler({ ip: rinfo.address, port: rinfo.port }, new Uint8Array(msg)),
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
