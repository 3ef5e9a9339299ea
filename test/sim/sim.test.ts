import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRng } from '../../src/lib/prng.js';
import { MinHeap } from '../../src/lib/min-heap.js';
import { SimDisk } from './disk.js';
import { SimNetwork } from './network.js';
import { Scheduler } from './scheduler.js';
import { forEachSeed, withSeed } from './seed.js';

/** A randomized workload: timers that spawn timers and cancel each other. Returns its trace. */
function workload(seed: number): string[] {
  const sched = new Scheduler();
  const rng = new SeededRng(seed);
  const timers = sched.timers();
  const trace: string[] = [];
  const live: Array<{ cancel(): void }> = [];
  const spawn = (id: number, depth: number) => {
    live.push(
      timers.after(rng.int(100), () => {
        trace.push(`${sched.now()}:${id}`);
        if (depth < 4) for (let k = 0; k < 2; k++) spawn(id * 2 + k, depth + 1);
        if (rng.float() < 0.2 && live.length > 0) live[rng.int(live.length)]!.cancel();
      }),
    );
  };
  spawn(1, 0);
  sched.runUntilIdle();
  return trace;
}

test('same seed, same trace; different seeds, different traces', () => {
  assert.deepEqual(workload(7), workload(7));
  assert.notDeepEqual(workload(7), workload(8));
});

test('PRNG: reproducible, forks independent of creation order, roughly uniform', () => {
  const a = new SeededRng(42);
  const b = new SeededRng(42);
  assert.deepEqual(
    Array.from({ length: 5 }, () => a.next()),
    Array.from({ length: 5 }, () => b.next()),
  );
  const r1 = new SeededRng(1);
  const x1 = r1.fork('raft').float();
  const r2 = new SeededRng(1);
  r2.fork('gossip').float();
  assert.equal(r2.fork('raft').float(), x1);
  const rng = new SeededRng(3);
  const buckets = new Array<number>(10).fill(0);
  for (let i = 0; i < 100_000; i++) buckets[rng.int(10)]!++;
  for (const c of buckets) assert.ok(c > 9_500 && c < 10_500, String(buckets));
  assert.equal(rng.bytes(7).length, 7);
});

test('timers fire in time order, ties in insertion order; cancelled ones never fire; every() repeats', () => {
  const sched = new Scheduler();
  const t = sched.timers();
  const seen: string[] = [];
  t.after(10, () => seen.push('b'));
  t.after(5, () => seen.push('a'));
  t.after(10, () => seen.push('c'));
  const x = t.after(7, () => seen.push('never'));
  x.cancel();
  const rep = t.every(4, () => seen.push(`tick@${sched.now()}`));
  sched.runUntil(12);
  rep.cancel();
  sched.runUntilIdle();
  assert.deepEqual(seen, ['tick@4', 'a', 'tick@8', 'b', 'c', 'tick@12']);
  assert.equal(sched.now(), 12);
  assert.equal(sched.clock().wallMs() - sched.clock().monotonicMs(), 1_767_225_600_000);
});

test('min-heap: remove and update keep order', () => {
  const h = new MinHeap<number>((a, b) => a < b);
  const handles = [5, 3, 9, 1, 7].map((v) => h.push(v));
  h.remove(handles[3]!); // 1
  h.update(handles[2]!, 0); // 9 → 0
  const out: number[] = [];
  while (h.size) out.push(h.pop()!);
  assert.deepEqual(out, [0, 3, 5, 7]);
  assert.equal(h.remove(handles[0]!), false);
});

forEachSeed(
  'disk crash keeps synced data, loses unsynced data, may tear the tail',
  [1, 2, 3, 4, 5, 6, 7, 8],
  import.meta.url,
  async (seed) => {
    const disk = new SimDisk(new SeededRng(seed));
    await disk.writeFileAtomic('/d/meta', 'synced');
    await disk.appendFile('/d/log', 'aaaa');
    await disk.sync('/d/log');
    await disk.appendFile('/d/log', 'bbbbbbbb');
    await disk.appendFile('/d/tmp', 'never synced');
    disk.crash();
    assert.equal(new TextDecoder().decode((await disk.readFile('/d/meta'))!), 'synced');
    const log = new TextDecoder().decode((await disk.readFile('/d/log'))!);
    assert.ok(log.startsWith('aaaa'), log);
    assert.ok(/^aaaab{0,7}$/.test(log), `torn tail must be a strict prefix of the unsynced write: ${log}`);
    const tmp = await disk.readFile('/d/tmp');
    assert.ok(tmp === null || 'never synced'.startsWith(new TextDecoder().decode(tmp)));
    assert.deepEqual(
      (await disk.readdir('/d'))!.map((e) => e.name).filter((n) => n !== 'tmp'),
      ['log', 'meta'],
    );
  },
);

