// GET /v1/agent/self and the `consul info` sections behind it: only what this agent really knows.
// Sections that need subsystems not built yet (consul, raft, serf_lan, serf_wan) are left out rather
// than filled with placeholders.

import {
  humanVersion,
  PROTOCOL_VERSION,
  PROTOCOL_VERSION_MAX,
  PROTOCOL_VERSION_MIN,
  RAFT_PROTOCOL_VERSION,
  REVISION,
  VERSION,
  VERSION_PRERELEASE,
  BUILD_DATE,
} from '../structs/version.js';
import type { Agent } from './agent.js';
import { formatGoDuration } from '../lib/duration.js';
import type { Member } from '../gossip/serf/serf.js';

/** The Serf tags this agent advertises (Consul's role/dc/id/vsn/port/build… tags). */
export function memberTags(a: Agent, wan = false): Record<string, string> {
  const c = a.config;
  const tags: Record<string, string> = {
    build: `${VERSION}:${REVISION}`,
    dc: c.datacenter,
    id: a.nodeId,
    role: c.serverMode ? 'consul' : 'node',
    segment: '',
    vsn: String(PROTOCOL_VERSION),
    vsn_max: String(PROTOCOL_VERSION_MAX),
    vsn_min: String(PROTOCOL_VERSION_MIN),
  };
  // Clients only (the builder refuses it on servers): how long others keep this node once it failed.
  if (!c.serverMode && c.advertiseReconnectTimeoutNs !== 0)
    tags.rc_tm = formatGoDuration(c.advertiseReconnectTimeoutNs);
  if (c.serverMode) {
    tags.port = String(c.ports.server);
    tags.raft_vsn = String(RAFT_PROTOCOL_VERSION);
    if (c.bootstrap) tags.bootstrap = '1';
    if (c.bootstrapExpect > 0) tags.expect = String(c.bootstrapExpect);
    if (c.ports.grpcTls > 0) tags.grpc_tls_port = String(c.ports.grpcTls);
    if (c.ports.grpc > 0) tags.grpc_port = String(c.ports.grpc);
    tags.acls = c.acl.enabled ? '1' : '0';
    tags.ft_fs = '1';
    tags.ft_si = '1';
    if (!wan && c.ports.serfWan > 0) tags.wan_join_port = String(c.ports.serfWan);
  }
  return tags;
}

/** A Serf member in Consul's /v1/agent/members shape. */
export function serfMemberJson(m: Member): Record<string, unknown> {
  return {
    Name: m.name,
    Addr: m.addr,
    Port: m.port,
    Tags: Object.fromEntries([...m.tags].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))),
    Status: m.status,
    ProtocolMin: m.protocolMin,
    ProtocolMax: m.protocolMax,
    ProtocolCur: m.protocolCur,
    DelegateMin: m.delegateMin,
    DelegateMax: m.delegateMax,
    DelegateCur: m.delegateCur,
  };
}

/** This agent as a member of its LAN (or, for servers, WAN) pool: Consul's agent member shape. */
export function memberJson(a: Agent, wan: boolean): Record<string, unknown> {
  const c = a.config;
  const pool = a.gossip?.pool(wan ? 'wan' : 'lan');
  if (pool) return serfMemberJson(pool.serf.localMember());
  return {
    Name: wan ? `${c.nodeName}.${c.datacenter}` : c.nodeName,
    Addr: wan ? c.advertiseAddrWan : c.advertiseAddrLan,
    Port: wan ? c.ports.serfWan : c.ports.serfLan,
    Tags: memberTags(a),
    Status: 1,
    ProtocolMin: 1,
    ProtocolMax: 5,
    ProtocolCur: 2,
    DelegateMin: 2,
    DelegateMax: 5,
    DelegateCur: 4,
  };
}

export function stats(a: Agent): Record<string, Record<string, string>> {
  const h = a.host;
  const n = a.localState?.counts() ?? { services: 0, checks: 0, monitors: 0 };
  return {
    agent: {
      check_monitors: String(n.monitors),
      check_ttls: '0',
      checks: String(n.checks),
      services: String(n.services),
    },
    build: { prerelease: VERSION_PRERELEASE, revision: REVISION, version: VERSION, version_metadata: '' },
    ...consulSections(a),
    ...serfSections(a),
    runtime: {
      arch: h.arch(),
      cpu_count: String(h.cpuCount()),
      max_procs: String(h.cpuCount()),
      os: h.os(),
      version: h.runtimeVersion(),
    },
  };
}

function serfSections(a: Agent): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  const lan = a.gossip?.pool('lan');
  const wan = a.gossip?.pool('wan');
  if (lan) out.serf_lan = lan.serf.stats();
  if (wan) out.serf_wan = wan.serf.stats();
  return out;
}

