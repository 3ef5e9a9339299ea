// The agent's own services and checks (from config files, as the seed's web.json, and the agent API),
// their check runners, and anti-entropy: keeping the catalog's copy of this node equal to them, through
// the leader. The node's serfHealth check is left to the servers' member reconcile.

import type { RuntimeConfig } from '../config/runtime-config.js';
import {
  CheckRunner,
  checkKind,
  describeInterval,
  INTERVAL_KINDS,
  type CheckDef,
  type CheckPorts,
  type CheckStatus,
} from '../checks/runner.js';
import { CheckScheduler } from '../checks/scheduler.js';
import { aliasStatus, type AliasedCheck } from '../checks/alias.js';
import { SCRIPT_TIMEOUT_NS } from '../checks/script.js';
import { checkError } from '../config/builder.js';
import { MINUTE, parseGoDuration, SECOND } from '../lib/duration.js';
import type { Clock } from '../runtime/clock.js';
import type { Logger } from '../runtime/logger.js';
import type { TimerHandle, Timers } from '../runtime/timers.js';
import type { Disk } from '../runtime/disk.js';
import type { Rng } from '../runtime/rng.js';
import { FullSyncSchedule } from './anti-entropy.js';
import { createHash } from 'node:crypto';
import type {
  CatalogNode,
  DeregisterRequest,
  HealthCheck,
  NodeService,
  RegisterRequest,
} from '../state/catalog.js';

/** The catalog as anti-entropy sees it: local on the leader, through a server everywhere else. */
export interface CatalogApi {
  /** This node's entry; null or a rejection with the server's text when it cannot be read. */
  nodeView(
    name: string,
  ): Promise<{ node: CatalogNode | null; services: NodeService[]; checks: HealthCheck[] } | null>;
  register(req: RegisterRequest): Promise<void>;
  deregister(req: DeregisterRequest): Promise<void>;
}
import { VERSION } from '../structs/version.js';

interface LocalService {
  id: string;
  name: string;
  tags: string[];
  port: number;
  address: string;
  meta: Record<string, string>;
  weights: { Passing: number; Warning: number };
  /** enable_tag_override: tags changed in the catalog are adopted, not overwritten. */
  tagOverride: boolean;
}

interface LocalCheck {
  def: CheckDef;
  status: CheckStatus;
  output: string;
  /** Monotonic ms when the check last turned critical (deregister_critical_service_after). */
  criticalSince?: number;
}

/** How often the reaper looks for services critical too long, and the least it waits (Consul's). */
export const REAP_INTERVAL_MS = 30_000;
export const DEREGISTER_MIN_NS = MINUTE;
/** How often an alias of another node's service re-reads that node's checks. */
export const ALIAS_REMOTE_POLL_MS = 10_000;

/** A refused registration: the HTTP status and Consul's text. */
export interface Refusal {
  code: number;
  text: string;
}

const REMOTE_SCRIPTS_DISABLED =
  "Scripts are disabled on this agent from remote calls; to enable, configure 'enable_script_checks' to true";
const LOCAL_SCRIPTS_DISABLED =
  "Scripts are disabled on this agent; to enable, configure 'enable_script_checks' or 'enable_local_script_checks' to true";

type Raw = Readonly<Record<string, unknown>>;

const asStr = (v: unknown) => (typeof v === 'string' ? v : undefined);
const dur = (v: unknown, def: number) => {
  if (typeof v === 'number' && v > 0) return v;
  const d = typeof v === 'string' ? parseGoDuration(v) : null;
  return d === null || d instanceof Error ? def : d;
};
const int = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.floor(v) : 0);

function checkDef(raw: Raw, id: string, name: string, serviceId: string): CheckDef {
  const headerRaw = raw.header;
  const header: Record<string, string[]> = {};
  if (headerRaw && typeof headerRaw === 'object')
    for (const [k, v] of Object.entries(headerRaw as Raw))
      header[k] = Array.isArray(v) ? v.map(String) : [String(v)];
  const interval = Math.max(SECOND, dur(raw.interval, 10 * SECOND));
  const args = Array.isArray(raw.args) && raw.args.length > 0 ? raw.args.map(String) : undefined;
  const script = asStr(raw.script) || undefined;
  const critical = int(raw.failures_before_critical);
  const outputMax = int(raw.output_max_size);
  return {
    id,
    name,
    serviceId,
    http: asStr(raw.http),
    method: asStr(raw.method),
    header,
    tcp: asStr(raw.tcp),
    ...(asStr(raw.udp) ? { udp: asStr(raw.udp) } : {}),
    ...(args ? { args } : {}),
    ...(script ? { script } : {}),
    ...(asStr(raw.docker_container_id) ? { dockerContainerId: asStr(raw.docker_container_id) } : {}),
    ...(asStr(raw.shell) ? { shell: asStr(raw.shell) } : {}),
    ...(asStr(raw.grpc) ? { grpc: asStr(raw.grpc), grpcUseTls: raw.grpc_use_tls === true } : {}),
    ...(asStr(raw.h2ping) ? { h2ping: asStr(raw.h2ping), h2pingUseTls: raw.h2ping_use_tls !== false } : {}),
    ...(raw.tls_skip_verify === true ? { tlsSkipVerify: true } : {}),
    ...(typeof raw.body === 'string' ? { body: raw.body } : {}),
    ...(asStr(raw.tls_server_name) ? { tlsServerName: asStr(raw.tls_server_name) } : {}),
    ...(asStr(raw.alias_service) ? { aliasService: asStr(raw.alias_service) } : {}),
    ...(asStr(raw.alias_node) ? { aliasNode: asStr(raw.alias_node) } : {}),
    thresholds: {
      successBeforePassing: int(raw.success_before_passing),
      failuresBeforeWarning: int(raw.failures_before_warning) || critical,
      failuresBeforeCritical: critical,
    },
    ...(raw.deregister_critical_service_after !== undefined
      ? { deregisterCriticalNs: dur(raw.deregister_critical_service_after, 0) }
      : {}),
    ...(outputMax ? { outputMax } : {}),
    ...(raw.ttl !== undefined ? { ttlNs: dur(raw.ttl, 0) } : {}),
    intervalNs: interval,
    // Script checks wait 30 s by default, the network kinds 10 s (0.8's min(interval, 10 s) kept).
    timeoutNs: dur(raw.timeout, args || script ? SCRIPT_TIMEOUT_NS : Math.min(interval, 10 * SECOND)),
    ...(asStr(raw.notes) ? { notes: asStr(raw.notes) } : {}),
    ...(['passing', 'warning', 'critical'].includes(asStr(raw.status) ?? '')
      ? { initialStatus: raw.status as CheckStatus }
      : {}),
    ...(raw.maintenance === true ? { maintenance: true } : {}),
  };
}

