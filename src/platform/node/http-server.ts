// HTTP listeners on node:http: long keep-alive and no request timeout, since blocking queries and
// `consul monitor` hold requests open for minutes.
import http from 'node:http';
import { chmodSync, unlinkSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import type { HttpExchange, HttpHandler, HttpListener, HttpServerFactory } from '../../runtime/http.js';
import type { Addr } from '../../runtime/transport.js';

function exchange(req: http.IncomingMessage, res: http.ServerResponse): HttpExchange {
  const headers: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
  return {
    method: req.method ?? 'GET',
    url: req.url ?? '/',
    headers,
    remote: { ip: req.socket.remoteAddress ?? '', port: req.socket.remotePort ?? 0 },
    readBody(limit: number) {
      return new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        let size = 0;
        let over = false;
        req.on('data', (c: Buffer) => {
          size += c.length;
          if (size > limit) over = true;
          else chunks.push(c);
        });
        req.on('end', () => resolve(over ? null : new Uint8Array(Buffer.concat(chunks))));
        req.on('error', reject);
      });
    },
    respond(status, hdrs, body, opts) {
      if (res.headersSent) return;
      let b: Uint8Array | string = body === undefined ? '' : body;
      if (opts?.gzip && Buffer.byteLength(b) > 0) {
        b = gzipSync(b);
        hdrs = { ...hdrs, 'content-encoding': 'gzip' };
      }
      res.writeHead(status, { ...hdrs, 'content-length': Buffer.byteLength(b) });
      res.end(b);
    },
    stream(status, hdrs) {
      res.writeHead(status, hdrs);
      res.flushHeaders();
      return { write: (c) => void res.write(c), end: () => void res.end() };
    },
    onClose(fn) {
      res.on('close', fn);
    },
  };
}

export const nodeHttpServers: HttpServerFactory = {
  listen(at: Addr | { socketPath: string }, handler: HttpHandler): Promise<HttpListener> {
    return new Promise((resolve, reject) => {
      const server = http.createServer(
        { keepAlive: true, requestTimeout: 0, keepAliveTimeout: 30_000 },
        (req, res) => {
          Promise.resolve(handler(exchange(req, res))).catch((e: unknown) => {
            if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
            res.end(`${(e as Error).message}\n`);
          });
        },
      );
      server.headersTimeout = 0;
      server.once('error', reject);
      const onListening = () => {
        server.off('error', reject);
        const a = server.address();
        const local =
          typeof a === 'object' && a !== null ? { ip: a.address, port: a.port } : { socketPath: String(a) };
        resolve({
          local,
          close: () =>
            new Promise<void>((r) => {
              server.close(() => r());
              server.closeAllConnections();
            }),
        });
      };
      if ('socketPath' in at) {
        try {
          unlinkSync(at.socketPath); // a stale socket from a killed agent
        } catch {
          /* none */
        }
        server.listen(at.socketPath, () => {
          chmodSync(at.socketPath, 0o660);
          onListening();
        });
      } else server.listen(at.port, at.ip, onListening);
    });
  },
};
