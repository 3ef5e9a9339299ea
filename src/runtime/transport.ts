// Transport ports: datagrams (gossip UDP, DNS) and streams (gossip TCP, server RPC, Raft).

export interface Addr {
  ip: string;
  port: number;
}

export interface PacketSocket {
  readonly local: Addr;
  send(to: Addr, data: Uint8Array): void;
  onPacket(fn: (from: Addr, data: Uint8Array) => void): void;
  close(): Promise<void>;
}

export interface StreamConn {
  readonly local: Addr;
  readonly remote: Addr;
  write(data: Uint8Array): boolean;
  onData(fn: (chunk: Uint8Array) => void): void;
  onClose(fn: (err?: Error) => void): void;
  /**
   * The peer half-closed (sent FIN) and this end may still write (protocols that read "until EOF", as
   * Consul's snapshot RPC). Without a handler, a half-close ends this side too. Optional: transports
   * without half-close support leave it out.
   */
  onEnd?(fn: () => void): void;
  end(): void;
  destroy(err?: Error): void;
}

export interface StreamListener {
  readonly local: Addr;
  close(): Promise<void>;
}

export interface PacketTransport {
  bind(addr: Addr): Promise<PacketSocket>;
}

export interface StreamTransport {
  listen(addr: Addr, onConn: (c: StreamConn) => void): Promise<StreamListener>;
  connect(to: Addr, timeoutMs: number): Promise<StreamConn>;
}
