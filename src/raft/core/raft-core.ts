// Raft as a synchronous state machine (etcd's architecture, hashicorp/raft's behaviour): the host feeds
// it time (tick), peer messages (step) and proposals, then takes a Ready — state to persist, entries to
// append, messages to send, committed entries to apply — persists before it sends, and calls advance().
// No I/O, no clock, no randomness of its own: all of it comes in through arguments and the Rng port.
//
// Behaviour follows hashicorp/raft: a follower that hears nothing from a leader for a randomized
// heartbeat timeout campaigns (pre-vote first), candidates retry after a randomized election timeout,
// a server that knows a live leader refuses to vote for anyone else (leader stickiness) unless the
// request is a leadership transfer, a new leader commits a no-op of its term, and a leader that has
// not heard from a quorum within the leader lease steps down (CheckQuorum).

import { assert } from '../../lib/assert.js';
import type { Rng } from '../../runtime/rng.js';
import {
  EntryType,
  type AppendEntriesRequest,
  type AppendEntriesResponse,
  type Entry,
  type Envelope,
  type RequestVoteRequest,
  type RequestVoteResponse,
  type ServerId,
} from './messages.js';

export interface RaftTimings {
  heartbeatTimeoutMs: number;
  electionTimeoutMs: number;
  leaderLeaseTimeoutMs: number;
  /** Entries per AppendEntries at most (hashicorp MaxAppendEntries). */
  maxAppendEntries: number;
}

/** hashicorp/raft's defaults scaled by Consul's raft_multiplier (base 1 s / 1 s / 500 ms). */
export function timingsFor(multiplier: number): RaftTimings {
  return {
    heartbeatTimeoutMs: 1000 * multiplier,
    electionTimeoutMs: 1000 * multiplier,
    leaderLeaseTimeoutMs: 500 * multiplier,
    maxAppendEntries: 64,
  };
}

export interface HardState {
  term: number;
  vote: ServerId;
}

/** What the host's storage holds across restarts. */
export interface Durable {
  hard: HardState;
  entries: readonly Entry[];
}

export interface Ready {
  /** Set when term or vote changed: persist before sending any message. */
  hard: HardState | null;
  /** Drop every stored entry with an index above this before appending (a conflicting suffix). */
  truncateAfter: number | null;
  /** Append these durably before sending messages. */
  entries: Entry[];
  messages: Envelope[];
  /** Committed and locally durable: apply in order. */
  committed: Entry[];
}

export type Role = 'follower' | 'precandidate' | 'candidate' | 'leader';

/** Entries sent to a peer but not yet acknowledged, at most (back-pressure for pipelining). */
export const MAX_INFLIGHT_ENTRIES = 1024;

interface Progress {
  next: number;
  match: number;
  lastContactMs: number;
}

/** One server of a Raft configuration (hashicorp's Server: ID, Address, Suffrage). */
export interface ConfigServer {
  id: ServerId;
  address: string;
  voter: boolean;
}

const configCodec = { enc: new TextEncoder(), dec: new TextDecoder() };

export function encodeConfiguration(servers: readonly ConfigServer[]): Uint8Array {
  return configCodec.enc.encode(JSON.stringify(servers));
}

export function decodeConfiguration(data: Uint8Array): ConfigServer[] {
  return JSON.parse(configCodec.dec.decode(data)) as ConfigServer[];
}

export class ConfigChangeError extends Error {
  override name = 'ConfigChangeError';
}

export class NotLeaderError extends Error {
  override name = 'NotLeaderError';
  constructor(readonly leader: ServerId) {
    super('node is not the leader');
  }
}

export class RaftCore {
  readonly id: ServerId;
  private voters: ServerId[];
  /** The configuration before any Configuration entry in the log (bootstrap, peers.json). */
  private initialVoters: ServerId[];
  /** Index of the latest Configuration entry in the log (0 = none: the initial voters rule). */
  private configIndex = 0;
  /** Bumped whenever the voter set changes, so hosts can notice. */
  configVersion = 0;
  private readonly t: RaftTimings;
  private readonly rng: Rng;

