// UDP checks: send one (empty) datagram to host:port; a reply or a read timeout is passing (UDP has
// no handshake to fail), an error sending is critical.

import type { Timers } from '../runtime/timers.js';
import type { PacketTransport } from '../runtime/transport.js';
import type { CheckStatus } from './runner.js';

export function splitHostPort(s: string): { ip: string; port: number } {
  const i = s.lastIndexOf(':');
  return { ip: s.slice(0, i).replace(/^\[(.*)\]$/, '$1'), port: Number(s.slice(i + 1)) };
}

export async function runUdp(
  target: string,
  timeoutMs: number,
  ports: { packets: PacketTransport; timers: Timers },
): Promise<{ status: CheckStatus; output: string }> {
  const to = splitHostPort(target);
  const ok = { status: 'passing' as const, output: `UDP connect ${target}: Success` };
  if (!Number.isInteger(to.port) || to.port < 0 || to.port > 65535)
    return { status: 'critical', output: `dial udp ${target}: address ${target}: invalid port` };
  let sock;
  try {
    sock = await ports.packets.bind({ ip: to.ip.includes(':') ? '::' : '0.0.0.0', port: 0 });
  } catch (e) {
    return { status: 'critical', output: `dial udp ${target}: ${(e as Error).message}` };
  }
  try {
    const replied = new Promise<void>((resolve) => sock.onPacket(() => resolve()));
    sock.send(to, new Uint8Array(0));
    let timer: { cancel(): void } | undefined;
    await Promise.race([replied, new Promise<void>((r) => (timer = ports.timers.after(timeoutMs, r)))]);
    timer?.cancel();
    return ok;
  } catch (e) {
    return {
      status: 'critical',
      output: `write udp ${sock.local.ip}:${sock.local.port}->${target}: ${(e as Error).message}`,
    };
  } finally {
    void sock.close();
  }
}