test('network: loss close to the configured rate; partitions block and heal restores', async () => {
  const sched = new Scheduler();
  const net = new SimNetwork(sched, new SeededRng(11));
  const a = await net.bind({ ip: '10.0.0.1', port: 1 });
  const b = await net.bind({ ip: '10.0.0.2', port: 1 });
  let got = 0;
  b.onPacket(() => got++);
  net.faults = { delayMs: 2, jitterMs: 5, loss: 0.1, duplicate: 0 };
  for (let i = 0; i < 10_000; i++) a.send(b.local, new Uint8Array([i & 255]));
  sched.runUntilIdle();
  assert.ok(got > 8_800 && got < 9_200, `delivered ${got}`);
  net.faults = { delayMs: 1, jitterMs: 0, loss: 0, duplicate: 0 };
  got = 0;
  net.partition(['10.0.0.1'], ['10.0.0.2'], true);
  a.send(b.local, new Uint8Array([1]));
  let back = 0;
  a.onPacket(() => back++);
  b.send(a.local, new Uint8Array([1])); // the other direction still works
  sched.runUntilIdle();
  assert.equal(got, 0);
  assert.equal(back, 1);
  net.heal();
  a.send(b.local, new Uint8Array([1]));
  sched.runUntilIdle();
  assert.equal(got, 1);
});

/** A tiny protocol: ping with retries over a lossy link; invariant: every ping is eventually answered. */
async function pingPong(
  seed: number,
  loss: number,
  maxRetries: number,
): Promise<{ answered: number; sent: number }> {
  const sched = new Scheduler();
  const net = new SimNetwork(sched, new SeededRng(seed).fork('net'));
  net.faults = { delayMs: 5, jitterMs: 10, loss, duplicate: 0.05 };
  let answered = 0;
  let sent = 0;
  {
    const client = await net.bind({ ip: '10.0.0.1', port: 7 });
    const server = await net.bind({ ip: '10.0.0.2', port: 7 });
    server.onPacket((from, d) => server.send(from, d));
    const acked = new Set<number>();
    client.onPacket((_f, d) => acked.add(d[0]!));
    const timers = sched.timers();
    for (let id = 0; id < 20; id++) {
      let tries = 0;
      const attempt = () => {
        if (acked.has(id) || tries > maxRetries) return;
        tries++;
        sent++;
        client.send(server.local, new Uint8Array([id]));
        timers.after(50, attempt);
      };
      attempt();
    }
    timers.after(10_000, () => (answered = acked.size));
  }
  sched.runUntilIdle();
  return { answered, sent };
}

forEachSeed('ping with retries survives 30% loss', [1, 2, 3, 4, 5], import.meta.url, async (seed) => {
  const r = await pingPong(seed, 0.3, 20);
  assert.equal(r.answered, 20, `answered ${r.answered}/20 after ${r.sent} sends`);
});

test('a failing invariant names its seed and the replay command', async () => {
  // Without retries, 60% loss loses pings on some seed; find one and check the report it would give.
  let failing = -1;
  for (let seed = 1; seed < 50 && failing < 0; seed++)
    if ((await pingPong(seed, 0.6, 0)).answered < 20) failing = seed;
  assert.ok(failing > 0);
  const err = withSeed(new Error('answered 13/20'), failing, '/x/sim.test.js');
  assert.match(
    err.message,
    new RegExp(
      `^seed=${failing}; replay with: SIM_SEED=${failing} node --test /x/sim\\.test\\.js\\nanswered 13/20$`,
    ),
  );
  // Replaying the seed reproduces the same outcome exactly.
  assert.deepEqual(await pingPong(failing, 0.6, 0), await pingPong(failing, 0.6, 0));
});
