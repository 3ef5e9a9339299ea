// Autopilot's decisions, as hashicorp/raft-autopilot makes them for Consul, with no I/O: which
// nonvoters to promote (healthy and stable for server_stabilization_time, which is waived while this
// leader's autopilot is younger than 110% of it) and which dead servers to remove with
// cleanup_dead_servers (stale ones, in Raft but unknown to Serf, go first, then failed ones; voters
// only while the removals leave a majority of potential voters and at least min_quorum).

/** How often the leader refreshes server health (Consul's ServerHealthInterval). */
export const AUTOPILOT_UPDATE_MS = 2_000;
/** How often the leader promotes and prunes (Consul's AutopilotInterval). */
export const AUTOPILOT_RECONCILE_MS = 10_000;

export interface AutopilotServer {
  id: string;
  name: string;
  /** Has a vote in the Raft configuration. */
  voter: boolean;
  /** Known to Serf as a server of this datacenter. */
  known: boolean;
  /** Serf has it alive. */
  alive: boolean;
  healthy: boolean;
  /** Since when it has been healthy (virtual ms); unset when not. */
  healthySinceMs?: number;
}

export interface AutopilotRules {
  cleanupDeadServers: boolean;
  stabilizationMs: number;
  minQuorum: number;
}

/** Nonvoters to promote now. */
export function promotions(
  rules: AutopilotRules,
  servers: readonly AutopilotServer[],
  nowMs: number,
  runningSinceMs: number,
): string[] {
  const stable = nowMs - runningSinceMs > rules.stabilizationMs * 1.1 ? rules.stabilizationMs : 0;
  return servers
    .filter(
      (s) => !s.voter && s.healthy && s.healthySinceMs !== undefined && nowMs - s.healthySinceMs >= stable,
    )
    .map((s) => s.id)
    .sort();
}

export interface Removals {
  /** In the Raft configuration but unknown to Serf: removed from Raft directly. */
  stale: string[];
  /** Known to Serf and not alive: force-left (by name), which then takes them out of Raft. */
  failed: string[];
}

/** Dead servers to remove now (nothing unless cleanup_dead_servers). */
export function removals(rules: AutopilotRules, servers: readonly AutopilotServer[]): Removals {
  if (!rules.cleanupDeadServers) return { stale: [], failed: [] };
  // Who still counts: removed servers leave the registry batch by batch.
  const registry = new Map(servers.map((s) => [s.id, s]));
  const potential = (s: AutopilotServer) => s.known;
  const byId = (a: AutopilotServer, b: AutopilotServer) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  const batch = (candidates: AutopilotServer[]): AutopilotServer[] => {
    const present = candidates.filter((s) => registry.has(s.id)).sort(byId);
    const initial = [...registry.values()].filter(potential).length;
    let maxRemoval = Math.floor((initial - 1) / 2);
    let removed = 0;
    const out: AutopilotServer[] = [];
    for (const s of present) {
      if (potential(s) && initial - removed - 1 < rules.minQuorum) continue;
      if (s.voter && maxRemoval < 1) continue;
      if (potential(s)) {
        maxRemoval--;
        removed++;
      }
      out.push(s);
    }
    for (const s of out) registry.delete(s.id);
    return out;
  };
  const stale = [
    ...batch(servers.filter((s) => !s.known && !s.voter)),
    ...batch(servers.filter((s) => !s.known && s.voter)),
  ];
  const failed = [
    ...batch(servers.filter((s) => s.known && !s.alive && !s.voter)),
    ...batch(servers.filter((s) => s.known && !s.alive && s.voter)),
  ];
  return { stale: stale.map((s) => s.id), failed: failed.map((s) => s.name) };
}
