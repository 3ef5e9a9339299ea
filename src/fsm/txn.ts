// /v1/txn's operations against the state store, all or nothing: every op runs in order (later ops see
// earlier ones' writes), every failure is collected with its op index, and if any failed the whole
// transaction is rolled back. Verbs and error texts are Consul's (state/txn.go and friends).

import type { StateStore } from './fsm.js';
import type { DirEntry } from '../state/kv-store.js';
import type { CatalogNode, HealthCheck, NodeService, RegisterRequest } from '../state/catalog.js';

export interface TxnKvOp {
  Verb: string;
  Key: string;
  /** base64, or null. */
  Value: string | null;
  /** uint64 as decimal text. */
  Flags: string;
  Index: number;
  Session: string;
}

export interface TxnNodeOp {
  Verb: string;
  Node: Partial<CatalogNode> & { Node: string };
}

export interface TxnServiceOp {
  Verb: string;
  Node: string;
  Service: Partial<NodeService>;
}

export interface TxnCheckOp {
  Verb: string;
  Check: Partial<HealthCheck> & { Node: string };
}

export type TxnOp = { KV: TxnKvOp } | { Node: TxnNodeOp } | { Service: TxnServiceOp } | { Check: TxnCheckOp };

export type TxnResultItem =
  { KV: DirEntry } | { Node: CatalogNode } | { Service: NodeService } | { Check: HealthCheck };

export interface TxnError {
  OpIndex: number;
  What: string;
}

export interface TxnOutcome {
  Results: TxnResultItem[] | null;
  Errors: TxnError[] | null;
}

/** The verbs that change the store (the rest make a read-only transaction, answered without Raft). */
export function isWriteOp(op: TxnOp): boolean {
  if ('KV' in op)
    return ['set', 'delete', 'delete-cas', 'delete-tree', 'cas', 'lock', 'unlock'].includes(op.KV.Verb);
  const verb = 'Node' in op ? op.Node.Verb : 'Service' in op ? op.Service.Verb : op.Check.Verb;
  return verb !== 'get';
}

const q = (s: string) => JSON.stringify(s);
const noValue = (e: DirEntry): DirEntry => ({ ...e, Value: null });

class OpError extends Error {}

function kvOp(state: StateStore, idx: number, op: TxnKvOp): TxnResultItem[] {
  const kv = state.kv;
  const key = op.Key;
  const value = op.Value === null ? null : new Uint8Array(Buffer.from(op.Value, 'base64'));
  const flags = BigInt(op.Flags || '0');
  const current = () => kv.get(key).entry;
  const written = () => [{ KV: noValue(current()!) }];
  switch (op.Verb) {
    case 'set':
      kv.set(idx, key, value, flags);
      return written();
    case 'cas':
      if (!kv.cas(idx, key, value, flags, op.Index))
        throw new OpError(`failed to set key ${q(key)}, index is stale`);
      return written();
    case 'lock':
      if (op.Session === '') throw new OpError('missing session');
      if (!state.sessions.get(op.Session)) throw new OpError(`invalid session ${q(op.Session)}`);
      if (!kv.lock(idx, key, value, flags, op.Session))
        throw new OpError(`failed to lock key ${q(key)}, lock is already held`);
      return written();
    case 'unlock':
      if (op.Session === '') throw new OpError('missing session');
      if (!kv.unlock(idx, key, value, flags, op.Session))
        throw new OpError(`failed to unlock key ${q(key)}, lock isn't held, or is held by another session`);
      return written();
    case 'get': {
      const e = current();
      if (!e) throw new OpError(`key ${q(key)} doesn't exist`);
      return [{ KV: e }];
    }
    case 'get-or-empty': {
      const e = current();
      return e ? [{ KV: e }] : [];
    }
    case 'get-tree':
      return kv.list(key).entries.map((e) => ({ KV: e }));
    case 'check-index': {
      const e = current();
      if (!e) throw new OpError(`failed to check index, key ${q(key)} doesn't exist`);
      if (e.ModifyIndex !== op.Index)
        throw new OpError(
          `failed index check for key ${q(key)}, current modify index ${e.ModifyIndex} != ${op.Index}`,
        );
      return [{ KV: noValue(e) }];
    }
    case 'check-session': {
      const e = current();
      if (!e) throw new OpError(`failed to check session, key ${q(key)} doesn't exist`);
      if (e.Session !== op.Session)
        throw new OpError(
          `failed session check for key ${q(key)}, current session ${q(e.Session)} != ${q(op.Session)}`,
        );
      return [{ KV: noValue(e) }];
    }
    case 'check-not-exists':
      if (current()) throw new OpError(`key ${q(key)} exists`);
      return [];
    case 'delete':
      kv.delete(idx, key);
      return [];
    case 'delete-cas':
      if (!kv.deleteCas(idx, key, op.Index))
        throw new OpError(`failed to delete key ${q(key)}, index is stale`);
      return [];
    case 'delete-tree':
      kv.deleteTree(idx, key);
      return [];
    default:
      throw new OpError(`unknown KV verb ${q(op.Verb)}`);
  }
}

