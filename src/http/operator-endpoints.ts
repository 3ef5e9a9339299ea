// /v1/operator/raft/configuration (the Raft configuration: servers, leader, voters, last index) and
// /v1/operator/keyring (gossip keyring operations on every pool, through Serf queries).

import type { Agent } from '../agent/agent.js';
import type { KeyringResponse } from '../agent/gossip.js';
import type { Router } from './router.js';
import { NO_SERVERS } from './status-endpoints.js';
import { decodeBody, field, isObj, num, str } from './decode.js';
import { NoLeaderError, type AutopilotConfig } from '../agent/server.js';
import { parseGoDuration } from '../lib/duration.js';
import type { Request, Reply } from './router.js';

export function registerOperatorEndpoints(r: Router, agent: Agent): void {
  r.on('GET', '/v1/operator/raft/configuration', () => {
    const s = agent.server;
    if (!s) return { status: 500, text: NO_SERVERS };
    const cfg = s.raftConfiguration(agent.config.nodeName);
    if (cfg.Servers.length === 0) return { status: 500, text: 'No cluster leader' };
    return {
      json: cfg,
      headers: {
        'x-consul-index': String(Math.max(1, cfg.Index)),
        'x-consul-knownleader': String(s.leaderAddress() !== ''),
      },
    };
  });

  // DELETE /v1/operator/raft/peer?id=… | ?address=…: RemoveServer through the leader.
  r.on('DELETE', '/v1/operator/raft/peer', async (req) => {
    const s = agent.server;
    if (!s) return { status: 500, text: NO_SERVERS };
    const id = req.query.get('id');
    const address = req.query.get('address');
    if (!id && !address)
      return {
        status: 400,
        text: "Must specify either ?id with the server's ID or ?address with IP:port of peer to remove",
      };
    const err = await s.removePeer(id ? { id } : { address: address! });
    if (err) return { status: 500, text: err };
    return { json: null };
  });

  // POST /v1/operator/raft/transfer-leader[?id=…]: LeadershipTransfer(ToServer) on the leader.
  r.on('POST', '/v1/operator/raft/transfer-leader', async (req) => {
    const s = agent.server;
    if (!s) return { status: 500, text: NO_SERVERS };
    const err = await s.transferLeader(req.query.get('id') ?? '');
    if (err) return { status: 500, text: err };
    return { json: { Success: true } };
  });

  r.on('GET', '/v1/operator/autopilot/configuration', () => {
    const s = agent.server;
    if (!s) return { status: 500, text: NO_SERVERS };
    return { json: s.autopilotConfig() };
  });

  r.on('PUT', '/v1/operator/autopilot/configuration', async (req) => {
    const s = agent.server;
    if (!s) return { status: 500, text: NO_SERVERS };
    const raw = await req.ex.readBody(1 << 16);
    const body = raw === null ? null : decodeBody(raw);
    const bad = (why: string): Reply => ({ status: 400, text: `Error parsing autopilot config: ${why}` });
    if (!body || !body.ok)
      return bad(body ? body.error.replace(/^Request decode failed: /, '') : 'body too large');
    const v = body.value;
    if (v !== null && !isObj(v))
      return bad('json: cannot unmarshal into Go value of type api.AutopilotConfiguration');
    // A duration is a Go duration string or nanoseconds (Consul's DurationFixer).
    const dur = (name: string): string | Error => {
      const x = field(v, name);
      if (x === undefined || x === null) return '0s';
      if (typeof x === 'number') return `${x}ns`;
      if (typeof x !== 'string') return new Error(`${name} must be a duration`);
      const d = parseGoDuration(x);
      return d instanceof Error ? d : x;
    };
    const lct = dur('LastContactThreshold');
    const sst = dur('ServerStabilizationTime');
    if (lct instanceof Error) return bad(lct.message);
    if (sst instanceof Error) return bad(sst.message);
    const conf: AutopilotConfig = {
      CleanupDeadServers: field(v, 'CleanupDeadServers') === true,
      LastContactThreshold: lct,
      MaxTrailingLogs: num(field(v, 'MaxTrailingLogs')) ?? 0,
      MinQuorum: num(field(v, 'MinQuorum')) ?? 0,
      ServerStabilizationTime: sst,
      RedundancyZoneTag: str(field(v, 'RedundancyZoneTag')) ?? '',
      DisableUpgradeMigration: field(v, 'DisableUpgradeMigration') === true,
      UpgradeVersionTag: str(field(v, 'UpgradeVersionTag')) ?? '',
      CreateIndex: 0,
      ModifyIndex: 0,
    };
    const cas = req.query.get('cas');
    if (cas !== null) {
      if (!/^\d+$/.test(cas))
        return {
          status: 400,
          text: `Error parsing cas value: strconv.ParseUint: parsing "${cas}": invalid syntax`,
        };
      conf.ModifyIndex = Number(cas);
    }
    try {
      const ok = await s.setAutopilot(conf, cas !== null);
      return { json: cas !== null ? ok : true };
    } catch (e) {
      if (e instanceof NoLeaderError) return { status: 500, text: e.message };
      throw e;
    }
  });

  r.on('GET', '/v1/operator/autopilot/health', () => {
    const s = agent.server;
    if (!s) return { status: 500, text: NO_SERVERS };
    if (!s.isLeader()) return { status: 500, text: 'No cluster leader' };
    const h = s.autopilotHealth(agent.clock.monotonicMs(), agent.clock.wallMs());
    return { status: h.Healthy ? 200 : 429, json: h };
  });

  r.on('GET', '/v1/operator/autopilot/state', () => {
    const s = agent.server;
    if (!s) return { status: 500, text: NO_SERVERS };
    if (!s.isLeader()) return { status: 500, text: 'No cluster leader' };
    const h = s.autopilotHealth(agent.clock.monotonicMs(), agent.clock.wallMs());
    const voters = h.Servers.filter((x) => x.Voter);
    return {
      json: {
        Healthy: h.Healthy,
        FailureTolerance: h.FailureTolerance,
        OptimisticFailureTolerance: Math.max(0, voters.length - (Math.floor(voters.length / 2) + 1)),
        Servers: Object.fromEntries(
          h.Servers.map((x) => [
            x.ID,
            {
              ID: x.ID,
              Name: x.Name,
              Address: x.Address,
              NodeStatus: x.SerfStatus,
              Version: x.Version,
              LastContact: x.LastContact,
              LastTerm: x.LastTerm,
              LastIndex: x.LastIndex,
              Healthy: x.Healthy,
              StableSince: x.StableSince,
              ReadReplica: false,
              Status: x.Leader ? 'leader' : x.Voter ? 'voter' : 'non-voter',
              Meta: { 'consul-network-segment': '' },
              NodeType: 'voter',
            },
          ]),
        ),
        Leader: h.Servers.find((x) => x.Leader)?.ID ?? '',
        Voters: voters.map((x) => x.ID),
      },
    };
  });

  /** relay-factor and local-only as Consul's keyring endpoint parses them (local-only: GET only). */
  const keyringParams = (req: Request): Reply | { relayFactor: number; localOnly: boolean } => {
    let relayFactor = 0;
    let localOnly = false;
    const rf = req.query.get('relay-factor');
    if (rf) {
      const n = goAtoi(rf);
      if (typeof n === 'string') return { status: 400, text: `Error parsing relay factor: ${n}` };
      if (n < 0 || n > 5)
        return { status: 400, text: 'Invalid relay-factor: Relay factor must be in range: [0, 5]' };
      relayFactor = n;
    }
    const lo = req.query.get('local-only');
    if (lo) {
      const b = goParseBool(lo);
      if (b === null)
        return {
          status: 400,
          text: `Error parsing local-only: strconv.ParseBool: parsing ${JSON.stringify(lo)}: invalid syntax`,
        };
      if (b && req.method !== 'GET')
        return {
          status: 400,
          text: 'Invalid use of local-only: local-only can only be set for list requests',
        };
      localOnly = b;
    }
    return { relayFactor, localOnly };
  };

  /**
   * Consul's KeyringOperation: the WAN pool and this datacenter's LAN pool here, then (from a server,
   * unless local-only) every other datacenter's LAN pools through one of its servers. A request that
   * came from another datacenter does its LAN pools only.
   */
  const keyringEverywhere = async (
    req: Request,
    op: 'list' | 'install' | 'use' | 'remove',
    key: string,
    p: { relayFactor: number; localOnly: boolean },
  ): Promise<KeyringResponse[]> => {
    const g = agent.gossip!;
    const fromDc = req.ex.headers[KEYRING_FORWARDED] === '1';
    const here = await g.keyring(op, key, { ...p, localOnly: p.localOnly || fromDc });
    if (fromDc || p.localOnly || !agent.server) return here;
    const others = agent.datacenters().filter((dc) => dc !== agent.config.datacenter);
    const remote = await Promise.all(
      others.map(async (dc) => {
        const q = new URLSearchParams();
        if (p.relayFactor) q.set('relay-factor', String(p.relayFactor));
        const a = await agent.forwardToDatacenter(dc, {
          method: req.method,
          url: `/v1/operator/keyring${q.size ? `?${q}` : ''}`,
          headers: new Map([
            [KEYRING_FORWARDED, '1'],
            ['content-type', 'application/json'],
          ]),
          body: op === 'list' ? new Uint8Array() : new TextEncoder().encode(JSON.stringify({ Key: key })),
        });
        const text = new TextDecoder().decode(a.body);
        if (op === 'list' && a.status === 200) return JSON.parse(text) as KeyringResponse[];
        if (op !== 'list' && a.status === 200) return [];
        return [keyringFailure(dc, a.status === 500 ? text.trim() : `Unexpected response code: ${a.status}`)];
      }),
    );
    return [...here, ...remote.flat()];
  };

  r.on('GET', '/v1/operator/keyring', async (req: Request) => {
    const g = agent.gossip;
    if (!g) return { status: 500, text: NO_SERVERS };
    const p = keyringParams(req);
    if (!('relayFactor' in p)) return p;
    return { json: await keyringEverywhere(req, 'list', '', p) };
  });

  const change =
    (op: 'install' | 'use' | 'remove') =>
    async (req: Request): Promise<Reply> => {
      const g = agent.gossip;
      if (!g) return { status: 500, text: NO_SERVERS };
      const p = keyringParams(req);
      if (!('relayFactor' in p)) return p;
      const raw = await req.ex.readBody(1 << 16);
      const body = raw === null ? null : decodeBody(raw);
      if (!body || !body.ok)
        return { status: 400, text: `Request decode failed: ${body ? body.error : 'body too large'}` };
      const key = (body.value as { Key?: unknown } | null)?.Key;
      if (typeof key !== 'string') return { status: 400, text: 'Request decode failed: missing Key' };
      const res = await keyringEverywhere(req, op, key, p);
      const errs = res.flatMap((x) => Object.entries(x.Messages).map(([node, m]) => `${node}: ${m}`));
      if (errs.length > 0) return { status: 500, text: errs.join('\n') };
      return { json: null };
    };
  r.on('POST', '/v1/operator/keyring', change('install'));
  r.on('PUT', '/v1/operator/keyring', change('use'));
  r.on('DELETE', '/v1/operator/keyring', change('remove'));
}

/** Marks a keyring request a server of another datacenter sent for its LAN pools only. */
const KEYRING_FORWARDED = 'x-proconsul-keyring-forwarded';

/** A datacenter whose keyring operation could not be asked or failed as a whole. */
function keyringFailure(dc: string, message: string): KeyringResponse {
  return {
    WAN: false,
    Datacenter: dc,
    Segment: '',
    Partition: 'default',
    Keys: {},
    PrimaryKeys: {},
    NumNodes: 0,
    NumResp: 0,
    NumErr: 1,
    Messages: { [dc]: message },
  };
}

/** Go's strconv.Atoi, with its error text (null-free: a string is the error). */
function goAtoi(s: string): number | string {
  if (!/^[+-]?\d+$/.test(s)) return `strconv.Atoi: parsing ${JSON.stringify(s)}: invalid syntax`;
  const n = Number(s);
  if (!Number.isSafeInteger(n)) return `strconv.Atoi: parsing ${JSON.stringify(s)}: value out of range`;
  return n;
}

/** Go's strconv.ParseBool: 1 t T TRUE true True / 0 f F FALSE false False; null otherwise. */
function goParseBool(s: string): boolean | null {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  return null;
}
