import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRng } from '../../src/lib/prng.js';
import type { StreamConn } from '../../src/runtime/transport.js';
import { SimNetwork, type NetEvent } from './network.js';
import { Scheduler } from './scheduler.js';

const A = '10.0.0.1';
const B = '10.0.0.2';
const C = '10.0.0.3';

function world(seed = 11) {
  const sched = new Scheduler();
  const net = new SimNetwork(sched, new SeededRng(seed).fork('net'));
  return { sched, net };
}

async function udpPair(net: SimNetwork) {
  const a = await net.host(A).bind({ ip: A, port: 8301 });
  const b = await net.host(B).bind({ ip: B, port: 8301 });
  const got: number[] = [];
  b.onPacket((_from, d) => got.push(d[0]! | (d[1]! << 8)));
  const send = (i: number) => a.send(b.local, new Uint8Array([i & 255, i >> 8]));
  return { a, b, got, send };
}

test('loss close to the configured rate over many packets (fixed seed)', async () => {
  const { sched, net } = world();
  net.faults = { ...net.faults, delayMs: 2, jitterMs: 5, loss: 0.1 };
  const { got, send } = await udpPair(net);
  for (let i = 0; i < 10_000; i++) send(i);
  sched.runUntilIdle();
  // 10,000 trials at p=0.1: sd = 30; ±5 sd.
  assert.ok(got.length > 8_850 && got.length < 9_150, `delivered ${got.length}`);
  assert.equal(net.stats.dropped + net.stats.delivered, net.stats.sent);
});

test('duplication and reordering happen at their rates; jitter reorders too', async () => {
  const { sched, net } = world();
  net.faults = { ...net.faults, delayMs: 5, duplicate: 0.2, reorder: 0.1, reorderMs: 50 };
  const { got, send } = await udpPair(net);
  for (let i = 0; i < 5_000; i++) sched.schedule(i, () => send(i));
  sched.runUntilIdle();
  const dups = got.length - new Set(got).size;
  assert.ok(dups > 850 && dups < 1_150, `duplicates ${dups}`);
  let inversions = 0;
  for (let i = 1; i < got.length; i++) if (got[i]! < got[i - 1]!) inversions++;
  assert.ok(inversions > 300, `inversions ${inversions}`);
  assert.equal(new Set(got).size, 5_000, 'no loss configured');
});

test('per-link faults apply to their link only, in the given direction', async () => {
  const { sched, net } = world();
  net.setLink(A, B, { loss: 1 }, true);
  const a = await net.host(A).bind({ ip: A, port: 1 });
  const b = await net.host(B).bind({ ip: B, port: 1 });
  const c = await net.host(C).bind({ ip: C, port: 1 });
  const seen: string[] = [];
  for (const s of [a, b, c]) s.onPacket((from) => seen.push(`${from.ip}>${s.local.ip}`));
  a.send(b.local, new Uint8Array(1));
  b.send(a.local, new Uint8Array(1));
  a.send(c.local, new Uint8Array(1));
  sched.runUntilIdle();
  assert.deepEqual(seen.sort(), [`${A}>${C}`, `${B}>${A}`]);
  assert.equal(net.link(A, B).loss, 1);
  assert.equal(net.link(B, A).loss, 0);
});

test('partitions block (symmetric, one-way, isolate) and heal restores', async () => {
  const { sched, net } = world();
  const socks = await Promise.all([A, B, C].map((ip) => net.host(ip).bind({ ip, port: 7 })));
  const seen = new Set<string>();
  for (const s of socks) s.onPacket((from) => seen.add(`${from.ip}>${s.local.ip}`));
  const all = () => {
    seen.clear();
    for (const x of socks) for (const y of socks) if (x !== y) x.send(y.local, new Uint8Array(1));
    sched.runUntilIdle();
    return [...seen].sort();
  };
  assert.equal(all().length, 6);
  net.partition([A], [B, C]);
  assert.deepEqual(all(), [`${B}>${C}`, `${C}>${B}`]);
  net.heal();
  net.partition([A], [B], true);
  assert.equal(all().length, 5);
  assert.ok(!seen.has(`${A}>${B}`) && seen.has(`${B}>${A}`));
  net.heal();
  net.isolate(C);
  assert.deepEqual(all(), [`${A}>${B}`, `${B}>${A}`]);
  net.heal();
  assert.equal(all().length, 6);
});