function nodeOp(state: StateStore, idx: number, op: TxnNodeOp): TxnResultItem[] {
  const cat = state.catalog;
  const name = op.Node.Node;
  const found = () => cat.node(name)?.node;
  const register = () => {
    const req: RegisterRequest = {
      ID: op.Node.ID,
      Node: name,
      Address: op.Node.Address ?? '',
      TaggedAddresses: op.Node.TaggedAddresses,
      NodeMeta: op.Node.Meta,
    };
    cat.register(idx, req, state.datacenter);
    return [{ Node: found()! }];
  };
  switch (op.Verb) {
    case 'get': {
      const n = found();
      if (!n) throw new OpError(`node ${q(name)} doesn't exist`);
      return [{ Node: n }];
    }
    case 'set':
      return register();
    case 'cas': {
      const n = found();
      const want = op.Node.ModifyIndex ?? 0;
      if ((want === 0 && n) || (want !== 0 && n?.ModifyIndex !== want))
        throw new OpError(`failed to set node ${q(name)}, index is stale`);
      return register();
    }
    case 'delete':
      if (found()) cat.deregister(idx, { Node: name });
      return [];
    case 'delete-cas': {
      const n = found();
      if (!n || n.ModifyIndex !== (op.Node.ModifyIndex ?? 0))
        throw new OpError(`failed to delete node ${q(name)}, index is stale`);
      cat.deregister(idx, { Node: name });
      return [];
    }
    default:
      throw new OpError(`unknown Node verb ${q(op.Verb)}`);
  }
}

function serviceOp(state: StateStore, idx: number, op: TxnServiceOp): TxnResultItem[] {
  const cat = state.catalog;
  const id = op.Service.ID || op.Service.Service || '';
  const found = () => cat.node(op.Node)?.services.find((s) => s.ID === id);
  const register = () => {
    const n = cat.node(op.Node)?.node;
    if (!n) throw new OpError(`Missing node registration`);
    cat.register(
      idx,
      {
        Node: op.Node,
        Address: n.Address,
        SkipNodeUpdate: true,
        Service: { ...op.Service, Service: op.Service.Service ?? '' },
      },
      state.datacenter,
    );
    return [{ Service: found()! }];
  };
  switch (op.Verb) {
    case 'get': {
      const s = found();
      if (!s) throw new OpError(`service ${q(id)} on node ${q(op.Node)} doesn't exist`);
      return [{ Service: s }];
    }
    case 'set':
      return register();
    case 'cas': {
      const s = found();
      const want = op.Service.ModifyIndex ?? 0;
      if ((want === 0 && s) || (want !== 0 && s?.ModifyIndex !== want))
        throw new OpError(`failed to set service ${q(id)} on node ${q(op.Node)}, index is stale`);
      return register();
    }
    case 'delete':
      if (found()) cat.deregister(idx, { Node: op.Node, ServiceID: id });
      return [];
    case 'delete-cas': {
      const s = found();
      if (!s || s.ModifyIndex !== (op.Service.ModifyIndex ?? 0))
        throw new OpError(`failed to delete service ${q(id)} on node ${q(op.Node)}, index is stale`);
      cat.deregister(idx, { Node: op.Node, ServiceID: id });
      return [];
    }
    default:
      throw new OpError(`unknown Service verb ${q(op.Verb)}`);
  }
}

