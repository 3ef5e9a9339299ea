import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GaugeSampler } from '../../../src/agent/metrics.js';
import type { AgentGossip } from '../../../src/agent/gossip.js';
import { MetricsRegistry } from '../../../src/runtime/metrics-registry.js';
import { fakeHost } from '../../helpers/fakes.js';

test('the sampler sets runtime gauges and turns the gossip driver totals of drops into counter increments', () => {
  const clock = { wallMs: () => 0, monotonicMs: () => 0 };
  const reg = new MetricsRegistry({
    clock,
    prefix: 'consul',
    hostname: null,
    filterDefault: true,
    allowedPrefixes: [],
    blockedPrefixes: [],
    prometheusRetentionMs: 0,
  });
  const dropped = new Map<string, number>([['decrypt', 2]]);
  const gossip = {
    pool: (p: string) => (p === 'lan' ? { driver: { dropped } } : null),
  } as unknown as AgentGossip;
  const host = { ...fakeHost(), activeResources: () => 9 };
  const s = new GaugeSampler(reg, host, clock);
  s.sample(null, gossip);
  dropped.set('decrypt', 5);
  dropped.set('decode', 1);
  s.sample(null, gossip);
  s.sample(null, gossip);
  const sum = reg.summary();
  const gauges = Object.fromEntries(sum.Gauges.map((g) => [g.Name, g.Value]));
  assert.equal(gauges['consul.runtime.alloc_bytes'], 1);
  assert.equal(gauges['consul.runtime.sys_bytes'], 3);
  assert.equal(gauges['consul.runtime.num_goroutines'], 9);
  const drops = sum.Counters.filter((c) => c.Name === 'consul.memberlist.packet.dropped').map((c) => [
    c.Labels.reason,
    c.Sum,
    c.Labels.network,
  ]);
  assert.deepEqual(drops.sort(), [
    ['decode', 1, 'lan'],
    ['decrypt', 5, 'lan'],
  ]);
});
