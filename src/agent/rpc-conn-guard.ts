// The server RPC listener's two defences against unauthenticated clients, as Consul's server applies
// them before reading the protocol byte: at most `limits.rpc_max_conns_per_client` open connections per
// source IP (0 = no limit; Raft and client RPC count alike), and `limits.rpc_handshake_timeout` for
// the first byte to arrive. Both are read on every accept, so `consul reload` changes them.
import { formatAddr } from '../lib/host-port.js';
import type { Logger } from '../runtime/logger.js';
import type { TimerHandle, Timers } from '../runtime/timers.js';
import type { StreamConn, StreamTransport } from '../runtime/transport.js';

export interface ConnLimits {
  maxConnsPerClient: number;
  handshakeTimeoutMs: number;
}

/** `inner` with its listeners guarded; connect is untouched. */
export function guardRpcListener(
  inner: StreamTransport,
  limits: () => ConnLimits,
  timers: Timers,
  log: Logger,
): StreamTransport & { openFrom(ip: string): number } {
  const open = new Map<string, number>();
  const release = (ip: string) => {
    const n = (open.get(ip) ?? 1) - 1;
    if (n <= 0) open.delete(ip);
    else open.set(ip, n);
  };
  return {
    connect: (to, timeoutMs) => inner.connect(to, timeoutMs),
    openFrom: (ip) => open.get(ip) ?? 0,
    listen: (addr, onConn) =>
      inner.listen(addr, (conn) => {
        const { maxConnsPerClient, handshakeTimeoutMs } = limits();
        const ip = conn.remote.ip;
        const n = open.get(ip) ?? 0;
        if (maxConnsPerClient > 0 && n >= maxConnsPerClient) {
          log.error(
            'rejecting RPC conn from because rpc_max_conns_per_client exceeded',
            'conn',
            `from=${formatAddr(conn.remote)}`,
          );
          conn.destroy();
          return;
        }
        open.set(ip, n + 1);
        let closed = false;
        let timer: TimerHandle | null = null;
        conn.onClose(() => {
          if (closed) return;
          closed = true;
          timer?.cancel();
          release(ip);
        });
        if (handshakeTimeoutMs <= 0) return onConn(conn);
        timer = timers.after(handshakeTimeoutMs, () => {
          log.error(
            'failed to read byte',
            'conn',
            `from=${formatAddr(conn.remote)}`,
            'error',
            `read tcp ${formatAddr(conn.local)}->${formatAddr(conn.remote)}: i/o timeout`,
          );
          conn.destroy();
        });
        onConn(firstByteWatch(conn, () => timer?.cancel()));
      }),
  };
}

/** `conn`, calling `first` once when its first bytes arrive (before they are handed on). */
function firstByteWatch(conn: StreamConn, first: () => void): StreamConn {
  let seen = false;
  return {
    local: conn.local,
    remote: conn.remote,
    write: (d) => conn.write(d),
    onData: (fn) =>
      conn.onData((chunk) => {
        if (!seen && chunk.length > 0) {
          seen = true;
          first();
        }
        fn(chunk);
      }),
    onClose: (fn) => conn.onClose(fn),
    ...(conn.onEnd ? { onEnd: (fn: () => void) => conn.onEnd!(fn) } : {}),
    end: () => conn.end(),
    destroy: (err) => conn.destroy(err),
  };
}