/** The check ID that marks a node (or one service) as in maintenance, as Consul names them. */
export const NODE_MAINTENANCE = '_node_maintenance';
export const serviceMaintenanceId = (serviceId: string) => `_service_maintenance:${serviceId}`;

/** A service's `weights` ({passing, warning}); Consul's defaults are 1 and 1. */
function weightsOf(v: unknown): { Passing: number; Warning: number } {
  const w = v && typeof v === 'object' ? (v as Raw) : {};
  const n = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? x : 1);
  return { Passing: n(w.passing), Warning: n(w.warning) };
}

/** Services and checks as the config defines them, with Consul's default IDs and names. */
export function localDefinitions(c: RuntimeConfig): { services: LocalService[]; checks: CheckDef[] } {
  const services: LocalService[] = [];
  const checks: CheckDef[] = [];
  for (const s of c.services) {
    const name = asStr(s.name) ?? '';
    const id = asStr(s.id) || name;
    services.push({
      id,
      name,
      tags: Array.isArray(s.tags) ? s.tags.map(String) : [],
      port: typeof s.port === 'number' ? s.port : 0,
      address: asStr(s.address) ?? '',
      meta:
        s.meta && typeof s.meta === 'object'
          ? Object.fromEntries(Object.entries(s.meta as Raw).map(([k, v]) => [k, String(v)]))
          : {},
      weights: weightsOf(s.weights),
      tagOverride: s.enable_tag_override === true,
    });
    const list: Raw[] = [];
    if (s.check && typeof s.check === 'object') list.push(s.check as Raw);
    if (Array.isArray(s.checks)) list.push(...(s.checks as Raw[]));
    list.forEach((ck, i) => {
      const cid = asStr(ck.id) || (list.length === 1 ? `service:${id}` : `service:${id}:${i + 1}`);
      checks.push(checkDef(ck, cid, asStr(ck.name) || `Service '${name}' check`, id));
    });
  }
  for (const ck of c.checks) {
    const name = asStr(ck.name) ?? '';
    checks.push(checkDef(ck, asStr(ck.id) || name, name, asStr(ck.service_id) ?? ''));
  }
  return { services, checks };
}

export class LocalState {
  private services: LocalService[] = [];

  /** Names and tags of this agent's services (for user-event filters). */
  serviceTags(): Array<{ name: string; tags: readonly string[] }> {
    return this.services.map((x) => ({ name: x.name, tags: x.tags }));
  }
  private checks = new Map<string, LocalCheck>();
  private runners: CheckRunner[] = [];
  /** One timer queue (one platform timer) for every interval check runner. */
  private schedulerInst: CheckScheduler | null = null;
  private get checkScheduler(): CheckScheduler {
    return (this.schedulerInst ??= new CheckScheduler(this.ports.timers, this.ports.clock));
  }
  /** Services and checks registered through the agent API (kept across reloads). */
  private api: { services: LocalService[]; checks: CheckDef[] } = { services: [], checks: [] };
  private ttlTimers = new Map<string, TimerHandle>();
  /** Registration files being written; the API answers once they are on disk. */
  private pending: Array<Promise<void>> = [];
  private schedule: FullSyncSchedule | null = null;
  private reaper: TimerHandle | null = null;
  private aliasPoller: TimerHandle | null = null;
  /** Last results of aliases of other nodes (alias_node), by check ID. */
  private remoteAlias = new Map<string, { status: CheckStatus; output: string }>();
  private syncing = false;
  private stopped = false;
  /** Checks whose status or output changed since the last pass (a partial sync looks at these). */
  private dirty = new Set<string>();
  /** A full sync was asked for and has not run yet. */
  private fullPending = true;
  /** A sync was asked for while one ran. */
  private again = false;
  /** How many alias checks the last load found. */
  private aliasCount = 0;
  /** When each check's output last went to the catalog (check_update_interval defers the next). */
  private outputSyncedAt = new Map<string, number>();
  /** The sync in progress (or the last one), so a leave can wait for its writes. */
  private inflight: Promise<void> = Promise.resolve();

