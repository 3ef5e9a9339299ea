// TCP streams through node:net (server RPC / Raft on :8300; gossip streams later).
import net from 'node:net';
import type { Addr, StreamConn, StreamListener, StreamTransport } from '../../runtime/transport.js';

function wrap(s: net.Socket): StreamConn {
  s.setNoDelay(true);
  const closers: Array<(err?: Error) => void> = [];
  let closed = false;
  let lastErr: Error | undefined;
  s.on('error', (e) => (lastErr = e));
  // Sockets are half-open capable (allowHalfOpen); a peer's FIN ends our side too unless a handler
  // asked to keep writing, which is net's default behaviour for everyone else.
  let onEnd: (() => void) | null = null;
  s.on('end', () => (onEnd ? onEnd() : s.end()));
  s.on('close', () => {
    if (closed) return;
    closed = true;
    for (const fn of closers) fn(lastErr);
  });
  return {
    local: { ip: s.localAddress ?? '', port: s.localPort ?? 0 },
    remote: { ip: s.remoteAddress ?? '', port: s.remotePort ?? 0 },
    write: (d) => (s.destroyed ? false : s.write(d)),
    onData: (fn) => void s.on('data', (c: Buffer) => fn(new Uint8Array(c.buffer, c.byteOffset, c.length))),
    onClose: (fn) => void closers.push(fn),
    onEnd: (fn) => void (onEnd = fn),
    end: () => void s.end(),
    destroy: (e) => void s.destroy(e),
  };
}

export const nodeTcp: StreamTransport = {
  listen(addr: Addr, onConn: (c: StreamConn) => void): Promise<StreamListener> {
    return new Promise((resolve, reject) => {
      const conns = new Set<net.Socket>();
      const server = net.createServer({ allowHalfOpen: true }, (s) => {
        conns.add(s);
        s.on('close', () => conns.delete(s));
        onConn(wrap(s));
      });
      server.once('error', reject);
      server.listen(addr.port, addr.ip, () => {
        server.off('error', reject);
        const a = server.address() as net.AddressInfo;
        resolve({
          local: { ip: a.address, port: a.port },
          close: () =>
            new Promise<void>((r) => {
              for (const s of conns) s.destroy();
              server.close(() => r());
            }),
        });
      });
    });
  },
  connect(to: Addr, timeoutMs: number): Promise<StreamConn> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: to.ip, port: to.port, allowHalfOpen: true });
      const t = setTimeout(
        () => s.destroy(new Error(`dial tcp ${to.ip}:${to.port}: i/o timeout`)),
        timeoutMs,
      );
      s.once('connect', () => {
        clearTimeout(t);
        s.off('error', reject);
        resolve(wrap(s));
      });
      s.once('error', (e) => {
        clearTimeout(t);
        reject(e);
      });
    });
  },
};
