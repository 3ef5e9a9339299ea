// HTTP ports: the server side (an exchange the http/ layer answers) and the client side (used by api/).

import type { Addr } from './transport.js';

export interface HttpStream {
  write(chunk: Uint8Array | string): void;
  end(): void;
}

export interface HttpExchange {
  readonly method: string;
  /** Request target as received: path plus optional query, still percent-encoded. */
  readonly url: string;
  /** Header names lower-cased; repeated headers joined with ", ". */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly remote: Addr;
  /** The whole body, or null when it exceeds `limit` bytes. */
  readBody(limit: number): Promise<Uint8Array | null>;
  /** `gzip`: send the body gzip-encoded (with Content-Encoding: gzip); the caller decides when. */
  respond(
    status: number,
    headers: Record<string, string>,
    body?: Uint8Array | string,
    opts?: { gzip?: boolean },
  ): void;
  /** Starts a chunked response for streaming endpoints (monitor, blocking streams). */
  stream(status: number, headers: Record<string, string>): HttpStream;
  /** Called when the client goes away (used to stop streams and blocking queries). */
  onClose(fn: () => void): void;
}

export type HttpHandler = (ex: HttpExchange) => void | Promise<void>;

export interface HttpListener {
  readonly local: Addr | { socketPath: string };
  close(): Promise<void>;
}

export interface HttpServerFactory {
  listen(at: Addr | { socketPath: string }, handler: HttpHandler): Promise<HttpListener>;
}

export interface HttpClientRequest {
  method: string;
  /** Absolute URL (http://host:port/path?query), or a path when `socketPath` is set. */
  url: string;
  socketPath?: string;
  headers?: Record<string, string>;
  body?: Uint8Array | string;
  signal?: AbortSignal;
  /** TLS options for https URLs. */
  tls?: {
    caFile?: string;
    caPath?: string;
    certFile?: string;
    keyFile?: string;
    serverName?: string;
    insecure?: boolean;
  };
}

export interface HttpClientResponse {
  status: number;
  headers: Readonly<Record<string, string | undefined>>;
  /** The whole body. */
  body(): Promise<Uint8Array>;
  /** The body as it arrives (streaming endpoints). */
  chunks(): AsyncIterable<Uint8Array>;
}

export interface HttpClient {
  request(req: HttpClientRequest): Promise<HttpClientResponse>;
}
