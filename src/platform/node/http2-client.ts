// HTTP/2 for grpc and h2ping checks through node:http2: a fresh connection per check (as Consul dials
// one per run), closed afterwards. Error texts follow Go's net and grpc wording where tests see them.
import http2 from 'node:http2';
import type { GrpcResult, Http2Client, Http2Failure, Http2Options, PingResult } from '../../runtime/http2.js';

function dialText(target: string, e: NodeJS.ErrnoException): string {
  if (e.code === 'ECONNREFUSED') return `dial tcp ${target}: connect: connection refused`;
  if (e.code === 'ETIMEDOUT') return `dial tcp ${target}: i/o timeout`;
  return e.message;
}

/** Opens a session; resolves once connected (TLS handshake and settings done) or with the failure. */
function open(
  target: string,
  o: Http2Options,
): Promise<{ ok: true; s: http2.ClientHttp2Session } | Http2Failure> {
  return new Promise((resolve) => {
    const url = `${o.tls ? 'https' : 'http'}://${target}`;
    let s: http2.ClientHttp2Session;
    try {
      s = http2.connect(url, {
        rejectUnauthorized: !o.skipVerify,
        ...(o.serverName ? { servername: o.serverName } : {}),
        ALPNProtocols: ['h2'],
      });
    } catch (e) {
      return resolve({ ok: false, stage: 'dial', message: (e as Error).message });
    }
    const t = setTimeout(() => {
      s.destroy();
      resolve({ ok: false, stage: 'dial', message: `dial tcp ${target}: i/o timeout` });
    }, o.timeoutMs);
    s.once('connect', () => {
      clearTimeout(t);
      s.on('error', () => {}); // later errors end the exchange below, never the process
      resolve({ ok: true, s });
    });
    s.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(t);
      s.destroy();
      resolve({ ok: false, stage: 'dial', message: dialText(target, e) });
    });
  });
}

export const nodeHttp2Client: Http2Client = {
  async ping(target: string, o: Http2Options): Promise<PingResult> {
    const c = await open(target, o);
    if (!c.ok) return c;
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        c.s.destroy();
        resolve({ ok: false, stage: 'exchange', message: 'context deadline exceeded' });
      }, o.timeoutMs);
      const sent = c.s.ping((err) => {
        clearTimeout(t);
        c.s.close();
        resolve(err ? { ok: false, stage: 'exchange', message: err.message } : { ok: true });
      });
      if (!sent) {
        clearTimeout(t);
        c.s.destroy();
        resolve({ ok: false, stage: 'exchange', message: 'http2: client connection lost' });
      }
    });
  },

  async grpcUnary(target: string, path: string, message: Uint8Array, o: Http2Options): Promise<GrpcResult> {
    const c = await open(target, o);
    if (!c.ok)
      return {
        ok: false,
        stage: 'dial',
        message: `rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: ${c.message}"`,
      };
    return new Promise((resolve) => {
      const chunks: Buffer[] = [];
      let status: number | null = null;
      let grpcMessage = '';
      let done = false;
      const finish = (r: GrpcResult) => {
        if (done) return;
        done = true;
        clearTimeout(t);
        c.s.close();
        resolve(r);
      };
      const t = setTimeout(() => {
        c.s.destroy();
        finish({
          ok: false,
          stage: 'exchange',
          message: 'rpc error: code = DeadlineExceeded desc = context deadline exceeded',
        });
      }, o.timeoutMs);
      const readStatus = (h: http2.IncomingHttpHeaders) => {
        if (h['grpc-status'] !== undefined) status = Number(h['grpc-status']);
        if (typeof h['grpc-message'] === 'string') grpcMessage = decodeURIComponent(h['grpc-message']);
      };
      const req = c.s.request({
        ':method': 'POST',
        ':path': path,
        'content-type': 'application/grpc',
        te: 'trailers',
        'grpc-timeout': `${Math.max(1, Math.ceil(o.timeoutMs))}m`,
      });
      req.on('response', (h) => {
        const code = Number(h[':status']);
        if (code !== 200 && h['grpc-status'] === undefined)
          finish({
            ok: false,
            stage: 'exchange',
            message: `rpc error: code = Unknown desc = unexpected HTTP status code received from server: ${code}`,
          });
        readStatus(h);
      });
      req.on('trailers', readStatus);
      req.on('data', (d: Buffer) => chunks.push(d));
      req.on('error', (e) =>
        finish({
          ok: false,
          stage: 'exchange',
          message: `rpc error: code = Unavailable desc = ${e.message}`,
        }),
      );
      req.on('end', () => {
        const all = Buffer.concat(chunks);
        // One length-prefixed message: 1 byte compressed flag, 4 bytes big-endian length.
        const len = all.length >= 5 ? all.readUInt32BE(1) : 0;
        const body = new Uint8Array(all.subarray(5, 5 + len));
        finish({ ok: true, status: status ?? 2, message: grpcMessage, body });
      });
      const frame = Buffer.alloc(5 + message.length);
      frame.writeUInt32BE(message.length, 1);
      frame.set(message, 5);
      req.end(frame);
    });
  },
};
