// Routes for HTTP API v1 on find-my-way, with Consul's behaviour where the library differs:
// a known path with the wrong verb is 405 with `Allow` (OPTIONS first), OPTIONS answers 200 with
// `Allow`, and an unknown path is Go's "404 page not found".

import FindMyWay from 'find-my-way';
import type { HttpExchange } from '../runtime/http.js';

export interface Request {
  readonly ex: HttpExchange;
  readonly method: string;
  readonly path: string;
  readonly params: Readonly<Record<string, string | undefined>>;
  readonly query: URLSearchParams;
  /** The ACL token the request carries, or the agent's default ("" = anonymous); see token.ts. */
  readonly token: string;
}

export interface Reply {
  status?: number;
  /** JSON body (encoded by the caller's encoder: compact or `?pretty`). */
  json?: unknown;
  /** Plain-text body (errors use Go's text/plain; charset=utf-8). */
  text?: string;
  /** Raw bytes, sent as they are (KV ?raw). */
  raw?: Uint8Array;
  headers?: Record<string, string>;
}

/** A handler returns a reply, or nothing when it wrote the response itself (streams). */
export type Handler = (req: Request) => Reply | undefined | Promise<Reply | undefined>;

const METHODS = ['GET', 'PUT', 'POST', 'DELETE', 'HEAD'] as const;
type Method = (typeof METHODS)[number];

export class Router {
  private readonly fmw = FindMyWay({ ignoreTrailingSlash: false, caseSensitive: true });

  on(methods: Method | Method[], path: string, handler: Handler): void {
    for (const m of Array.isArray(methods) ? methods : [methods])
      this.fmw.on(m, path, () => {}, { handler, pattern: path });
  }

  /** The route pattern that serves method+path ("/v1/kv/*"), or null. */
  patternOf(method: string, path: string): string | null {
    if (!(METHODS as readonly string[]).includes(method)) return null;
    const hit = this.fmw.find(method as Method, path);
    return hit ? (hit.store as { pattern: string }).pattern : null;
  }

  /** The handler for method+path, the allowed verbs when only the verb is wrong, or null. */
  find(
    method: string,
    path: string,
  ):
    | { handler: Handler; params: Record<string, string | undefined>; pattern: string }
    | { allow: string[] }
    | null {
    if ((METHODS as readonly string[]).includes(method)) {
      const hit = this.fmw.find(method as Method, path);
      if (hit) {
        const store = hit.store as { handler: Handler; pattern: string };
        return { handler: store.handler, params: hit.params, pattern: store.pattern };
      }
    }
    const allow = METHODS.filter((m) => this.fmw.find(m, path) !== null);
    if (allow.length === 0) return null;
    return { allow: ['OPTIONS', ...allow] };
  }
}
