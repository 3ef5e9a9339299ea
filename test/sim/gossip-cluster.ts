// N Serf agents on a SimNetwork, each with its own clock, timers, rng and GossipDriver: the
// simulated counterpart of the agents' LAN pools.

import { Scheduler } from './scheduler.js';
import { SimNetwork, type LinkFaults } from './network.js';
import { simRng } from './rng.js';
import { LogHub } from '../../src/runtime/log.js';
import { GossipDriver } from '../../src/gossip/driver.js';
import { Serf, SERF_DEFAULTS, STATUS_NAMES, type SerfEvent } from '../../src/gossip/serf/serf.js';
import { LAN_PROFILE, memberlistConfig } from '../../src/gossip/memberlist/config.js';
import type { SimTimers } from './timers.js';

export interface SimGossipNode {
  name: string;
  ip: string;
  serf: Serf;
  driver: GossipDriver;
  timers: SimTimers;
  events: SerfEvent[];
  up: boolean;
}

export class GossipCluster {
  readonly sched = new Scheduler();
  readonly root;
  readonly net: SimNetwork;
  readonly nodes: SimGossipNode[] = [];
  readonly log: LogHub;

  constructor(seed: number, faults: Partial<LinkFaults> = { delayMs: 1, jitterMs: 2 }) {
    this.root = simRng(seed);
    this.net = new SimNetwork(this.sched, this.root.fork('net'), faults);
    this.log = new LogHub(this.sched.clock(), 'error');
  }

  ipOf(i: number): string {
    return `10.0.${Math.floor(i / 250)}.${(i % 250) + 1}`;
  }

  async add(name: string, tags: Record<string, string> = {}): Promise<SimGossipNode> {
    const ip = this.ipOf(this.nodes.length);
    const clock = this.sched.clock();
    const timers = this.sched.timers(name);
    const events: SerfEvent[] = [];
    const serf = new Serf(
      {
        ...SERF_DEFAULTS,
        nodeName: name,
        tags: new Map(Object.entries(tags)),
        memberlist: memberlistConfig(LAN_PROFILE, { name, advertiseAddr: ip, advertisePort: 8301 }),
      },
      this.root.fork(`node:${name}`),
      this.log.logger(name),
      clock.monotonicMs(),
      (e) => events.push(e),
    );
    const host = this.net.host(ip);
    const driver = new GossipDriver(
      serf,
      { packets: host, streams: host, clock, timers, log: this.log.logger(name) },
      () => ({
        keys: serf.keys(),
        label: '',
        verifyIncoming: true,
      }),
    );
    serf.start();
    await this.sched.settle(driver.start({ ip, port: 8301 }), 1000);
    const n = { name, ip, serf, driver, timers, events, up: true };
    this.nodes.push(n);
    return n;
  }

  async join(n: SimGossipNode, to: SimGossipNode): Promise<{ n: number; err: string | null }> {
    const p = new Promise<{ n: number; err: string | null }>((resolve) =>
      n.driver.run(() => n.serf.join([{ ip: to.ip, port: 8301 }], false, (k, err) => resolve({ n: k, err }))),
    );
    return this.sched.settle(p, 20_000);
  }

  async leave(n: SimGossipNode): Promise<string | null> {
    const p = new Promise<string | null>((resolve) => n.driver.run(() => n.serf.leave(resolve)));
    const err = await this.sched.settle(p, 20_000);
    n.driver.run(() => n.serf.shutdown());
    await n.driver.close();
    n.up = false;
    return err;
  }

  /** kill -9: sockets gone, timers gone, no goodbye. */
  kill(n: SimGossipNode): void {
    n.timers.cancelAll();
    this.net.host(n.ip).crash();
    n.up = false;
  }

  /** name → status as node `n` sees the cluster. */
  view(n: SimGossipNode): Record<string, string> {
    const out: Record<string, string> = {};
    for (const m of n.serf.allMembers()) out[m.name] = STATUS_NAMES[m.status];
    return out;
  }

  async runFor(ms: number): Promise<void> {
    await this.sched.runForAsync(ms);
  }

  /** Advances until `pred` holds (checked every `stepMs`) or `maxMs` passes; returns the time taken. */
  async until(pred: () => boolean, maxMs: number, stepMs = 50): Promise<number | null> {
    const start = this.sched.now();
    while (this.sched.now() - start < maxMs) {
      if (pred()) return this.sched.now() - start;
      await this.sched.runForAsync(stepMs);
    }
    return pred() ? this.sched.now() - start : null;
  }
}
