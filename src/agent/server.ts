// The server side of an agent, as far as it exists: this server's Raft group. A -bootstrap (or -dev, or
// bootstrap_expect = 1) server forms a group of one and leads it; a server waiting for
// bootstrap_expect peers has no group until gossip brings them (the cluster issue), so it knows no leader.

import type { RuntimeConfig } from '../config/runtime-config.js';
import { timingsFor } from '../raft/core/raft-core.js';
import { NotLeaderError } from '../raft/core/raft-core.js';
import { RaftNode } from '../raft/node.js';
import { encodeCommand, FSM, MessageTypes, StateStore, type KvRequest } from '../fsm/fsm.js';

export type { KvRequest };
import type { RaftStorage } from '../raft/storage.js';
import type { Clock } from '../runtime/clock.js';
import type { LogHub } from '../runtime/log.js';
import type { Rng } from '../runtime/rng.js';
import type { Timers } from '../runtime/timers.js';

export interface ServerDeps {
  clock: Clock;
  timers: Timers;
  rng: Rng;
  hub: LogHub;
  /** Opens this server's Raft storage (lmdb under <data-dir>/raft, or memory in -dev). */
  raftStorage(config: RuntimeConfig): RaftStorage;
}

export class NoLeaderError extends Error {
  override name = 'NoLeaderError';
  constructor() {
    super('No cluster leader');
  }
}

export class Server {
  readonly raft: RaftNode | null;
  readonly state = new StateStore();
  private readonly fsm = new FSM(this.state);
  /** Raft server ID (the node ID, as raft protocol 3) → RPC address. */
  readonly addresses = new Map<string, string>();

  constructor(
    private readonly config: RuntimeConfig,
    readonly nodeId: string,
    deps: ServerDeps,
  ) {
    const rpcAddr = `${config.advertiseAddrLan}:${config.ports.server}`;
    this.addresses.set(nodeId, rpcAddr);
    const log = deps.hub.logger('agent.server');
    if (!(config.bootstrap || config.devMode)) {
      this.raft = null;
      return;
    }
    this.raft = new RaftNode(nodeId, [nodeId], timingsFor(config.devMode ? 0.05 : config.raftMultiplier), {
      clock: deps.clock,
      timers: deps.timers,
      rng: deps.rng.fork('raft'),
      storage: deps.raftStorage(config),
      // A group of one never sends; peers arrive with the RPC transport.
      send: () => {},
      apply: (e) => this.fsm.apply(e.index, e.data),
      logger: log.named('raft'),
      selfAddress: rpcAddr,
      onLeaderChange: (leader) => {
        if (leader === nodeId) log.info('cluster leadership acquired');
        if (leader !== '') log.info('New leader elected', 'payload', config.nodeName);
      },
    });
  }

  /** Commits a command through Raft and returns the FSM's result ("No cluster leader" without one). */
  async apply(data: Uint8Array): Promise<unknown> {
    if (!this.raft) throw new NoLeaderError();
    try {
      return await this.raft.propose(data);
    } catch (e) {
      if (e instanceof NotLeaderError) throw new NoLeaderError();
      throw e;
    }
  }

  /** A KV write through Raft; resolves with its result (false for a failed check-and-set). */
  async kvWrite(req: KvRequest): Promise<boolean> {
    return (await this.apply(encodeCommand(MessageTypes.KVS, req))) === true;
  }

  /** The leader's RPC address, or "" when there is none (what /v1/status/leader answers). */
  leaderAddress(): string {
    const l = this.raft?.leader ?? '';
    return l === '' ? '' : (this.addresses.get(l) ?? '');
  }

  /** RPC addresses of every server in the Raft configuration. */
  peerAddresses(): string[] {
    return this.raft ? [...this.addresses.values()] : [];
  }

  /** The `raft` section of `consul info`. */
  raftStats(): Record<string, string> {
    const r = this.raft;
    if (!r) return {};
    const c = r.core;
    const cfg = [...this.addresses].map(([id, a]) => `{Suffrage:Voter ID:${id} Address:${a}}`).join(' ');
    const state = {
      leader: 'Leader',
      follower: 'Follower',
      candidate: 'Candidate',
      precandidate: 'Candidate',
    }[c.role];
    return {
      applied_index: String(r.appliedIndex),
      commit_index: String(c.commitIndex),
      fsm_pending: '0',
      last_contact: c.role === 'leader' ? '0' : 'never',
      last_log_index: String(c.lastIndex),
      last_log_term: String(c.lastTerm),
      last_snapshot_index: '0',
      last_snapshot_term: '0',
      latest_configuration: `[${cfg}]`,
      latest_configuration_index: '0',
      num_peers: String(this.addresses.size - 1),
      protocol_version: '3',
      protocol_version_max: '3',
      protocol_version_min: '0',
      snapshot_version_max: '1',
      snapshot_version_min: '0',
      state,
      term: String(c.term),
    };
  }

  async stop(): Promise<void> {
    await this.raft?.stop();
  }
}
