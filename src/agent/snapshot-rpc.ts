// Consul's snapshot RPC (first byte pool.RPCSnapshot): the caller writes a msgpack SnapshotRequest
// {Datacenter, Token, AllowStale, Op: 0 save | 1 restore}, for a restore the archive after it, and
// half-closes; the server answers with a msgpack SnapshotResponse {Error, Index, LastContact,
// KnownLeader, ...} followed, for a save, by the archive, then closes. The work is /v1/snapshot's on
// this server (leader forwarding and errors included), so both ways into it behave alike.
import { MsgDecodeError, MsgReader, MsgWriter, type MsgValue } from '../codec/msgpack.js';
import { field, str, url } from './consul-rpc.js';
import { concatBytes } from '../lib/bytes.js';
import { formatAddr } from '../lib/host-port.js';
import type { Logger } from '../runtime/logger.js';
import type { StreamConn } from '../runtime/transport.js';
import type { HttpAnswer, HttpCall } from './rpc.js';

/** Consul's pool.RPCSnapshot. */
export const RPC_SNAPSHOT = 0x05;
/** Largest request (header and archive) buffered: /v1/snapshot's own limit for an archive. */
const MAX_SNAPSHOT_REQUEST = 1 << 30;

const SNAPSHOT_SAVE = 0;
const SNAPSHOT_RESTORE = 1;

type Local = (call: HttpCall) => Promise<HttpAnswer>;

/** The request header and what follows it, once the header is whole; null while it is not. */
function splitRequest(buf: Uint8Array): { args: MsgValue; rest: Uint8Array } | null {
  try {
    const r = new MsgReader(buf);
    const args = r.read();
    return { args, rest: buf.subarray(r.offset) };
  } catch (e) {
    if (e instanceof MsgDecodeError && e.needed !== undefined) return null;
    throw e;
  }
}

function response(error: string, a: HttpAnswer | null): Uint8Array {
  const h = (k: string) => a?.headers.get(k) ?? '';
  return new MsgWriter()
    .struct({
      Error: (w) => void w.str(error),
      Index: (w) => void w.uint(BigInt(h('x-consul-index') || '0')),
      LastContact: (w) => void w.int(BigInt(h('x-consul-lastcontact') || '0') * 1_000_000n),
      KnownLeader: (w) => void w.bool(h('x-consul-knownleader') !== 'false'),
    })
    .bytes();
}

/** Serves one snapshot RPC connection (after the protocol byte), reading the request until EOF. */
export function serveSnapshotRpc(conn: StreamConn, first: Uint8Array, local: Local, log: Logger): void {
  const chunks: Uint8Array[] = first.length > 0 ? [first] : [];
  let held = first.length;
  let failed = false;
  const fail = (why: string) => {
    failed = true;
    log.error('Snapshot RPC error', 'error', why, 'conn', `from=${formatAddr(conn.remote)}`);
    conn.destroy();
  };
  conn.onData((c) => {
    if (failed) return;
    chunks.push(c);
    held += c.length;
    if (held > MAX_SNAPSHOT_REQUEST) fail('failed to decode request: snapshot request too large');
  });
  const run = async () => {
    let req: { args: MsgValue; rest: Uint8Array } | null;
    try {
      req = splitRequest(concatBytes(...chunks));
    } catch (e) {
      return fail(`failed to decode request: ${(e as Error).message}`);
    }
    if (!req) return fail('failed to decode request: EOF');
    const { args, rest } = req;
    const op = field(args, 'Op');
    const q = new Map<string, string>();
    if (str(args, 'Datacenter')) q.set('dc', str(args, 'Datacenter'));
    if (field(args, 'AllowStale') === true) q.set('stale', '');
    const headers = new Map<string, string>();
    if (str(args, 'Token')) headers.set('x-consul-token', str(args, 'Token'));
    const call: HttpCall = {
      method: op === SNAPSHOT_RESTORE ? 'PUT' : 'GET',
      url: url('/v1/snapshot', q),
      headers,
      body: op === SNAPSHOT_RESTORE ? rest : new Uint8Array(),
    };
    let out: Uint8Array[];
    if (op !== SNAPSHOT_SAVE && op !== SNAPSHOT_RESTORE)
      out = [response(`unrecognized snapshot op ${String(op)}`, null)];
    else {
      const a = await local(call);
      if (a.status !== 200) out = [response(new TextDecoder().decode(a.body).trim(), a)];
      else out = op === SNAPSHOT_SAVE ? [response('', a), a.body] : [response('', a)];
    }
    for (const b of out) conn.write(b);
    conn.end();
  };
  // The request is whole at the caller's half-close (Consul's CloseWrite); a transport without
  // half-close support ends the connection there instead, and nothing can be answered.
  if (conn.onEnd)
    conn.onEnd(() => {
      if (!failed) run().catch((e: unknown) => fail(`failed to stream snapshot: ${String(e)}`));
    });
  else fail('half-close unsupported on this transport');
}
