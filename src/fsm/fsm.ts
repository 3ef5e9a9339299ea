// Applies committed Raft entries to the state store through one message-type table, as Consul's FSM
// does. An entry's data is the message type byte followed by the request body (JSON for now; the
// snapshot/restore stream format arrives with snapshots).

import { parseGoJson } from '../lib/gojson.js';
import { Catalog, type DeregisterRequest, type RegisterRequest } from '../state/catalog.js';
import { KVStore } from '../state/kv-store.js';
import { Coordinates, type Coord } from '../state/coordinates.js';
import { Sessions, type Session } from '../state/sessions.js';
import { PreparedQueries, type PreparedQuery } from '../state/prepared-queries.js';
import { AutopilotTable, type AutopilotConfig } from '../state/autopilot.js';
import { ACLTables } from '../state/acl.js';
import { runTxn, type TxnOp } from './txn.js';
import { restoreState } from './snapshot.js';

/** Consul's structs.MessageType values for the requests we apply. */
export const MessageTypes = {
  Register: 0,
  Deregister: 1,
  KVS: 2,
  Session: 3,
  /** Consul's TombstoneRequestType: the leader's reap of expired KV tombstones. */
  Tombstone: 5,
  CoordinateBatchUpdate: 6,
  PreparedQuery: 7,
  Txn: 8,
  Autopilot: 9,
  /** proconsul's own: a whole-store restore (PUT /v1/snapshot) replicated as one entry. */
  RestoreState: 200,
} as const;

export type KvOp = 'set' | 'cas' | 'delete' | 'delete-cas' | 'delete-tree' | 'lock' | 'unlock';

export interface KvRequest {
  Op: KvOp;
  Key: string;
  /** base64 */
  Value: string | null;
  Flags: string;
  /** For cas / delete-cas. */
  ModifyIndex: number;
  /** For lock / unlock. */
  Session?: string;
}

/** Consul's structs.TombstoneRequest (its only op is reap). */
export interface TombstoneRequest {
  Datacenter?: string;
  Op: 'reap';
  ReapIndex: number;
}

export type SessionRequest = { Op: 'create'; Session: Session } | { Op: 'destroy'; ID: string };

/** Consul's structs.PreparedQueryRequest (the ID already chosen by the leader for a create). */
export type PreparedQueryRequest =
  { Op: 'create' | 'update'; Query: PreparedQuery } | { Op: 'delete'; Query: { ID: string } };

export class StateStore {
  readonly kv = new KVStore();
  readonly catalog = new Catalog();
  readonly coordinates = new Coordinates();
  readonly sessions = new Sessions();
  readonly autopilot = new AutopilotTable();
  readonly queries = new PreparedQueries();
  readonly acl = new ACLTables();
  constructor(readonly datacenter = 'dc1') {}

  /** Spreads large wake-ups of every table's watchers over turns (see WatchSet.defer). */
  deferWakeups(defer: (fn: () => void) => void): void {
    for (const t of [
      this.kv,
      this.catalog,
      this.sessions,
      this.queries,
      this.acl.tokens,
      this.acl.policies,
      this.acl.roles,
    ])
      t.watches.defer = defer;
  }
}

const enc = new TextEncoder();
const dec = new TextDecoder();

export function encodeCommand(type: number, body: unknown): Uint8Array {
  const json = enc.encode(JSON.stringify(body));
  const out = new Uint8Array(json.length + 1);
  out[0] = type;
  out.set(json, 1);
  return out;
}

export class FSM {
  /** `wallMs` stamps lock-delays (wall time, held in memory only, as Consul's). */
  constructor(
    readonly state: StateStore,
    private readonly wallMs: () => number = () => 0,
  ) {}

