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
  type InstallSnapshotRequest,
  type InstallSnapshotResponse,
  type RequestVoteRequest,
  type RequestVoteResponse,
  type ServerId,
  type SnapshotMeta,
} from './messages.js';

export interface RaftTimings {
  heartbeatTimeoutMs: number;
  electionTimeoutMs: number;
  leaderLeaseTimeoutMs: number;
  /** Entries per AppendEntries at most (hashicorp MaxAppendEntries). */
  maxAppendEntries: number;
  /**
   * How soon after its commit index advances the leader tells followers that have the entries (an
   * AppendEntries with none), so they apply without waiting for the next heartbeat (hashicorp
   * CommitTimeout). Unset: followers learn it from the next append or heartbeat.
   */
  commitTimeoutMs?: number;
}

/**
 * hashicorp/raft's defaults scaled by Consul's raft_multiplier (base 1 s / 1 s / 500 ms); Consul leaves
 * CommitTimeout (50 ms) and MaxAppendEntries (64) unscaled.
 */
export function timingsFor(multiplier: number): RaftTimings {
  return {
    heartbeatTimeoutMs: 1000 * multiplier,
    electionTimeoutMs: 1000 * multiplier,
    leaderLeaseTimeoutMs: 500 * multiplier,
    maxAppendEntries: 64,
    commitTimeoutMs: 50,
  };
}

export interface HardState {
  term: number;
  vote: ServerId;
}

/**
 * What the host's storage holds across restarts: term and vote, the latest snapshot's meta (its data is
 * the host's business), and the log from wherever compaction left it (contiguous).
 */