test('a partition made while a packet is in flight stops it', async () => {
  const { sched, net } = world();
  net.faults = { ...net.faults, delayMs: 10 };
  const { got, send } = await udpPair(net);
  send(1);
  sched.runFor(5);
  net.partition([A], [B]);
  sched.runUntilIdle();
  assert.deepEqual(got, []);
});

test('binding: ephemeral ports, address in use, wildcard, oversize datagrams', async () => {
  const { sched, net } = world();
  const h = net.host(A);
  const e1 = await h.bind({ ip: A, port: 0 });
  const e2 = await h.bind({ ip: A, port: 0 });
  assert.notEqual(e1.local.port, e2.local.port);
  await assert.rejects(h.bind({ ip: A, port: e1.local.port }), { code: 'EADDRINUSE' });
  await assert.rejects(h.bind({ ip: B, port: 1 }), { code: 'EADDRNOTAVAIL' });
  const any = await net.host(B).bind({ ip: '0.0.0.0', port: 53 });
  let from = '';
  any.onPacket((f) => (from = `${f.ip}:${f.port}`));
  e1.send({ ip: B, port: 53 }, new Uint8Array(65_508));
  e1.send({ ip: B, port: 53 }, new Uint8Array(10));
  sched.runUntilIdle();
  assert.equal(from, `${A}:${e1.local.port}`);
  assert.equal(net.stats.dropped, 1);
  await e1.close();
  const again = await h.bind({ ip: A, port: e1.local.port });
  assert.equal(again.local.port, e1.local.port);
});

/** Collects what a connection receives and how it closed. */
function sink(c: StreamConn) {
  const s = { data: '', closed: false, err: undefined as Error | undefined };
  c.onData((d) => (s.data += new TextDecoder().decode(d)));
  c.onClose((e) => {
    s.closed = true;
    s.err = e;
  });
  return s;
}

test('streams: ordered reliable bytes despite jitter; end closes both sides after the data', async () => {
  const { sched, net } = world();
  net.faults = { ...net.faults, delayMs: 3, jitterMs: 20, loss: 0.5 };
  let server: ReturnType<typeof sink> | null = null;
  let serverConn: StreamConn | null = null;
  await net.host(B).listen({ ip: B, port: 8300 }, (c) => {
    serverConn = c;
    server = sink(c);
    c.onData((d) => c.write(d)); // echo
  });
  const conn = await sched.settle(net.host(A).connect({ ip: B, port: 8300 }, 1_000));
  assert.equal(conn.remote.port, 8300);
  assert.equal(conn.local.ip, A);
  const client = sink(conn);
  const msg = Array.from({ length: 200 }, (_, i) => `m${i};`);
  for (const m of msg) conn.write(new TextEncoder().encode(m));
  await sched.runUntilIdleAsync();
  assert.equal(server!.data, msg.join(''));
  assert.equal(client.data, msg.join(''));
  assert.equal(serverConn!.remote.ip, A);
  conn.end();
  assert.equal(conn.write(new Uint8Array(1)), false);
  await sched.runUntilIdleAsync();
  assert.equal(server!.closed, true);
  assert.equal(client.closed, true);
  assert.equal(client.err, undefined);
});

test('connect: refused without a listener, times out across a partition, works after heal', async () => {
  const { sched, net } = world();
  const h = net.host(A);
  await assert.rejects(sched.settle(h.connect({ ip: B, port: 8300 }, 1_000)), {
    code: 'ECONNREFUSED',
    message: `connect ECONNREFUSED ${B}:8300`,
  });
  await net.host(B).listen({ ip: B, port: 8300 }, () => {});
  net.partition([B], [A], true); // one way is enough to break a handshake
  const t0 = sched.now();
  await assert.rejects(sched.settle(h.connect({ ip: B, port: 8300 }, 1_000)), {
    code: 'ETIMEDOUT',
    message: `dial tcp ${B}:8300: i/o timeout`,
  });
  assert.equal(sched.now() - t0, 1_000);
  net.heal();
  const c = await sched.settle(h.connect({ ip: B, port: 8300 }, 1_000));
  assert.equal(c.remote.ip, B);
  assert.deepEqual([net.stats.refused, net.stats.timeouts], [1, 1]);
});

