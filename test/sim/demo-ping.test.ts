// A tiny protocol on the simulator, as a template for protocol tests: a client pings a server over a
// lossy, duplicating, jittery link and retries until answered. Invariant: every ping is answered.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { SimNetwork } from './network.js';
import { simRng } from './rng.js';
import { Scheduler } from './scheduler.js';
import { forEachSeed, runSeed } from './seed.js';

interface Outcome {
  answered: number;
  sent: number;
  finishedAt: number;
}

async function pingPong(seed: number, loss: number, maxRetries: number): Promise<Outcome> {
  const sched = new Scheduler();
  const net = new SimNetwork(sched, simRng(seed).fork('net'), {
    delayMs: 5,
    jitterMs: 10,
    loss,
    duplicate: 0.05,
  });
  const client = await net.host('10.0.0.1').bind({ ip: '10.0.0.1', port: 7 });
  const server = await net.host('10.0.0.2').bind({ ip: '10.0.0.2', port: 7 });
  server.onPacket((from, d) => server.send(from, d));
  const acked = new Set<number>();
  client.onPacket((_f, d) => acked.add(d[0]!));
  const timers = sched.timers('client');
  let sent = 0;
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
  sched.runUntilIdle();
  return { answered: acked.size, sent, finishedAt: sched.now() };
}

function checkAllAnswered(o: Outcome): void {
  assert.equal(o.answered, 20, `invariant: every ping answered; got ${o.answered}/20 after ${o.sent} sends`);
}

forEachSeed('ping with retries survives 30% loss', [1, 2, 3, 4, 5], async (seed) => {
  checkAllAnswered(await pingPong(seed, 0.3, 20));
});

test('a failing invariant reports its seed and replay command (the bug: no retries at 60% loss)', async (t) => {
  const file = fileURLToPath(import.meta.url);
  let report = '';
  let failing = -1;
  for (let seed = 1; seed <= 20 && failing < 0; seed++) {
    try {
      await runSeed(seed, file, async (s) => checkAllAnswered(await pingPong(s, 0.6, 0)));
    } catch (e) {
      failing = seed;
      report = (e as Error).message;
    }
  }
  assert.ok(failing > 0, 'the planted bug must be caught on some seed');
  t.diagnostic(report.split('\n')[0]!); // shown in the test output, as forEachSeed does on a real failure
  const [head, detail] = report.split('\n');
  assert.match(
    head!,
    new RegExp(`^seed=${failing}; replay with: SIM_SEED=${failing} node --test \\S*demo-ping\\.test\\.js$`),
  );
  assert.match(detail!, /invariant: every ping answered; got \d+\/20/);
  // Replaying the seed reproduces the same run exactly.
  assert.deepEqual(await pingPong(failing, 0.6, 0), await pingPong(failing, 0.6, 0));
});