export interface Durable {
  hard: HardState;
  snapshot?: SnapshotMeta | null;
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
  /**
   * A snapshot received from the leader: make it durable and restore the FSM from it before anything
   * else in this Ready (its acknowledgement is among the messages; committed entries follow it).
   */
  snapshot: (SnapshotMeta & { data?: Uint8Array }) | null;
  /** Stored entries up to this index may be deleted (they are in a snapshot). */
  compactTo: number | null;
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
  /** When a snapshot was last sent to this peer (one at a time; resent after a while if lost). */
  snapshotSentMs: number | null;
  /** The highest commit index this peer can have learned from what was sent to it. */
  sentCommit: number;
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

function initialConfiguration(voters: readonly ServerId[], nonVoters: readonly ServerId[]): ConfigServer[] {
  return [
    ...voters.map((id) => ({ id, address: '', voter: true })),
    ...nonVoters.filter((id) => !voters.includes(id)).map((id) => ({ id, address: '', voter: false })),
  ];
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
  /** Servers whose votes count (elections, commit quorum, CheckQuorum). */
  private voters: ServerId[];
  /** Every server of the configuration, voters and nonvoters: the leader replicates to all of them. */
  private members: ServerId[];
  /** The configuration before any Configuration entry in the log (bootstrap, peers.json). */
  private initialServers: ConfigServer[];
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
  /** Entries after `offset`; entries up to `offset` live only in snapshots. */
  private log: Entry[] = [];
  private offset = 0;
  /** Term of the entry at `offset` (-1 when unknown: compaction kept trailing entries past a snapshot). */
  private offsetTerm = 0;
  /** The latest snapshot this server has (index 0 = none). */
  private snap: SnapshotMeta = { index: 0, term: 0, configuration: [] };
  private pendingSnapshot: (SnapshotMeta & { data?: Uint8Array }) | null = null;
  /** Leaders refused for contradicting committed entries (logged once per leader and term). */
  private readonly refusedFrom = new Set<string>();
  /** Messages for the host's log; it drains them. */
  readonly refusals: string[] = [];
  private compactPending: number | null = null;
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
  /** When followers are told of an advanced commit index (null: nothing to tell). */
  private commitDeadline: number | null = null;
  private transferring = false;
  /** Who a transfer in progress hands leadership to. */
  private transferTarget: ServerId = '';
  /** When a leadership transfer in progress is abandoned (hashicorp: after ElectionTimeout). */
  private transferDeadline = 0;
  /** Transfers abandoned because the target did not take over in time (the host reports them). */
  transferTimeouts = 0;
  private broadcastPending = false;

  constructor(
    opts: {
      id: ServerId;
      voters: ServerId[];
      /** Nonvoters of the initial configuration (peers.json's non_voter entries). */
      nonVoters?: ServerId[];
      timings: RaftTimings;
      rng: Rng;
      nowMs: number;
    },
    durable?: Durable,
  ) {
    this.id = opts.id;
    this.initialServers = initialConfiguration(opts.voters, opts.nonVoters ?? []);
    this.voters = [...opts.voters];
    this.members = this.initialServers.map((x) => x.id);
    this.t = opts.timings;
    this.rng = opts.rng;
    this.now = opts.nowMs;
    if (durable) {
      this.term = durable.hard.term;
      this.vote = durable.hard.vote;
      let entries = durable.entries.map((e) => ({ ...e }));
      const first = entries[0]?.index ?? 1;
      entries.forEach((e, i) => assert(e.index === first + i, `log hole at ${first + i}`));
      const snap = durable.snapshot;
      this.offset = first - 1;
      this.offsetTerm = this.offset === 0 ? 0 : -1;
      if (snap && snap.index > 0) {
        this.snap = snap;
        const at = entries.find((e) => e.index === snap.index);
        // A log that does not reach the snapshot (or disagrees with it) is older than it: drop it.
        if (first > snap.index + 1 || (snap.index >= first && at?.term !== snap.term)) entries = [];
        if (entries.length === 0) this.offset = snap.index;
        if (this.offset === snap.index) this.offsetTerm = snap.term;
        this.commitIndex = this.applied = snap.index;
      } else assert(first === 1, `log starts at ${first} without a snapshot`);
      this.log = entries;
      this.stable = this.lastIndex;
      this.recomputeConfig();
    }
    this.resetTimer(this.t.heartbeatTimeoutMs);
  }

  // ---- configuration -------------------------------------------------------------------------------

  /** The latest configuration (from the log, else the initial one), with addresses where known. */
  configuration(): ConfigServer[] {
    return this.configurationAt(this.lastIndex);
  }

  /**
   * The configuration in force at index i (i ≥ the snapshot's index): the latest Configuration entry up
   * to i, else the snapshot's, else the initial one.
   */
  configurationAt(i: number): ConfigServer[] {
    for (let j = Math.min(i, this.lastIndex); j > Math.max(this.offset, this.snap.index); j--) {
      const e = this.entry(j)!;
      if (e.type === EntryType.Configuration) return decodeConfiguration(e.data);
    }
    if (this.snap.index > 0) return this.snap.configuration.map((x) => ({ ...x }));
    return this.initialServers.map((x) => ({ ...x }));
  }

  /** hashicorp's rule: the latest Configuration entry in the log is in force, committed or not. */
  private recomputeConfig(): void {
    let idx = 0;
    for (let i = this.lastIndex; i > Math.max(this.offset, this.snap.index); i--)
      if (this.entry(i)!.type === EntryType.Configuration) {
        idx = i;
        break;
      }
    // A snapshot's configuration was committed when it was taken.
    if (idx === 0 && this.snap.index > 0) idx = this.snap.index;
    const conf = this.configurationAt(this.lastIndex);
    const voters = conf.filter((x) => x.voter).map((x) => x.id);
    const members = conf.map((x) => x.id);
    this.configIndex = idx;
    if (voters.join(',') !== this.voters.join(',') || members.join(',') !== this.members.join(',')) {
      this.voters = voters;
      this.members = members;
      this.configVersion++;
      if (this.role === 'leader') {
        for (const p of this.peers())
          if (!this.progress.has(p))
            this.progress.set(p, {
              next: this.lastIndex,
              match: 0,
              lastContactMs: this.now,
              snapshotSentMs: null,
              sentCommit: 0,
            });
        for (const id of [...this.progress.keys()]) if (!this.members.includes(id)) this.progress.delete(id);
      }
    }
  }

  /** BootstrapCluster: a server with no state takes this voter set as its first configuration. */
  bootstrap(voters: ServerId[]): boolean {
    if (this.lastIndex > 0 || this.term > 0 || this.members.length > 0) return false;
    this.initialServers = initialConfiguration(voters, []);
    this.recomputeConfig();
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

  /**
   * hashicorp's AddVoter: a new server joins as a voter; an existing nonvoter is promoted (its address
   * updated).
   */
  addVoter(id: ServerId, address: string): ReturnType<RaftCore['changeConfiguration']> {
    const conf = this.configuration();
    const at = conf.find((x) => x.id === id);
    if (at) Object.assign(at, { address, voter: true });
    else conf.push({ id, address, voter: true });
    return this.changeConfiguration(conf);
  }

  /** hashicorp's AddNonvoter: replicated to, never counted; an existing voter keeps its vote. */
  addNonvoter(id: ServerId, address: string): ReturnType<RaftCore['changeConfiguration']> {
    const conf = this.configuration();
    const at = conf.find((x) => x.id === id);
    if (at) at.address = address;
    else conf.push({ id, address, voter: false });
    return this.changeConfiguration(conf);
  }

  /** hashicorp's DemoteVoter: the server stays in the configuration as a nonvoter. */
  demoteVoter(id: ServerId): ReturnType<RaftCore['changeConfiguration']> {
    return this.changeConfiguration(
      this.configuration().map((x) => (x.id === id ? { ...x, voter: false } : x)),
    );
  }

  /** hashicorp's RemoveServer. */
  removeServer(id: ServerId): ReturnType<RaftCore['changeConfiguration']> {
    return this.changeConfiguration(this.configuration().filter((x) => x.id !== id));
  }

  // ---- log helpers ---------------------------------------------------------------------------------

  get lastIndex(): number {
    return this.offset + this.log.length;
  }

  /** Index of the first entry still in the log (lastIndex + 1 when it is empty). */
  get firstIndex(): number {
    return this.offset + 1;
  }

  private entry(i: number): Entry | undefined {
    return i > this.offset ? this.log[i - this.offset - 1] : undefined;
  }

  /** The term of entry i; -1 when this server does not know it (past the end, or compacted away). */
  termAt(i: number): number {
    if (i === 0) return 0;
    if (i === this.offset) return this.offsetTerm;
    if (i === this.snap.index) return this.snap.term;
    return this.entry(i)?.term ?? -1;
  }

  get lastTerm(): number {
    return this.termAt(this.lastIndex);
  }

  /** Entries from index i on (i ≥ firstIndex). */
  entriesFrom(i: number): readonly Entry[] {
    return this.log.slice(Math.max(0, i - this.offset - 1));
  }

  /** Index of the latest configuration change (its log entry, else the snapshot holding it; 0 = initial). */
  get configurationIndex(): number {
    return this.configIndex;
  }

  /** The latest snapshot's meta (index 0 when there is none). */
  get snapshotMeta(): SnapshotMeta {
    return this.snap;
  }

  get appliedIndex(): number {
    return this.applied;
  }

  /**
   * The host saved a snapshot of the FSM as of `index` (≤ what it applied): remember it and let the log
   * go, keeping `trailing` entries before it so slightly lagging followers still get entries
   * (hashicorp's TrailingLogs).
   */
  compact(index: number, trailing: number): void {
    assert(index <= this.applied, `snapshot at ${index} is past the applied index ${this.applied}`);
    if (index <= this.snap.index) return;
    this.snap = { index, term: this.termAt(index), configuration: this.configurationAt(index) };
    assert(this.snap.term > 0, `no term for snapshot index ${index}`);
    const to = Math.max(this.offset, index - trailing);
    if (to > this.offset) {
      this.offsetTerm = this.termAt(to);
      this.log = this.log.slice(to - this.offset);
      this.offset = to;
      this.compactPending = to;
    }
  }

  private quorum(): number {
    return Math.floor(this.voters.length / 2) + 1;
  }

  /** The servers a leader replicates to: every other member, nonvoters included. */
  private peers(): ServerId[] {
    return this.members.filter((v) => v !== this.id);
  }

  /** The servers whose votes a candidate asks for. */
  private votingPeers(): ServerId[] {
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
    this.commitDeadline = null;
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
    if (this.role === 'leader') {
      if (this.transferring && nowMs >= this.transferDeadline) {
        // The target never took over (down, partitioned): lead on and accept proposals again.
        this.transferring = false;
        this.transferTimeouts++;
      }
      if (nowMs >= this.nextLeaseCheck) this.checkLease();
      if (this.role === 'leader' && this.commitDeadline !== null && nowMs >= this.commitDeadline) {
        this.commitDeadline = null;
        for (const [p, pr] of this.progress)
          if (Math.min(this.commitIndex, pr.match) > pr.sentCommit && this.termAt(pr.match) >= 0)
            this.sendCommit(p, pr);
      }
      if (this.role === 'leader' && nowMs >= this.nextHeartbeat) {
        this.nextHeartbeat = nowMs + this.t.heartbeatTimeoutMs / 10;
        for (const p of this.peers()) this.sendAppend(p, true);
      }
      return;
    }
    if (nowMs - this.lastContact < this.timeoutMs) return;
    // Nonvoters and servers outside a committed configuration never campaign, but they forget a silent
    // leader (else leader stickiness would refuse every later vote request). While the latest
    // configuration is uncommitted they campaign as hashicorp's do: the server holding an uncommitted
    // removal of itself may be the only one whose log can win, and it steps down once that commits.
    if (!this.voters.includes(this.id) && this.configIndex <= this.commitIndex) {
      this.leader = '';
      this.lastContact = nowMs;
      return;
    }
    if (this.role === 'follower') {
      // Heartbeat timeout: the leader is gone as far as we know.
      this.leader = '';
      if (this.voters.length === 1 && this.voters[0] === this.id) this.campaign(false);
      else this.preCampaign();
    } else this.preCampaign(); // election timeout: try again
  }

  /** The earliest time tick() has something to do (hosts arm one timer for it). */
  nextDeadline(): number {
    if (this.role === 'leader') {
      // A leader alone in its configuration (-dev, a bootstrap server) has nobody to heartbeat, and its
      // lease cannot lapse: waking for them would spin an idle -dev agent hundreds of times a second.
      const alone = this.members.length === 1 && this.members[0] === this.id;
      return Math.min(
        alone ? Infinity : this.nextHeartbeat,
        alone ? Infinity : this.nextLeaseCheck,
        this.transferring ? this.transferDeadline : Infinity,
        this.commitDeadline ?? Infinity,
      );
    }
    return this.lastContact + this.timeoutMs;
  }

  private preCampaign(): void {
    this.role = 'precandidate';
    this.leader = '';
    this.votes = new Map([[this.id, true]]);
    this.resetTimer(this.t.electionTimeoutMs);
    for (const p of this.votingPeers())
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
    for (const p of this.votingPeers())
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
    const granted = [...this.votes].filter(([id, yes]) => yes && this.voters.includes(id)).length;
    if (granted < this.quorum()) return;
    if (pre) this.campaign(false);
    else this.becomeLeader();
  }

  private becomeLeader(): void {
    this.role = 'leader';
    this.leader = this.id;
    this.progress.clear();
    for (const p of this.peers())
      this.progress.set(p, {
        next: this.lastIndex + 1,
        match: 0,
        lastContactMs: this.now,
        snapshotSentMs: null,
        sentCommit: 0,
      });
    // A no-op of the new term lets the leader commit everything before it (Raft §5.4.2).
    this.appendLocal(EntryType.Noop, new Uint8Array());
    this.nextLeaseCheck = this.now + this.t.leaderLeaseTimeoutMs;
    this.nextHeartbeat = this.now + this.t.heartbeatTimeoutMs / 10;
    for (const p of this.peers()) this.sendAppend(p, false);
    this.maybeCommit();
  }

  private checkLease(): void {
    this.nextLeaseCheck = this.now + this.t.leaderLeaseTimeoutMs;
    let contacted = this.voters.includes(this.id) ? 1 : 0;
    for (const [id, pr] of this.progress)
      if (this.voters.includes(id) && this.now - pr.lastContactMs <= this.t.leaderLeaseTimeoutMs) contacted++;
    if (contacted < this.quorum()) this.becomeFollower(this.term, '');
  }

  private appendLocal(type: EntryType, data: Uint8Array): Entry {
    const e: Entry = { index: this.lastIndex + 1, term: this.term, type, data };
    this.log.push(e);
    return e;
  }

  /** Appends a command if this server leads; the host learns it committed when it comes back in Ready.committed. */
  propose(
    data: Uint8Array,
    type: EntryType = EntryType.Command,
  ): { index: number; term: number } | NotLeaderError {
    if (this.role !== 'leader' || this.transferring)
      return new NotLeaderError(this.leader === this.id ? '' : this.leader);
    const e = this.appendLocal(type, data);
    // Sent when the host next takes a Ready, so proposals made meanwhile travel together.
    this.broadcastPending = true;
    this.maybeCommit();
    return { index: e.index, term: e.term };
  }

  /** Milliseconds since this server last heard from its leader (0 on the leader itself). */
  lastContactAgo(nowMs: number): number {
    return this.role === 'leader' ? 0 : Math.max(0, nowMs - this.lastContact);
  }

  /** Milliseconds since the leader last heard from each peer; empty on followers. */
  peerContactAgo(nowMs: number): Map<ServerId, number> {
    return new Map([...this.progress].map(([id, p]) => [id, Math.max(0, nowMs - p.lastContactMs)]));
  }

  /** What a leader knows of each peer's log (hashicorp's replication state); empty on followers. */
  matchIndexes(): Map<ServerId, number> {
    return new Map([...this.progress].map(([id, p]) => [id, p.match]));
  }

  /** A leadership transfer is under way (proposals are refused until it ends or times out). */
  get transferInProgress(): boolean {
    return this.transferring;
  }

  get votersList(): readonly ServerId[] {
    return this.voters;
  }

  /** Servers of the configuration that are replicated to but do not vote. */
  get nonVotersList(): readonly ServerId[] {
    return this.members.filter((id) => !this.voters.includes(id));
  }

  /**
   * Leadership transfer: catch `to` up, then tell it to campaign at once (TimeoutNow). Proposals are
   * refused meanwhile; if `to` has not taken over within ElectionTimeout the transfer is abandoned.
   */
  transferLeadership(to: ServerId): boolean {
    const pr = this.progress.get(to);
    if (this.role !== 'leader' || !pr || this.transferring || !this.voters.includes(to)) return false;
    this.transferring = true;
    this.transferTarget = to;
    this.transferDeadline = this.now + this.t.electionTimeoutMs;
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
        if (m.term === this.term && this.role !== 'leader' && this.voters.includes(this.id))
          this.campaign(true);
        return;
      case 'installSnapshot':
        return this.onInstallSnapshot(env.from, m);
      case 'installSnapshotResp':
        return this.onInstallSnapshotResp(env.from, m);
    }
  }

  private onInstallSnapshot(from: ServerId, m: InstallSnapshotRequest): void {
    const reply = (success: boolean) =>
      this.send(from, {
        type: 'installSnapshotResp',
        term: this.term,
        success,
        lastIndex: m.meta.index,
      } satisfies InstallSnapshotResponse);
    if (m.term < this.term) return reply(false);
    if (this.role !== 'follower' || this.leader !== m.leader) this.becomeFollower(m.term, m.leader);
    this.resetTimer(this.t.heartbeatTimeoutMs);
    // Already have it all (committed here, so it matches the leader's log): nothing to install.
    if (m.meta.index <= this.commitIndex) return reply(true);
    if (!m.data) return reply(false);
    const meta = m.meta;
    if (meta.index <= this.lastIndex && this.termAt(meta.index) === meta.term) {
      // Our log holds the snapshot's last entry: keep what follows it (it may be acknowledged already —
      // a late duplicate of this request must not throw it away).
      this.log = this.log.slice(meta.index - this.offset);
      this.stable = Math.max(this.stable, meta.index);
    } else {
      // Otherwise the log is either inside the snapshot or conflicts with the leader's: drop all of it.
      if (this.lastIndex > this.offset || this.stable > this.offset)
        this.truncatedTo = Math.min(this.truncatedTo ?? Infinity, 0);
      this.log = [];
      this.stable = meta.index;
    }
    this.offset = meta.index;
    this.offsetTerm = meta.term;
    this.snap = { index: meta.index, term: meta.term, configuration: meta.configuration };
    this.compactPending = meta.index;
    this.commitIndex = Math.max(this.commitIndex, meta.index);
    this.applied = meta.index;
    this.pendingSnapshot = { ...meta, data: m.data };
    this.recomputeConfig();
    reply(true);
  }

  private onInstallSnapshotResp(from: ServerId, m: InstallSnapshotResponse): void {
    const pr = this.progress.get(from);
    if (this.role !== 'leader' || !pr || m.term < this.term) return;
    pr.lastContactMs = this.now;
    pr.snapshotSentMs = null;
    if (!m.success) return;
    if (m.lastIndex > pr.match) pr.match = m.lastIndex;
    pr.next = Math.max(pr.next, pr.match + 1);
    this.maybeCommit();
    if (pr.next <= this.lastIndex) this.sendAppend(from, false);
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
    let prev = m.prevLogIndex;
    let entries = m.entries;
    // Entries up to our offset are in our snapshot, committed, so they match any current leader's.
    if (prev < this.offset) {
      const skip = Math.min(entries.length, this.offset - prev);
      entries = entries.slice(skip);
      prev += skip;
      if (prev < this.offset) return reply(true, prev);
    }
    if (prev > this.lastIndex || (prev > this.offset && this.termAt(prev) !== m.prevLogTerm)) {
      return reply(false, Math.min(this.lastIndex, prev - 1));
    }
    // A "leader" whose entries contradict what we committed is not of our cluster's history (another
    // cluster's data, a wiped peer): refuse it, never merge.
    const clash = entries.find(
      (e) => e.index <= this.commitIndex && e.index > this.offset && this.termAt(e.index) !== e.term,
    );
    if (clash) {
      const key = `${from}/${m.term}`;
      if (!this.refusedFrom.has(key)) {
        this.refusedFrom.add(key);
        this.refusals.push(
          `refusing entries from ${from} (term ${m.term}): entry ${clash.index} of term ${clash.term} contradicts the committed entry of term ${this.termAt(clash.index)}`,
        );
      }
      return reply(false, this.commitIndex);
    }
    // The configuration in force can change only by a truncated suffix or a new Configuration entry;
    // recomputing it scans the log back to the last one, too dear to do for every batch.
    let configMayChange = false;
    for (const e of entries) {
      if (e.index <= this.lastIndex) {
        if (this.termAt(e.index) === e.term) continue;
        this.log.length = e.index - 1 - this.offset;
        configMayChange = true;
        if (this.stable >= e.index) {
          this.stable = e.index - 1;
          this.truncatedTo = Math.min(this.truncatedTo ?? Infinity, e.index - 1);
        }
      }
      if (e.type === EntryType.Configuration) configMayChange = true;
      this.log.push({ ...e });
    }
    if (configMayChange) this.recomputeConfig();
    const lastNew = prev + entries.length;
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
      if (this.transferring && from === this.transferTarget && pr.match === this.lastIndex)
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
    // The entries this peer needs are compacted away: it gets the snapshot instead (one at a time).
    if (prev < this.offset || (prev === this.offset && this.offsetTerm < 0)) {
      if (pr.snapshotSentMs !== null && this.now - pr.snapshotSentMs < this.t.electionTimeoutMs * 5) return;
      pr.snapshotSentMs = this.now;
      this.send(to, { type: 'installSnapshot', term: this.term, leader: this.id, meta: this.snap });
      return;
    }
    let entries: Entry[] = [];
    if (!heartbeat) {
      if (pr.next > this.lastIndex || prev - pr.match >= MAX_INFLIGHT_ENTRIES) return;
      entries = this.log.slice(prev - this.offset, prev - this.offset + this.t.maxAppendEntries);
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
    pr.sentCommit = Math.max(pr.sentCommit, Math.min(this.commitIndex, prev + entries.length));
  }

  /**
   * An AppendEntries with no entries that only carries the commit index. It names the peer's last
   * acknowledged entry as prevLogIndex, which it surely has, so pipelined entries still in flight do not
   * make it fail.
   */
  private sendCommit(to: ServerId, pr: Progress): void {
    this.send(to, {
      type: 'append',
      term: this.term,
      leader: this.id,
      prevLogIndex: pr.match,
      prevLogTerm: this.termAt(pr.match),
      entries: [],
      leaderCommit: this.commitIndex,
    });
    pr.sentCommit = Math.min(this.commitIndex, pr.match);
  }

  private maybeCommit(): void {
    if (this.role !== 'leader') return;
    // The leader's own entries count once durable here.
    const self = this.voters.includes(this.id) ? [this.stable] : [];
    const peers = [...this.progress].filter(([id]) => this.voters.includes(id)).map(([, p]) => p.match);
    const matches = [...self, ...peers].sort((a, b) => b - a);
    const n = matches[this.quorum() - 1] ?? 0;
    if (n > this.commitIndex && this.termAt(n) === this.term) {
      this.commitIndex = n;
      if (this.t.commitTimeoutMs !== undefined && this.commitDeadline === null)
        this.commitDeadline = this.now + this.t.commitTimeoutMs;
    }
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
    // A server the configuration names as a nonvoter cannot be elected (hashicorp rejects its requests).
    if (this.members.includes(from) && !this.voters.includes(from)) return reply(false);
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
      this.pendingSnapshot !== null ||
      this.compactPending !== null ||
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
      snapshot: this.pendingSnapshot,
      compactTo: this.compactPending,
      entries: this.log.slice(this.stable - this.offset).map((e) => ({ ...e })),
      // A copy: messages the core adds while the host persists this Ready belong to the next one
      // (a vote or an acknowledgement must not leave before its own write is durable).
      messages: this.msgs.slice(),
      committed: this.log.slice(
        this.applied - this.offset,
        Math.min(this.commitIndex, this.stable) - this.offset,
      ),
    };
  }

  /** The host applied the committed entries up to `index` (before advance, which also records it). */
  appliedTo(index: number): void {
    assert(
      index <= Math.min(this.commitIndex, this.stable),
      `applied ${index} past what is durable and committed`,
    );
    this.applied = Math.max(this.applied, index);
  }

  /** The host persisted rd.hard/entries, sent rd.messages and applied rd.committed. */
  advance(rd: Ready): void {
    // Hosts with asynchronous storage may have stepped the core since ready(): clear only what was done.
    if (rd.hard !== null && rd.hard.term === this.term && rd.hard.vote === this.vote) this.hardDirty = false;
    if (this.truncatedTo === rd.truncateAfter) this.truncatedTo = null;
    if (this.pendingSnapshot === rd.snapshot) this.pendingSnapshot = null;
    if (this.compactPending === rd.compactTo) this.compactPending = null;
    const last = rd.entries.at(-1);
    if (last && this.termAt(last.index) === last.term) this.stable = Math.max(this.stable, last.index);
    this.msgs = this.msgs.slice(rd.messages.length);
    const lastApplied = rd.committed.at(-1);
    // A snapshot installed meanwhile may have moved `applied` past these entries already.
    if (lastApplied) this.applied = Math.max(this.applied, lastApplied.index);
    // Newly durable entries may complete a quorum on the leader.
    this.maybeCommit();
  }
}
