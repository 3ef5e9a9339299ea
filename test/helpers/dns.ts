// A small DNS client for tests (dns-packet over UDP or TCP).
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';

export async function dnsQuery(
  ip: string,
  port: number,
  name: string,
  type: dnsPacket.RecordType,
  opts: { tcp?: boolean; edns?: number } = {},
): Promise<dnsPacket.Packet & { rcode?: string }> {
  const q = dnsPacket.encode({
    type: 'query',
    id: 4242,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type, name }],
    additionals: opts.edns
      ? [{ type: 'OPT', name: '.', udpPayloadSize: opts.edns } as unknown as dnsPacket.Answer]
      : [],
  });
  if (opts.tcp) {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, ip, () =>
        s.write(dnsPacket.streamEncode({ type: 'query', id: 4242, questions: [{ type, name }] })),
      );
      let buf = Buffer.alloc(0);
      s.on('data', (c) => {
        buf = Buffer.concat([buf, c]);
        if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
          s.destroy();
          resolve(dnsPacket.streamDecode(buf) as dnsPacket.Packet & { rcode?: string });
        }
      });
      s.on('error', reject);
    });
  }
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    const t = setTimeout(() => {
      s.close();
      reject(new Error('DNS timeout'));
    }, 3000);
    s.on('message', (m) => {
      clearTimeout(t);
      s.close();
      resolve(dnsPacket.decode(m) as dnsPacket.Packet & { rcode?: string });
    });
    s.send(q, port, ip);
  });
}
