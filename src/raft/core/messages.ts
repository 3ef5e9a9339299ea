// The RPCs between Raft servers, shaped after hashicorp/raft's (AppendEntries, RequestVote, RequestPreVote,
// TimeoutNow). The core exchanges these as values; the wire codec (msgpack, hashicorp's net transport
// framing) is a separate layer.

export type ServerId = string;

export const enum EntryType {
  Command = 0,
  Noop = 1,
  Configuration = 5,
}

export interface Entry {
  index: number;
  term: number;
  type: EntryType;
  data: Uint8Array;
}

export interface AppendEntriesRequest {
  type: 'append';
  term: number;
  leader: ServerId;
  prevLogIndex: number;
  prevLogTerm: number;
  entries: Entry[];
  leaderCommit: number;
}

export interface AppendEntriesResponse {
  type: 'appendResp';
  term: number;
  /** The follower's last log index after handling the request (hashicorp's LastLog). */
  lastLog: number;
  success: boolean;
}

export interface RequestVoteRequest {
  type: 'vote';
  /** The term the candidate asks for (for a pre-vote: the term it would start, not yet taken). */
  term: number;
  candidate: ServerId;
  lastLogIndex: number;
  lastLogTerm: number;
  preVote: boolean;
  leadershipTransfer: boolean;
}

export interface RequestVoteResponse {
  type: 'voteResp';
  term: number;
  granted: boolean;
  preVote: boolean;
}

export interface TimeoutNowRequest {
  type: 'timeoutNow';
  term: number;
  leader: ServerId;
}

/** What a snapshot covers: the last entry it includes and the configuration in force there. */
export interface SnapshotMeta {
  index: number;
  term: number;
  /** The configuration as of `index` (hashicorp's Configuration + ConfigurationIndex). */
  configuration: Array<{ id: ServerId; address: string; voter: boolean }>;
}

/**
 * InstallSnapshot: a follower too far behind gets the leader's latest snapshot instead of entries. The
 * core names which snapshot (meta); the host attaches its bytes when sending and hands them to the
 * receiving host's store, so the core never holds FSM state.
 */
export interface InstallSnapshotRequest {
  type: 'installSnapshot';
  term: number;
  leader: ServerId;
  meta: SnapshotMeta;
  data?: Uint8Array;
}

export interface InstallSnapshotResponse {
  type: 'installSnapshotResp';
  term: number;
  success: boolean;
  /** The snapshot's last index (lets the leader move its progress on). */
  lastIndex: number;
}

export type RaftMessage =
  | AppendEntriesRequest
  | AppendEntriesResponse
  | RequestVoteRequest
  | RequestVoteResponse
  | TimeoutNowRequest
  | InstallSnapshotRequest
  | InstallSnapshotResponse;

export interface Envelope {
  from: ServerId;
  to: ServerId;
  msg: RaftMessage;
}
