// isAlive (the data-dir lock's stale-owner check): a running process is alive; one killed -9 that its
// parent has not reaped yet (a zombie, which still answers signal 0) is not, so an agent restarted
// straight after a kill -9 takes the lock over instead of refusing to start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { nodeProcessRunner } from '../../../src/platform/node/process-runner.js';

test('a running process is alive; a killed, unreaped one is not; a vanished pid is not', () => {
  const child = spawn('sleep', ['30']);
  const pid = child.pid!;
  assert.equal(nodeProcessRunner.isAlive(pid), true);
  process.kill(pid, 'SIGKILL');
  // Block this thread so the child cannot be reaped (Node reaps on its event loop): it stays a zombie.
  spawnSync('sleep', ['0.2']);
  assert.equal(nodeProcessRunner.isAlive(pid), false);
  assert.equal(nodeProcessRunner.isAlive(2 ** 22 + 12345), false);
});