  constructor(
    private config: RuntimeConfig,
    private readonly nodeId: string,
    private readonly catalogApi: CatalogApi,
    private readonly ports: CheckPorts & {
      timers: Timers;
      disk?: Disk;
      clock?: Clock;
      /** Staggers full syncs (none without it). */
      aeRng?: Rng;
      /** LAN members, which scale the staggers (1 without it). */
      clusterSize?: () => number;
    },
    private readonly log: Logger,
  ) {}

  start(): void {
    this.load(this.config);
    const noStagger: Rng = {
      float: () => 0,
      int: () => 0,
      bytes: (n) => new Uint8Array(n),
      fork: () => noStagger,
    };
    this.schedule = new FullSyncSchedule(
      this.ports.timers,
      this.ports.aeRng ?? noStagger,
      this.ports.clusterSize ?? (() => 1),
      this.config.aeIntervalNs / 1e6,
      () => void this.sync(),
    );
    this.reaper = this.ports.timers.every(REAP_INTERVAL_MS, () => this.reap());
    this.aliasPoller = this.ports.timers.every(ALIAS_REMOTE_POLL_MS, () => void this.pollRemoteAliases());
    void this.sync();
  }

  private now(): number {
    return this.ports.clock?.monotonicMs() ?? 0;
  }

  /** Every status change goes through here: critical-since bookkeeping, aliases, then a sync. */
  private setStatus(lc: LocalCheck, status: CheckStatus, output: string): void {
    const changed = status !== lc.status || output !== lc.output;
    if (status === 'critical' && lc.status !== 'critical') lc.criticalSince = this.now();
    if (status !== 'critical') delete lc.criticalSince;
    lc.status = status;
    lc.output = output;
    if (!changed) return;
    if (checkKind(lc.def) !== 'alias') this.updateAliases();
    this.dirty.add(lc.def.id);
    void this.sync(false);
  }

  /** Local aliases follow the checks of the aliased service on this agent. */
  private updateAliases(): void {
    // Most agents have no alias checks: then a status change costs nothing here (thousands of checks).
    if (this.aliasCount === 0) return;
    const aliases = [...this.checks].filter(([, lc]) => checkKind(lc.def) === 'alias');
    if (aliases.length === 0) return;
    const mine: Array<AliasedCheck & { id: string }> = [...this.checks].map(([id, c]) => ({
      id,
      node: '',
      name: c.def.name,
      serviceId: c.def.serviceId,
      status: c.status,
      output: c.output,
    }));
    for (const [id, lc] of aliases) {
      const node = lc.def.aliasNode ?? '';
      let r: { status: CheckStatus; output: string } | undefined;
      if (node === '' || node === this.config.nodeName) {
        const sid = lc.def.aliasService ?? '';
        const others = mine.filter((c) => c.id !== id && checkKind(this.checks.get(c.id)!.def) !== 'alias');
        r = aliasStatus(
          { node: '', serviceId: sid },
          others,
          this.services.some((x) => x.id === sid),
        );
      } else r = this.remoteAlias.get(id);
      if (r) this.setStatus(lc, r.status, r.output);
    }
  }

  /** Aliases of another node read that node's checks from the catalog. */
  private async pollRemoteAliases(): Promise<void> {
    for (const [id, lc] of [...this.checks]) {
      const node = lc.def.aliasNode ?? '';
      if (checkKind(lc.def) !== 'alias' || node === '' || node === this.config.nodeName) continue;
      let r: { status: CheckStatus; output: string };
      try {
        const view = await this.catalogApi.nodeView(node);
        if (!view) throw new Error('No known Consul servers');
        const sid = lc.def.aliasService ?? '';
        r = aliasStatus(
          { node, serviceId: sid },
          view.checks.map((c) => ({
            node: c.Node,
            name: c.Name,
            serviceId: c.ServiceID,
            status: c.Status as CheckStatus,
            output: c.Output,
          })),
          view.services.some((x) => x.ID === sid),
        );
      } catch (e) {
        r = {
          status: 'critical',
          output: `Failure checking aliased node or service: ${(e as Error).message}`,
        };
      }
      this.remoteAlias.set(id, r);
      const cur = this.checks.get(id);
      if (cur) this.setStatus(cur, r.status, r.output);
    }
  }

  /** Deregisters services whose check has been critical longer than its deregister_critical_service_after. */
  reap(): void {
    const now = this.now();
    const reaped = new Set<string>();
    for (const [id, lc] of [...this.checks]) {
      const sid = lc.def.serviceId;
      const after = lc.def.deregisterCriticalNs ?? 0;
      if (sid === '' || after <= 0 || reaped.has(sid) || lc.criticalSince === undefined) continue;
      if ((now - lc.criticalSince) * 1e6 > Math.max(after, DEREGISTER_MIN_NS)) {
        reaped.add(sid);
        this.deregisterService(sid);
        this.log.info(
          'Check for service has been critical for too long; deregistered service',
          'service',
          sid,
          'check',
          id,
        );
      }
    }
  }

