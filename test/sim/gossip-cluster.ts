// N Serf agents on a SimNetwork, each with its own clock, timers, rng and GossipDriver: the
// simulated counterpart of the agents' LAN pools.

import { Scheduler } from './scheduler.js';
import { SimNetwork, type LinkFaults } from './network.js';
import { simRng } from './rng.js';
import { LogHub } from '../../src/runtime/log.js';
import { GossipDriver } from '../../src/gossip/driver.js';
import {
  Serf,
  SERF_DEFAULTS,
  STATUS_NAMES,
  type SerfConfig,
  type SerfEvent,
} from '../../src/gossip/serf/serf.js';
import { LAN_PROFILE, memberlistConfig, type MemberlistConfig } from '../../src/gossip/memberlist/config.js';
import type { SimTimers } from './timers.js';
import type { Timers } from '../../src/runtime/timers.js';
import type { PacketTransport, StreamConn, StreamTransport } from '../../src/runtime/transport.js';

/**
 * A node's event loop that can be frozen: while stalled, timer callbacks and arriving datagrams wait;
 * on resume the due timers run first, then the queued packets, as Node's loop would order them.
 */
class Stall {
  stalled = false;
  private timers: Array<() => void> = [];
  private packets: Array<() => void> = [];

  wrapTimers(t: SimTimers): Timers {
    return {
      after: (ms, fn) => t.after(ms, () => (this.stalled ? this.timers.push(fn) : fn())),
      every: (ms, fn) => t.every(ms, () => (this.stalled ? this.timers.push(fn) : fn())),
    };
  }

  wrapPackets(p: PacketTransport): PacketTransport {
    return {
      bind: async (addr) => {
        const sock = await p.bind(addr);
        return {
          local: sock.local,
          send: (to, data) => sock.send(to, data),
          close: () => sock.close(),
          onPacket: (fn) =>
            sock.onPacket((from, data) =>
              this.stalled ? this.packets.push(() => fn(from, data)) : fn(from, data),
            ),
        };
      },
    };
  }

  wrapStreams(st: StreamTransport): StreamTransport {
    const wrap = (c: StreamConn): StreamConn => ({
      local: c.local,
      remote: c.remote,
      write: (d) => c.write(d),
      end: () => c.end(),
      destroy: (e) => c.destroy(e),
      onData: (fn) => c.onData((chunk) => (this.stalled ? this.packets.push(() => fn(chunk)) : fn(chunk))),
      onClose: (fn) => c.onClose((e) => (this.stalled ? this.packets.push(() => fn(e)) : fn(e))),
    });
    return {
      listen: (addr, onConn) => st.listen(addr, (c) => onConn(wrap(c))),
      connect: async (to, ms) => wrap(await st.connect(to, ms)),
    };
  }

  resume(): void {
    this.stalled = false;
    const t = this.timers;
    const p = this.packets;
    this.timers = [];
    this.packets = [];
    for (const fn of t) fn();
    for (const fn of p) fn();
  }
}

export interface SimGossipNode {
  name: string;
  ip: string;
  serf: Serf;
  driver: GossipDriver;
  timers: SimTimers;
  events: SerfEvent[];
  up: boolean;
  stall: Stall;
}

export class GossipCluster {
  readonly sched = new Scheduler();
  readonly root;
  readonly net: SimNetwork;
  readonly nodes: SimGossipNode[] = [];
  readonly log: LogHub;

  constructor(
    seed: number,
    faults: Partial<LinkFaults> = { delayMs: 1, jitterMs: 2 },
    /** LZW on every datagram costs real CPU; large simulations turn it off (the wire tests cover it). */
    private readonly compression = true,
    /** Which Serf events the nodes keep in `events` (large pools keep only what the test reads). */
    private readonly record: (e: SerfEvent) => boolean = () => true,
  ) {
    this.root = simRng(seed);
    this.net = new SimNetwork(this.sched, this.root.fork('net'), faults);
    this.log = new LogHub(this.sched.clock(), 'error');
  }

  ipOf(i: number): string {
    return `10.0.${Math.floor(i / 250)}.${(i % 250) + 1}`;
  }

  async add(
    name: string,
    tags: Record<string, string> = {},
    opts: { keys?: Uint8Array[]; serf?: Partial<SerfConfig>; memberlist?: Partial<MemberlistConfig> } = {},
  ): Promise<SimGossipNode> {
    const ip = this.ipOf(this.nodes.length);
    const clock = this.sched.clock();
    const timers = this.sched.timers(name);
    const events: SerfEvent[] = [];
    const serf = new Serf(
      {
        ...SERF_DEFAULTS,
        nodeName: name,
        tags: new Map(Object.entries(tags)),
        ...opts.serf,
        memberlist: memberlistConfig(LAN_PROFILE, {
          name,
          advertiseAddr: ip,
          advertisePort: 8301,
          enableCompression: this.compression,
          keys: opts.keys ?? [],
          ...opts.memberlist,
        }),
      },
      this.root.fork(`node:${name}`),
      this.log.logger(name),
      clock.monotonicMs(),
      (e) => {
        if (this.record(e)) events.push(e);
      },
    );
    const host = this.net.host(ip);
    const stall = new Stall();
    const driver = new GossipDriver(
      serf,
      {
        packets: stall.wrapPackets(host),
        streams: stall.wrapStreams(host),
        clock,
        timers: stall.wrapTimers(timers),
        log: this.log.logger(name),
      },
      () => ({
        keys: serf.keys(),
        label: serf.config.memberlist.label,
        verifyIncoming: true,
      }),
    );
    serf.start();
    await this.sched.settle(driver.start({ ip, port: 8301 }), 1000);
    const n = { name, ip, serf, driver, timers, events, up: true, stall };
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

  /** Freezes a node's event loop for `ms` of virtual time (a GC pause, a blocked CPU). */
  stallFor(n: SimGossipNode, ms: number): void {
    n.stall.stalled = true;
    this.sched.after(ms, () => n.stall.resume(), `${n.name}:resume`);
  }

  /** kill -9: sockets gone, timers gone, no goodbye. */
  kill(n: SimGossipNode): void {
    n.timers.cancelAll();
    this.net.host(n.ip).crash();
    n.up = false;
  }

  /** How many members node `n` knows with the given status (1 alive, 4 failed, …). */
  count(n: SimGossipNode, status: number): number {
    let k = 0;
    for (const m of n.serf.allMembers()) if (m.status === status) k++;
    return k;
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
