// Whole agents (servers and clients: gossip, Raft, the leader's member reconcile, anti-entropy) on
// virtual time and the simulated network, each with its own in-memory disk and Raft storage that
// outlive a restart. Nothing here fakes the agent: only the ports (clock, timers, randomness, sockets,
// disk) are the simulator's, and the HTTP/DNS listeners are left out (tests read the state directly).
import { Agent } from '../../src/agent/agent.js';
import type { RuntimeConfig } from '../../src/config/runtime-config.js';
import type { Raw } from '../../src/config/raw.js';
import { MemRaftStorage } from '../../src/raft/storage.js';
import { LogHub } from '../../src/runtime/log.js';
import type { HttpServerFactory } from '../../src/runtime/http.js';
import { MemDisk, fakeHost } from '../helpers/fakes.js';
import { buildRuntimeConfig } from '../../src/config/builder.js';
import { defaultConfig } from '../../src/config/defaults.js';
import { mergeRaw } from '../../src/config/merge.js';
import type { SimNetwork } from './network.js';
import type { Rng } from '../../src/runtime/rng.js';
import type { Scheduler } from './scheduler.js';
import type { SimTimers } from './timers.js';

function runtimeConfig(user: Raw): RuntimeConfig {
  const r = buildRuntimeConfig(mergeRaw(mergeRaw(defaultConfig(), { data_dir: '/d' }), user), {
    host: fakeHost(),
    devMode: false,
    sourceFiles: [],
  });
  if (!r.ok) throw new Error(r.error);
  return r.config;
}

const noHttp: HttpServerFactory = {
  listen: async (at) => ({ local: at, close: async () => {} }),
};

/** One simulated machine: its disk and Raft storage survive restarts of the agent on it. */
export class SimMachine {
  readonly disk = new MemDisk();
  private readonly raft = new MemRaftStorage();
  agent: Agent | null = null;
  private timers: SimTimers | null = null;
  private boots = 0;

  constructor(
    private readonly sched: Scheduler,
    private readonly net: SimNetwork,
    private readonly rng: Rng,
    readonly name: string,
    readonly ip: string,
    private readonly raw: Raw,
  ) {}

  get config(): RuntimeConfig {
    return runtimeConfig({
      node_name: this.name,
      bind_addr: this.ip,
      advertise_addr: this.ip,
      client_addr: this.ip,
      ports: { dns: -1, http: 8500 },
      disable_host_node_id: true,
      log_level: 'error',
      ...this.raw,
    });
  }

  async start(): Promise<void> {
    const cfg = this.config;
    const clock = this.sched.clock();
    this.timers = this.sched.timers(`${this.name}#${this.boots}`);
    const host = this.net.host(this.ip);
    const rng = this.rng.fork(`${this.name}#${this.boots++}`);
    const a = new Agent(cfg, [], {
      clock,
      timers: this.timers,
      rng,
      disk: this.disk,
      host: fakeHost([['eth0', this.ip]]),
      hub: new LogHub(clock, 'error'),
      httpServers: noHttp,
      httpHandler: () => () => {},
      isAlive: () => false,
      out: () => {},
      reloadConfig: async () => ({ ok: true, config: cfg, warnings: [] }) as never,
      streams: host,
      packets: host,
      httpClient: { request: async () => Promise.reject(new Error('no http in the simulation')) } as never,
      raftStorage: () => this.raft,
    });
    const err = await a.start();
    if (err) throw err;
    this.agent = a;
  }

  /** kill -9: every timer and socket of the process goes at once; the disk keeps what it had. */
  crash(): void {
    this.timers?.cancelAll();
    this.net.host(this.ip).crash();
    this.agent = null;
  }

  /** `consul leave`, then the process ends. */
  async leave(): Promise<void> {
    const a = this.agent;
    this.agent = null;
    await a?.leave();
    await a?.shutdown(0);
    this.timers?.cancelAll();
  }
}
