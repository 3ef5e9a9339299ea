// The catalog tables: nodes, their service instances and health checks, with Consul's indexes and
// JSON shapes. Registration and deregistration are applied by the FSM at a Raft index; reads are
// answered from here. As Consul's memdb index table, the catalog keeps an index per table (nodes,
// services, checks), one per service name (moved by any write to that service's instances, their
// checks, their node's checks or their node) and the index at which a service name last lost its
// final instance (its "extinction"). Blocking reads of one service or one node wait on that name's
// watch key only, so a write to service X never wakes a watcher of service Y.

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

/** The catalog's index table (Consul's "index" table rows for it). */
export interface CatalogIndexes {
  nodes: number;
  services: number;
  checks: number;
  /** service name → the last index any write touched it at (only names with instances). */
  service: Record<string, number>;
  /** The last index a service name lost its last instance at (0: never). */
  extinction: number;
}

export interface CatalogDump {
  index: number;
  nodes: Array<{ node: CatalogNode; services: NodeService[]; checks: HealthCheck[] }>;
  /** Absent in dumps from older servers: derived from the entries' ModifyIndex then. */
  indexes?: CatalogIndexes;
}

/** Watch key every catalog write touches (list reads wait on it). */
export const CATALOG_WATCH = 'catalog';
/** Watch key of one service name's instances and their health. */
export const serviceWatch = (name: string): string => `service\u0000${name}`;
/** Watch key of one node's registration, services and checks. */
export const nodeWatch = (name: string): string => `node\u0000${name}`;

const STATUSES = ['passing', 'warning', 'critical'];

export class Catalog {
  private readonly nodes = new Map<string, CatalogNode>();
  private readonly services = new Map<string, Map<string, NodeService>>();
  private readonly checks = new Map<string, Map<string, HealthCheck>>();
  private tableIndex = 0;
  private idx: CatalogIndexes = { nodes: 0, services: 0, checks: 0, service: {}, extinction: 0 };
  /** service name → how many instances carry it. */
  private readonly instances = new Map<string, number>();
  readonly watches = new WatchSet();

  get index(): number {
    return Math.max(1, this.tableIndex);
  }

  /**
   * The X-Consul-Index of a read of one service (Consul's maxIndexForService): the service name's
   * index; for a name with no instances the last extinction, or the table indexes when none happened.
   */
  serviceIndex(name: string, withChecks: boolean): number {
    const own = Object.hasOwn(this.idx.service, name) ? this.idx.service[name]! : 0;
    if (own > 0) return own;
    if (this.idx.extinction > 0) return this.idx.extinction;
    const i = this.idx;
    return Math.max(1, i.nodes, i.services, withChecks ? i.checks : 0);
  }

  /** Index of a node's services read (Consul's: the nodes and services tables'). */
  get nodeServicesIndex(): number {
    return Math.max(1, this.idx.nodes, this.idx.services);
  }

  /** Index of a checks read (Consul's: the checks table's). */
  get checksIndex(): number {
    return Math.max(1, this.idx.checks);
  }

  /** Inside a transaction: the watch keys its writes touched (woken at commit, never for a rollback). */
  private txnKeys: Set<string> | null = null;

  private touched(idx: number, keys: Iterable<string>): void {
    if (idx > this.tableIndex) this.tableIndex = idx;
    const all = new Set(keys);
    all.add(CATALOG_WATCH);
    if (this.txnKeys !== null) for (const k of all) this.txnKeys.add(k);
    else for (const k of all) this.watches.touch(k);
  }

  private bumpService(idx: number, name: string, keys: Set<string>): void {
    this.idx.service[name] = idx;
    keys.add(serviceWatch(name));
  }

  /** Consul's updateAllServiceIndexesOfNode: the node's data shows in each of its services' reads. */
  private bumpNodeServices(idx: number, node: string, keys: Set<string>): void {
    for (const [, s] of this.services.get(node) ?? []) this.bumpService(idx, s.Service, keys);
  }

  private addInstance(name: string): void {
    this.instances.set(name, (this.instances.get(name) ?? 0) + 1);
  }

  /** One instance of `name` went; the last one takes the name's index with it (its extinction). */
  private dropInstance(idx: number, name: string, keys: Set<string>): void {
    const n = (this.instances.get(name) ?? 1) - 1;
    keys.add(serviceWatch(name));
    if (n > 0) {
      this.instances.set(name, n);
      this.idx.service[name] = idx;
      return;
    }
    this.instances.delete(name);
    delete this.idx.service[name];
    this.idx.extinction = idx;
  }

