// Raft under the simulator: ≥ 200 seeds across 1/3/5 servers and fault mixes, zero invariant violations;
// and proof that the checkers catch a planted bug (acknowledging log writes before they are durable).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvariantViolation, NO_FAULTS, RaftCluster, type Faults } from './raft-cluster.js';
import { forEachSeed } from './seed.js';

const MIXES: Record<string, Faults> = {
  clean: NO_FAULTS,
  lossy: { ...NO_FAULTS, loss: 0.1, jitterMs: 5 },
  'dup+reorder': { ...NO_FAULTS, duplicate: 0.2, jitterMs: 30 },
  partitions: { ...NO_FAULTS, jitterMs: 5, partitionEveryMs: 300 },
  crashes: { ...NO_FAULTS, jitterMs: 5, crashEveryMs: 250 },
  everything: { loss: 0.05, duplicate: 0.1, jitterMs: 20, partitionEveryMs: 400, crashEveryMs: 400 },
};
const NAMES = Object.keys(MIXES);
const SEEDS = Array.from({ length: 216 }, (_, i) => i + 1);

forEachSeed('raft safety and liveness', SEEDS, import.meta.url, (seed) => {
  const mix = NAMES[seed % NAMES.length]!;
  const servers = [1, 3, 5][Math.floor(seed / NAMES.length) % 3]!;
  // Every other seed snapshots often and compacts hard, so lagging and restarted servers need
  // InstallSnapshot and restore-on-boot.
  const snapshots =
    Math.floor(seed / 18) % 2 === 0 ? { snapshotThreshold: 8 + (seed % 7), trailingLogs: seed % 4 } : {};
  const c = new RaftCluster({ seed, servers, faults: MIXES[mix]!, ...snapshots });
  try {
    c.run(2_000, 2_000);
  } catch (e) {
    throw new Error(`${mix}, ${servers} servers: ${(e as Error).message}`);
  }
  assert.ok(c.chain.length > 0, `${mix}/${servers}: nothing committed`);
  if (mix === 'clean')
    assert.ok(c.acked.size > 50, `${mix}/${servers}: only ${c.acked.size} writes acknowledged`);
});

test('snapshots: logs are compacted and lagging or restarted servers catch up through InstallSnapshot', () => {
  let installed = 0;
  let compacted = 0;
  for (let seed = 1; seed <= 12; seed++) {
    const c = new RaftCluster({
      seed,
      servers: 3,
      faults: { loss: 0.02, duplicate: 0.05, jitterMs: 5, partitionEveryMs: 300, crashEveryMs: 300 },
      snapshotThreshold: 6,
      trailingLogs: 1,
    });
    c.run(2_000, 2_000);
    installed += c.snapshotStats().installed;
    compacted += c.snapshotStats().compacted;
  }
  assert.ok(compacted > 12, `only ${compacted} compacted logs`);
  assert.ok(installed > 0, 'no follower ever installed a snapshot');
});

test('the checkers catch a server that acknowledges before persisting', () => {
  let caught: { seed: number; msg: string } | null = null;
  for (let seed = 1; seed <= 300 && !caught; seed++) {
    const c = new RaftCluster({
      seed,
      servers: 3,
      faults: { loss: 0, duplicate: 0, jitterMs: 5, partitionEveryMs: 0, crashEveryMs: 60 },
      ackBeforePersist: true,
    });
    try {
      c.run(2_000, 2_000);
    } catch (e) {
      if (!(e instanceof InvariantViolation)) throw e;
      caught = { seed, msg: e.message };
    }
  }
  assert.ok(caught, 'no seed exposed the planted bug');
  assert.match(caught.msg, /acknowledged write .* was lost|committed entry \d+ changed|applied .* of/);
});

test('the linearizability checker catches reads served locally by a leader that may be deposed', () => {
  let caught = '';
  for (let seed = 1; seed <= 300 && !caught; seed++) {
    const c = new RaftCluster({
      seed,
      servers: 3,
      faults: { loss: 0, duplicate: 0, jitterMs: 5, partitionEveryMs: 150, crashEveryMs: 0 },
      localReads: true,
    });
    try {
      c.run(2_000, 2_000);
    } catch (e) {
      if (!(e instanceof InvariantViolation)) throw e;
      caught = e.message;
    }
  }
  assert.match(caught, /is not linearizable/);
});