  term = 0;
  vote: ServerId = '';
  role: Role = 'follower';
  leader: ServerId = '';
  commitIndex = 0;
  private applied = 0;
  private log: Entry[] = [];
  /** Entries up to this index are durable on this server. */
  private stable = 0;
  private hardDirty = false;
  private truncatedTo: number | null = null;
  private msgs: Envelope[] = [];

  private now = 0;
  private lastContact = 0;
  private timeoutMs = 0;
  private votes = new Map<ServerId, boolean>();
  private progress = new Map<ServerId, Progress>();
  private nextHeartbeat = 0;
  private nextLeaseCheck = 0;
  private transferring = false;
  private broadcastPending = false;

  constructor(
    opts: { id: ServerId; voters: ServerId[]; timings: RaftTimings; rng: Rng; nowMs: number },
    durable?: Durable,
  ) {
    this.id = opts.id;
    this.voters = [...opts.voters];
    this.initialVoters = [...opts.voters];
    this.t = opts.timings;
    this.rng = opts.rng;
    this.now = opts.nowMs;
    if (durable) {
      this.term = durable.hard.term;
      this.vote = durable.hard.vote;
      this.log = durable.entries.map((e) => ({ ...e }));
      this.log.forEach((e, i) => assert(e.index === i + 1, `log hole at ${i + 1}`));
      this.stable = this.log.length;
      this.recomputeConfig();
    }
    this.resetTimer(this.t.heartbeatTimeoutMs);
  }

  // ---- configuration -------------------------------------------------------------------------------

  /** The latest configuration (from the log, else the initial one), with addresses where known. */
  configuration(): ConfigServer[] {
    if (this.configIndex > 0) return decodeConfiguration(this.log[this.configIndex - 1]!.data);
    return this.initialVoters.map((id) => ({ id, address: '', voter: true }));
  }

  /** hashicorp's rule: the latest Configuration entry in the log is in force, committed or not. */
  private recomputeConfig(): void {
    let idx = 0;
    for (let i = this.log.length; i > 0; i--)
      if (this.log[i - 1]!.type === EntryType.Configuration) {
        idx = i;
        break;
      }
    const voters =
      idx > 0
        ? decodeConfiguration(this.log[idx - 1]!.data)
            .filter((x) => x.voter)
            .map((x) => x.id)
        : this.initialVoters;
    this.configIndex = idx;
    if (voters.join(',') !== this.voters.join(',')) {
      this.voters = [...voters];
      this.configVersion++;
      if (this.role === 'leader') {
        for (const p of this.peers())
          if (!this.progress.has(p))
            this.progress.set(p, { next: this.lastIndex, match: 0, lastContactMs: this.now });
        for (const id of [...this.progress.keys()]) if (!this.voters.includes(id)) this.progress.delete(id);
      }
    }
  }

  /** BootstrapCluster: a server with no state takes this voter set as its first configuration. */
  bootstrap(voters: ServerId[]): boolean {
    if (this.lastIndex > 0 || this.term > 0 || this.voters.length > 0) return false;
    this.initialVoters = [...voters];
    this.recomputeConfig();
    this.voters = [...voters];
    this.configVersion++;
    this.resetTimer(this.t.heartbeatTimeoutMs);
    return true;
  }

  /**
   * Appends a new configuration (AddVoter/RemoveServer). One change at a time: refused while an earlier
   * one is uncommitted, as hashicorp/raft does.
   */
  changeConfiguration(
    servers: ConfigServer[],
  ): { index: number; term: number } | NotLeaderError | ConfigChangeError {
    if (this.role !== 'leader' || this.transferring)
      return new NotLeaderError(this.leader === this.id ? '' : this.leader);
    if (this.configIndex > this.commitIndex)
      return new ConfigChangeError('configuration changed since 0 (latest is uncommitted)');
    const e = this.appendLocal(EntryType.Configuration, encodeConfiguration(servers));
    this.recomputeConfig();
    this.broadcastPending = true;
    this.maybeCommit();
    return { index: e.index, term: e.term };
  }

