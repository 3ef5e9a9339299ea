// A small DNS client for tests (dns-packet over UDP or TCP).
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';

/** A query's bytes: one question, with an EDNS0 OPT record advertising `edns` bytes when given. */
export function queryBytes(
  name: string,
  type: string,
  opts: { id?: number; edns?: number; klass?: 'IN' | 'CH'; flags?: number } = {},
): Uint8Array {
  return new Uint8Array(
    dnsPacket.encode({
      type: 'query',
      id: opts.id ?? 1,
      ...(opts.flags !== undefined ? { flags: opts.flags } : {}),
      questions: [{ type: type as dnsPacket.RecordType, name, class: opts.klass ?? 'IN' }],
      additionals: opts.edns
        ? [{ type: 'OPT', name: '.', udpPayloadSize: opts.edns } as unknown as dnsPacket.Answer]
        : [],
    }),
  );
}

export async function dnsQuery(
  ip: string,
  port: number,
  name: string,
  type: dnsPacket.RecordType,
  opts: { tcp?: boolean; edns?: number } = {},
): Promise<dnsPacket.Packet & { rcode?: string }> {
  const q = queryBytes(name, type, {
    id: 4242,
    flags: dnsPacket.RECURSION_DESIRED,
    ...(opts.edns ? { edns: opts.edns } : {}),
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
