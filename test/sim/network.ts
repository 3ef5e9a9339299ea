// A simulated network on the scheduler. Datagrams (PacketTransport) get per-link seeded delay, jitter,
// loss, duplication and reordering; streams (StreamTransport) are reliable and ordered like TCP, with the
// link's delay and jitter. Partitions — symmetric, one-way, or isolating a node — block packets and
// connection attempts, and reset a stream that tries to carry data across them; heal() restores all.
// Every simulated machine gets a view, `net.host(ip)`, that implements both ports from its own address;
// `host.crash()` closes all its sockets at once, as a killed process's kernel would.

import type { Rng } from '../../src/runtime/rng.js';
import type {
  Addr,
  PacketSocket,
  PacketTransport,
  StreamConn,
  StreamListener,
  StreamTransport,
} from '../../src/runtime/transport.js';
import type { Scheduler } from './scheduler.js';

export interface LinkFaults {
  /** Base one-way delay in ms. */
  delayMs: number;
  /** Extra uniformly random delay in [0, jitterMs) (reorders datagrams; streams stay ordered). */
  jitterMs: number;
  /** Probability a datagram is dropped. */
  loss: number;
  /** Probability a datagram is delivered twice. */
  duplicate: number;
  /** Probability a datagram is held back an extra reorderMs, so later ones overtake it. */
  reorder: number;
  reorderMs: number;
}

export const PERFECT_LINK: Readonly<LinkFaults> = {
  delayMs: 1,
  jitterMs: 0,
  loss: 0,
  duplicate: 0,
  reorder: 0,
  reorderMs: 0,
};

/** One thing the network did, for traces and determinism checks. */
export interface NetEvent {
  at: number;
  kind: 'send' | 'drop' | 'deliver' | 'duplicate' | 'connect' | 'accept' | 'refuse' | 'timeout' | 'reset';
  proto: 'udp' | 'tcp';
  from: string;
  to: string;
  bytes: number;
}

/** Largest UDP payload over IPv4; larger datagrams are dropped (the real send fails with EMSGSIZE). */
export const MAX_DATAGRAM_BYTES = 65_507;
const FIRST_EPHEMERAL_PORT = 49_152;

const key = (a: Addr) => `${a.ip}:${a.port}`;

/** An error shaped like Node's net errors. */
function netError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

export class SimNetwork implements PacketTransport {
  /** Default faults of every link without its own (setLink). */
  faults: LinkFaults = { ...PERFECT_LINK };
  readonly stats = {
    sent: 0,
    delivered: 0,
    dropped: 0,
    duplicated: 0,
    reordered: 0,
    connects: 0,
    refused: 0,
    timeouts: 0,
    resets: 0,
  };
  private readonly links = new Map<string, LinkFaults>();
  private readonly linkRngs = new Map<string, Rng>();
  /** Blocked directions "fromIp>toIp". */
  private readonly blockedDirs = new Set<string>();
  private readonly isolated = new Set<string>();
  private readonly sockets = new Map<string, (from: Addr, data: Uint8Array) => void>();
  private readonly listeners = new Map<string, (c: StreamConn) => void>();
  private readonly hosts = new Map<string, SimHost>();
  private readonly traceHooks: Array<(e: NetEvent) => void> = [];
  private nextPort = FIRST_EPHEMERAL_PORT;

  constructor(
    readonly sched: Scheduler,
    private readonly rng: Rng,
    faults: Partial<LinkFaults> = {},
  ) {
    this.faults = { ...PERFECT_LINK, ...faults };
  }

  // --- topology and faults ---

  /** The view of one machine: both transport ports, bound to its address. */
  host(ip: string): SimHost {
    let h = this.hosts.get(ip);
    if (!h) this.hosts.set(ip, (h = new SimHost(this, ip)));
    return h;
  }

  /** Gives the link fromIp→toIp (and back, unless oneWay) its own faults on top of the defaults. */
  setLink(fromIp: string, toIp: string, faults: Partial<LinkFaults>, oneWay = false): void {
    this.links.set(`${fromIp}>${toIp}`, { ...this.faults, ...faults });
    if (!oneWay) this.links.set(`${toIp}>${fromIp}`, { ...this.faults, ...faults });
  }

  /** Faults in effect on fromIp→toIp. */
  link(fromIp: string, toIp: string): LinkFaults {
    return this.links.get(`${fromIp}>${toIp}`) ?? this.faults;
  }

  /** Cuts traffic between two groups of IPs in both directions (or only a→b when oneWay). */
  partition(a: readonly string[], b: readonly string[], oneWay = false): void {
    for (const x of a)
      for (const y of b) {
        this.blockedDirs.add(`${x}>${y}`);
        if (!oneWay) this.blockedDirs.add(`${y}>${x}`);
      }
  }