  // ---- log helpers ---------------------------------------------------------------------------------

  get lastIndex(): number {
    return this.log.length;
  }

  termAt(i: number): number {
    return i === 0 ? 0 : (this.log[i - 1]?.term ?? -1);
  }

  get lastTerm(): number {
    return this.termAt(this.lastIndex);
  }

  entriesFrom(i: number): readonly Entry[] {
    return this.log.slice(i - 1);
  }

  private quorum(): number {
    return Math.floor(this.voters.length / 2) + 1;
  }

  private peers(): ServerId[] {
    return this.voters.filter((v) => v !== this.id);
  }

  private send(to: ServerId, msg: Envelope['msg']): void {
    this.msgs.push({ from: this.id, to, msg });
  }

  private resetTimer(base: number): void {
    this.lastContact = this.now;
    this.timeoutMs = base + this.rng.int(base);
  }

  private setTerm(term: number): void {
    assert(term >= this.term, 'term went backwards');
    if (term > this.term) {
      this.term = term;
      this.vote = '';
      this.hardDirty = true;
    }
  }

  private becomeFollower(term: number, leader: ServerId): void {
    this.setTerm(term);
    this.role = 'follower';
    this.leader = leader;
    this.votes.clear();
    this.progress.clear();
    this.transferring = false;
    this.resetTimer(this.t.heartbeatTimeoutMs);
  }

  private upToDate(lastIndex: number, lastTerm: number): boolean {
    return lastTerm > this.lastTerm || (lastTerm === this.lastTerm && lastIndex >= this.lastIndex);
  }

  // ---- inputs --------------------------------------------------------------------------------------

  /** Tells the core what time it is without running timers (hosts call it before step/propose). */
  setTime(nowMs: number): void {
    if (nowMs > this.now) this.now = nowMs;
  }

  tick(nowMs: number): void {
    this.setTime(nowMs);
    if (!this.voters.includes(this.id)) return;
    if (this.role === 'leader') {
      if (nowMs >= this.nextLeaseCheck) this.checkLease();
      if (this.role === 'leader' && nowMs >= this.nextHeartbeat) {
        this.nextHeartbeat = nowMs + this.t.heartbeatTimeoutMs / 10;
        for (const p of this.peers()) this.sendAppend(p, true);
      }
      return;
    }
    if (nowMs - this.lastContact < this.timeoutMs) return;
    if (this.role === 'follower') {
      // Heartbeat timeout: the leader is gone as far as we know.
      this.leader = '';
      if (this.voters.length === 1) this.campaign(false);
      else this.preCampaign();
    } else this.preCampaign(); // election timeout: try again
  }

  /** The earliest time tick() has something to do (hosts arm one timer for it). */
  nextDeadline(): number {
    if (this.role === 'leader') return Math.min(this.nextHeartbeat, this.nextLeaseCheck);
    return this.lastContact + this.timeoutMs;
  }

  private preCampaign(): void {
    this.role = 'precandidate';
    this.leader = '';
    this.votes = new Map([[this.id, true]]);
    this.resetTimer(this.t.electionTimeoutMs);
    for (const p of this.peers())
      this.send(p, {
        type: 'vote',
        term: this.term + 1,
        candidate: this.id,
        lastLogIndex: this.lastIndex,
        lastLogTerm: this.lastTerm,
        preVote: true,
        leadershipTransfer: false,
      });
    this.maybeWin(true);
  }