  /** A TTL check turns critical when nobody reports within its TTL (Consul's CheckTTL). */
  private armTtl(id: string): void {
    this.ttlTimers.get(id)?.cancel();
    const lc = this.checks.get(id);
    if (!lc || lc.def.ttlNs === undefined) return;
    this.ttlTimers.set(
      id,
      this.ports.timers.after(lc.def.ttlNs / 1e6, () => {
        const cur = this.checks.get(id);
        if (!cur) return;
        this.log.warn('Check missed TTL, is now critical', 'check', id);
        const out =
          cur.output === ''
            ? 'TTL expired'
            : `TTL expired (last output before timeout follows): ${cur.output}`;
        this.setStatus(cur, 'critical', out);
      }),
    );
  }

  /** /v1/agent/check/pass|warn|fail|update: an error text (and status code) when it cannot apply. */
  updateTtl(id: string, status: CheckStatus, output: string): { code: number; text: string } | null {
    const lc = this.checks.get(id);
    if (!lc)
      return {
        code: 404,
        text: `Unknown check ID "${id}". Ensure that the check ID is passed, not the check name.`,
      };
    if (lc.def.ttlNs === undefined)
      return { code: 500, text: `CheckID "${id}" does not have associated TTL` };
    this.setStatus(lc, status, output);
    this.armTtl(id);
    this.pending.push(this.persistState(id, lc));
    return null;
  }

  /**
   * A TTL check's last report, in <data-dir>/checks/state (Consul's {CheckID, Status, Output, Expires}),
   * so a restart within the TTL keeps it instead of starting critical.
   */
  private async persistState(id: string, lc: LocalCheck | null): Promise<void> {
    const dir = this.persistDir('checks');
    const disk = this.ports.disk;
    if (!dir || !disk) return;
    const file = `${dir}/state/${createHash('md5').update(id).digest('hex')}`;
    try {
      if (!lc) return await disk.remove(file);
      const expires = (this.ports.clock?.wallMs() ?? 0) + (lc.def.ttlNs ?? 0) / 1e6;
      await disk.mkdirp(`${dir}/state`, 0o700);
      const body = { CheckID: id, Status: lc.status, Output: lc.output, Expires: expires };
      await disk.writeFileAtomic(file, JSON.stringify(body), 0o600);
    } catch (e) {
      this.log.error('failed to persist check state', 'check', id, 'error', e);
    }
  }

  /** Applies the saved TTL states that have not expired (after the checks are restored). */
  private async restoreStates(): Promise<void> {
    const dir = this.persistDir('checks');
    const disk = this.ports.disk;
    if (!dir || !disk) return;
    const now = this.ports.clock?.wallMs() ?? 0;
    for (const e of (await disk.readdir(`${dir}/state`)) ?? []) {
      if (!e.isFile) continue;
      const raw = await disk.readFile(`${dir}/state/${e.name}`);
      if (!raw) continue;
      try {
        const st = JSON.parse(new TextDecoder().decode(raw)) as {
          CheckID: string;
          Status: CheckStatus;
          Output: string;
          Expires: number;
        };
        const lc = this.checks.get(st.CheckID);
        if (!lc || lc.def.ttlNs === undefined) continue;
        if (st.Expires <= now) {
          this.log.debug('check state expired, not restoring', 'check', st.CheckID);
          continue;
        }
        this.setStatus(lc, st.Status, st.Output);
      } catch (err) {
        this.log.warn('failed decoding check state file', 'file', e.name, 'error', err);
      }
    }
  }

  /** Where API registrations persist (Consul: <data-dir>/services and checks); null in -dev. */
  private persistDir(kind: 'services' | 'checks'): string | null {
    if (!this.ports.disk || this.config.dataDir === '' || this.config.devMode) return null;
    return `${this.config.dataDir}/${kind}`;
  }

  /** Writes (or removes) one registration file; resolves once it is on disk, as Consul persists before answering. */
  private async persist(kind: 'services' | 'checks', id: string, raw: Raw | null): Promise<void> {
    const dir = this.persistDir(kind);
    const disk = this.ports.disk;
    if (!dir || !disk) return;
    const file = `${dir}/${createHash('md5').update(id).digest('hex')}`;
    try {
      if (raw) {
        await disk.mkdirp(dir, 0o700);
        await disk.writeFileAtomic(file, JSON.stringify({ Token: '', Definition: raw }), 0o600);
      } else await disk.remove(file);
    } catch (e) {
      this.log.error(`failed to persist ${kind}`, 'id', id, 'error', e);
    }
  }

  /** Resolves when every registration change so far is on disk. */
  async flushed(): Promise<void> {
    const p = this.pending;
    this.pending = [];
    await Promise.all(p);
  }

