// Lookups answered from rows read elsewhere: another datacenter's servers (`web.service.dc2.consul`)
// or our leader (allow_stale = false, or a follower further behind than max_stale). The rows, as the
// HTTP API returns them, become a small catalog the planner answers from; for another datacenter with
// translate_wan_addrs the addresses are the WAN ones, as Consul's TranslateAddress picks them.

import { Catalog, type CatalogDump } from '../state/catalog.js';
import type { CatalogFetch } from './planner.js';

/** Consul counts DNS reads answered by a server this far behind the leader (dns.stale_queries). */
const STALE_COUNTER_THRESHOLD_MS = 5000;

/**
 * Where our datacenter's lookups are read, as Consul's DNS RPCs do it: 'here' (the leader, or a
 * follower or a client's mirror of the servers' catalog when stale reads are allowed), 'stale' (here,
 * but more than 5 s behind the leader: counted), or 'leader' (allow_stale = false, or further behind
 * than max_stale).
 */
export function readHere(
  d: { allowStale: boolean; maxStaleNs: number },
  server: { leader: boolean; lastContactMs: number },
): 'here' | 'stale' | 'leader' {
  if (server.leader) return 'here';
  if (!d.allowStale) return 'leader';
  if (server.lastContactMs > d.maxStaleNs / 1e6) return 'leader';
  return server.lastContactMs > STALE_COUNTER_THRESHOLD_MS ? 'stale' : 'here';
}

/** The request target for a fetch (`stale` with max_stale when allowed, `dc` when not ours). */
export function fetchUrl(f: CatalogFetch, ours: string, allowStale: boolean, maxStaleNs: number): string {
  const q = new URLSearchParams();
  if (f.datacenter !== ours) q.set('dc', f.datacenter);
  // Our own datacenter is fetched only when a stale read will not do; another's stale when allowed.
  if (allowStale && f.datacenter !== ours) {
    q.set('stale', '');
    q.set('max_stale', `${Math.floor(maxStaleNs / 1e6)}ms`);
  }
  const path = f.all
    ? '/v1/internal/proconsul/catalog'
    : f.node !== undefined
      ? `/v1/catalog/node/${encodeURIComponent(f.node)}`
      : `/v1/health/service/${encodeURIComponent(f.service ?? '')}`;
  const qs = q.toString().replace(/stale=(&|$)/, 'stale$1');
  return qs ? `${path}?${qs}` : path;
}

interface NodeJson {
  ID?: string;
  Node: string;
  Address: string;
  TaggedAddresses?: Record<string, string> | null;
  Meta?: Record<string, string> | null;
}

interface ServiceJson {
  ID: string;
  Service: string;
  Tags?: string[] | null;
  Address?: string;
  TaggedAddresses?: Record<string, { Address: string; Port: number }> | null;
  Meta?: Record<string, string> | null;
  Port?: number;
  Weights?: { Passing: number; Warning: number } | null;
}

interface CheckJson {
  CheckID: string;
  Name?: string;
  Status: string;
  ServiceID?: string;
}

/** Which address families a question accepts (Consul's TranslateAddressAccept). */
function accepts(qtype: string): { v4: boolean; v6: boolean } {
  return { v4: qtype !== 'AAAA', v6: qtype !== 'A' };
}

/**
 * Consul's TranslateAddress for a node in another datacenter: wan_ipv4 / wan_ipv6 as the question
 * accepts them, else `wan`, else the address.
 */
export function wanNodeAddress(addr: string, tagged: Record<string, string>, qtype: string): string {
  const a = accepts(qtype);
  if (tagged.wan_ipv4 && a.v4) return tagged.wan_ipv4;
  if (tagged.wan_ipv6 && a.v6) return tagged.wan_ipv6;
  return tagged.wan ?? addr;
}

/** The same for a service's own address and port (the `wan` tagged address's port when it has one). */
function wanService(s: ServiceJson, qtype: string): { address: string; port: number } {
  const t = s.TaggedAddresses ?? {};
  const a = accepts(qtype);
  const port = t.wan && t.wan.Port ? t.wan.Port : (s.Port ?? 0);
  if (t.wan_ipv4?.Address && a.v4) return { address: t.wan_ipv4.Address, port };
  if (t.wan_ipv6?.Address && a.v6) return { address: t.wan_ipv6.Address, port };
  return { address: t.wan?.Address ?? s.Address ?? '', port };
}

/**
 * A catalog holding what a fetch returned: `/v1/health/service/<name>` rows (node, service, checks)
 * or `/v1/catalog/node/<name>` (the node; null when unknown). With `translate` the WAN addresses
 * replace the LAN ones for `qtype`.
 */
export function catalogFromFetch(f: CatalogFetch, body: unknown, translate: boolean, qtype: string): Catalog {
  const c = new Catalog();
  if (f.all) {
    c.replaceAll(body as CatalogDump);
    return c;
  }
  const nodeFields = (n: NodeJson) => {
    const tagged = n.TaggedAddresses ?? {};
    return {
      ID: n.ID ?? '',
      Node: n.Node,
      Address: translate ? wanNodeAddress(n.Address, tagged, qtype) : n.Address,
      TaggedAddresses: tagged,
      NodeMeta: n.Meta ?? {},
    };
  };
  if (f.node !== undefined) {
    const n = (body as { Node?: NodeJson } | null)?.Node;
    if (n) c.register(1, nodeFields(n), f.datacenter);
    return c;
  }
  for (const row of (body as Array<{ Node: NodeJson; Service: ServiceJson; Checks?: CheckJson[] }>) ?? []) {
    const s = row.Service;
    const w = translate ? wanService(s, qtype) : { address: s.Address ?? '', port: s.Port ?? 0 };
    c.register(
      1,
      {
        ...nodeFields(row.Node),
        Service: {
          ID: s.ID,
          Service: s.Service,
          Tags: s.Tags ?? [],
          Address: w.address,
          Meta: s.Meta ?? {},
          Port: w.port,
          Weights: s.Weights ?? { Passing: 1, Warning: 1 },
        },
        Checks: (row.Checks ?? []).map((k) => ({
          // Another instance on the node has its own checks; keep them apart.
          CheckID: `${k.ServiceID ?? ''}/${k.CheckID}`,
          Name: k.Name ?? k.CheckID,
          Status: k.Status,
          ServiceID: k.ServiceID ?? '',
        })),
      },
      f.datacenter,
    );
  }
  return c;
}