  private campaign(transfer: boolean): void {
    this.setTerm(this.term + 1);
    this.role = 'candidate';
    this.leader = '';
    this.vote = this.id;
    this.hardDirty = true;
    this.votes = new Map([[this.id, true]]);
    this.resetTimer(this.t.electionTimeoutMs);
    for (const p of this.peers())
      this.send(p, {
        type: 'vote',
        term: this.term,
        candidate: this.id,
        lastLogIndex: this.lastIndex,
        lastLogTerm: this.lastTerm,
        preVote: false,
        leadershipTransfer: transfer,
      });
    this.maybeWin(false);
  }

  private maybeWin(pre: boolean): void {
    const granted = [...this.votes.values()].filter(Boolean).length;
    if (granted < this.quorum()) return;
    if (pre) this.campaign(false);
    else this.becomeLeader();
  }

  private becomeLeader(): void {
    this.role = 'leader';
    this.leader = this.id;
    this.progress.clear();
    for (const p of this.peers())
      this.progress.set(p, { next: this.lastIndex + 1, match: 0, lastContactMs: this.now });
    // A no-op of the new term lets the leader commit everything before it (Raft §5.4.2).
    this.appendLocal(EntryType.Noop, new Uint8Array());
    this.nextLeaseCheck = this.now + this.t.leaderLeaseTimeoutMs;
    this.nextHeartbeat = this.now + this.t.heartbeatTimeoutMs / 10;
    for (const p of this.peers()) this.sendAppend(p, false);
    this.maybeCommit();
  }

  private checkLease(): void {
    this.nextLeaseCheck = this.now + this.t.leaderLeaseTimeoutMs;
    let contacted = 1;
    for (const [, pr] of this.progress)
      if (this.now - pr.lastContactMs <= this.t.leaderLeaseTimeoutMs) contacted++;
    if (contacted < this.quorum()) this.becomeFollower(this.term, '');
  }

  private appendLocal(type: EntryType, data: Uint8Array): Entry {
    const e: Entry = { index: this.lastIndex + 1, term: this.term, type, data };
    this.log.push(e);
    return e;
  }

  /** Appends a command if this server leads; the host learns it committed when it comes back in Ready.committed. */
  propose(data: Uint8Array): { index: number; term: number } | NotLeaderError {
    if (this.role !== 'leader' || this.transferring)
      return new NotLeaderError(this.leader === this.id ? '' : this.leader);
    const e = this.appendLocal(EntryType.Command, data);
    // Sent when the host next takes a Ready, so proposals made meanwhile travel together.
    this.broadcastPending = true;
    this.maybeCommit();
    return { index: e.index, term: e.term };
  }

  /** Milliseconds since this server last heard from its leader (0 on the leader itself). */
  lastContactAgo(nowMs: number): number {
    return this.role === 'leader' ? 0 : Math.max(0, nowMs - this.lastContact);
  }

  /** What a leader knows of each peer's log (hashicorp's replication state); empty on followers. */
  matchIndexes(): Map<ServerId, number> {
    return new Map([...this.progress].map(([id, p]) => [id, p.match]));
  }

  get votersList(): readonly ServerId[] {
    return this.voters;
  }

  /** Leadership transfer: catch `to` up, then tell it to campaign at once (TimeoutNow). */
  transferLeadership(to: ServerId): boolean {
    const pr = this.progress.get(to);
    if (this.role !== 'leader' || !pr) return false;
    this.transferring = true;
    if (pr.match === this.lastIndex) this.send(to, { type: 'timeoutNow', term: this.term, leader: this.id });
    else this.sendAppend(to, false);
    return true;
  }

  step(env: Envelope): void {
    const m = env.msg;
    if (m.term > this.term) {
      if (m.type === 'vote') {
        // Vote requests are handled below (leader stickiness first, as hashicorp does).
      } else if (m.type === 'voteResp' && m.preVote && m.granted) {
        // A granted pre-vote carries our future term; it is not news of a newer term.
      } else {
        this.becomeFollower(m.term, m.type === 'append' || m.type === 'timeoutNow' ? m.leader : '');
      }
    }
    switch (m.type) {
      case 'append':
        return this.onAppend(env.from, m);
      case 'appendResp':
        return this.onAppendResp(env.from, m);
      case 'vote':
        return this.onVote(env.from, m);
      case 'voteResp':
        return this.onVoteResp(env.from, m);
      case 'timeoutNow':
        if (m.term === this.term && this.role !== 'leader') this.campaign(true);
        return;
    }
  }