  /** Restores API registrations from the data dir (at start, before the first sync). */
  async restore(): Promise<void> {
    for (const kind of ['services', 'checks'] as const) {
      const dir = this.persistDir(kind);
      const disk = this.ports.disk;
      if (!dir || !disk) continue;
      for (const e of (await disk.readdir(dir)) ?? []) {
        if (!e.isFile) continue;
        const raw = await disk.readFile(`${dir}/${e.name}`);
        if (!raw) continue;
        try {
          const def = (JSON.parse(new TextDecoder().decode(raw)) as { Definition: Raw }).Definition;
          const err = kind === 'services' ? this.registerService(def, false) : this.registerCheck(def, false);
          if (err) this.log.warn(`failed restoring ${kind}`, 'file', e.name, 'error', err);
          else
            this.log.debug(
              `restored ${kind === 'services' ? 'service' : 'check'} definition from file`,
              'file',
              e.name,
            );
        } catch (err) {
          this.log.warn(`failed decoding ${kind} file`, 'file', e.name, 'error', err);
        }
      }
    }
    await this.restoreStates();
  }

  /** /v1/agent/service/register: the body in config form (lower-case keys, as a service file). */
  registerService(raw: Raw, persist = true): Refusal | null {
    const defs = localDefinitions({ ...this.config, services: [raw], checks: [] } as RuntimeConfig);
    const svc = defs.services[0];
    if (!svc || svc.name === '') return { code: 400, text: 'Missing service name' };
    const raws = [raw.check, ...(Array.isArray(raw.checks) ? raw.checks : [])].filter(
      (x): x is Raw => !!x && typeof x === 'object',
    );
    for (const c of raws) {
      const err = checkError(c);
      if (err) return { code: 400, text: `Invalid check: ${err}` };
      if (c.status !== undefined && !['passing', 'warning', 'critical'].includes(String(c.status)))
        return { code: 400, text: "Status for checks must 'passing', 'warning', 'critical'" };
    }
    const refused = defs.checks.map((d) => this.scriptRefusal(d, persist)).find((x) => x);
    if (refused) return refused;
    this.api.services = [...this.api.services.filter((x) => x.id !== svc.id), svc];
    const ids = new Set(defs.checks.map((x) => x.id));
    this.api.checks = [...this.api.checks.filter((x) => !ids.has(x.id)), ...defs.checks];
    if (persist) this.pending.push(this.persist('services', svc.id, raw));
    this.load(this.config);
    void this.sync();
    return null;
  }

  deregisterService(id: string): boolean {
    if (!this.services.some((x) => x.id === id)) return false;
    if (this.api.services.some((x) => x.id === id)) this.pending.push(this.persist('services', id, null));
    this.api.services = this.api.services.filter((x) => x.id !== id);
    this.api.checks = this.api.checks.filter((x) => x.serviceId !== id);
    // A config-file service removed through the API stays removed until the next reload.
    this.services = this.services.filter((x) => x.id !== id);
    for (const [cid, lc] of [...this.checks]) if (lc.def.serviceId === id) this.dropCheck(cid);
    this.updateAliases();
    void this.sync();
    return true;
  }

  /** /v1/agent/check/register, in config form. */
  registerCheck(raw: Raw, persist = true): Refusal | null {
    const defs = localDefinitions({ ...this.config, services: [], checks: [raw] } as RuntimeConfig);
    const def = defs.checks[0];
    if (!def || def.name === '') return { code: 400, text: 'Missing check name' };
    if (
      raw.status !== undefined &&
      raw.status !== '' &&
      !['passing', 'warning', 'critical'].includes(String(raw.status))
    )
      return { code: 400, text: 'Bad check status' };
    const invalid = def.maintenance ? null : checkError(raw);
    if (invalid) return { code: 400, text: `Invalid check: ${invalid}` };
    if (def.serviceId && !this.services.some((x) => x.id === def.serviceId))
      return { code: 404, text: `ServiceID "${def.serviceId}" does not exist` };
    const refused = this.scriptRefusal(def, persist);
    if (refused) return refused;
    this.api.checks = [...this.api.checks.filter((x) => x.id !== def.id), def];
    if (persist) this.pending.push(this.persist('checks', def.id, raw));
    this.load(this.config);
    void this.sync();
    return null;
  }

  /**
   * Script checks run only where enabled: API registrations need enable_script_checks; config files
   * and restored registrations enable_local_script_checks (which enable_script_checks implies).
   */
  private scriptRefusal(def: CheckDef, remote: boolean): Refusal | null {
    // A docker check runs a script too (Consul's IsScript covers both).
    const kind = checkKind(def);
    if (kind !== 'script' && kind !== 'docker') return null;
    if (remote && !this.config.enableScriptChecks) return { code: 500, text: REMOTE_SCRIPTS_DISABLED };
    if (!remote && !this.config.enableLocalScriptChecks) return { code: 500, text: LOCAL_SCRIPTS_DISABLED };
    return null;
  }

  deregisterCheck(id: string): boolean {
    if (!this.checks.has(id)) return false;
    if (this.api.checks.some((x) => x.id === id)) this.pending.push(this.persist('checks', id, null));
    if (this.checks.get(id)?.def.ttlNs !== undefined) this.pending.push(this.persistState(id, null));
    this.api.checks = this.api.checks.filter((x) => x.id !== id);
    this.dropCheck(id);
    this.updateAliases();
    void this.sync();
    return true;
  }

