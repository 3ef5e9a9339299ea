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

/**
 * The store as of one moment: each table's rows, taken by reference. Rows are immutable (a write puts
 * a new object in place of the old), so what is taken here stays as it was while it is written out
 * later — the capture is the only part a snapshot does while holding up the state machine.
 */
interface Captured {
  index: number;
  kv: ReturnType<StateStore['kv']['dump']>;
  catalog: CatalogDump;
  sessions: ReturnType<StateStore['sessions']['dump']>;
  queries: ReturnType<StateStore['queries']['dump']>;
  policies: ReturnType<StateStore['acl']['policies']['dump']>;
  roles: ReturnType<StateStore['acl']['roles']['dump']>;
  tokens: ReturnType<StateStore['acl']['tokens']['dump']>;
  autopilot: AutopilotConfig | null;
  coordinates: ReturnType<StateStore['coordinates']['dump']>;
}

function capture(state: StateStore, index: number): Captured {
  return {
    index,
    kv: state.kv.dump(),
    catalog: state.catalog.exportAll(),
    sessions: state.sessions.dump(),
    queries: state.queries.dump(),
    policies: state.acl.policies.dump(),
    roles: state.acl.roles.dump(),
    tokens: state.acl.tokens.dump(),
    autopilot: state.autopilot.config ?? null,
    coordinates: state.coordinates.dump(),
  };
}

/** The stream's lines, made one at a time from a capture. */
function* lines(c: Captured): Generator<string> {
  yield JSON.stringify({ Version: SNAPSHOT_FORMAT, Index: c.index } satisfies Header);
  const rec = (r: Rec) => JSON.stringify(r);
  yield rec({ Type: 'Index', Table: 'kvs', Value: c.kv.index });
  for (const e of c.kv.entries)
    yield rec({
      Type: 'KVS',
      Entry: {
        ...e,
        Flags: e.Flags.toString(),
        Value: e.Value === null ? null : Buffer.from(e.Value).toString('base64'),
      },
    });
  for (const [Key, Index] of c.kv.tombstones) yield rec({ Type: 'Tombstone', Key, Index });
  if (c.kv.reapedIndex) yield rec({ Type: 'TombstonesReaped', Index: c.kv.reapedIndex });
  yield rec({ Type: 'Index', Table: 'catalog', Value: c.catalog.index });
  if (c.catalog.indexes) yield rec({ Type: 'CatalogIndexes', Indexes: c.catalog.indexes });
  for (const n of c.catalog.nodes) yield rec({ Type: 'Node', Node: n });
  yield rec({ Type: 'Index', Table: 'sessions', Value: c.sessions.index });
  for (const x of c.sessions.rows) yield rec({ Type: 'Session', Session: x });
  yield rec({ Type: 'Index', Table: 'queries', Value: c.queries.index });
  for (const q of c.queries.rows) yield rec({ Type: 'PreparedQuery', Query: q });
  // ACL tables (Consul persists policies, then roles, then tokens).
  yield rec({ Type: 'Index', Table: 'acl-policies', Value: c.policies.index });
  for (const x of c.policies.rows) yield rec({ Type: 'ACLPolicy', Policy: x });
  yield rec({ Type: 'Index', Table: 'acl-roles', Value: c.roles.index });
  for (const x of c.roles.rows) yield rec({ Type: 'ACLRole', Role: x });
  yield rec({ Type: 'Index', Table: 'acl-tokens', Value: c.tokens.index });
  for (const x of c.tokens.rows) yield rec({ Type: 'ACLToken', Token: x });
  if (c.autopilot) yield rec({ Type: 'Autopilot', Config: c.autopilot });
  yield rec({ Type: 'Index', Table: 'coordinates', Value: c.coordinates.index });
  for (const x of c.coordinates.rows) yield rec({ Type: 'Coordinate', Entry: x });
}

/** Serializes the store as of `index` (the last applied Raft index), all at once. */
export function snapshotState(state: StateStore, index: number): Uint8Array {
  return enc.encode([...lines(capture(state, index))].join('\n') + '\n');
}

/** Lines written between two pauses: a few milliseconds of work. */
const LINES_PER_SLICE = 1000;

/**
 * The same stream, as hashicorp/raft's FSM snapshots work: the capture happens now, in the call, and
 * the writing-out afterwards in slices with `pause()` between them, so a large store does not hold up
 * heartbeats and requests while it is serialized (300 ms for 100,000 keys in one go).
 */
export async function snapshotStateSliced(
  state: StateStore,
  index: number,
  pause: () => Promise<void>,
): Promise<Uint8Array> {
  const it = lines(capture(state, index));
  const out: string[] = [];
  for (let n = 1, l = it.next(); !l.done; n++, l = it.next()) {
    out.push(l.value);
    if (n % LINES_PER_SLICE === 0) await pause();
  }
  return enc.encode(out.join('\n') + '\n');
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
