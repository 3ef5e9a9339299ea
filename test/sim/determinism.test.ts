// Two runs of a randomized workload over every simulated port with the same seed produce the same
// trace; different seeds produce different ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimDisk } from './disk.js';
import { SimNetwork } from './network.js';
import { simRng } from './rng.js';
import { Scheduler } from './scheduler.js';

const IPS = ['10.0.0.1', '10.0.0.2', '10.0.0.3'];

async function workload(seed: number): Promise<string[]> {
  const sched = new Scheduler();
  const root = simRng(seed);
  const net = new SimNetwork(sched, root.fork('net'), {
    delayMs: 2,
    jitterMs: 8,
    loss: 0.1,
    duplicate: 0.05,
    reorder: 0.05,
    reorderMs: 20,
  });
  const trace: string[] = [];
  sched.onTrace((r) => trace.push(`${r.at.toFixed(3)} ${r.label}`));
  net.onTrace((e) => trace.push(`${e.at.toFixed(3)} ${e.kind} ${e.from}>${e.to}`));
  for (const ip of IPS) {
    const rng = root.fork(`node:${ip}`);
    const timers = sched.timers(ip);
    const disk = new SimDisk({ rng: rng.fork('disk'), now: () => sched.now() });
    await disk.mkdirp('/data');
    const sock = await net.host(ip).bind({ ip, port: 8301 });
    sock.onPacket((from, d) => {
      void disk.appendFile('/data/log', `${from.ip}:${d[0]};`);
      if (rng.chance(0.3)) void disk.fsync('/data/log');
      if (rng.chance(0.02))
        trace.push(
          `${ip} crash kept=${disk
            .crash()
            .map((l) => l.keptUnsynced)
            .join(',')}`,
        );
    });
    let n = 0;
    const tick = () => {
      sock.send({ ip: rng.pick(IPS.filter((x) => x !== ip)), port: 8301 }, new Uint8Array([n++ & 255]));
      if (n < 100) timers.after(1 + rng.int(30), tick);
      else trace.push(`${ip} log=${disk.text('/data/log')?.length ?? 0}`);
    };
    timers.after(rng.int(10), tick);
  }
  const chaos = root.fork('chaos');
  const timers = sched.timers('chaos');
  timers.every(200, () => {
    net.heal();
    if (chaos.chance(0.5)) net.isolate(chaos.pick(IPS));
  });
  sched.runUntil(5_000);
  return trace;
}

test('same seed, same trace; different seeds, different traces', async () => {
  const a = await workload(7);
  assert.ok(a.length > 1_000, `trace has ${a.length} lines`);
  assert.deepEqual(await workload(7), a);
  assert.notDeepEqual(await workload(8), a);
});
