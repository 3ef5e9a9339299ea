// Http2Client port: the HTTP/2 conversations health checks need (a PING, one gRPC unary call), over
// TLS (ALPN h2) or cleartext h2c.

export interface Http2Options {
  tls: boolean;
  /** tls_skip_verify: accept any server certificate. */
  skipVerify: boolean;
  /** tls_server_name: SNI and the name the certificate must carry. */
  serverName?: string;
  timeoutMs: number;
}

/** How an exchange failed: while connecting, or after (the error text follows Go's wording). */
export type Http2Failure = { ok: false; stage: 'dial' | 'exchange'; message: string };

export type PingResult = { ok: true } | Http2Failure;

/** A gRPC reply: grpc-status (0 = OK), grpc-message and the first response message's bytes. */
export type GrpcResult = { ok: true; status: number; message: string; body: Uint8Array } | Http2Failure;

export interface Http2Client {
  /** Connects to host:port, sends one PING and waits for its ACK. */
  ping(target: string, opts: Http2Options): Promise<PingResult>;
  /** POSTs one length-prefixed gRPC message to `path` on host:port. */
  grpcUnary(target: string, path: string, message: Uint8Array, opts: Http2Options): Promise<GrpcResult>;
}