  private onAppend(from: ServerId, m: AppendEntriesRequest): void {
    const reply = (success: boolean, lastLog: number) =>
      this.send(from, {
        type: 'appendResp',
        term: this.term,
        success,
        lastLog,
      } satisfies AppendEntriesResponse);
    if (m.term < this.term) return reply(false, this.lastIndex);
    if (this.role !== 'follower' || this.leader !== m.leader) this.becomeFollower(m.term, m.leader);
    this.resetTimer(this.t.heartbeatTimeoutMs);
    if (m.prevLogIndex > this.lastIndex || this.termAt(m.prevLogIndex) !== m.prevLogTerm) {
      return reply(false, Math.min(this.lastIndex, m.prevLogIndex - 1));
    }
    for (const e of m.entries) {
      if (e.index <= this.lastIndex) {
        if (this.termAt(e.index) === e.term) continue;
        assert(e.index > this.commitIndex, `leader ${from} conflicts with committed entry ${e.index}`);
        this.log.length = e.index - 1;
        if (this.stable >= e.index) {
          this.stable = e.index - 1;
          this.truncatedTo = Math.min(this.truncatedTo ?? Infinity, e.index - 1);
        }
      }
      this.log.push({ ...e });
    }
    if (m.entries.length > 0) this.recomputeConfig();
    const lastNew = m.prevLogIndex + m.entries.length;
    if (m.leaderCommit > this.commitIndex)
      this.commitIndex = Math.max(this.commitIndex, Math.min(m.leaderCommit, lastNew));
    reply(true, lastNew);
  }

  private onAppendResp(from: ServerId, m: AppendEntriesResponse): void {
    const pr = this.progress.get(from);
    if (this.role !== 'leader' || !pr || m.term < this.term) return;
    pr.lastContactMs = this.now;
    if (m.success) {
      if (m.lastLog > pr.match) pr.match = m.lastLog;
      pr.next = Math.max(pr.next, pr.match + 1);
      this.maybeCommit();
      if (this.transferring && pr.match === this.lastIndex)
        this.send(from, { type: 'timeoutNow', term: this.term, leader: this.id });
      if (pr.next <= this.lastIndex) this.sendAppend(from, false);
    } else {
      // Back up to what the follower has (hashicorp uses its LastLog hint) and retry.
      pr.next = Math.max(pr.match + 1, Math.min(pr.next - 1, m.lastLog + 1));
      this.sendAppend(from, false);
    }
  }

  /**
   * AppendEntries to one peer. Replication is pipelined: `next` moves past what was sent without
   * waiting for the answer (a failure answer moves it back). Heartbeats carry no entries; their
   * prevLogIndex probes for gaps left by lost messages.
   */
  private sendAppend(to: ServerId, heartbeat: boolean): void {
    const pr = this.progress.get(to);
    if (!pr) return;
    const prev = pr.next - 1;
    let entries: Entry[] = [];
    if (!heartbeat) {
      if (pr.next > this.lastIndex || prev - pr.match >= MAX_INFLIGHT_ENTRIES) return;
      entries = this.log.slice(prev, prev + this.t.maxAppendEntries);
    }
    this.send(to, {
      type: 'append',
      term: this.term,
      leader: this.id,
      prevLogIndex: prev,
      prevLogTerm: this.termAt(prev),
      entries: entries.map((e) => ({ ...e })),
      leaderCommit: this.commitIndex,
    });
    const last = entries.at(-1);
    if (last) pr.next = last.index + 1;
  }

