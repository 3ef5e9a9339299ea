// H2PING checks: open an HTTP/2 connection (TLS unless h2ping_use_tls is false) and PING it.

import type { Http2Client, Http2Options } from '../runtime/http2.js';
import type { CheckStatus } from './runner.js';

export async function runH2Ping(
  target: string,
  opts: Http2Options,
  h2: Http2Client,
): Promise<{ status: CheckStatus; output: string }> {
  const r = await h2.ping(target, opts);
  if (r.ok) return { status: 'passing', output: 'HTTP2 ping was successful' };
  if (r.stage === 'dial') return { status: 'critical', output: `Failed to dial to ${target}: ${r.message}` };
  return { status: 'critical', output: `HTTP2 ping failed: ${r.message}` };
}
