import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { callerFile, forEachSeed, replayCommand, runSeed, seedsFromEnv, withSeed } from './seed.js';

test('seeds: the fixed list, SIM_SEED replays one, SIM_SWARM runs a range', () => {
  assert.deepEqual(seedsFromEnv([3, 4], {}), [3, 4]);
  assert.deepEqual(seedsFromEnv([3, 4], { SIM_SEED: '77' }), [77]);
  assert.deepEqual(seedsFromEnv([3, 4], { SIM_SEED: '' }), [3, 4]);
  assert.deepEqual(seedsFromEnv([3], { SIM_SWARM: '3', SIM_SWARM_FROM: '100' }), [100, 101, 102]);
  assert.deepEqual(seedsFromEnv([3], { SIM_SWARM: '2' }), [1, 2]);
  assert.throws(() => seedsFromEnv([], { SIM_SEED: 'abc' }), /SIM_SEED=abc: expected a non-negative integer/);
});

test('the report names the seed and the replay command, relative to the working directory', () => {
  assert.equal(replayCommand(5, '/elsewhere/x.test.js'), 'SIM_SEED=5 node --test /elsewhere/x.test.js');
  assert.equal(
    replayCommand(5, `${process.cwd()}/dist/test/sim/x.test.js`),
    'SIM_SEED=5 node --test dist/test/sim/x.test.js',
  );
  const e = withSeed(new Error('boom'), 9, '/x/a.test.js');
  assert.equal(e.message, 'seed=9; replay with: SIM_SEED=9 node --test /x/a.test.js\nboom');
  assert.equal((e.cause as Error).message, 'boom');
  assert.equal(callerFile(), fileURLToPath(import.meta.url));
});

// forEachSeed finds this file itself; each seed is its own test.
const ran: number[] = [];
forEachSeed('forEachSeed registers one test per seed', [21, 22], (seed, t) => {
  ran.push(seed);
  assert.equal(typeof t.diagnostic, 'function');
});
test('…and ran them in order', () => {
  if (process.env.SIM_SEED === undefined && process.env.SIM_SWARM === undefined)
    assert.deepEqual(ran, [21, 22]);
});

test('runSeed passes results through and tags failures', async () => {
  await runSeed(1, '/f.js', () => {});
  await assert.rejects(
    runSeed(4, '/f.js', async () => {
      throw new Error('invariant broken');
    }),
    { message: 'seed=4; replay with: SIM_SEED=4 node --test /f.js\ninvariant broken' },
  );
});