  private dropCheck(id: string): void {
    this.checks.delete(id);
    this.ttlTimers.get(id)?.cancel();
    this.ttlTimers.delete(id);
    for (const r of this.runners) if (r.def.id === id) r.stop();
    this.runners = this.runners.filter((r) => r.def.id !== id);
  }

  /**
   * Node maintenance (/v1/agent/maintenance): a critical `_node_maintenance` check with the reason as
   * its notes, persisted like an API check; disabling removes it.
   */
  nodeMaintenance(enable: boolean, reason: string): void {
    if (!enable) {
      if (this.checks.has(NODE_MAINTENANCE)) {
        this.deregisterCheck(NODE_MAINTENANCE);
        this.log.info('Node left maintenance mode');
      }
      return;
    }
    this.registerCheck({
      id: NODE_MAINTENANCE,
      name: 'Node Maintenance Mode',
      notes:
        reason ||
        'Maintenance mode is enabled for this node, but no reason was provided. This is a default message.',
      maintenance: true,
    });
    this.log.info('Node entered maintenance mode');
  }

  /** Service maintenance; an Error when the service is not registered here. */
  serviceMaintenance(serviceId: string, enable: boolean, reason: string): Error | null {
    if (!this.services.some((x) => x.id === serviceId))
      return new Error(`No service registered with ID ${JSON.stringify(serviceId)}`);
    const id = serviceMaintenanceId(serviceId);
    if (!enable) {
      if (this.checks.has(id)) {
        this.deregisterCheck(id);
        this.log.info('Service left maintenance mode', 'service', serviceId);
      }
      return null;
    }
    this.registerCheck({
      id,
      name: 'Service Maintenance Mode',
      notes:
        reason ||
        'Maintenance mode is enabled for this service, but no reason was provided. This is a default message.',
      service_id: serviceId,
      maintenance: true,
    });
    this.log.info('Service entered maintenance mode', 'service', serviceId);
    return null;
  }

  /** `consul reload`: services and checks follow the new config; runners restart. */
  reload(config: RuntimeConfig): void {
    this.config = config;
    // As Consul's reload: every check is unloaded and loaded again, so each runs anew.
    this.load(config, true);
    void this.sync();
  }

  private load(c: RuntimeConfig, restartAll = false): void {
    // An API registration touches only its own checks: a runner whose definition did not change
    // keeps running (its interval is not reset); every other one stops, and new ones start.
    const old = new Map(this.runners.map((r) => [r.def.id, r]));
    if (restartAll) {
      for (const r of old.values()) r.stop();
      old.clear();
    }
    this.runners = [];
    const defs = localDefinitions(c);
    // API registrations win over config entries with the same ID (Consul keeps the latest).
    const apiIds = new Set(this.api.services.map((x) => x.id));
    const apiChecks = new Set(this.api.checks.map((x) => x.id));
    defs.services = [...defs.services.filter((x) => !apiIds.has(x.id)), ...this.api.services];
    defs.checks = [...defs.checks.filter((x) => !apiChecks.has(x.id)), ...this.api.checks];
    this.services = defs.services;
    const prevChecks = this.checks;
    this.checks = new Map();
    const cap = this.config.checkOutputMaxSize > 0 ? this.config.checkOutputMaxSize : 4096;
    const apiDefs = new Set(this.api.checks);
    for (const d of defs.checks) {
      const def: CheckDef = { ...d, outputMax: Math.min(d.outputMax ?? cap, cap) };
      // Config-file script checks need enable_local_script_checks (API ones were vetted on register).
      if (!apiDefs.has(d) && this.scriptRefusal(def, false)) {
        this.log.error('Failed to register check', 'check', def.id, 'error', LOCAL_SCRIPTS_DISABLED);
        continue;
      }
      const prev = prevChecks.get(def.id);
      const status = def.maintenance ? 'critical' : (prev?.status ?? def.initialStatus ?? 'critical');
      const lc: LocalCheck = {
        def,
        status,
        output: prev?.output ?? '',
        ...(status === 'critical' ? { criticalSince: prev?.criticalSince ?? this.now() } : {}),
      };
      this.checks.set(def.id, lc);
      if (def.ttlNs !== undefined && !prev) this.armTtl(def.id);
      if (!INTERVAL_KINDS.has(checkKind(def))) continue;
      const kept = old.get(def.id);
      if (kept && sameDef(kept.def, def)) {
        old.delete(def.id);
        this.runners.push(kept);
        continue;
      }
      const runner = new CheckRunner(def, this.ports, this.checkScheduler, (status, output) => {
        // The check's current entry: a later load may have replaced it (and kept this runner).
        const cur = this.checks.get(def.id);
        if (!cur) return;
        // Consul warns on every failing run (the seed's log shows it repeating until the web server is up).
        if (status !== 'passing') this.log.warn(`Check is now ${status}`, 'check', def.id);
        else if (status !== cur.status)
          this.log.debug('Check status updated', 'check', def.id, 'status', status);
        this.setStatus(cur, status, output);
      });
      this.runners.push(runner);
      runner.start();
    }
    for (const r of old.values()) r.stop();
    this.aliasCount = [...this.checks.values()].filter((lc) => checkKind(lc.def) === 'alias').length;
    this.updateAliases();
  }

