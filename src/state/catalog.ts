// The catalog tables: nodes, their service instances and health checks, with Consul's indexes and
// JSON shapes. Registration and deregistration are applied by the FSM at a Raft index; reads are
// answered from here (blocking queries watch the whole catalog for now).

import { WatchSet } from './watch.js';

export interface CatalogNode {
  ID: string;
  Node: string;
  Address: string;
  Datacenter: string;
  TaggedAddresses: Record<string, string>;
  Meta: Record<string, string>;
  CreateIndex: number;
  ModifyIndex: number;
}

export interface NodeService {
  ID: string;
  Service: string;
  Tags: string[];
  Address: string;
  Meta: Record<string, string>;
  Port: number;
  Weights: { Passing: number; Warning: number };
  EnableTagOverride: boolean;
  CreateIndex: number;
  ModifyIndex: number;
}

export interface HealthCheck {
  Node: string;
  CheckID: string;
  Name: string;
  Status: string;
  Notes: string;
  Output: string;
  ServiceID: string;
  ServiceName: string;
  ServiceTags: string[];
  Type: string;
  Interval: string;
  Timeout: string;
  CreateIndex: number;
  ModifyIndex: number;
}

export interface RegisterRequest {
  ID?: string;
  Node: string;
  Address: string;
  Datacenter?: string;
  TaggedAddresses?: Record<string, string>;
  NodeMeta?: Record<string, string>;
  Service?: Partial<NodeService> & { Service: string };
  Check?: Partial<HealthCheck>;
  Checks?: Array<Partial<HealthCheck>>;
  SkipNodeUpdate?: boolean;
}

export interface DeregisterRequest {
  Node: string;
  ServiceID?: string;
  CheckID?: string;
}

export interface CatalogDump {
  index: number;
  nodes: Array<{ node: CatalogNode; services: NodeService[]; checks: HealthCheck[] }>;
}

/** Watch key every catalog write touches. */
export const CATALOG_WATCH = 'catalog';

const STATUSES = ['passing', 'warning', 'critical'];

export class Catalog {
  private readonly nodes = new Map<string, CatalogNode>();
  private readonly services = new Map<string, Map<string, NodeService>>();
  private readonly checks = new Map<string, Map<string, HealthCheck>>();
  private tableIndex = 0;
  readonly watches = new WatchSet();

  get index(): number {
    return Math.max(1, this.tableIndex);
  }

  /** Inside a transaction: whether it wrote (watchers are woken at commit, never for a rollback). */
  private txnWrote: boolean | null = null;

  private touched(idx: number): void {
    if (idx > this.tableIndex) this.tableIndex = idx;
    if (this.txnWrote !== null) this.txnWrote = true;
    else this.watches.touch(CATALOG_WATCH);
  }

  /** Starts an all-or-nothing group of writes (a /v1/txn); returns what rollback() restores. */
  begin(): CatalogDump {
    if (this.txnWrote !== null) throw new Error('catalog transaction already open');
    this.txnWrote = false;
    return this.exportAll();
  }

  commit(): void {
    const wrote = this.txnWrote;
    this.txnWrote = null;
    if (wrote) this.watches.touch(CATALOG_WATCH);
  }

  /** Puts the table back as begin() found it; nobody was woken. */
  rollback(before: CatalogDump): void {
    this.txnWrote = null;
    this.load(before);
  }

  /** Everything in the table, for a client agent's read-only mirror (DNS on clients). */
  exportAll(): CatalogDump {
    return {
      index: this.tableIndex,
      nodes: this.listNodes().map((node) => ({
        node,
        services: [...(this.services.get(node.Node)?.values() ?? [])],
        checks: this.nodeChecks(node.Node),
      })),
    };
  }

  /** Replaces the whole content with a dump taken from a server (indexes kept as they were). */
  replaceAll(d: CatalogDump): void {
    this.load(d);
    this.watches.touch(CATALOG_WATCH);
  }

  private load(d: CatalogDump): void {
    this.nodes.clear();
    this.services.clear();
    this.checks.clear();
    for (const n of d.nodes) {
      this.nodes.set(n.node.Node, n.node);
      this.services.set(n.node.Node, new Map(n.services.map((x) => [x.ID, x])));
      this.checks.set(n.node.Node, new Map(n.checks.map((x) => [x.CheckID, x])));
    }
    this.tableIndex = d.index;
  }

  /** Validates a registration as Consul's endpoint does; an Error carries its 400 text. */
  static validate(r: RegisterRequest): Error | null {
    if (!r.Node) return new Error('Missing node name');
    if (!r.Address && !r.SkipNodeUpdate) return new Error('Missing node address');
    if (r.Service && !r.Service.Service) return new Error('Must provide service name with ID');
    for (const c of [r.Check, ...(r.Checks ?? [])]) {
      if (c?.Status && !STATUSES.includes(c.Status)) return new Error(`Invalid check status: '${c.Status}'`);
    }
    return null;
  }

