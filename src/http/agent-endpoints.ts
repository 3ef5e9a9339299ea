// /v1/agent/* endpoints that exist today: self, version, host, reload, leave, monitor.

import type { Agent } from '../agent/agent.js';
import { hostResponse, memberJson, selfResponse, versionResponse } from '../agent/self.js';
import { formatHclog, formatJsonLog } from '../runtime/log-format.js';
import { parseLogLevel } from '../runtime/logger.js';
import type { Router } from './router.js';

export function registerAgentEndpoints(r: Router, agent: Agent): void {
  r.on('GET', '/v1/agent/self', () => ({ json: selfResponse(agent) }));
  r.on('GET', '/v1/agent/version', () => ({ json: versionResponse() }));
  r.on('GET', '/v1/agent/services', () => ({ json: agent.localState?.servicesJson() ?? {} }));
  r.on('GET', '/v1/agent/checks', () => ({ json: agent.localState?.checksJson() ?? {} }));
  // Without gossip this agent's pool holds only itself: that is what an unjoined Consul agent lists too.
  r.on('GET', '/v1/agent/members', (req) => {
    const wan = req.query.has('wan') && req.query.get('wan') !== '0';
    if (wan && req.query.has('segment'))
      return { status: 400, text: 'Cannot provide a segment with wan=true' };
    if (wan) return { json: agent.server ? [memberJson(agent, true)] : [] };
    return { json: [memberJson(agent, false)] };
  });
  r.on('GET', '/v1/agent/host', () => ({ json: hostResponse(agent) }));

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
