// The agent's metrics: the registry its `telemetry {}` block describes, and the gauges Consul samples
// every second (go-metrics' runtime collector, hashicorp/raft's index gauges, the leader's autopilot
// and session TTL gauges), plus counters read from components that only keep totals (the gossip
// driver's dropped input).

import type { RuntimeConfig } from '../config/runtime-config.js';
import type { Clock } from '../runtime/clock.js';
import type { Host } from '../runtime/host.js';
import { MetricsRegistry } from '../runtime/metrics-registry.js';
import type { Server } from './server.js';
import type { AgentGossip } from './gossip.js';

/** go-metrics' ProfileInterval: runtime gauges are refreshed every second. */
export const GAUGE_INTERVAL_MS = 1000;

export function metricsRegistryFor(c: RuntimeConfig, clock: Clock, host: Host): MetricsRegistry {
  const t = c.telemetry;
  return new MetricsRegistry({
    clock,
    prefix: t.metricsPrefix,
    hostname: t.disableHostname ? null : host.hostname(),
    filterDefault: t.filterDefault,
    allowedPrefixes: t.allowedPrefixes,
    blockedPrefixes: t.blockedPrefixes,
    prometheusRetentionMs: t.prometheusRetentionTimeNs / 1e6,
  });
}

/** Samples the periodic gauges into the registry; one per agent, driven by the agent's timer. */
export class GaugeSampler {
  /** Totals already reported per pool and reason, so that each tick adds only the new drops. */
  private readonly seenDrops = new Map<string, number>();

  constructor(
    private readonly reg: MetricsRegistry,
    private readonly host: Host,
    private readonly clock: Clock,
  ) {}

  sample(server: Server | null, gossip: AgentGossip | null): void {
    const m = this.host.memory();
    this.reg.setGauge(['runtime', 'alloc_bytes'], m.heapUsed);
    this.reg.setGauge(['runtime', 'sys_bytes'], m.rss);
    this.reg.setGauge(['runtime', 'heap_total_bytes'], m.heapTotal);
    // Node has no goroutines; its live handles and requests are the nearest equivalent.
    const active = this.host.activeResources?.();
    if (active !== undefined) this.reg.setGauge(['runtime', 'num_goroutines'], active);
    if (server) {
      this.reg.setGauge(['raft', 'last_index'], server.raft.core.lastIndex);
      this.reg.setGauge(['raft', 'applied_index'], server.raft.appliedIndex);
      if (server.isLeader()) {
        this.reg.setGauge(['session_ttl', 'active'], server.activeSessionTtls);
        // The leader's autopilot state, as Consul emits it after each health update.
        const ap = server.autopilotHealth(this.clock.monotonicMs(), this.clock.wallMs());
        this.reg.setGauge(['autopilot', 'healthy'], ap.Healthy ? 1 : 0);
        this.reg.setGauge(['autopilot', 'failure_tolerance'], ap.FailureTolerance);
      }
    }
    for (const pool of ['lan', 'wan'] as const) {
      const h = gossip?.pool(pool);
      if (!h) continue;
      for (const [reason, total] of h.driver.dropped) {
        const k = `${pool}/${reason}`;
        const delta = total - (this.seenDrops.get(k) ?? 0);
        if (delta <= 0) continue;
        this.seenDrops.set(k, total);
        this.reg.incrCounter(['memberlist', 'packet', 'dropped'], delta, { network: pool, reason });
      }
    }
  }
}
