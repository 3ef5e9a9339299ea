// Raft RPCs on the wire, laid out as hashicorp/raft's network transport does it: a request is its RPC
// type byte then the msgpack-encoded request struct; a response is a msgpack error string then the
// response struct. Field names and types follow hashicorp/raft's commands.go.

import { MsgReader, MsgWriter, MsgDecodeError } from '../codec/msgpack.js';
import { readStruct, writeStruct, type Field, type Fields } from '../codec/struct.js';
import type { Entry, EntryType, RaftMessage, ServerId } from './core/messages.js';
import { decodeConfiguration, encodeConfiguration } from './core/raft-core.js';

export const RpcType = {
  AppendEntries: 0,
  RequestVote: 1,
  InstallSnapshot: 2,
  TimeoutNow: 3,
  RequestPreVote: 4,
} as const;

const f = (name: string, kind: Field['kind'], schema?: readonly Field[]): Field => ({ name, kind, schema });

const HEADER: Field[] = [f('ProtocolVersion', 'int'), f('ID', 'bytes'), f('Addr', 'bytes')];
const LOG: Field[] = [
  f('Index', 'uint'),
  f('Term', 'uint'),
  f('Type', 'uint'),
  f('Data', 'bytes'),
  f('Extensions', 'bytes'),
];

export const RAFT_SCHEMAS = {
  appendReq: [
    f('RPCHeader', 'struct', HEADER),
    f('Term', 'uint'),
    f('Leader', 'bytes'),
    f('PrevLogEntry', 'uint'),
    f('PrevLogTerm', 'uint'),
    f('Entries', 'structList', LOG),
    f('LeaderCommitIndex', 'uint'),
  ],
  appendResp: [
    f('RPCHeader', 'struct', HEADER),
    f('Term', 'uint'),
    f('LastLog', 'uint'),
    f('Success', 'bool'),
    f('NoRetryBackoff', 'bool'),
  ],
  voteReq: [
    f('RPCHeader', 'struct', HEADER),
    f('Term', 'uint'),
    f('Candidate', 'bytes'),
    f('LastLogIndex', 'uint'),
    f('LastLogTerm', 'uint'),
    f('LeadershipTransfer', 'bool'),
  ],
  voteResp: [f('RPCHeader', 'struct', HEADER), f('Term', 'uint'), f('Peers', 'bytes'), f('Granted', 'bool')],
  preVoteReq: [
    f('RPCHeader', 'struct', HEADER),
    f('Term', 'uint'),
    f('LastLogIndex', 'uint'),
    f('LastLogTerm', 'uint'),
  ],
  preVoteResp: [f('RPCHeader', 'struct', HEADER), f('Term', 'uint'), f('Granted', 'bool')],
  // hashicorp's TimeoutNowRequest carries only the header; Term lets a receiver ignore a stale one.
  timeoutNowReq: [f('RPCHeader', 'struct', HEADER), f('Term', 'uint')],
  timeoutNowResp: [f('RPCHeader', 'struct', HEADER)],
  // The snapshot's Size bytes follow the request on the connection.
  installSnapshotReq: [
    f('RPCHeader', 'struct', HEADER),
    f('SnapshotVersion', 'int'),
    f('Term', 'uint'),
    f('Leader', 'bytes'),
    f('LastLogIndex', 'uint'),
    f('LastLogTerm', 'uint'),
    f('Peers', 'bytes'),
    f('Configuration', 'bytes'),
    f('ConfigurationIndex', 'uint'),
    f('Size', 'int'),
  ],
  installSnapshotResp: [f('RPCHeader', 'struct', HEADER), f('Term', 'uint'), f('Success', 'bool')],
} satisfies Record<string, Field[]>;

const enc = new TextEncoder();
const dec = new TextDecoder();

export interface Identity {
  id: ServerId;
  addr: string;
}

/** hashicorp/raft's protocol version this server runs (Consul's default, 3). */
const PROTOCOL_VERSION = 3;

function header(me: Identity): Fields {
  return { ProtocolVersion: PROTOCOL_VERSION, ID: enc.encode(me.id), Addr: enc.encode(me.addr) };
}

/** The RPC type of a request message (responses ride on the request's connection). */
export function rpcTypeOf(m: RaftMessage): number | null {
  switch (m.type) {
    case 'append':
      return RpcType.AppendEntries;
    case 'vote':
      return m.preVote ? RpcType.RequestPreVote : RpcType.RequestVote;
    case 'timeoutNow':
      return RpcType.TimeoutNow;
    case 'installSnapshot':
      return RpcType.InstallSnapshot;
    default:
      return null;
  }
}

