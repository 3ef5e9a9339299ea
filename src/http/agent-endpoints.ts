// /v1/agent/* endpoints that exist today: self, version, host, metrics[/stream], reload, leave, monitor.

import type { Agent } from '../agent/agent.js';
import { hostResponse, memberJson, selfResponse, serfMemberJson, versionResponse } from '../agent/self.js';
import { formatHclog, formatJsonLog } from '../runtime/log-format.js';
import { parseLogLevel } from '../runtime/logger.js';
import type { Router } from './router.js';
import { PROMETHEUS_CONTENT_TYPE, prometheusText } from '../runtime/metrics-prometheus.js';

/**
 * Prometheus output: ?format=prometheus, or (Consul 1.7.2+) an Accept header asking for the
 * OpenMetrics or Prometheus text format, as Prometheus' scraper sends.
 */
function wantsPrometheus(q: URLSearchParams, accept: string | undefined): boolean {
  if (q.get('format') === 'prometheus') return true;
  const a = (accept ?? '').toLowerCase().replace(/\s+/g, '');
  return a.includes('application/openmetrics-text') || a.includes('text/plain;version=0.0.4');
}

export function registerAgentEndpoints(r: Router, agent: Agent): void {
  r.on('GET', '/v1/agent/self', () => ({ json: selfResponse(agent) }));
  r.on('GET', '/v1/agent/version', () => ({ json: versionResponse() }));
  r.on('GET', '/v1/agent/services', () => ({ json: agent.localState?.servicesJson() ?? {} }));
  r.on('GET', '/v1/agent/checks', () => ({ json: agent.localState?.checksJson() ?? {} }));
  r.on('GET', '/v1/agent/members', (req) => {
    const wan = flag(req.query, 'wan');
    if (wan && req.query.has('segment'))
      return { status: 400, text: 'Cannot provide a segment with wan=true' };
    // One LAN segment only (community Consul): the default ('') or all of them ('_all').
    const segment = req.query.get('segment') ?? '';
    if (segment !== '' && segment !== '_all')
      return { status: 500, text: 'Network segments are not supported in this version of Consul' };
    const g = agent.gossip;
    if (!g)
      return { json: wan ? (agent.server ? [memberJson(agent, true)] : []) : [memberJson(agent, false)] };
    const members = g
      .members(wan ? 'wan' : 'lan')
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return { json: members.map(serfMemberJson) };
  });

  // PUT /v1/agent/join/<address>[?wan]: empty 200, or Consul's 500 with the join error text.
  r.on('PUT', '/v1/agent/join/*', async (req) => {
    const addr = req.params['*'] ?? '';
    const wan = flag(req.query, 'wan');
    const g = agent.gossip;
    if (!g) return { status: 500, text: 'agent not started' };
    if (wan && !agent.server) return { status: 500, text: 'Must be a server to join WAN cluster' };
    const r2 = await g.join([addr], wan ? 'wan' : 'lan');
    if (r2.n === 0) return { status: 500, text: r2.err ?? 'Failed to join' };
    return { json: null };
  });

  // PUT /v1/agent/force-leave/<node>[?prune][?wan]
  r.on('PUT', '/v1/agent/force-leave/*', (req) => {
    const node = req.params['*'] ?? '';
    const g = agent.gossip;
    if (!g) return { status: 500, text: 'agent not started' };
    const prune = flag(req.query, 'prune');
    const wan = flag(req.query, 'wan');
    const err = g.forceLeave(node, prune, wan ? 'wan' : 'lan');
    if (err) return { status: 500, text: err };
    return { json: null };
  });
  r.on('GET', '/v1/agent/host', () => ({ json: hostResponse(agent) }));

  r.on('GET', '/v1/agent/metrics', (req) => {
    if (!wantsPrometheus(req.query, req.ex.headers['accept'])) return { json: agent.metrics.summary() };
    if (!agent.metrics.prometheusEnabled)
      return { status: 415, text: 'Prometheus is not enabled since its retention time is not positive' };
    return {
      raw: new TextEncoder().encode(prometheusText(agent.metrics)),
      headers: { 'content-type': PROMETHEUS_CONTENT_TYPE },
    };
  });

  // One JSON summary per line as each 10 s interval completes, until the client goes away.
  r.on('GET', '/v1/agent/metrics/stream', (req) => {
    const stream = req.ex.stream(200, { 'content-type': 'application/json' });
    const unsubscribe = agent.metrics.onIntervalDone((s) => stream.write(`${JSON.stringify(s)}\n`));
    req.ex.onClose(unsubscribe);
    return undefined;
  });

  r.on('PUT', '/v1/agent/reload', async () => {
    const err = await agent.reload();
    if (err) return { status: 500, text: err.message };
    return { json: null };
  });

  r.on('PUT', '/v1/agent/leave', async () => {
    await agent.leaveAndExit();
    return { json: null };
  });

  // Streams formatted log lines until the client goes away (Consul: chunked text).
  r.on('GET', '/v1/agent/monitor', (req) => {
    const levelText = req.query.get('loglevel') ?? 'INFO';
    const level = parseLogLevel(levelText);
    if (level === null) return { status: 400, text: `Unknown log level: ${levelText}` };
    const json = req.query.has('logjson');
    const stream = req.ex.stream(200, { 'content-type': 'text/plain' });
    const unsubscribe = agent.hub.subscribe(level, (rec) => {
      stream.write(`${json ? formatJsonLog(rec) : formatHclog(rec)}\n`);
    });
    req.ex.onClose(unsubscribe);
    return undefined;
  });
}

/** Consul's presence flags: `?wan`, `?wan=1`, `?wan=true` set it; `?wan=0`/`false` do not. */
function flag(q: URLSearchParams, name: string): boolean {
  if (!q.has(name)) return false;
  const v = (q.get(name) ?? '').toLowerCase();
  return v !== '0' && v !== 'false';
}
