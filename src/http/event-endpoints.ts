// /v1/event/fire/:name and /v1/event/list: user events through this agent's LAN pool, and the events
// this agent accepted, with Consul's ID-derived blocking index.

import type { Agent } from '../agent/agent.js';
import { EventBuffer, type UserEvent } from '../agent/events.js';
import { uuidFrom } from '../runtime/rng.js';
import { blockingParams } from './blocking.js';
import type { Router } from './router.js';

function eventJson(e: UserEvent): Record<string, unknown> {
  return {
    ID: e.ID,
    Name: e.Name,
    Payload: e.Payload === null ? null : Buffer.from(e.Payload).toString('base64'),
    NodeFilter: e.NodeFilter,
    ServiceFilter: e.ServiceFilter,
    TagFilter: e.TagFilter,
    Version: e.Version,
    LTime: e.LTime,
  };
}

export function registerEventEndpoints(r: Router, agent: Agent): void {
  r.on('PUT', '/v1/event/fire/:name', async (req) => {
    const name = req.params.name ?? '';
    if (name === '') return { status: 400, text: 'Missing name' };
    const body = await req.ex.readBody(1 << 20);
    if (body === null) return { status: 413, text: 'Request body too large' };
    const ev: UserEvent = {
      ID: uuidFrom(agent.rng),
      Name: name,
      Payload: body.length > 0 ? body : null,
      NodeFilter: req.query.get('node') ?? '',
      ServiceFilter: req.query.get('service') ?? '',
      TagFilter: req.query.get('tag') ?? '',
      Version: 1,
      LTime: 0,
    };
    const err = agent.fireEvent(ev);
    if (err) return { status: 500, text: err };
    return { json: eventJson(ev) };
  });

  r.on('GET', '/v1/event/list', async (req) => {
    const name = req.query.get('name') ?? '';
    const bp = blockingParams(req.query, agent.config.defaultQueryTimeNs, agent.config.maxQueryTimeNs);
    if (bp instanceof Error) return { status: 400, text: bp.message };
    const idx = req.query.get('index');
    const want = idx !== null && /^\d+$/.test(idx) ? BigInt(idx) : 0n;
    // No matching event still reports index 1, so that a watch blocks instead of looping hot.
    const indexOf = (l: readonly UserEvent[]) => (l.length === 0 ? 1n : EventBuffer.index(l));
    let list = agent.events.list(name);
    if (want !== 0n && indexOf(list) === want) {
      // Block until a new event arrives or the wait runs out (the index is opaque, so only "changed").
      let timer: { cancel(): void } | null = null;
      await Promise.race([
        agent.events.next(),
        new Promise<void>((res) => (timer = agent.timers.after(bp.waitMs, res))),
      ]);
      (timer as { cancel(): void } | null)?.cancel();
      list = agent.events.list(name);
    }
    return { json: list.map(eventJson), headers: { 'x-consul-index': String(indexOf(list)) } };
  });
}
