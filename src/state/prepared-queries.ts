// The prepared-queries table (Consul's structs.PreparedQuery): queries by ID, unique by name
// (case-insensitively, as Consul's name index), at most one catch-all template (empty name), and the
// lookup Consul's execute and DNS use: exact ID, then exact name, then the longest name-prefix template,
// rendered for the name looked up.

import { parseGoDuration } from '../lib/duration.js';
import { WatchSet } from './watch.js';
import { compileTemplate, isTemplate, renderTemplate } from './query-template.js';

export interface QueryFailoverTarget {
  Peer: string;
  Datacenter: string;
  Partition: string;
  Namespace: string;
}

export interface ServiceQuery {
  Service: string;
  Failover: { NearestN: number; Datacenters: string[] | null; Targets: QueryFailoverTarget[] | null };
  OnlyPassing: boolean;
  IgnoreCheckIDs: string[] | null;
  Near: string;
  /** Required tags; "!tag" excludes instances with it. */
  Tags: string[] | null;
  NodeMeta: Record<string, string> | null;
  ServiceMeta: Record<string, string> | null;
  Peer: string;
  Connect: { Enabled: boolean };
}

export interface PreparedQuery {
  ID: string;
  Name: string;
  Session: string;
  Token: string;
  Template: { Type: string; Regexp: string; RemoveEmptyTags: boolean };
  Service: ServiceQuery;
  DNS: { TTL: string };
  CreateIndex: number;
  ModifyIndex: number;
}

/** Watch key every prepared-query write touches. */
export const QUERIES_WATCH = 'prepared-queries';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(s: string): boolean {
  return UUID_RE.test(s);
}

/** What Consul's ACL filter shows in place of a token the caller may not see. */
export const REDACTED_TOKEN = '<hidden>';

/** Consul's ValidateNodeMetadata with "consul-" keys allowed (a filter may ask for them). */
function nodeMetaError(meta: Record<string, string>): string | null {
  const keys = Object.keys(meta);
  if (keys.length > 64) return 'Node metadata cannot contain more than 64 key/value pairs';
  for (const k of keys) {
    if (k === '') return 'Key cannot be blank';
    if (!/^[a-zA-Z0-9_-]+$/.test(k)) return 'Key contains invalid characters';
    if (k.length > 128) return 'Key is too long (limit: 128 characters)';
    if (meta[k]!.length > 512) return 'Value is too long (limit: 512 characters)';
  }
  return null;
}

/**
 * The checks Consul's PreparedQuery.Apply makes on a create or update before anything is proposed
 * (uniqueness, the session and the template are the store's, in `set`).
 */
export function validateQuery(q: PreparedQuery): Error | null {
  if (q.Name === '' && q.Template.Type === '' && q.Session === '')
    return new Error('Must be bound to a session');
  if (q.Token === REDACTED_TOKEN)
    return new Error(
      `Bad Token '${q.Token}', it looks like a query definition with a redacted token was submitted`,
    );
  const svc = q.Service;
  if (svc.Service === '') return new Error('Must provide a Service name to query');
  const f = svc.Failover;
  if (f.NearestN < 0) return new Error(`Bad NearestN '${f.NearestN}', must be >= 0`);
  if ((f.NearestN !== 0 || (f.Datacenters ?? []).length !== 0) && (f.Targets ?? []).length !== 0)
    return new Error('Targets cannot be populated with NearestN or Datacenters');
  const meta = nodeMetaError(svc.NodeMeta ?? {});
  if (meta) return new Error(meta);
  if (q.DNS.TTL !== '') {
    const ttl = parseGoDuration(q.DNS.TTL);
    if (ttl instanceof Error) return new Error(`Bad DNS TTL '${q.DNS.TTL}': ${ttl.message}`);
    if (ttl < 0) return new Error(`DNS TTL '${ttl}', must be >=0`);
  }
  return null;
}

export class PreparedQueries {
  private readonly rows = new Map<string, PreparedQuery>();
  private tableIndex = 0;
  readonly watches = new WatchSet();