  /** Applies one committed command at its Raft index; returns the request's result. */
  apply(index: number, data: Uint8Array): unknown {
    const type = data[0];
    const parsed = parseGoJson(dec.decode(data.subarray(1)));
    if (!parsed.ok) throw new Error(`corrupt Raft entry at ${index}: ${parsed.error.message}`);
    switch (type) {
      case MessageTypes.KVS:
        return this.applyKv(index, parsed.value as unknown as KvRequest);
      case MessageTypes.Register: {
        const r = parsed.value as unknown as RegisterRequest;
        this.state.catalog.register(index, r, this.state.datacenter);
        // A bound check going critical invalidates its sessions in the same transaction.
        for (const c of [r.Check, ...(r.Checks ?? [])])
          if (c && (c.Status || 'critical') === 'critical')
            for (const sess of this.state.sessions.byCheck(r.Node, c.CheckID || c.Name || ''))
              this.invalidate(index, sess.ID);
        return true;
      }
      case MessageTypes.Tombstone: {
        const r = parsed.value as unknown as TombstoneRequest;
        if (r.Op !== 'reap') throw new Error(`Invalid Tombstone operation '${String(r.Op)}'`);
        this.state.kv.reap(r.ReapIndex);
        return true;
      }
      case MessageTypes.Session:
        return this.applySession(index, parsed.value as unknown as SessionRequest);
      case MessageTypes.PreparedQuery:
        return this.applyPreparedQuery(index, parsed.value as unknown as PreparedQueryRequest);
      case MessageTypes.Autopilot: {
        const r = parsed.value as unknown as { Config: AutopilotConfig; CAS: boolean };
        return this.state.autopilot.set(index, r.Config, r.CAS);
      }
      case MessageTypes.Txn:
        return runTxn(this.state, index, parsed.value as unknown as TxnOp[], (id) =>
          this.invalidate(index, id),
        );
      case MessageTypes.RestoreState: {
        const r = restoreState(this.state, enc.encode((parsed.value as { State: string }).State));
        // Checked on the leader before it was proposed: a replica that cannot apply it must stop.
        if (r instanceof Error) throw new Error(`failed to restore snapshot at ${index}: ${r.message}`);
        return true;
      }
      case MessageTypes.CoordinateBatchUpdate:
        this.state.coordinates.update(
          index,
          parsed.value as unknown as Array<{ Node: string; Segment?: string; Coord: Coord }>,
        );
        return true;
      case MessageTypes.Deregister: {
        const d = parsed.value as unknown as DeregisterRequest;
        const sessions = this.state.sessions;
        // Sessions bound to what goes away go with it: the node's, or those of the removed checks.
        const doomed = new Set<string>();
        if (!d.ServiceID && !d.CheckID) for (const x of sessions.byNode(d.Node)) doomed.add(x.ID);
        const checks = this.state.catalog
          .nodeChecks(d.Node)
          .filter((c) => c.CheckID === d.CheckID || (d.ServiceID && c.ServiceID === d.ServiceID));
        for (const c of checks) for (const x of sessions.byCheck(d.Node, c.CheckID)) doomed.add(x.ID);
        this.state.catalog.deregister(index, d);
        for (const id of doomed) this.invalidate(index, id);
        return true;
      }
      default:
        // Consul panics on unknown types unless flagged ignorable; refusing loudly keeps replicas equal.
        throw new Error(`failed to apply request: unknown message type ${type} at index ${index}`);
    }
  }

  private applySession(idx: number, r: SessionRequest): true | string | Error {
    if (r.Op === 'destroy') {
      this.invalidate(idx, r.ID);
      return true;
    }
    const s = r.Session;
    const cat = this.state.catalog;
    if (!cat.node(s.Node)) return new Error('Missing node registration');
    const checks = new Map(cat.nodeChecks(s.Node).map((c) => [c.CheckID, c]));
    for (const id of [...s.NodeChecks, ...(s.ServiceChecks ?? []).map((c) => c.ID)]) {
      const c = checks.get(id);
      if (!c) return new Error(`Missing check '${id}' registration`);
      if (c.Status === 'critical') return new Error(`Check '${id}' is in critical state`);
    }
    this.state.sessions.create(idx, s);
    return s.ID;
  }

  private applyPreparedQuery(idx: number, r: PreparedQueryRequest): true | Error {
    const t = this.state.queries;
    if (r.Op === 'delete') {
      t.delete(idx, r.Query.ID);
      return true;
    }
    return t.set(idx, r.Query, (id) => this.state.sessions.get(id) !== undefined) ?? true;
  }

  /** Destroys a session: its locks are released or their keys deleted, each under lock-delay. */
  private invalidate(idx: number, id: string): void {
    const s = this.state.sessions.delete(idx, id);
    if (!s) return;
    // Queries bound to the session end with it.
    this.state.queries.deleteBySession(idx, id);
    const kv = this.state.kv;
    const until = this.wallMs() + s.LockDelay / 1e6;
    for (const key of kv.heldBy(id)) {
      if (s.Behavior === 'delete') kv.delete(idx, key);
      else kv.releaseHeld(idx, key);
      if (s.LockDelay > 0) this.state.sessions.setLockDelay(key, until);
    }
  }

  private applyKv(idx: number, r: KvRequest): boolean | Error {
    const kv = this.state.kv;
    const value = r.Value === null ? null : new Uint8Array(Buffer.from(r.Value, 'base64'));
    const flags = BigInt(r.Flags || '0');
    switch (r.Op) {
      case 'set':
        kv.set(idx, r.Key, value, flags);
        return true;
      case 'cas':
        return kv.cas(idx, r.Key, value, flags, r.ModifyIndex);
      case 'delete':
        kv.delete(idx, r.Key);
        return true;
      case 'delete-cas':
        return kv.deleteCas(idx, r.Key, r.ModifyIndex);
      case 'delete-tree':
        kv.deleteTree(idx, r.Key);
        return true;
      case 'lock':
      case 'unlock': {
        const sess = r.Session ?? '';
        if (sess === '') return new Error('missing session');
        if (r.Op === 'unlock') return kv.unlock(idx, r.Key, value, flags, sess);
        if (!this.state.sessions.get(sess)) return new Error(`invalid session ${JSON.stringify(sess)}`);
        return kv.lock(idx, r.Key, value, flags, sess);
      }
    }
  }
}
