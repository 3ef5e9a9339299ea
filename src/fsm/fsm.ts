// Applies committed Raft entries to the state store through one message-type table, as Consul's FSM
// does. An entry's data is the message type byte followed by the request body (JSON for now; the
// snapshot/restore stream format arrives with snapshots).

import { parseGoJson } from '../lib/gojson.js';
import { Catalog, type DeregisterRequest, type RegisterRequest } from '../state/catalog.js';
import { KVStore } from '../state/kv-store.js';
import { Coordinates, type Coord } from '../state/coordinates.js';

/** Consul's structs.MessageType values for the requests we apply. */
export const MessageTypes = {
  Register: 0,
  Deregister: 1,
  KVS: 2,
  CoordinateBatchUpdate: 6,
} as const;

export type KvOp = 'set' | 'cas' | 'delete' | 'delete-cas' | 'delete-tree';

export interface KvRequest {
  Op: KvOp;
  Key: string;
  /** base64 */
  Value: string | null;
  Flags: string;
  /** For cas / delete-cas. */
  ModifyIndex: number;
}

export class StateStore {
  readonly kv = new KVStore();
  readonly catalog = new Catalog();
  readonly coordinates = new Coordinates();
  constructor(readonly datacenter = 'dc1') {}
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
  constructor(readonly state: StateStore) {}

  /** Applies one committed command at its Raft index; returns the request's result. */
  apply(index: number, data: Uint8Array): unknown {
    const type = data[0];
    const parsed = parseGoJson(dec.decode(data.subarray(1)));
    if (!parsed.ok) throw new Error(`corrupt Raft entry at ${index}: ${parsed.error.message}`);
    switch (type) {
      case MessageTypes.KVS:
        return this.applyKv(index, parsed.value as unknown as KvRequest);
      case MessageTypes.Register:
        this.state.catalog.register(index, parsed.value as unknown as RegisterRequest, this.state.datacenter);
        return true;
      case MessageTypes.CoordinateBatchUpdate:
        this.state.coordinates.update(
          index,
          parsed.value as unknown as Array<{ Node: string; Segment?: string; Coord: Coord }>,
        );
        return true;
      case MessageTypes.Deregister:
        this.state.catalog.deregister(index, parsed.value as unknown as DeregisterRequest);
        return true;
      default:
        // Consul panics on unknown types unless flagged ignorable; refusing loudly keeps replicas equal.
        throw new Error(`failed to apply request: unknown message type ${type} at index ${index}`);
    }
  }

  private applyKv(idx: number, r: KvRequest): boolean {
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
    }
  }
}