  register(idx: number, r: RegisterRequest, datacenter: string): void {
    const prev = this.nodes.get(r.Node);
    if (!r.SkipNodeUpdate || !prev) {
      this.nodes.set(r.Node, {
        ID: r.ID ?? prev?.ID ?? '',
        Node: r.Node,
        Address: r.Address,
        Datacenter: datacenter,
        TaggedAddresses: r.TaggedAddresses ?? prev?.TaggedAddresses ?? {},
        Meta: r.NodeMeta ?? prev?.Meta ?? {},
        CreateIndex: prev?.CreateIndex ?? idx,
        ModifyIndex: idx,
      });
    }
    if (r.Service) {
      const s = r.Service;
      const id = s.ID || s.Service;
      const svcs = this.services.get(r.Node) ?? new Map<string, NodeService>();
      const old = svcs.get(id);
      svcs.set(id, {
        ID: id,
        Service: s.Service,
        Tags: s.Tags ?? [],
        Address: s.Address ?? '',
        Meta: s.Meta ?? {},
        Port: s.Port ?? 0,
        Weights: s.Weights ?? { Passing: 1, Warning: 1 },
        EnableTagOverride: s.EnableTagOverride ?? false,
        CreateIndex: old?.CreateIndex ?? idx,
        ModifyIndex: idx,
      });
      this.services.set(r.Node, svcs);
    }
    for (const c of [r.Check, ...(r.Checks ?? [])]) {
      if (!c) continue;
      const checks = this.checks.get(r.Node) ?? new Map<string, HealthCheck>();
      const id = c.CheckID || c.Name || '';
      const old = checks.get(id);
      const svc = c.ServiceID ? this.services.get(r.Node)?.get(c.ServiceID) : undefined;
      checks.set(id, {
        Node: r.Node,
        CheckID: id,
        Name: c.Name ?? id,
        Status: c.Status || 'critical',
        Notes: c.Notes ?? '',
        Output: c.Output ?? '',
        ServiceID: c.ServiceID ?? '',
        ServiceName: svc?.Service ?? c.ServiceName ?? '',
        ServiceTags: svc?.Tags ?? c.ServiceTags ?? [],
        Type: c.Type ?? '',
        Interval: c.Interval ?? '',
        Timeout: c.Timeout ?? '',
        CreateIndex: old?.CreateIndex ?? idx,
        ModifyIndex: idx,
      });
      this.checks.set(r.Node, checks);
    }
    this.touched(idx);
  }

  deregister(idx: number, r: DeregisterRequest): void {
    if (r.ServiceID) {
      this.services.get(r.Node)?.delete(r.ServiceID);
      const checks = this.checks.get(r.Node);
      for (const [id, c] of checks ?? []) if (c.ServiceID === r.ServiceID) checks!.delete(id);
    }
    if (r.CheckID) this.checks.get(r.Node)?.delete(r.CheckID);
    if (!r.ServiceID && !r.CheckID) {
      this.nodes.delete(r.Node);
      this.services.delete(r.Node);
      this.checks.delete(r.Node);
    }
    this.touched(idx);
  }

  listNodes(): CatalogNode[] {
    return [...this.nodes.values()].sort((a, b) => (a.Node < b.Node ? -1 : a.Node > b.Node ? 1 : 0));
  }

  /** serviceName → union of tags, names sorted. */
  listServices(): Record<string, string[]> {
    const out = new Map<string, Set<string>>();
    for (const [, svcs] of this.services)
      for (const [, s] of svcs) {
        const tags = out.get(s.Service) ?? new Set<string>();
        for (const t of s.Tags) tags.add(t);
        out.set(s.Service, tags);
      }
    return Object.fromEntries([...out].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, [...v]]));
  }

  /** Every instance of a service with its node, instances having all `tags`; ordered by node name. */
  serviceNodes(
    name: string,
    tags: readonly string[] = [],
  ): Array<{ node: CatalogNode; service: NodeService }> {
    const out: Array<{ node: CatalogNode; service: NodeService }> = [];
    for (const node of this.listNodes()) {
      for (const [, s] of this.services.get(node.Node) ?? []) {
        if (s.Service === name && tags.every((t) => s.Tags.includes(t))) out.push({ node, service: s });
      }
    }
    return out;
  }

  node(name: string): { node: CatalogNode; services: NodeService[] } | null {
    const node = this.nodes.get(name);
    if (!node) return null;
    return { node, services: [...(this.services.get(name)?.values() ?? [])] };
  }

  /** Every check in the catalog, ordered by node then check ID. */
  allChecks(): HealthCheck[] {
    const out: HealthCheck[] = [];
    for (const n of this.listNodes()) out.push(...this.nodeChecks(n.Node));
    return out;
  }

  nodeChecks(name: string): HealthCheck[] {
    return [...(this.checks.get(name)?.values() ?? [])];
  }
}