export function encodeRequest(m: RaftMessage, me: Identity): Uint8Array {
  const w = new MsgWriter('v05');
  switch (m.type) {
    case 'append':
      writeStruct(w, RAFT_SCHEMAS.appendReq, {
        RPCHeader: header(me),
        Term: m.term,
        Leader: enc.encode(me.addr),
        PrevLogEntry: m.prevLogIndex,
        PrevLogTerm: m.prevLogTerm,
        Entries: m.entries.map((e) => ({
          Index: e.index,
          Term: e.term,
          Type: e.type,
          Data: e.data,
          Extensions: null,
        })),
        LeaderCommitIndex: m.leaderCommit,
      });
      break;
    case 'vote':
      if (m.preVote)
        writeStruct(w, RAFT_SCHEMAS.preVoteReq, {
          RPCHeader: header(me),
          Term: m.term,
          LastLogIndex: m.lastLogIndex,
          LastLogTerm: m.lastLogTerm,
        });
      else
        writeStruct(w, RAFT_SCHEMAS.voteReq, {
          RPCHeader: header(me),
          Term: m.term,
          Candidate: enc.encode(me.addr),
          LastLogIndex: m.lastLogIndex,
          LastLogTerm: m.lastLogTerm,
          LeadershipTransfer: m.leadershipTransfer,
        });
      break;
    case 'timeoutNow':
      writeStruct(w, RAFT_SCHEMAS.timeoutNowReq, { RPCHeader: header(me), Term: m.term });
      break;
    case 'installSnapshot':
      writeStruct(w, RAFT_SCHEMAS.installSnapshotReq, {
        RPCHeader: header(me),
        SnapshotVersion: 1,
        Term: m.term,
        Leader: enc.encode(me.addr),
        LastLogIndex: m.meta.index,
        LastLogTerm: m.meta.term,
        Peers: null,
        Configuration: encodeConfiguration(m.meta.configuration),
        ConfigurationIndex: m.meta.index,
        Size: m.data?.length ?? 0,
      });
      break;
    default:
      throw new Error(`${m.type} is a response, not a request`);
  }
  const body = w.bytes();
  const data = m.type === 'installSnapshot' ? (m.data ?? new Uint8Array()) : new Uint8Array();
  const out = new Uint8Array(body.length + 1 + data.length);
  out[0] = rpcTypeOf(m)!;
  out.set(body, 1);
  out.set(data, 1 + body.length);
  return out;
}

export function encodeResponse(m: RaftMessage, me: Identity): Uint8Array {
  const w = new MsgWriter('v05');
  w.str(''); // no error
  switch (m.type) {
    case 'appendResp':
      writeStruct(w, RAFT_SCHEMAS.appendResp, {
        RPCHeader: header(me),
        Term: m.term,
        LastLog: m.lastLog,
        Success: m.success,
        NoRetryBackoff: false,
      });
      break;
    case 'voteResp':
      if (m.preVote)
        writeStruct(w, RAFT_SCHEMAS.preVoteResp, { RPCHeader: header(me), Term: m.term, Granted: m.granted });
      else
        writeStruct(w, RAFT_SCHEMAS.voteResp, {
          RPCHeader: header(me),
          Term: m.term,
          Peers: null,
          Granted: m.granted,
        });
      break;
    case 'installSnapshotResp':
      writeStruct(w, RAFT_SCHEMAS.installSnapshotResp, {
        RPCHeader: header(me),
        Term: m.term,
        Success: m.success,
      });
      break;
    default:
      throw new Error(`${m.type} is not a response`);
  }
  return w.bytes();
}

/** hashicorp/raft's ErrUnsupportedProtocol, the answer to a request of a protocol version it does not serve. */
export const UNSUPPORTED_PROTOCOL = 'protocol version not supported';

/**
 * The request protocol versions answered: hashicorp's ProtocolVersionMin..Max (0..3), and none older
 * than one below the version this server runs, as its checkRPCHeader rules.
 */
export function servesProtocol(version: number): boolean {
  return version >= PROTOCOL_VERSION - 1 && version <= PROTOCOL_VERSION;
}

/** An answer that is only an error: the error string, then nil for the response. */
export function encodeErrorResponse(error: string): Uint8Array {
  const w = new MsgWriter('v05');
  w.str(error);
  w.nil();
  return w.bytes();
}

export function encodeTimeoutNowResponse(me: Identity): Uint8Array {
  const w = new MsgWriter('v05');
  w.str('');
  writeStruct(w, RAFT_SCHEMAS.timeoutNowResp, { RPCHeader: header(me) });
  return w.bytes();
}

const WAIT = Symbol('more bytes needed');

/** Runs a read; a value cut short by the end of the buffer means "wait for more bytes", not an error. */
function readOrWait<T>(read: () => T): T | typeof WAIT {
  try {
    return read();
  } catch (e) {
    if (e instanceof MsgDecodeError && /unexpected end/.test(e.message)) return WAIT;
    throw e;
  }
}

const num = (v: unknown) => Number(v ?? 0);
const str = (v: unknown) => (v instanceof Uint8Array ? dec.decode(v) : '');
/** Who sent a request, and under which protocol version, from its RPCHeader. */
const sender = (h: Fields) => ({
  from: { id: str(h.ID), addr: str(h.Addr) },
  version: num(h.ProtocolVersion),
});