  /** Registers this node, its services and checks where the catalog differs (nothing if equal). */
  /**
   * A full sync compares the node, every service and every check with the catalog; a partial one (a
   * check's status or output changed) only the checks marked dirty since the last pass, so thousands
   * of checks reporting do not each walk all the others. Requests during a pass run once it ends.
   */
  sync(full = true): Promise<void> {
    if (full) this.fullPending = true;
    if (this.stopped) return this.inflight;
    if (this.syncing) {
      this.again = true;
      return this.inflight;
    }
    this.syncing = true;
    this.inflight = this.syncOnce();
    return this.inflight;
  }

  /** Resolves once the sync in progress (if any) has finished its writes. */
  drained(): Promise<void> {
    return this.inflight;
  }

  private async syncOnce(): Promise<void> {
    const srv = this.catalogApi;
    const full = this.fullPending;
    this.fullPending = false;
    const dirty = this.dirty;
    this.dirty = new Set();
    this.again = false;
    let failure: string | null = null;
    try {
      const c = this.config;
      const view = await srv.nodeView(c.nodeName);
      if (!view) {
        failure = 'No known Consul servers';
        return;
      }
      const base: RegisterRequest = {
        ID: this.nodeId,
        Node: c.nodeName,
        Address: c.advertiseAddrLan,
        TaggedAddresses: {
          lan: c.advertiseAddrLan,
          lan_ipv4: c.advertiseAddrLan,
          wan: c.advertiseAddrWan,
          wan_ipv4: c.advertiseAddrWan,
        },
        NodeMeta: { 'consul-network-segment': '', ...c.nodeMeta },
      };
      const current = view.node ? { node: view.node, services: view.services } : null;
      const currentChecks = new Map(view.checks.map((x) => [x.CheckID, x]));
      const nodeSame =
        current &&
        current.node.Address === base.Address &&
        current.node.ID === base.ID &&
        JSON.stringify(current.node.Meta) === JSON.stringify(base.NodeMeta) &&
        JSON.stringify(current.node.TaggedAddresses) === JSON.stringify(base.TaggedAddresses);
      // The node's serfHealth check is the servers' (the leader sets it from the LAN pool); the agent
      // syncs only its node's addresses and meta, as Consul's syncNodeInfo does.
      if (full && !nodeSame) {
        await srv.register(base);
        this.log.info('Synced node info');
      }
      // A server is also the `consul` service (the leader registers every server so; consul.service.consul).
      const desired = [...this.services];
      if (c.serverMode)
        desired.push({
          id: 'consul',
          name: 'consul',
          tags: [],
          port: c.ports.server,
          address: '',
          weights: { Passing: 1, Warning: 1 },
          tagOverride: false,
          meta: {
            non_voter: 'false',
            raft_version: '3',
            read_replica: 'false',
            serf_protocol_current: '2',
            serf_protocol_max: '5',
            serf_protocol_min: '1',
            version: VERSION,
          },
        });
      const synced = new Map<string, string>();
      for (const s of full ? desired : []) {
        const have = current?.services.find((x) => x.ID === s.id);
        // With enable_tag_override the catalog's tags win (Consul's syncChanges adopts them).
        if (have && s.tagOverride && JSON.stringify(have.Tags) !== JSON.stringify(s.tags))
          s.tags = [...have.Tags];
        const same =
          have &&
          have.Service === s.name &&
          have.Port === s.port &&
          have.Address === s.address &&
          JSON.stringify(have.Tags) === JSON.stringify(s.tags) &&
          sameMeta(have.Meta ?? {}, s.meta) &&
          have.Weights?.Passing === s.weights.Passing &&
          have.Weights?.Warning === s.weights.Warning;
        if (!same) {
          // The service goes in with its checks in one registration (as Consul's syncService does), so
          // it is never visible as healthy before its checks are.
          const checks = [...this.checks].filter(([, lc]) => lc.def.serviceId === s.id);
          await srv.register({
            ...base,
            SkipNodeUpdate: true,
            Service: {
              ID: s.id,
              Service: s.name,
              Tags: s.tags,
              Port: s.port,
              Address: s.address,
              Meta: s.meta,
              Weights: s.weights,
              EnableTagOverride: s.tagOverride,
            },
            ...(checks.length > 0 ? { Checks: checks.map(([id, lc]) => checkBody(id, lc)) } : {}),
          });
          for (const [id, lc] of checks) {
            synced.set(id, `${lc.status}\u0000${lc.output}`);
            this.outputSyncedAt.set(id, this.now());
          }
          this.log.info('Synced service', 'service', s.id);
        }
      }
      const todo = full
        ? [...this.checks]
        : [...dirty].flatMap((id) => {
            const lc = this.checks.get(id);
            return lc ? [[id, lc] as const] : [];
          });
      const changedChecks: Array<readonly [string, LocalCheck]> = [];
      for (const [id, lc] of todo) {
        if (synced.size > 0 && synced.get(id) === `${lc.status}\u0000${lc.output}`) continue;
        const have = currentChecks.get(id);
        const steady = have && have.Status === lc.status && have.ServiceID === lc.def.serviceId;
        if (steady && have.Output === lc.output) continue;
        // check_update_interval: a check whose status holds syncs new output at most that often.
        const every = c.checkUpdateIntervalNs / 1e6;
        const last = this.outputSyncedAt.get(id);
        if (steady && every > 0 && this.ports.clock && last !== undefined && this.now() - last < every)
          continue;
        changedChecks.push([id, lc]);
      }
      // Changed checks go in registrations of up to CHECKS_PER_REGISTER (one Raft entry each), not
      // one each: thousands of checks turning passing at start are then a few writes.
      for (let i = 0; i < changedChecks.length; i += CHECKS_PER_REGISTER) {
        const chunk = changedChecks.slice(i, i + CHECKS_PER_REGISTER);
        await srv.register({
          ...base,
          SkipNodeUpdate: true,
          Checks: chunk.map(([id, lc]) => checkBody(id, lc)),
        });
        for (const [id] of chunk) {
          this.outputSyncedAt.set(id, this.now());
          this.log.info('Synced check', 'check', id);
        }
      }
      // Services and checks this agent no longer has leave the catalog.
      if (!full) return;
      for (const s of current?.services ?? []) {
        if (!desired.some((x) => x.id === s.ID)) {
          await srv.deregister({ Node: c.nodeName, ServiceID: s.ID });
          this.log.info('Deregistered service', 'service', s.ID);
        }
      }
      for (const [id] of currentChecks) {
        if (id !== 'serfHealth' && !this.checks.has(id)) {
          await srv.deregister({ Node: c.nodeName, CheckID: id });
          this.log.info('Deregistered check', 'check', id);
        }
      }
    } catch (e) {
      failure = (e as Error).message;
    } finally {
      // A failed pass leaves the next one full (it covers what this one missed); a failed full pass is
      // retried on the schedule, a good one puts the next periodic full sync an interval away.
      if (failure !== null) {
        this.fullPending = true;
        if (!this.stopped) {
          this.log.error(full ? 'failed to sync remote state' : 'failed to sync changes', 'error', failure);
          if (full) this.schedule?.failed();
        }
      } else if (full) this.schedule?.succeeded();
      this.syncing = false;
      if (!this.stopped && (this.again || this.dirty.size > 0)) void this.sync(this.fullPending);
    }
  }

