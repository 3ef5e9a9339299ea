// gRPC checks: grpc.health.v1.Health/Check on `host:port[/service]`. The two messages are one field
// each, so they are encoded here by hand (HealthCheckRequest{string service = 1},
// HealthCheckResponse{ServingStatus status = 1}).

import type { Http2Client, Http2Options } from '../runtime/http2.js';
import type { CheckStatus } from './runner.js';

const SERVING_STATUS = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'];

/** gRPC status code names, as Go's codes.Code String() prints them. */
const CODES = [
  'OK',
  'Canceled',
  'Unknown',
  'InvalidArgument',
  'DeadlineExceeded',
  'NotFound',
  'AlreadyExists',
  'PermissionDenied',
  'ResourceExhausted',
  'FailedPrecondition',
  'Aborted',
  'OutOfRange',
  'Unimplemented',
  'Internal',
  'Unavailable',
  'DataLoss',
  'Unauthenticated',
];

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}

export function encodeHealthCheckRequest(service: string): Uint8Array {
  if (service === '') return new Uint8Array(0);
  const s = new TextEncoder().encode(service);
  return new Uint8Array([0x0a, ...varint(s.length), ...s]);
}

/** The status field of a HealthCheckResponse (0 when absent, as proto3 defaults), or null if malformed. */
export function decodeHealthCheckResponse(b: Uint8Array): number | null {
  let i = 0;
  let status = 0;
  const readVarint = (): number | null => {
    let v = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (i >= b.length) return null;
      const x = b[i++]!;
      v += (x & 0x7f) * 2 ** shift;
      if ((x & 0x80) === 0) return v;
    }
    return null;
  };
  while (i < b.length) {
    const key = readVarint();
    if (key === null) return null;
    const wire = key & 7;
    if (wire === 0) {
      const v = readVarint();
      if (v === null) return null;
      if (key >>> 3 === 1) status = v;
    } else if (wire === 2) {
      const len = readVarint();
      if (len === null || i + len > b.length) return null;
      i += len;
    } else if (wire === 5) i += 4;
    else if (wire === 1) i += 8;
    else return null;
  }
  return status;
}

export async function runGrpc(
  target: string,
  opts: Http2Options,
  h2: Http2Client,
): Promise<{ status: CheckStatus; output: string }> {
  const slash = target.indexOf('/');
  const server = slash < 0 ? target : target.slice(0, slash);
  const service = slash < 0 ? '' : target.slice(slash + 1);
  const r = await h2.grpcUnary(
    server,
    '/grpc.health.v1.Health/Check',
    encodeHealthCheckRequest(service),
    opts,
  );
  if (!r.ok) return { status: 'critical', output: r.message };
  if (r.status !== 0)
    return {
      status: 'critical',
      output: `rpc error: code = ${CODES[r.status] ?? `Code(${r.status})`} desc = ${r.message}`,
    };
  const st = decodeHealthCheckResponse(r.body);
  if (st === null)
    return {
      status: 'critical',
      output: 'rpc error: code = Internal desc = grpc: failed to unmarshal the received message',
    };
  if (st !== 1)
    return {
      status: 'critical',
      output: `gRPC ${target} serving status: ${SERVING_STATUS[st] ?? String(st)}`,
    };
  return { status: 'passing', output: `gRPC check ${target}: success` };
}