  private maybeCommit(): void {
    if (this.role !== 'leader') return;
    // The leader's own entries count once durable here.
    const self = this.voters.includes(this.id) ? [this.stable] : [];
    const matches = [...self, ...[...this.progress.values()].map((p) => p.match)].sort((a, b) => b - a);
    const n = matches[this.quorum() - 1] ?? 0;
    if (n > this.commitIndex && this.termAt(n) === this.term) this.commitIndex = n;
    // A leader that committed its own removal steps down (hashicorp: "removed ourself, transitioning to follower").
    if (!this.voters.includes(this.id) && this.configIndex > 0 && this.commitIndex >= this.configIndex)
      this.becomeFollower(this.term, '');
  }

  private onVote(from: ServerId, m: RequestVoteRequest): void {
    const reply = (granted: boolean) =>
      this.send(from, {
        type: 'voteResp',
        term: this.term,
        granted,
        preVote: m.preVote,
      } satisfies RequestVoteResponse);
    // Leader stickiness: while we follow a live leader, nobody else gets our vote.
    const liveLeader = this.leader !== '' && this.leader !== from;
    if (liveLeader && !m.leadershipTransfer) return reply(false);
    if (m.term < this.term) return reply(false);
    if (m.preVote) return reply(m.term > this.term && this.upToDate(m.lastLogIndex, m.lastLogTerm));
    if (m.term > this.term) this.becomeFollower(m.term, '');
    if (this.vote !== '' && this.vote !== from) return reply(false);
    if (!this.upToDate(m.lastLogIndex, m.lastLogTerm)) return reply(false);
    if (this.vote !== from) {
      this.vote = from;
      this.hardDirty = true;
    }
    this.resetTimer(this.t.heartbeatTimeoutMs);
    reply(true);
  }

  private onVoteResp(from: ServerId, m: RequestVoteResponse): void {
    if (m.preVote) {
      if (this.role !== 'precandidate' || (m.term > this.term && !m.granted)) return;
      this.votes.set(from, m.granted);
      this.maybeWin(true);
      return;
    }
    if (this.role !== 'candidate' || m.term !== this.term) return;
    this.votes.set(from, m.granted);
    this.maybeWin(false);
  }

  // ---- outputs -------------------------------------------------------------------------------------

  hasReady(): boolean {
    return (
      this.broadcastPending ||
      this.hardDirty ||
      this.truncatedTo !== null ||
      this.stable < this.lastIndex ||
      this.msgs.length > 0 ||
      this.applied < Math.min(this.commitIndex, this.stable)
    );
  }

  /** What the host must do now; call advance() with it once done (persisted before messages sent). */
  ready(): Ready {
    if (this.broadcastPending) {
      this.broadcastPending = false;
      if (this.role === 'leader') for (const p of this.peers()) this.sendAppend(p, false);
    }
    return {
      hard: this.hardDirty ? { term: this.term, vote: this.vote } : null,
      truncateAfter: this.truncatedTo,
      entries: this.log.slice(this.stable).map((e) => ({ ...e })),
      messages: this.msgs,
      committed: this.log.slice(this.applied, Math.min(this.commitIndex, this.stable)),
    };
  }

  /** The host persisted rd.hard/entries, sent rd.messages and applied rd.committed. */
  advance(rd: Ready): void {
    // Hosts with asynchronous storage may have stepped the core since ready(): clear only what was done.
    if (rd.hard !== null && rd.hard.term === this.term && rd.hard.vote === this.vote) this.hardDirty = false;
    if (this.truncatedTo === rd.truncateAfter) this.truncatedTo = null;
    const last = rd.entries.at(-1);
    if (last && this.termAt(last.index) === last.term) this.stable = Math.max(this.stable, last.index);
    this.msgs = this.msgs.slice(rd.messages.length);
    const lastApplied = rd.committed.at(-1);
    if (lastApplied) this.applied = lastApplied.index;
    // Newly durable entries may complete a quorum on the leader.
    this.maybeCommit();
  }
}