/**
 * Reads one request from the front of buf; null when more bytes are needed, or `{ need }` when the
 * request is complete only once buf holds that many bytes (a snapshot's data is still arriving).
 */
export function readRequest(
  buf: Uint8Array,
):
  { msg: RaftMessage; from: Identity; version: number; used: number; rpc: number } | { need: number } | null {
  if (buf.length === 0) return null;
  const rpc = buf[0]!;
  const r = new MsgReader(buf.subarray(1));
  const v = readOrWait(() => r.read());
  if (v === WAIT) return null;
  const used = 1 + r.offset;
  switch (rpc) {
    case RpcType.InstallSnapshot: {
      const x = readStruct(v, RAFT_SCHEMAS.installSnapshotReq);
      const h = x.RPCHeader as Fields;
      const size = num(x.Size);
      if (buf.length < used + size) return { need: used + size };
      return {
        rpc,
        used: used + size,
        ...sender(h),
        msg: {
          type: 'installSnapshot',
          term: num(x.Term),
          leader: str(h.ID),
          meta: {
            index: num(x.LastLogIndex),
            term: num(x.LastLogTerm),
            configuration: decodeConfiguration((x.Configuration as Uint8Array | null) ?? enc.encode('[]')),
          },
          data: buf.slice(used, used + size),
        },
      };
    }
    case RpcType.AppendEntries: {
      const x = readStruct(v, RAFT_SCHEMAS.appendReq);
      const h = x.RPCHeader as Fields;
      const entries: Entry[] = (x.Entries as Fields[]).map((e) => ({
        index: num(e.Index),
        term: num(e.Term),
        type: num(e.Type) as EntryType,
        data: (e.Data as Uint8Array | null) ?? new Uint8Array(),
      }));
      return {
        rpc,
        used,
        ...sender(h),
        msg: {
          type: 'append',
          term: num(x.Term),
          leader: str(h.ID),
          prevLogIndex: num(x.PrevLogEntry),
          prevLogTerm: num(x.PrevLogTerm),
          entries,
          leaderCommit: num(x.LeaderCommitIndex),
        },
      };
    }
    case RpcType.RequestVote:
    case RpcType.RequestPreVote: {
      const pre = rpc === RpcType.RequestPreVote;
      const x = readStruct(v, pre ? RAFT_SCHEMAS.preVoteReq : RAFT_SCHEMAS.voteReq);
      const h = x.RPCHeader as Fields;
      return {
        rpc,
        used,
        ...sender(h),
        msg: {
          type: 'vote',
          term: num(x.Term),
          candidate: str(h.ID),
          lastLogIndex: num(x.LastLogIndex),
          lastLogTerm: num(x.LastLogTerm),
          preVote: pre,
          leadershipTransfer: x.LeadershipTransfer === true,
        },
      };
    }
    case RpcType.TimeoutNow: {
      const x = readStruct(v, RAFT_SCHEMAS.timeoutNowReq);
      const h = x.RPCHeader as Fields;
      return {
        rpc,
        used,
        ...sender(h),
        msg: { type: 'timeoutNow', term: num(x.Term), leader: str(h.ID) },
      };
    }
    default:
      throw new Error(`unknown raft rpc type ${rpc}`);
  }
}

/** Reads the response to a request of type `rpc` from the front of buf; null when more bytes are needed. */
export function readResponse(
  buf: Uint8Array,
  rpc: number,
): { msg: RaftMessage | null; error: string; used: number } | null {
  // The usual case between pipelined answers: nothing yet (a thrown decode error would cost more).
  if (buf.length === 0) return null;
  const r = new MsgReader(buf);
  const errV = readOrWait(() => r.read());
  if (errV === WAIT) return null;
  const v = readOrWait(() => r.read());
  if (v === WAIT) return null;
  const error = str(errV);
  const used = r.offset;
  // A refused request's answer carries no response (hashicorp encodes nil after the error).
  if (error) return { msg: null, error, used };
  switch (rpc) {
    case RpcType.AppendEntries: {
      const x = readStruct(v, RAFT_SCHEMAS.appendResp);
      return {
        error,
        used,
        msg: { type: 'appendResp', term: num(x.Term), lastLog: num(x.LastLog), success: x.Success === true },
      };
    }
    case RpcType.RequestVote:
    case RpcType.RequestPreVote: {
      const pre = rpc === RpcType.RequestPreVote;
      const x = readStruct(v, pre ? RAFT_SCHEMAS.preVoteResp : RAFT_SCHEMAS.voteResp);
      return {
        error,
        used,
        msg: { type: 'voteResp', term: num(x.Term), granted: x.Granted === true, preVote: pre },
      };
    }
    case RpcType.InstallSnapshot: {
      const x = readStruct(v, RAFT_SCHEMAS.installSnapshotResp);
      // The response does not repeat the index; the transport fills it in from the request it answers.
      return {
        error,
        used,
        msg: { type: 'installSnapshotResp', term: num(x.Term), success: x.Success === true, lastIndex: 0 },
      };
    }
    default:
      return { error, used, msg: null };
  }
}