  /** Starts an all-or-nothing group of writes (a /v1/txn); returns what rollback() restores. */
  begin(): CatalogDump {
    if (this.txnKeys !== null) throw new Error('catalog transaction already open');
    this.txnKeys = new Set();
    return this.exportAll();
  }

  commit(): void {
    const keys = this.txnKeys;
    this.txnKeys = null;
    for (const k of keys ?? []) this.watches.touch(k);
  }

  /** Puts the table back as begin() found it; nobody was woken. */
  rollback(before: CatalogDump): void {
    this.txnKeys = null;
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
      indexes: { ...this.idx, service: { ...this.idx.service } },
    };
  }

  /** Replaces the whole content with a dump taken from a server (indexes kept as they were). */
  replaceAll(d: CatalogDump): void {
    this.load(d);
    this.watches.touchPrefix('');
  }

  private load(d: CatalogDump): void {
    this.nodes.clear();
    this.services.clear();
    this.checks.clear();
    this.instances.clear();
    const derived: CatalogIndexes = { nodes: 0, services: 0, checks: 0, service: {}, extinction: 0 };
    const svcMax = (name: string, i: number) =>
      (derived.service[name] = Math.max(derived.service[name] ?? 0, i));
    for (const n of d.nodes) {
      this.nodes.set(n.node.Node, n.node);
      this.services.set(n.node.Node, new Map(n.services.map((x) => [x.ID, x])));
      this.checks.set(n.node.Node, new Map(n.checks.map((x) => [x.CheckID, x])));
      derived.nodes = Math.max(derived.nodes, n.node.ModifyIndex);
      for (const s of n.services) {
        this.addInstance(s.Service);
        derived.services = Math.max(derived.services, s.ModifyIndex);
        svcMax(s.Service, Math.max(s.ModifyIndex, n.node.ModifyIndex));
      }
      for (const c of n.checks) {
        derived.checks = Math.max(derived.checks, c.ModifyIndex);
        for (const s of n.services)
          if (c.ServiceID === '' || c.ServiceID === s.ID) svcMax(s.Service, c.ModifyIndex);
      }
    }
    this.idx = d.indexes ? { ...d.indexes, service: { ...d.indexes.service } } : derived;
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
    const keys = new Set([nodeWatch(r.Node)]);
    const prev = this.nodes.get(r.Node);
    if (!r.SkipNodeUpdate || !prev) {
      this.idx.nodes = idx;
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
      this.bumpNodeServices(idx, r.Node, keys);
    }
    if (r.Service) {
      const s = r.Service;
      const id = s.ID || s.Service;
      const svcs = this.services.get(r.Node) ?? new Map<string, NodeService>();
      const old = svcs.get(id);
      if (old && old.Service !== s.Service) this.dropInstance(idx, old.Service, keys);
      if (!old || old.Service !== s.Service) this.addInstance(s.Service);
      this.idx.services = idx;
      this.bumpService(idx, s.Service, keys);
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
      this.idx.checks = idx;
      if (svc) this.bumpService(idx, svc.Service, keys);
      else if (!c.ServiceID) this.bumpNodeServices(idx, r.Node, keys);
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
    this.touched(idx, keys);
  }

  deregister(idx: number, r: DeregisterRequest): void {
    const keys = new Set([nodeWatch(r.Node)]);
    const svcs = this.services.get(r.Node);
    const checks = this.checks.get(r.Node);
    const dropService = (id: string) => {
      const s = svcs?.get(id);
      if (!s) return;
      svcs!.delete(id);
      this.idx.services = idx;
      this.dropInstance(idx, s.Service, keys);
    };
    const dropCheck = (id: string) => {
      const c = checks?.get(id);
      if (!c) return;
      checks!.delete(id);
      this.idx.checks = idx;
      const s = c.ServiceID ? svcs?.get(c.ServiceID) : undefined;
      if (s) this.bumpService(idx, s.Service, keys);
      else if (!c.ServiceID) this.bumpNodeServices(idx, r.Node, keys);
    };
    if (r.ServiceID) {
      for (const [id, c] of checks ?? []) if (c.ServiceID === r.ServiceID) dropCheck(id);
      dropService(r.ServiceID);
    }
    if (r.CheckID) dropCheck(r.CheckID);
    if (!r.ServiceID && !r.CheckID) {
      for (const id of [...(checks?.keys() ?? [])]) dropCheck(id);
      for (const id of [...(svcs?.keys() ?? [])]) dropService(id);
      if (this.nodes.delete(r.Node)) this.idx.nodes = idx;
      this.services.delete(r.Node);
      this.checks.delete(r.Node);
    }
    this.touched(idx, keys);
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
