// HTTP client over node:http/https (and unix sockets), used by api/ for every CLI command.
import http from 'node:http';
import https from 'node:https';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { HttpClient, HttpClientRequest, HttpClientResponse } from '../../runtime/http.js';

function loadCAs(caFile?: string, caPath?: string): Buffer[] | undefined {
  const out: Buffer[] = [];
  if (caFile) out.push(readFileSync(caFile));
  if (caPath) for (const f of readdirSync(caPath)) out.push(readFileSync(path.join(caPath, f)));
  return out.length ? out : undefined;
}

export const nodeHttpClient: HttpClient = {
  request(req: HttpClientRequest): Promise<HttpClientResponse> {
    return new Promise((resolve, reject) => {
      const isHttps = !req.socketPath && req.url.startsWith('https:');
      const mod = isHttps ? https : http;
      const headers: Record<string, string> = { ...(req.headers ?? {}) };
      const body =
        req.body === undefined
          ? undefined
          : typeof req.body === 'string'
            ? Buffer.from(req.body)
            : Buffer.from(req.body);
      if (body) headers['content-length'] = String(body.length);
      const opts: https.RequestOptions = { method: req.method, headers, signal: req.signal };
      if (isHttps && req.tls) {
        opts.ca = loadCAs(req.tls.caFile, req.tls.caPath);
        if (req.tls.certFile) opts.cert = readFileSync(req.tls.certFile);
        if (req.tls.keyFile) opts.key = readFileSync(req.tls.keyFile);
        if (req.tls.serverName) opts.servername = req.tls.serverName;
        if (req.tls.insecure) opts.rejectUnauthorized = false;
      }
      let target: string | URL = req.url;
      if (req.socketPath) {
        opts.socketPath = req.socketPath;
        opts.path = req.url;
        target = '';
      }
      const onResponse = (res: http.IncomingMessage) => {
        const hdrs: Record<string, string | undefined> = {};
        for (const [k, v] of Object.entries(res.headers)) hdrs[k] = Array.isArray(v) ? v.join(', ') : v;
        resolve({
          status: res.statusCode ?? 0,
          headers: hdrs,
          async body() {
            const chunks: Buffer[] = [];
            for await (const c of res) chunks.push(c as Buffer);
            return new Uint8Array(Buffer.concat(chunks));
          },
          async *chunks() {
            for await (const c of res) yield new Uint8Array(c as Buffer);
          },
        });
      };
      const r = target === '' ? mod.request(opts, onResponse) : mod.request(target, opts, onResponse);
      r.on('error', reject);
      r.end(body);
    });
  },
};
