// What a DNS question means in Consul's namespace and which records answer it (consul-surface.md §3),
// computed from the catalog with no I/O: <node>.node[.<dc>].<domain>, [<tag>.]<service>.service[.<dc>].<domain>,
// RFC 2782 _<service>._<tag|tcp>[.service][.<dc>].<domain>; NXDOMAIN/NODATA with Consul's SOA.

import type { RuntimeConfig } from '../config/runtime-config.js';
import type { Catalog, CatalogNode, NodeService } from '../state/catalog.js';
import type { ExecuteResult } from '../state/query-execute.js';
import { parseGoDuration } from '../lib/duration.js';

export type RecordType = 'A' | 'AAAA' | 'SRV' | 'TXT' | 'SOA' | 'ANY' | string;

export interface Rr {
  name: string;
  type: 'A' | 'AAAA' | 'SRV' | 'SOA' | 'TXT' | 'PTR' | 'CNAME' | 'NS';
  ttl: number;
  class: 'IN';
  data: unknown;
}

export interface Plan {
  rcode: 'NOERROR' | 'NXDOMAIN' | 'REFUSED' | 'SERVFAIL' | 'NOTIMP';
  answers: Rr[];
  authorities: Rr[];
  additionals: Rr[];
  authoritative: boolean;
  /** Not Consul's to answer: forward to the recursors when there are any (else this plan stands). */
  recurse?: boolean;
  /** A prepared query to run; its result is turned into the answer by queryPlan. */
  execute?: QueryLookup;
  /**
   * The catalog rows to read elsewhere (another datacenter, or the leader) before this question can
   * be answered: plan again with them as the catalog. The plan itself is the answer when none can be
   * read from there (NXDOMAIN, "No path to datacenter").
   */
  fetch?: CatalogFetch;
}

/** What to read from a datacenter's servers: a service's instances with their health, a node, or all. */
export interface CatalogFetch {
  datacenter: string;
  service?: string;
  node?: string;
  /** The whole catalog (reverse lookups search every node and service address). */
  all?: boolean;
}

export interface QueryLookup {
  /** The query's ID or name. */
  name: string;
  /** Where it runs: ours, or the datacenter the name's locality gives. */
  datacenter: string;
  /** The question name as answers carry it. */
  qname: string;
  zone: string;
}