  get index(): number {
    return Math.max(1, this.tableIndex);
  }

  private touched(idx: number): void {
    if (idx > this.tableIndex) this.tableIndex = idx;
    this.watches.touch(QUERIES_WATCH);
  }

  get(id: string): PreparedQuery | undefined {
    return this.rows.get(id.toLowerCase());
  }

  /** Every query, ordered by ID (Consul's memdb order). */
  list(): PreparedQuery[] {
    return [...this.rows.values()].sort((a, b) => (a.ID < b.ID ? -1 : a.ID > b.ID ? 1 : 0));
  }

  private byName(name: string): PreparedQuery | undefined {
    const n = name.toLowerCase();
    for (const q of this.rows.values()) if (q.Name !== '' && q.Name.toLowerCase() === n) return q;
    return undefined;
  }

  /**
   * Creates or replaces a query, keeping CreateIndex across updates; an Error (nothing written) for
   * what Consul's state store refuses. `sessionExists` checks a bound session in the same apply.
   */
  set(idx: number, q: PreparedQuery, sessionExists: (id: string) => boolean): Error | null {
    if (q.ID === '') return new Error('Missing Query ID');
    const existing = this.rows.get(q.ID.toLowerCase());
    if (q.Name !== '') {
      const other = this.byName(q.Name);
      if (other && other.ID !== q.ID) return new Error(`name '${q.Name}' aliases an existing query name`);
    } else if (isTemplate(q)) {
      const other = [...this.rows.values()].find((x) => x.Name === '' && isTemplate(x));
      if (other && other.ID !== q.ID) return new Error('a query template with an empty name already exists');
    }
    if (isUuid(q.Name) && this.rows.has(q.Name.toLowerCase()))
      return new Error(`name '${q.Name}' aliases an existing query ID`);
    if (q.Session !== '' && !sessionExists(q.Session))
      return new Error(`invalid session ${JSON.stringify(q.Session)}`);
    if (isTemplate(q)) {
      const bad = compileTemplate(q);
      if (bad) return new Error(`failed compiling template: ${bad.message}`);
    }
    this.rows.set(q.ID.toLowerCase(), {
      ...q,
      CreateIndex: existing?.CreateIndex ?? idx,
      ModifyIndex: idx,
    });
    this.touched(idx);
    return null;
  }

  delete(idx: number, id: string): boolean {
    if (!this.rows.delete(id.toLowerCase())) return false;
    this.touched(idx);
    return true;
  }

  /** Removes the queries bound to a session that went away. */
  deleteBySession(idx: number, session: string): void {
    for (const q of [...this.rows.values()]) if (q.Session === session) this.delete(idx, q.ID);
  }

  /**
   * The query `idOrName` names, templates rendered for it: null when none matches, an Error when a
   * template is asked for by ID or fails to render.
   */
  resolve(idOrName: string): PreparedQuery | Error | null {
    if (idOrName === '') return new Error('Missing Query ID');
    if (isUuid(idOrName)) {
      const q = this.get(idOrName);
      if (q) {
        if (isTemplate(q))
          return new Error('prepared query templates can only be resolved up by name, not by ID');
        return q;
      }
    }
    const render = (q: PreparedQuery) => (isTemplate(q) ? renderTemplate(q, idOrName) : q);
    const exact = this.byName(idOrName);
    if (exact) return render(exact);
    const lower = idOrName.toLowerCase();
    let best: PreparedQuery | null = null;
    for (const q of this.rows.values())
      if (
        isTemplate(q) &&
        lower.startsWith(q.Name.toLowerCase()) &&
        (!best || q.Name.length > best.Name.length)
      )
        best = q;
    return best ? render(best) : null;
  }

  dump(): { index: number; rows: PreparedQuery[] } {
    return { index: this.tableIndex, rows: this.list() };
  }

  restore(d: { index: number; rows: PreparedQuery[] }): void {
    this.rows.clear();
    for (const q of d.rows) this.rows.set(q.ID.toLowerCase(), q);
    this.tableIndex = d.index;
    this.watches.touch(QUERIES_WATCH);
  }
}