  /** Cuts one IP off from everyone (or, given `others`, from those). */
  isolate(ip: string, others?: readonly string[]): void {
    if (others === undefined) this.isolated.add(ip);
    else
      this.partition(
        [ip],
        others.filter((o) => o !== ip),
      );
  }

  /** Removes every partition and isolation (link faults stay). */
  heal(): void {
    this.blockedDirs.clear();
    this.isolated.clear();
  }

  /** True when fromIp cannot reach toIp right now. */
  blocked(fromIp: string, toIp: string): boolean {
    if (fromIp === toIp) return false;
    return this.isolated.has(fromIp) || this.isolated.has(toIp) || this.blockedDirs.has(`${fromIp}>${toIp}`);
  }

  /** Observes every network event. Returns an unsubscribe. */
  onTrace(fn: (e: NetEvent) => void): () => void {
    this.traceHooks.push(fn);
    return () => void this.traceHooks.splice(this.traceHooks.indexOf(fn), 1);
  }

  // --- the PacketTransport port, from any address (older callers; prefer host(ip)) ---

  bind(addr: Addr): Promise<PacketSocket> {
    return this.host(addr.ip).bind(addr);
  }

  // --- internals shared with hosts and connections ---

  /** @internal */
  trace(kind: NetEvent['kind'], proto: NetEvent['proto'], from: Addr, to: Addr, bytes: number): void {
    if (this.traceHooks.length === 0) return;
    const e: NetEvent = { at: this.sched.now(), kind, proto, from: key(from), to: key(to), bytes };
    for (const h of this.traceHooks) h(e);
  }

  /** @internal Seeded per link, so traffic on one link does not shift another's randomness. */
  linkRng(fromIp: string, toIp: string): Rng {
    const k = `${fromIp}>${toIp}`;
    let r = this.linkRngs.get(k);
    if (!r) this.linkRngs.set(k, (r = this.rng.fork(`link:${k}`)));
    return r;
  }

  /** @internal One-way delay of a stream segment or handshake packet on fromIp→toIp. */
  streamDelay(fromIp: string, toIp: string): number {
    const f = this.link(fromIp, toIp);
    return f.delayMs + (f.jitterMs > 0 ? this.linkRng(fromIp, toIp).float() * f.jitterMs : 0);
  }

  /** @internal */
  allocPort(ip: string, used: (k: string) => boolean): number {
    for (let i = 0; i < 16_384; i++) {
      const port = this.nextPort;
      this.nextPort = this.nextPort >= 65_535 ? FIRST_EPHEMERAL_PORT : this.nextPort + 1;
      if (!used(`${ip}:${port}`)) return port;
    }
    throw netError('EADDRINUSE', `no free ephemeral port on ${ip}`);
  }

  /** @internal */
  registerSocket(k: string, fn: ((from: Addr, data: Uint8Array) => void) | null): boolean {
    if (fn === null) return this.sockets.delete(k);
    if (this.sockets.has(k)) return false;
    this.sockets.set(k, fn);
    return true;
  }

  /** @internal */
  registerListener(k: string, fn: ((c: StreamConn) => void) | null): boolean {
    if (fn === null) return this.listeners.delete(k);
    if (this.listeners.has(k)) return false;
    this.listeners.set(k, fn);
    return true;
  }

  /** @internal */
  hasSocket(k: string): boolean {
    return this.sockets.has(k);
  }

  /** @internal */
  hasListener(k: string): boolean {
    return this.listeners.has(k);
  }

  /** @internal A listener at `to`, exact address first, then a wildcard bind on its port. */
  listenerFor(to: Addr): ((c: StreamConn) => void) | undefined {
    return this.listeners.get(key(to)) ?? this.listeners.get(`0.0.0.0:${to.port}`);
  }