function checkOp(state: StateStore, idx: number, op: TxnCheckOp): TxnResultItem[] {
  const cat = state.catalog;
  const node = op.Check.Node;
  const id = op.Check.CheckID || op.Check.Name || '';
  const found = () => cat.nodeChecks(node).find((c) => c.CheckID === id);
  const register = () => {
    const n = cat.node(node)?.node;
    if (!n) throw new OpError(`Missing node registration`);
    cat.register(
      idx,
      { Node: node, Address: n.Address, SkipNodeUpdate: true, Check: op.Check },
      state.datacenter,
    );
    return [{ Check: found()! }];
  };
  switch (op.Verb) {
    case 'get': {
      const c = found();
      if (!c) throw new OpError(`check ${q(id)} on node ${q(node)} doesn't exist`);
      return [{ Check: c }];
    }
    case 'set':
      return register();
    case 'cas': {
      const c = found();
      const want = op.Check.ModifyIndex ?? 0;
      if ((want === 0 && c) || (want !== 0 && c?.ModifyIndex !== want))
        throw new OpError(`failed to set check ${q(id)} on node ${q(node)}, index is stale`);
      return register();
    }
    case 'delete':
      if (found()) cat.deregister(idx, { Node: node, CheckID: id });
      return [];
    case 'delete-cas': {
      const c = found();
      if (!c || c.ModifyIndex !== (op.Check.ModifyIndex ?? 0))
        throw new OpError(`failed to delete check ${q(id)} on node ${q(node)}, index is stale`);
      cat.deregister(idx, { Node: node, CheckID: id });
      return [];
    }
    default:
      throw new OpError(`unknown Check verb ${q(op.Verb)}`);
  }
}

/**
 * Runs the ops at Raft index `idx` (a read-only transaction runs them with no index and changes
 * nothing). On any failure every change is undone and only the errors come back.
 */
export function runTxn(
  state: StateStore,
  idx: number,
  ops: readonly TxnOp[],
  /** Invalidates a session (the FSM's), called after a successful commit only. */
  invalidate?: (sessionId: string) => void,
): TxnOutcome {
  const catalogWrites = ops.some((op) => !('KV' in op) && isWriteOp(op));
  const catalogBefore = catalogWrites ? state.catalog.begin() : null;
  state.kv.begin();
  // Sessions bound to a node or check the transaction removes, or to a check it turns critical.
  const doomed = new Set<string>();
  const doom = (node: string, checkIds: readonly string[]) => {
    for (const id of checkIds) for (const x of state.sessions.byCheck(node, id)) doomed.add(x.ID);
  };
  const results: TxnResultItem[] = [];
  const errors: TxnError[] = [];
  ops.forEach((op, i) => {
    try {
      const r =
        'KV' in op
          ? kvOp(state, idx, op.KV)
          : 'Node' in op
            ? nodeOp(state, idx, op.Node)
            : 'Service' in op
              ? serviceOp(state, idx, op.Service)
              : checkOp(state, idx, op.Check);
      if ('Node' in op && op.Node.Verb.startsWith('delete'))
        for (const x of state.sessions.byNode(op.Node.Node.Node)) doomed.add(x.ID);
      if ('Service' in op && op.Service.Verb.startsWith('delete'))
        doom(
          op.Service.Node,
          state.catalog
            .nodeChecks(op.Service.Node)
            .filter((c) => c.ServiceID === (op.Service.Service.ID || op.Service.Service.Service))
            .map((c) => c.CheckID),
        );
      if ('Check' in op) {
        const c = op.Check.Check;
        const id = c.CheckID || c.Name || '';
        const stored = state.catalog.nodeChecks(c.Node).find((x) => x.CheckID === id);
        if (op.Check.Verb.startsWith('delete') || stored?.Status === 'critical') doom(c.Node, [id]);
      }
      results.push(...r);
    } catch (e) {
      if (!(e instanceof OpError)) {
        state.kv.rollback();
        if (catalogBefore) state.catalog.rollback(catalogBefore);
        throw e;
      }
      errors.push({ OpIndex: i, What: e.message });
    }
  });
  if (errors.length > 0) {
    state.kv.rollback();
    if (catalogBefore) state.catalog.rollback(catalogBefore);
    return { Results: null, Errors: errors };
  }
  state.kv.commit();
  if (catalogBefore) state.catalog.commit();
  for (const id of doomed) invalidate?.(id);
  return { Results: results, Errors: null };
}
