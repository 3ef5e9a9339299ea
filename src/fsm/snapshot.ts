// The whole state store as one stream of records (what Raft snapshots and /v1/snapshot's state.bin hold):
// a header line, then one JSON record per line — table indexes, KV entries and tombstones, the catalog's
// index table and its nodes with their services and checks, sessions, prepared queries, the ACL tables
// (policies, roles, tokens), autopilot, coordinates. Bytes are base64 and uint64s decimal strings, so the
// stream round-trips exactly. Restoring replaces every table in place (readers keep their references).

import type { StateStore } from './fsm.js';
import type { DirEntry } from '../state/kv-store.js';
import type { CatalogDump, CatalogIndexes } from '../state/catalog.js';
import type { CoordinateEntry } from '../state/coordinates.js';
import type { Session } from '../state/sessions.js';
import type { AutopilotConfig } from '../state/autopilot.js';
import type { PreparedQuery } from '../state/prepared-queries.js';
import type { ACLPolicy, ACLRole, ACLToken } from '../state/acl.js';

export const SNAPSHOT_FORMAT = 1;

type Rec =
  | {
      Type: 'Index';
      Table:
        | 'kvs'
        | 'catalog'
        | 'coordinates'
        | 'sessions'
        | 'queries'
        | 'acl-tokens'
        | 'acl-policies'
        | 'acl-roles';
      Value: number;
    }
  | { Type: 'ACLToken'; Token: ACLToken }
  | { Type: 'ACLPolicy'; Policy: ACLPolicy }
  | { Type: 'ACLRole'; Role: ACLRole }
  | { Type: 'Session'; Session: Session }
  | { Type: 'Autopilot'; Config: AutopilotConfig }
  | { Type: 'PreparedQuery'; Query: PreparedQuery }
  | { Type: 'KVS'; Entry: Omit<DirEntry, 'Value' | 'Flags'> & { Value: string | null; Flags: string } }
  | { Type: 'Tombstone'; Key: string; Index: number }
  | { Type: 'TombstonesReaped'; Index: number }
  | { Type: 'Node'; Node: CatalogDump['nodes'][number] }
  | { Type: 'CatalogIndexes'; Indexes: CatalogIndexes }
  | { Type: 'Coordinate'; Entry: CoordinateEntry };