export interface PlanContext {
  config: RuntimeConfig;
  catalog: Catalog | null;
  nowSeconds: number;
  /** Shuffles answers (Consul randomizes instance order on every query). */
  shuffle<T>(xs: T[]): T[];
  /** How many more times a hostname inside our domain may be resolved here (Consul allows 3). */
  depth?: number;
  /** The datacenter `catalog` holds (ours unless it was read from another one). */
  datacenter?: string;
  /**
   * Whether `catalog` may answer for our datacenter (a stale read allowed, or we lead); when false,
   * service, node and nameserver lookups are fetched from the leader. Default true.
   */
  local?: boolean;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** Which address record an address makes (null for a hostname). */
function addressType(addr: string): 'A' | 'AAAA' | null {
  return IPV4.test(addr) ? 'A' : addr.includes(':') ? 'AAAA' : null;
}

function ttlOf(ns: number): number {
  return Math.floor(ns / 1e9);
}

function serviceTtl(cfg: RuntimeConfig, service: string): number {
  const map = cfg.dnsConfig.serviceTtlNs;
  if (map[service] !== undefined) return ttlOf(map[service]);
  let best = '';
  for (const k of Object.keys(map))
    if (k.endsWith('*') && k !== '*' && service.startsWith(k.slice(0, -1)) && k.length > best.length)
      best = k;
  if (best) return ttlOf(map[best]!);
  return map['*'] !== undefined ? ttlOf(map['*']) : 0;
}

function soa(ctx: PlanContext, domain: string): Rr {
  const s = ctx.config.dnsConfig.soa;
  return {
    name: domain,
    type: 'SOA',
    ttl: s.minTtl,
    class: 'IN',
    data: {
      mname: `ns.${domain}`,
      rname: `hostmaster.${domain}`,
      serial: ctx.nowSeconds,
      refresh: s.refresh,
      retry: s.retry,
      expire: s.expire,
      minimum: s.minTtl,
    },
  };
}

function empty(rcode: Plan['rcode'], authoritative = true): Plan {
  return { rcode, answers: [], authorities: [], additionals: [], authoritative };
}

/**
 * What a hostname address resolves to, as Consul's resolveCNAME: inside our domain(s) the CNAME, A and
 * AAAA answers of an ANY lookup here, at most 3 levels deep; outside, nothing (asking the recursors
 * for it is not done here).
 */
function resolveHostname(fqdn: string, ctx: PlanContext): Rr[] {
  const lower = fqdn.toLowerCase().replace(/\.$/, '');
  const ours = [ctx.config.domain, ctx.config.altDomain]
    .map((d) => d.toLowerCase().replace(/\.$/, ''))
    .filter(Boolean)
    .some((d) => lower.endsWith(`.${d}`));
  const depth = ctx.depth ?? 3;
  if (!ours || depth < 1) return [];
  return plan(fqdn, 'ANY', { ...ctx, depth: depth - 1 }).answers.filter(
    (r) => r.type === 'CNAME' || r.type === 'A' || r.type === 'AAAA',
  );
}

export function plan(qname: string, qtype: RecordType, ctx: PlanContext): Plan {
  const cfg = ctx.config;
  const name = qname.toLowerCase().replace(/\.$/, '');
  // Answers carry the name as asked (resolvers using 0x20 case randomization compare it).
  const asked = qname.endsWith('.') ? qname : `${qname}.`;
  const domain = cfg.domain.toLowerCase().replace(/\.$/, '');
  const alt = cfg.altDomain.toLowerCase().replace(/\.$/, '');
  const used =
    name === domain || name.endsWith(`.${domain}`)
      ? domain
      : alt && (name === alt || name.endsWith(`.${alt}`))
        ? alt
        : null;
  if (used === null) {
    if (name.endsWith('.in-addr.arpa') || name.endsWith('.ip6.arpa'))
      return reverse(name, asked, qtype, ctx, domain);
    return { ...empty('REFUSED', false), recurse: true }; // not ours: the recursors', if any
  }
  const zone = `${used}.`;
  const nx = (): Plan => ({ ...empty('NXDOMAIN'), authorities: [soa(ctx, zone)] });
  // As Consul's handleQuery: an SOA or NS question for any name in the domain is about the zone. SOA:
  // the SOA, the servers as NS in authority, their addresses in additional; NS: the NS and the glue.
  if (qtype === 'SOA' || qtype === 'NS') {
    if (ctx.local === false)
      return { ...empty('SERVFAIL'), fetch: { datacenter: cfg.datacenter, service: 'consul' } };
    const { ns, glue } = nameservers(ctx, asked.slice(asked.length - zone.length));
    if (qtype === 'NS') return { ...empty('NOERROR'), answers: ns, additionals: glue };
    return { ...empty('NOERROR'), answers: [soa(ctx, zone)], authorities: ns, additionals: glue };
  }
  const labels = name === used ? [] : name.slice(0, -(used.length + 1)).split('.');
  // The apex asked for anything else has no keyword: NXDOMAIN with the SOA, as Consul's dispatch.
  if (labels.length === 0) return nx();
  if (!ctx.catalog && ctx.local !== false) return empty('SERVFAIL');
  let kw = -1;
  for (let i = labels.length - 1; i >= 0; i--) {
    if (labels[i] === 'service' || labels[i] === 'node' || labels[i] === 'addr' || labels[i] === 'query') {
      kw = i;
      break;
    }
  }
  // RFC 2782 without the "service" label: _web._tcp.consul
  if (
    kw < 0 &&
    qtype === 'SRV' &&
    labels.length >= 2 &&
    labels[0]!.startsWith('_') &&
    labels[1]!.startsWith('_')
  ) {
    return serviceAnswer(
      labels[0]!.slice(1),
      labels[1] === '_tcp' ? '' : labels[1]!.slice(1),
      qtype,
      ctx,
      zone,
      nx,
      labels.slice(2),
      asked,
    );
  }
  if (kw < 0) return nx();
  const parts = labels.slice(0, kw);
  const locality = labels.slice(kw + 1);
  if (labels[kw] === 'node') {
    if (parts.length === 0) return nx();
    return nodeAnswer(parts.join('.'), qtype, ctx, nx, locality, asked);
  }
  if (labels[kw] === 'addr') return addrAnswer(parts, qtype, ctx, asked, nx, locality);
  if (labels[kw] === 'query') {
    const dc = localityDatacenter(locality, ctx);
    if (parts.length === 0 || dc === null) return nx();
    // RFC 2782 style _<name>._tcp.query: the name without its underscore.
    const rfc = parts.length === 2 && parts[0]!.startsWith('_') && parts[1]!.startsWith('_');
    return {
      ...empty('NOERROR'),
      execute: { name: rfc ? parts[0]!.slice(1) : parts.join('.'), datacenter: dc, qname: asked, zone },
    };
  }
  if (parts.length === 0) return nx();
  if (parts.length === 2 && parts[0]!.startsWith('_') && parts[1]!.startsWith('_')) {
    return serviceAnswer(
      parts[0]!.slice(1),
      parts[1] === '_tcp' ? '' : parts[1]!.slice(1),
      qtype,
      ctx,
      zone,
      nx,
      locality,
      asked,
    );
  }
  const service = parts[parts.length - 1]!;
  const tag = parts.slice(0, -1).join('.');
  return serviceAnswer(service, tag, qtype, ctx, zone, nx, locality, asked);
}

/** The datacenter a locality suffix names ("", "dc1" or "dc1.dc"); null when it is malformed. */
function localityDatacenter(locality: string[], ctx: PlanContext): string | null {
  if (locality.length === 0) return ctx.config.datacenter;
  if (locality.length === 2 && locality[1] === 'dc') return locality[0]!;
  return locality.length === 1 ? locality[0]! : null;
}

/**
 * Where a service or node lookup is answered: 'here' from ctx.catalog, a fetch from the datacenter's
 * servers (another datacenter, or our leader when the catalog here may not answer), or null when the
 * locality is malformed.
 */
function lookupWhere(
  locality: string[],
  ctx: PlanContext,
  what: { service?: string; node?: string },
): 'here' | CatalogFetch | null {
  const dc = localityDatacenter(locality, ctx);
  if (dc === null) return null;
  const held = ctx.datacenter ?? ctx.config.datacenter;
  if (dc === held && ctx.local !== false) return 'here';
  return { datacenter: dc, ...what };
}

/**
 * A lookup read elsewhere; the plan stands when nothing can be read: NXDOMAIN for another datacenter
 * (no path to it), SERVFAIL for our own (no leader to read from).
 */
function fetchPlan(f: CatalogFetch, ctx: PlanContext, nx: () => Plan): Plan {
  return { ...(f.datacenter === ctx.config.datacenter ? empty('SERVFAIL') : nx()), fetch: f };
}

/** Whether a locality suffix names the datacenter the catalog holds. */
function localityOk(locality: string[], ctx: PlanContext): boolean {
  return localityDatacenter(locality, ctx) === (ctx.datacenter ?? ctx.config.datacenter);
}

/** A node by name, any spelling: Consul's catalog indexes node names case-insensitively. */
function findNode(catalog: Catalog, lower: string): ReturnType<Catalog['node']> {
  const exact = catalog.node(lower);
  if (exact) return exact;
  const n = catalog.listNodes().find((x) => x.Node.toLowerCase() === lower);
  return n ? catalog.node(n.Node) : null;
}

/** A service's instances (any spelling of its name and tags), as Consul's case-insensitive indexes. */
function findInstances(
  catalog: Catalog,
  lower: string,
  tag: string,
): Array<{ node: CatalogNode; service: NodeService }> {
  const names = Object.keys(catalog.listServices()).filter((n) => n.toLowerCase() === lower);
  const out = names.flatMap((n) => catalog.serviceNodes(n));
  if (names.length > 1)
    out.sort((a, b) => (a.node.Node < b.node.Node ? -1 : a.node.Node > b.node.Node ? 1 : 0));
  return tag ? out.filter(({ service: s }) => s.Tags.some((t) => t.toLowerCase() === tag)) : out;
}

function nodeAnswer(
  node: string,
  qtype: RecordType,
  ctx: PlanContext,
  nx: () => Plan,
  locality: string[],
  qn: string,
): Plan {
  const where = lookupWhere(locality, ctx, { node });
  if (where === null) return nx();
  if (where !== 'here') return fetchPlan(where, ctx, nx);
  const entry = findNode(ctx.catalog!, node);
  if (!entry) return nx();
  const ttl = ttlOf(ctx.config.dnsConfig.nodeTtlNs);
  const answers = nodeRecords(entry.node, qtype, qn, ttl, ctx);
  // Node meta: the answer to TXT and ANY; with enable_additional_node_meta_txt, additional elsewhere.
  if (qtype === 'TXT' || qtype === 'ANY')
    return { ...empty('NOERROR'), answers: [...answers, ...metaTxt(entry.node, qn, ttl)] };
  const additionals = ctx.config.dnsConfig.enableAdditionalNodeMetaTxt ? metaTxt(entry.node, qn, ttl) : [];
  return { ...empty('NOERROR'), answers, additionals };
}

/** A node's address records under `qn`: A/AAAA for an IP, a CNAME (and what it resolves to) for a hostname. */
function nodeRecords(node: CatalogNode, qtype: RecordType, qn: string, ttl: number, ctx: PlanContext): Rr[] {
  const answers: Rr[] = [];
  const addr = node.Address;
  const type = addressType(addr);
  if (type !== null && (qtype === type || qtype === 'ANY'))
    answers.push({ name: qn, type, ttl, class: 'IN', data: addr });
  // A node registered with a hostname (an external node): a CNAME to it, then what it resolves to.
  if (type === null && addr !== '' && (qtype === 'A' || qtype === 'AAAA' || qtype === 'ANY')) {
    const target = addr.endsWith('.') ? addr : `${addr}.`;
    answers.push({ name: qn, type: 'CNAME', ttl, class: 'IN', data: target });
    answers.push(...resolveHostname(target, ctx));
  }
  return answers;
}

/** Node names that cannot be a DNS label (Consul's InvalidNameRe) are never named as nameservers. */
const INVALID_LABEL = /[^A-Za-z0-9-]/;
/** Consul names at most this many servers as the zone's nameservers. */
const MAX_NAMESERVERS = 3;

/**
 * Consul's getNameserversAndNodeRecord: up to 3 of the healthy `consul` service instances of our
 * datacenter, shuffled, as NS records `<node>.node.<dc>.<domain>.` (lower case) owned by the domain as
 * the question spelled it, with node_ttl; the glue is each node's address records under that name.
 */
function nameservers(ctx: PlanContext, owner: string): { ns: Rr[]; glue: Rr[] } {
  const ns: Rr[] = [];
  const glue: Rr[] = [];
  if (!ctx.catalog) return { ns, glue };
  const cfg = ctx.config;
  const ttl = ttlOf(cfg.dnsConfig.nodeTtlNs);
  const servers = findInstances(ctx.catalog, 'consul', '').filter(({ node, service }) => {
    const h = healthy(ctx, node, service);
    return h === 'passing' || (h === 'warning' && !cfg.dnsConfig.onlyPassing);
  });
  for (const { node } of ctx.shuffle(servers)) {
    if (INVALID_LABEL.test(node.Node)) continue;
    const fqdn = `${node.Node}.node.${cfg.datacenter}.${owner}`.toLowerCase();
    ns.push({ name: owner, type: 'NS', ttl, class: 'IN', data: fqdn });
    glue.push(...nodeRecords(node, 'ANY', fqdn, ttl, ctx));
    if (ns.length >= MAX_NAMESERVERS) break;
  }
  return { ns, glue };
}

/** One TXT per node meta pair: RFC 1464 `key=value`, or the bare value for `rfc1035-` keys. */
function metaTxt(node: CatalogNode, name: string, ttl: number): Rr[] {
  return Object.entries(node.Meta).map(([k, v]) => ({
    name,
    type: 'TXT' as const,
    ttl,
    class: 'IN' as const,
    data: [k.toLowerCase().startsWith('rfc1035-') ? v : rfc1464(k, v)],
  }));
}

/** RFC 1464: in the key, "`" and "=" are quoted with "`", as are leading and trailing spaces. */
function rfc1464(key: string, value: string): string {
  let k = key.replace(/`/g, '``').replace(/=/g, '`=');
  k = k.replace(/^ +/, (m) => '` '.repeat(m.length)).replace(/ +$/, (m) => '` '.repeat(m.length));
  return `${k}=${value.replace(/`/g, '``')}`;
}

function healthy(ctx: PlanContext, node: CatalogNode, svc: NodeService): 'passing' | 'warning' | 'critical' {
  let worst: 'passing' | 'warning' | 'critical' = 'passing';
  for (const c of ctx.catalog!.nodeChecks(node.Node)) {
    if (c.ServiceID !== '' && c.ServiceID !== svc.ID) continue;
    if (c.Status === 'critical' || c.Status === 'maintenance') return 'critical';
    if (c.Status === 'warning') worst = 'warning';
  }
  return worst;
}

/** `<hex>.addr[.<dc>].<domain>`: the address a service's SRV target encodes (8 hex digits A, 32 AAAA). */
function addrAnswer(
  parts: string[],
  qtype: RecordType,
  ctx: PlanContext,
  qn: string,
  nx: () => Plan,
  locality: string[],
): Plan {
  if (parts.length !== 1 || !localityOk(locality, ctx)) return nx();
  const hex = parts[0]!;
  let rr: Rr;
  if (/^[0-9a-f]{8}$/.test(hex)) {
    const ip = [0, 2, 4, 6].map((i) => parseInt(hex.slice(i, i + 2), 16)).join('.');
    rr = { name: qn, type: 'A', ttl: 0, class: 'IN', data: ip };
  } else if (/^[0-9a-f]{32}$/.test(hex)) {
    const words = [];
    for (let i = 0; i < 32; i += 4) words.push(hex.slice(i, i + 4).replace(/^0+(?=.)/, ''));
    rr = { name: qn, type: 'AAAA', ttl: 0, class: 'IN', data: words.join(':') };
  } else return nx();
  // A question for the other type still gets the record, in the additional section (as Consul).
  if (qtype === rr.type || qtype === 'ANY') return { ...empty('NOERROR'), answers: [rr] };
  return { ...empty('NOERROR'), additionals: [rr] };
}

/** The address an in-addr.arpa / ip6.arpa name asks about. */
function reverseAddress(name: string): string | null {
  if (name.endsWith('.in-addr.arpa')) {
    const o = name.slice(0, -'.in-addr.arpa'.length).split('.');
    if (o.length !== 4 || o.some((x) => !/^\d{1,3}$/.test(x) || Number(x) > 255)) return null;
    return o.reverse().map(Number).join('.');
  }
  const n = name.slice(0, -'.ip6.arpa'.length).split('.');
  if (n.length !== 32 || n.some((x) => !/^[0-9a-f]$/.test(x))) return null;
  const hex = n.reverse().join('');
  const words = [];
  for (let i = 0; i < 32; i += 4) words.push(hex.slice(i, i + 4));
  return words.join(':');
}

function sameIp(a: string, b: string): boolean {
  if (a === b) return true;
  if (!a.includes(':') || !b.includes(':')) return false;
  const wa = ipv6Words(a);
  return wa !== null && wa.join(':') === ipv6Words(b)?.join(':');
}

/**
 * PTR for a reverse name: nodes with that address (`<node>.node.<dc>.<domain>`), else services that
 * registered it (`<svc>.service.<dc>.<domain>`); the primary domain, TTL 0. No match and no
 * recursors: SERVFAIL, as Consul answers.
 */
function reverse(name: string, asked: string, qtype: RecordType, ctx: PlanContext, domain: string): Plan {
  const ip = reverseAddress(name);
  if (ip === null || (qtype !== 'PTR' && qtype !== 'ANY')) return { ...empty('SERVFAIL'), recurse: true };
  // A stale read not allowed here: the nodes and services are read from the leader first.
  if (ctx.local === false)
    return { ...empty('SERVFAIL'), fetch: { datacenter: ctx.config.datacenter, all: true } };
  if (!ctx.catalog) return { ...empty('SERVFAIL'), recurse: true };
  const dc = ctx.config.datacenter;
  const ptr = (target: string): Rr => ({ name: asked, type: 'PTR', ttl: 0, class: 'IN', data: target });
  const nodes = ctx.catalog.listNodes().filter((n) => sameIp(n.Address, ip));
  if (nodes.length > 0)
    return { ...empty('NOERROR'), answers: nodes.map((n) => ptr(`${n.Node}.node.${dc}.${domain}`)) };
  const services = new Set<string>();
  for (const n of ctx.catalog.listNodes())
    for (const svc of ctx.catalog.node(n.Node)?.services ?? [])
      if (svc.Address && sameIp(svc.Address, ip)) services.add(svc.Service);
  if (services.size > 0)
    return {
      ...empty('NOERROR'),
      answers: [...services].map((svc) => ptr(`${svc}.service.${dc}.${domain}`)),
    };
  return { ...empty('SERVFAIL'), recurse: true };
}

/** The 8 words of an IPv6 address ("::" expanded); null when it is not one. */
function ipv6Words(x: string): number[] | null {
  const [h, t, more] = x.split('::');
  if (more !== undefined) return null;
  const hw = h ? h.split(':') : [];
  const tw = t ? t.split(':') : [];
  const fill = t === undefined ? 0 : 8 - hw.length - tw.length;
  if (fill < 0 || (t === undefined && hw.length !== 8)) return null;
  const words = [...hw, ...Array<string>(fill).fill('0'), ...tw];
  if (words.some((w) => !/^[0-9a-fA-F]{1,4}$/.test(w))) return null;
  return words.map((w) => parseInt(w, 16));
}

/** An address as the hex label of `<hex>.addr.<dc>.<domain>`: 8 digits for IPv4, 32 for IPv6. */
function hexAddr(ip: string): string {
  if (IPV4.test(ip))
    return ip
      .split('.')
      .map((o) => Number(o).toString(16).padStart(2, '0'))
      .join('');
  return (ipv6Words(ip) ?? []).map((w) => w.toString(16).padStart(4, '0')).join('');
}

function serviceAnswer(
  service: string,
  tag: string,
  qtype: RecordType,
  ctx: PlanContext,
  zone: string,
  nx: () => Plan,
  locality: string[],
  qn: string,
): Plan {
  const where = lookupWhere(locality, ctx, { service });
  if (where === null) return nx();
  if (where !== 'here') return fetchPlan(where, ctx, nx);
  const cfg = ctx.config;
  const rows = findInstances(ctx.catalog!, service, tag).filter(({ node, service: s }) => {
    const h = healthy(ctx, node, s);
    return h === 'passing' || (h === 'warning' && !cfg.dnsConfig.onlyPassing);
  });
  if (rows.length === 0) return nx();
  const instances = rows.map(({ node, service: s }) => ({
    node,
    service: s,
    warning: healthy(ctx, node, s) === 'warning',
  }));
  const ttl = serviceTtl(cfg, service);
  const dc = ctx.datacenter ?? cfg.datacenter;
  return instancesAnswer(ctx.shuffle(instances), qn, ttl, qtype, ctx, zone, dc);
}

function fqdnOf(host: string): string {
  return host.endsWith('.') ? host : `${host}.`;
}

/**
 * Which address answers for an instance, as Consul picks it: the node's IP when the service has no
 * address (SRV target the node's name), the service's own IP (target `<hex>.addr`), or a hostname
 * (the service's, or the node's when the service has none; target the hostname, A answered by CNAME).
 * A service address equal to the question's name falls back to the node's IP.
 */
function instanceAddress(
  node: CatalogNode,
  s: NodeService,
  qn: string,
): { kind: 'node' | 'ip' | 'hostname'; addr: string } {
  const nodeIp = addressType(node.Address) !== null;
  if (s.Address === '') return { kind: nodeIp ? 'node' : 'hostname', addr: node.Address };
  if (addressType(s.Address) !== null) return { kind: 'ip', addr: s.Address };
  if (nodeIp && fqdnOf(s.Address).toLowerCase() === qn.toLowerCase())
    return { kind: 'node', addr: node.Address };
  return { kind: 'hostname', addr: s.Address };
}

/**
 * A/AAAA or SRV (with A additionals) for instances in the order given, SRV targets named in `dc` (the
 * datacenter that answered); NODATA when none fits.
 */
function instancesAnswer(
  rows: Array<{ node: CatalogNode; service: NodeService; warning: boolean }>,
  qn: string,
  ttl: number,
  qtype: RecordType,
  ctx: PlanContext,
  zone: string,
  dc: string,
): Plan {
  const cfg = ctx.config;
  const answers: Rr[] = [];
  const additionals: Rr[] = [];
  const seen = new Set<string>();
  for (const { node, service: s, warning } of rows) {
    const where = instanceAddress(node, s, qn);
    if (where.addr === '') continue;
    if (qtype === 'SRV') {
      // One SRV per node, address and port, as Consul.
      const key = `${node.Node}:${s.Address}:${s.Port}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const target =
        where.kind === 'node'
          ? `${node.Node}.node.${dc}.${zone}`
          : where.kind === 'ip'
            ? `${hexAddr(where.addr)}.addr.${dc}.${zone}`
            : fqdnOf(where.addr);
      const weight = warning ? s.Weights.Warning : s.Weights.Passing;
      answers.push({
        name: qn,
        type: 'SRV',
        ttl,
        class: 'IN',
        data: { priority: 1, weight, port: s.Port, target },
      });
      if (where.kind === 'hostname')
        additionals.push(...resolveHostname(target, ctx).map((r) => ({ ...r, ttl })));
      else
        additionals.push({
          name: target,
          type: addressType(where.addr)!,
          ttl,
          class: 'IN',
          data: where.addr,
        });
      // Then the node's meta as TXT under its name (enable_additional_node_meta_txt), as Consul.
      if (cfg.dnsConfig.enableAdditionalNodeMetaTxt)
        additionals.push(...metaTxt(node, `${node.Node}.node.${dc}.${zone}`, ttl));
    } else if (where.kind === 'hostname') {
      // A hostname address: a CNAME to it (what it resolves to follows), for address questions.
      if (qtype !== 'A' && qtype !== 'AAAA' && qtype !== 'ANY') continue;
      const target = fqdnOf(where.addr);
      if (seen.has(target)) continue;
      seen.add(target);
      answers.push({ name: qn, type: 'CNAME', ttl, class: 'IN', data: target });
      answers.push(...resolveHostname(target, ctx).map((r) => ({ ...r, ttl })));
    } else {
      const type = addressType(where.addr)!;
      if ((qtype !== type && qtype !== 'ANY') || seen.has(where.addr)) continue;
      seen.add(where.addr);
      answers.push({ name: qn, type, ttl, class: 'IN', data: where.addr });
    }
  }
  const limited =
    cfg.dnsConfig.aRecordLimit > 0 && qtype !== 'SRV'
      ? answers.slice(0, cfg.dnsConfig.aRecordLimit)
      : answers;
  if (limited.length === 0) return { ...empty('NOERROR'), authorities: [soa(ctx, zone)] }; // NODATA
  return { ...empty('NOERROR'), answers: limited, additionals };
}

/**
 * The answer for a prepared query's result, in the order the query gave (shuffled or near-sorted):
 * NXDOMAIN when no query matched or no instance is left; TTL from the query's DNS.TTL, else service_ttl.
 */
export function queryPlan(
  result: ExecuteResult | null,
  lookup: QueryLookup,
  qtype: RecordType,
  ctx: PlanContext,
): Plan {
  if (!result || result.Nodes.length === 0)
    return { ...empty('NOERROR'), rcode: 'NXDOMAIN', authorities: [soa(ctx, lookup.zone)] };
  const own = result.DNS.TTL !== '' ? parseGoDuration(result.DNS.TTL) : null;
  const ttl = typeof own === 'number' ? ttlOf(own) : serviceTtl(ctx.config, result.Service);
  const rows = result.Nodes.map((n) => ({
    node: n.node,
    service: n.service,
    warning: n.health === 'warning',
  }));
  return instancesAnswer(rows, lookup.qname, ttl, qtype, ctx, lookup.zone, result.Datacenter);
}