export function selfResponse(a: Agent): Record<string, unknown> {
  const c = a.config;
  return {
    Config: {
      Datacenter: c.datacenter,
      PrimaryDatacenter: c.primaryDatacenter,
      NodeName: c.nodeName,
      NodeID: a.nodeId,
      Partition: '',
      Revision: REVISION,
      Server: c.serverMode,
      Version: VERSION,
      BuildDate: BUILD_DATE,
    },
    DebugConfig: debugConfig(a),
    Member: memberJson(a, false),
    Stats: stats(a),
    Meta: { ...c.nodeMeta },
  };
}

/** A subset of Consul's DebugConfig (the RuntimeConfig with Consul's field names), secrets redacted. */
function debugConfig(a: Agent): Record<string, unknown> {
  const c = a.config;
  const ns = (n: number) => `${n / 1e6}ms`;
  return {
    Bootstrap: c.bootstrap,
    BootstrapExpect: c.bootstrapExpect,
    BindAddr: c.bindAddr,
    ClientAddrs: c.clientAddrs,
    AdvertiseAddrLAN: c.advertiseAddrLan,
    AdvertiseAddrWAN: c.advertiseAddrWan,
    DataDir: c.dataDir,
    Datacenter: c.datacenter,
    DevMode: c.devMode,
    DisableHostNodeID: c.disableHostNodeId,
    DNSDomain: c.domain,
    DNSPort: c.ports.dns,
    EnableSyslog: c.enableSyslog,
    EncryptKey: c.encryptKey ? 'hidden' : '',
    HTTPPort: c.ports.http,
    HTTPSPort: c.ports.https,
    LeaveOnTerm: c.leaveOnTerminate,
    Logging: {
      LogLevel: c.logLevel.toUpperCase(),
      LogJSON: c.logJson,
      LogFilePath: c.logFile,
      EnableSyslog: c.enableSyslog,
      SyslogFacility: c.syslogFacility,
    },
    NodeID: a.nodeId,
    NodeMeta: c.nodeMeta,
    NodeName: c.nodeName,
    PidFile: c.pidFile,
    PrimaryDatacenter: c.primaryDatacenter,
    RaftProtocol: c.raftProtocol,
    RejoinAfterLeave: c.rejoinAfterLeave,
    RetryJoinIntervalLAN: ns(c.retryIntervalLanNs),
    RetryJoinLAN: c.retryJoinLan,
    SerfPortLAN: c.ports.serfLan,
    SerfPortWAN: c.ports.serfWan,
    ServerMode: c.serverMode,
    ServerPort: c.ports.server,
    SkipLeaveOnInt: c.skipLeaveOnInterrupt,
    UIConfig: { Enabled: c.uiConfig.enabled, Dir: c.uiConfig.dir, ContentPath: c.uiConfig.contentPath },
    Version: VERSION,
    HumanVersion: humanVersion(),
  };
}

export function versionResponse(): Record<string, unknown> {
  return { SHA: REVISION, BuildDate: BUILD_DATE, HumanVersion: humanVersion().slice(1), FIPS: '' };
}

export function hostResponse(a: Agent): Record<string, unknown> {
  const h = a.host;
  const m = h.memory();
  return {
    Memory: { rss: m.rss, heapTotal: m.heapTotal, heapUsed: m.heapUsed },
    CPU: [{ cores: h.cpuCount() }],
    Host: { hostname: h.hostname(), os: h.os(), platform: h.os(), kernelArch: h.arch(), hostid: '' },
    Disk: {},
    CollectionTime: Math.round(a.clock.wallMs() * 1e6),
    Errors: null,
  };
}

/** The `consul` and `raft` sections: real values from this agent's server side, or the client view. */
function consulSections(a: Agent): Record<string, Record<string, string>> {
  const c = a.config;
  const acl = c.acl.enabled ? 'enabled' : 'disabled';
  const s = a.server;
  if (!s) {
    const known = (a.gossip?.members('lan') ?? []).filter(
      (m) => m.tags.get('role') === 'consul' && m.status === 1 && m.tags.get('dc') === c.datacenter,
    ).length;
    return { consul: { acl, known_servers: String(known), server: 'false' } };
  }
  const leaderAddr = s.leaderAddress();
  const out: Record<string, Record<string, string>> = {
    consul: {
      acl,
      bootstrap: String(c.bootstrap),
      known_datacenters: '1',
      leader: String(s.raft !== null && s.raft.leader === a.nodeId),
      leader_addr: leaderAddr,
      server: 'true',
    },
  };
  if (s.raft) out.raft = s.raftStats();
  return out;
}