interface Header {
  Version: number;
  Index: number;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Serializes the store as of `index` (the last applied Raft index). */
export function snapshotState(state: StateStore, index: number): Uint8Array {
  const lines: string[] = [JSON.stringify({ Version: SNAPSHOT_FORMAT, Index: index } satisfies Header)];
  const push = (r: Rec) => lines.push(JSON.stringify(r));
  const kv = state.kv.dump();
  push({ Type: 'Index', Table: 'kvs', Value: kv.index });
  for (const e of kv.entries)
    push({
      Type: 'KVS',
      Entry: {
        ...e,
        Flags: e.Flags.toString(),
        Value: e.Value === null ? null : Buffer.from(e.Value).toString('base64'),
      },
    });
  for (const [Key, Index] of kv.tombstones) push({ Type: 'Tombstone', Key, Index });
  if (kv.reapedIndex) push({ Type: 'TombstonesReaped', Index: kv.reapedIndex });
  const cat = state.catalog.exportAll();
  push({ Type: 'Index', Table: 'catalog', Value: cat.index });
  if (cat.indexes) push({ Type: 'CatalogIndexes', Indexes: cat.indexes });
  for (const n of cat.nodes) push({ Type: 'Node', Node: n });
  const sessions = state.sessions.dump();
  push({ Type: 'Index', Table: 'sessions', Value: sessions.index });
  for (const x of sessions.rows) push({ Type: 'Session', Session: x });
  const queries = state.queries.dump();
  push({ Type: 'Index', Table: 'queries', Value: queries.index });
  for (const q of queries.rows) push({ Type: 'PreparedQuery', Query: q });
  // ACL tables (Consul persists policies, then roles, then tokens).
  const policies = state.acl.policies.dump();
  push({ Type: 'Index', Table: 'acl-policies', Value: policies.index });
  for (const x of policies.rows) push({ Type: 'ACLPolicy', Policy: x });
  const roles = state.acl.roles.dump();
  push({ Type: 'Index', Table: 'acl-roles', Value: roles.index });
  for (const x of roles.rows) push({ Type: 'ACLRole', Role: x });
  const tokens = state.acl.tokens.dump();
  push({ Type: 'Index', Table: 'acl-tokens', Value: tokens.index });
  for (const x of tokens.rows) push({ Type: 'ACLToken', Token: x });
  const ap = state.autopilot.config;
  if (ap) push({ Type: 'Autopilot', Config: ap });
  const coords = state.coordinates.dump();
  push({ Type: 'Index', Table: 'coordinates', Value: coords.index });
  for (const c of coords.rows) push({ Type: 'Coordinate', Entry: c });
  return enc.encode(lines.join('\n') + '\n');
}

/** Reads a stream; an Error when it is not one of ours or is damaged. */
function parse(data: Uint8Array): { header: Header; records: Rec[] } | Error {
  const text = dec.decode(data);
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  try {
    const header = JSON.parse(lines[0] ?? '') as Header;
    if (header.Version !== SNAPSHOT_FORMAT || typeof header.Index !== 'number')
      return new Error(`unsupported snapshot version ${String(header.Version)}`);
    return { header, records: lines.slice(1).map((l) => JSON.parse(l) as Rec) };
  } catch (e) {
    return new Error(`failed to decode snapshot: ${(e as Error).message}`);
  }
}

/** Replaces the store's content with the stream's; returns the index it was taken at. */
export function restoreState(state: StateStore, data: Uint8Array): number | Error {
  const p = parse(data);
  if (p instanceof Error) return p;
  const idx = {
    kvs: 0,
    catalog: 0,
    coordinates: 0,
    sessions: 0,
    queries: 0,
    'acl-tokens': 0,
    'acl-policies': 0,
    'acl-roles': 0,
  };
  const aclTokens: ACLToken[] = [];
  const aclPolicies: ACLPolicy[] = [];
  const aclRoles: ACLRole[] = [];
  const sessions: Session[] = [];
  const queries: PreparedQuery[] = [];
  let autopilot: AutopilotConfig | null = null;
  const entries: DirEntry[] = [];
  const tombstones: Array<[string, number]> = [];
  let reapedIndex = 0;
  const nodes: CatalogDump['nodes'] = [];
  let catalogIndexes: CatalogIndexes | undefined;
  const coords: CoordinateEntry[] = [];
  for (const r of p.records) {
    switch (r.Type) {
      case 'Index':
        idx[r.Table] = r.Value;
        break;
      case 'KVS':
        entries.push({
          ...r.Entry,
          Flags: BigInt(r.Entry.Flags),
          Value: r.Entry.Value === null ? null : new Uint8Array(Buffer.from(r.Entry.Value, 'base64')),
        });
        break;
      case 'Tombstone':
        tombstones.push([r.Key, r.Index]);
        break;
      case 'TombstonesReaped':
        reapedIndex = r.Index;
        break;
      case 'Node':
        nodes.push(r.Node);
        break;
      case 'CatalogIndexes':
        catalogIndexes = r.Indexes;
        break;
      case 'Coordinate':
        coords.push(r.Entry);
        break;
      case 'Session':
        sessions.push(r.Session);
        break;
      case 'PreparedQuery':
        queries.push(r.Query);
        break;
      case 'Autopilot':
        autopilot = r.Config;
        break;
      case 'ACLToken':
        aclTokens.push(r.Token);
        break;
      case 'ACLPolicy':
        aclPolicies.push(r.Policy);
        break;
      case 'ACLRole':
        aclRoles.push(r.Role);
        break;
      default:
        return new Error(`failed to decode snapshot: unknown record type ${(r as { Type: string }).Type}`);
    }
  }
  state.kv.restore({ index: idx.kvs, entries, tombstones, reapedIndex });
  state.catalog.replaceAll({ index: idx.catalog, nodes, indexes: catalogIndexes });
  state.coordinates.restore({ index: idx.coordinates, rows: coords });
  state.sessions.restore({ index: idx.sessions, rows: sessions });
  state.queries.restore({ index: idx.queries, rows: queries });
  state.autopilot.config = autopilot;
  state.acl.tokens.restore({ index: idx['acl-tokens'], rows: aclTokens });
  state.acl.policies.restore({ index: idx['acl-policies'], rows: aclPolicies });
  state.acl.roles.restore({ index: idx['acl-roles'], rows: aclRoles });
  return p.header.Index;
}