  /** @internal Sends one datagram with the link's faults. */
  sendPacket(from: Addr, to: Addr, data: Uint8Array): void {
    this.stats.sent++;
    this.trace('send', 'udp', from, to, data.length);
    const f = this.link(from.ip, to.ip);
    const rng = this.linkRng(from.ip, to.ip);
    // Every packet draws the same six numbers whatever its fate, so changing one fault setting (or a
    // partition dropping a packet) does not shift the fates of the packets after it.
    const lossDraw = rng.float();
    const dupDraw = rng.float();
    const fates = [0, 1].map(() => {
      const jitter = rng.float() * f.jitterMs;
      const held = rng.float() < f.reorder;
      return { delay: f.delayMs + jitter + (held ? f.reorderMs : 0), held };
    });
    if (this.blocked(from.ip, to.ip) || lossDraw < f.loss || data.length > MAX_DATAGRAM_BYTES) {
      this.stats.dropped++;
      this.trace('drop', 'udp', from, to, data.length);
      return;
    }
    const copies = dupDraw < f.duplicate ? 2 : 1;
    if (copies === 2) {
      this.stats.duplicated++;
      this.trace('duplicate', 'udp', from, to, data.length);
    }
    const payload = data.slice();
    for (let i = 0; i < copies; i++) {
      const { delay, held } = fates[i]!;
      if (held) this.stats.reordered++;
      this.sched.after(
        delay,
        () => {
          // A partition made while the packet was in flight also stops it.
          const h = this.sockets.get(key(to)) ?? this.sockets.get(`0.0.0.0:${to.port}`);
          if (!h || this.blocked(from.ip, to.ip)) {
            this.stats.dropped++;
            this.trace('drop', 'udp', from, to, payload.length);
            return;
          }
          this.stats.delivered++;
          this.trace('deliver', 'udp', from, to, payload.length);
          h(from, i === 0 ? payload : payload.slice());
        },
        'net:udp',
      );
    }
  }
}

/** One simulated machine's network ports. */
export class SimHost implements PacketTransport, StreamTransport {
  private readonly closers = new Set<() => void>();

  constructor(
    private readonly net: SimNetwork,
    readonly ip: string,
  ) {}

  private local(addr: Addr, used: (k: string) => boolean): Addr {
    if (addr.ip !== this.ip && addr.ip !== '0.0.0.0')
      throw netError('EADDRNOTAVAIL', `bind EADDRNOTAVAIL ${key(addr)} (host is ${this.ip})`);
    return { ip: addr.ip, port: addr.port === 0 ? this.net.allocPort(addr.ip, used) : addr.port };
  }

  async bind(addr: Addr): Promise<PacketSocket> {
    const local = this.local(addr, (k) => this.net.hasSocket(k));
    const k = key(local);
    let handler: (from: Addr, data: Uint8Array) => void = () => {};
    if (!this.net.registerSocket(k, (from, data) => handler(from, data)))
      throw netError('EADDRINUSE', `bind EADDRINUSE ${k}`);
    // Replies come from the host's address even when bound to the wildcard.
    const source = { ip: this.ip, port: local.port };
    let open = true;
    const close = () => {
      if (open) this.net.registerSocket(k, null);
      open = false;
      this.closers.delete(close);
    };
    this.closers.add(close);
    return {
      local,
      send: (to, data) => void (open && this.net.sendPacket(source, to, data)),
      onPacket: (fn) => void (handler = fn),
      close: async () => close(),
    };
  }

  async listen(addr: Addr, onConn: (c: StreamConn) => void): Promise<StreamListener> {
    const local = this.local(addr, (k) => this.net.hasListener(k));
    const k = key(local);
    const accepted = new Set<ConnEnd>();
    const accept = (c: StreamConn) => {
      const end = c as ConnEnd;
      accepted.add(end);
      end.onClose(() => accepted.delete(end));
      onConn(c);
    };
    if (!this.net.registerListener(k, accept)) throw netError('EADDRINUSE', `listen EADDRINUSE ${k}`);
    let open = true;
    const close = () => {
      if (open) this.net.registerListener(k, null);
      open = false;
      this.closers.delete(close);
      for (const c of [...accepted]) c.destroy();
    };
    this.closers.add(close);
    return { local, close: async () => close() };
  }

  connect(to: Addr, timeoutMs: number): Promise<StreamConn> {
    const net = this.net;
    const sched = net.sched;
    const from: Addr = { ip: this.ip, port: net.allocPort(this.ip, () => false) };
    net.stats.connects++;
    net.trace('connect', 'tcp', from, to, 0);
    return new Promise((resolve, reject) => {
      let settled = false;
      let serverEnd: ConnEnd | null = null;
      const fail = (e: Error) => {
        if (settled) return;
        settled = true;
        sched.cancel(timer);
        serverEnd?.destroy();
        reject(e);
      };
      const timer = sched.after(
        timeoutMs,
        () => {
          net.stats.timeouts++;
          net.trace('timeout', 'tcp', from, to, 0);
          fail(netError('ETIMEDOUT', `dial tcp ${key(to)}: i/o timeout`));
        },
        'net:tcp',
      );
      // A handshake needs both directions; a blocked one loses the SYN or SYN-ACK, so the dial times out.
      sched.after(
        net.streamDelay(from.ip, to.ip),
        () => {
          if (settled || net.blocked(from.ip, to.ip) || net.blocked(to.ip, from.ip)) return;
          const accept = net.listenerFor(to);
          if (!accept) {
            sched.after(
              net.streamDelay(to.ip, from.ip),
              () => {
                if (settled) return;
                net.stats.refused++;
                net.trace('refuse', 'tcp', from, to, 0);
                fail(netError('ECONNREFUSED', `connect ECONNREFUSED ${key(to)}`));
              },
              'net:tcp',
            );
            return;
          }
          const client = new ConnEnd(net, from, to);
          const server = new ConnEnd(net, to, from);
          client.peer = server;
          server.peer = client;
          serverEnd = server;
          net.trace('accept', 'tcp', from, to, 0);
          accept(server);
          sched.after(
            net.streamDelay(to.ip, from.ip),
            () => {
              if (settled) return;
              settled = true;
              sched.cancel(timer);
              this.track(client);
              resolve(client);
            },
            'net:tcp',
          );
        },
        'net:tcp',
      );
    });
  }