test('a stream that carries data across a new partition is reset on both ends; idle ones survive', async () => {
  const { sched, net } = world();
  const ends: StreamConn[] = [];
  await net.host(B).listen({ ip: B, port: 9 }, (c) => ends.push(c));
  const busy = await sched.settle(net.host(A).connect({ ip: B, port: 9 }, 100));
  const idle = await sched.settle(net.host(C).connect({ ip: B, port: 9 }, 100));
  const sb = sink(busy);
  const si = sink(idle);
  const sserver = sink(ends[0]!);
  net.partition([A], [B]);
  busy.write(new Uint8Array([1]));
  await sched.runUntilIdleAsync();
  assert.equal(sb.closed, true);
  assert.equal((sb.err as { code?: string }).code, 'ECONNRESET');
  assert.equal(sserver.closed, true);
  assert.equal(sserver.data, '');
  assert.equal(si.closed, false);
  assert.equal(net.stats.resets, 1);
});

test('destroy closes this end now and the peer after data in flight; host crash closes everything', async () => {
  const { sched, net } = world();
  const accepted: Array<ReturnType<typeof sink>> = [];
  await net.host(B).listen({ ip: B, port: 9 }, (c) => accepted.push(sink(c)));
  const c1 = await sched.settle(net.host(A).connect({ ip: B, port: 9 }, 100));
  const s1 = sink(c1);
  c1.write(new TextEncoder().encode('last words'));
  c1.destroy(new Error('bye'));
  await sched.runUntilIdleAsync();
  assert.equal(s1.err?.message, 'bye');
  assert.equal(accepted[0]!.data, 'last words');
  assert.equal(accepted[0]!.closed, true);
  // A late onClose still hears about it.
  let late = false;
  c1.onClose(() => (late = true));
  await sched.runUntilIdleAsync();
  assert.equal(late, true);

  const c2 = await sched.settle(net.host(A).connect({ ip: B, port: 9 }, 100));
  const s2 = sink(c2);
  const udp = await net.host(B).bind({ ip: B, port: 9 });
  net.host(B).crash();
  await sched.runUntilIdleAsync();
  assert.equal(s2.closed, true);
  assert.equal(accepted[1]!.closed, true);
  await assert.rejects(sched.settle(net.host(A).connect({ ip: B, port: 9 }, 100)), { code: 'ECONNREFUSED' });
  // The crashed host's ports are free again for its restart.
  await net.host(B).listen({ ip: B, port: 9 }, () => {});
  const udp2 = await net.host(B).bind({ ip: B, port: 9 });
  assert.notEqual(udp2, udp);
});

test('the network trace is a function of the seed', async () => {
  const run = async (seed: number) => {
    const { sched, net } = world(seed);
    net.faults = { ...net.faults, jitterMs: 10, loss: 0.2, duplicate: 0.1 };
    const trace: NetEvent[] = [];
    net.onTrace((e) => trace.push(e));
    const { send } = await udpPair(net);
    for (let i = 0; i < 200; i++) send(i);
    sched.runUntilIdle();
    return JSON.stringify(trace);
  };
  assert.equal(await run(1), await run(1));
  assert.notEqual(await run(1), await run(2));
});

test('one packet’s fate does not shift the next ones’: changing loss keeps the survivors’ delays', async () => {
  const arrivals = async (loss: number) => {
    const { sched, net } = world(3);
    net.faults = { ...net.faults, jitterMs: 50, loss };
    const { b, send } = await udpPair(net);
    const at = new Map<number, number>();
    b.onPacket((_f, d) => at.set(d[0]!, sched.now()));
    for (let i = 0; i < 100; i++) send(i);
    sched.runUntilIdle();
    return at;
  };
  const all = await arrivals(0);
  const some = await arrivals(0.5);
  assert.ok(some.size > 20 && some.size < 80);
  for (const [i, t] of some) assert.equal(t, all.get(i));
});