  /** A server joined the LAN pool or a leader was elected: a full sync within a few seconds. */
  serverUp(): void {
    this.schedule?.serverUp();
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.ttlTimers.values()) t.cancel();
    for (const r of this.runners) r.stop();
    this.runners = [];
    this.schedule?.stop();
    this.reaper?.cancel();
    this.aliasPoller?.cancel();
  }

  /** GET /v1/agent/services: this agent's services, keyed by ID. */
  servicesJson(): Record<string, Record<string, unknown>> {
    const out: Record<string, Record<string, unknown>> = {};
    for (const s of this.services)
      out[s.id] = {
        ID: s.id,
        Service: s.name,
        Tags: s.tags,
        Meta: s.meta,
        Port: s.port,
        Address: s.address,
        Weights: s.weights,
        EnableTagOverride: s.tagOverride,
        Datacenter: this.config.datacenter,
      };
    return out;
  }

  /** GET /v1/agent/checks: this agent's checks with their current status, keyed by ID. */
  checksJson(): Record<string, Record<string, unknown>> {
    const out: Record<string, Record<string, unknown>> = {};
    for (const [id, lc] of this.checks) {
      const svc = this.services.find((s) => s.id === lc.def.serviceId);
      out[id] = {
        Node: this.config.nodeName,
        CheckID: id,
        Name: lc.def.name,
        Status: lc.status,
        Notes: lc.def.notes ?? '',
        Output: lc.output,
        ServiceID: lc.def.serviceId,
        ServiceName: svc?.name ?? '',
        ServiceTags: svc?.tags ?? [],
        Type: checkType(lc.def),
        // Only interval kinds have an interval and a timeout to show (TTL and alias checks do not).
        Interval: INTERVAL_KINDS.has(checkKind(lc.def)) ? describeInterval(lc.def.intervalNs) : '',
        Timeout: INTERVAL_KINDS.has(checkKind(lc.def)) ? describeInterval(lc.def.timeoutNs) : '',
        ExposedPort: 0,
        Definition: {},
        CreateIndex: 0,
        ModifyIndex: 0,
      };
    }
    return out;
  }

  /** Counts for `consul info`'s agent section. */
  counts(): { services: number; checks: number; monitors: number } {
    return { services: this.services.length, checks: this.checks.size, monitors: this.runners.length };
  }
}

const checkType = checkKind;

/** Checks sent in one catalog registration at most (one Raft entry). */
const CHECKS_PER_REGISTER = 64;

/** Two check definitions that would run the same way (a runner for one serves the other). */
function sameDef(a: CheckDef, b: CheckDef): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function sameMeta(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

function checkBody(id: string, lc: { def: CheckDef; status: CheckStatus; output: string }) {
  return {
    CheckID: id,
    Name: lc.def.name,
    Status: lc.status,
    Notes: lc.def.notes ?? '',
    Output: lc.output,
    ServiceID: lc.def.serviceId,
    Type: checkType(lc.def),
  };
}