  /** Dialled connections close with the host; accepted ones close with their listener. */
  private track(c: ConnEnd): void {
    const close = () => c.destroy();
    this.closers.add(close);
    c.onClose(() => this.closers.delete(close));
  }

  /** Process death: every socket, listener and connection of this host closes at once. */
  crash(): void {
    for (const close of [...this.closers]) close();
  }
}

/** One end of a simulated TCP connection. */
class ConnEnd implements StreamConn {
  peer!: ConnEnd;
  /** No more reads or writes at this end. */
  private closed = false;
  /** No more writes (end() or destroy() was called). */
  private ended = false;
  /** The close handlers have run. */
  private fired = false;
  private closeErr: Error | undefined;
  private readonly dataFns: Array<(chunk: Uint8Array) => void> = [];
  private readonly closeFns: Array<(err?: Error) => void> = [];
  private readonly pending: Uint8Array[] = [];
  /** Arrival time of the last segment sent from this end, to keep the byte stream ordered. */
  private lastArrival = 0;

  constructor(
    private readonly net: SimNetwork,
    readonly local: Addr,
    readonly remote: Addr,
  ) {}

  write(data: Uint8Array): boolean {
    if (this.ended) return false;
    const chunk = data.slice();
    this.toPeer(() => {
      if (this.peer.fired) return;
      if (
        this.net.blocked(this.local.ip, this.remote.ip) ||
        this.net.blocked(this.remote.ip, this.local.ip)
      ) {
        // Data across a partition (either way: TCP needs the acks back): the connection dies rather than
        // stalling, as TCP gives up after its retries (compressed in time).
        this.net.stats.resets++;
        this.net.trace('reset', 'tcp', this.local, this.remote, chunk.length);
        this.peer.finish(netError('ECONNRESET', 'read ECONNRESET'));
        this.finish(netError('ECONNRESET', 'write ECONNRESET'));
        return;
      }
      this.net.trace('deliver', 'tcp', this.local, this.remote, chunk.length);
      this.peer.receive(chunk);
    });
    return true;
  }

  onData(fn: (chunk: Uint8Array) => void): void {
    this.dataFns.push(fn);
    // Bytes that arrived before anyone listened are handed to the first listener.
    if (this.dataFns.length === 1) for (const c of this.pending.splice(0)) fn(c);
  }

  onClose(fn: (err?: Error) => void): void {
    if (this.fired) this.net.sched.after(0, () => fn(this.closeErr), 'net:tcp');
    else this.closeFns.push(fn);
  }

  /** Graceful close: the peer closes after the data already written arrives; then this end closes. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.toPeer(() => {
      this.peer.finish();
      this.peer.toPeer(() => this.finish());
    });
  }

  /** Abrupt close: this end closes now; data already on the wire still arrives, then the peer closes. */
  destroy(err?: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.ended = true;
    this.closeErr = err;
    this.toPeer(() => this.peer.finish());
    this.net.sched.after(0, () => this.finish(err), 'net:tcp');
  }

  private toPeer(fn: () => void): void {
    const at = Math.max(
      this.net.sched.now() + this.net.streamDelay(this.local.ip, this.remote.ip),
      this.lastArrival,
    );
    this.lastArrival = at;
    this.net.sched.schedule(at, fn, 'net:tcp');
  }

  private receive(chunk: Uint8Array): void {
    if (this.closed) return;
    if (this.dataFns.length === 0) this.pending.push(chunk);
    // A copy, as Node's emit: a listener added by another listener sees only later chunks.
    else for (const fn of [...this.dataFns]) fn(chunk);
  }

  private finish(err?: Error): void {
    if (this.fired) return;
    this.fired = true;
    this.closed = true;
    this.ended = true;
    this.closeErr ??= err;
    for (const fn of this.closeFns.splice(0)) fn(this.closeErr);
  }
}
