// consul lock against a real agent: the child runs only while the lock is held (CONSUL_LOCK_HELD),
// two lockers never overlap, a semaphore admits -n holders at once, a lost session kills the child,
// and exit codes / timeouts are Consul's.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { consul, startConsul, stop, waitFor, type Proc, startDevAgent } from '../helpers/process.js';

const IP = '127.0.0.162';
const PORT = 18662;
const H = `http://${IP}:${PORT}`;
const env = { CONSUL_HTTP_ADDR: `${IP}:${PORT}` };
const dir = mkdtempSync(path.join(tmpdir(), 'lock-'));
let agent: Proc;

before(async () => {
  agent = await startDevAgent(IP, PORT, 18663);
});

after(async () => {
  await stop(agent);
  rmSync(dir, { recursive: true, force: true });
});

const lines = (file: string) => readFileSync(file, 'utf8').trim().split('\n');

test('the child runs holding the lock; the key is cleaned up; exit codes', () => {
  const r = consul(['lock', 'app/leader', 'echo held=$CONSUL_LOCK_HELD'], env);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, 'held=true\n');
  assert.equal(consul(['kv', 'get', '-recurse', 'app/'], env).out, '', 'nothing left behind');
  assert.equal(consul(['lock', 'app/leader', 'exit 3'], env).code, 0);
  assert.equal(consul(['lock', '-child-exit-code', 'app/leader', 'exit 3'], env).code, 2);
  const usage = consul(['lock', 'app/leader'], env);
  assert.equal(usage.code, 1);
  assert.equal(usage.err, 'Key prefix and child command must be specified\n');
});

test('two lockers never overlap; a third gives up after -timeout', async () => {
  const log = path.join(dir, 'mutex.log');
  const go = path.join(dir, 'mutex.go');
  // A holds the lock until the test lets it go, so a slow machine cannot let the third in early.
  const body = (who: string) =>
    `echo ${who} start >> ${log}; while [ ! -e ${go} ]; do sleep 0.05; done; echo ${who} end >> ${log}`;
  const a = startConsul(['lock', 'app/mutex', body('A')], env);
  await waitFor(
    'A to hold the lock',
    async () => existsSync(log) && readFileSync(log, 'utf8').includes('A start'),
    10_000,
  );
  const b = startConsul(['lock', 'app/mutex', body('B')], env);
  const c = consul(['lock', '-timeout=300ms', 'app/mutex', 'echo never'], env);
  assert.equal(c.code, 1);
  assert.equal(c.err, 'Shutdown triggered or timeout during lock acquisition\n');
  writeFileSync(go, '');
  assert.equal(await a.exited, 0);
  assert.equal(await b.exited, 0);
  assert.deepEqual(lines(log), ['A start', 'A end', 'B start', 'B end']);
});

test('two contenders taking the lock round after round are never inside together', async () => {
  const log = path.join(dir, 'rounds.log');
  const body = (who: string) => `echo ${who} start >> ${log}; sleep 0.1; echo ${who} end >> ${log}`;
  const ROUNDS = 6;
  const contender = async (who: string) => {
    for (let i = 0; i < ROUNDS; i++) {
      const p = startConsul(['lock', 'app/rounds', body(who)], env);
      assert.equal(await p.exited, 0, p.err());
    }
  };
  await Promise.all([contender('A'), contender('B')]);
  const got = lines(log);
  assert.equal(got.length, 4 * ROUNDS);
  // Every start is followed by the same holder's end: no two children ever overlap.
  for (let i = 0; i < got.length; i += 2) {
    const who = got[i]!.split(' ')[0];
    assert.deepEqual([got[i], got[i + 1]], [`${who} start`, `${who} end`], `round at line ${i + 1}`);
  }
});

test('a semaphore (-n=2) lets two holders in at a time', async () => {
  const log = path.join(dir, 'sem.log');
  const body = `echo + >> ${log}; sleep 0.8; echo - >> ${log}`;
  const ps = [1, 2, 3].map(() => startConsul(['lock', '-n=2', 'app/sem', body], env));
  for (const p of ps) assert.equal(await p.exited, 0, p.err());
  let inside = 0;
  let most = 0;
  for (const l of lines(log)) {
    inside += l === '+' ? 1 : -1;
    most = Math.max(most, inside);
  }
  assert.equal(most, 2);
  assert.equal(lines(log).length, 6);
  assert.equal(
    consul(['kv', 'get', '-recurse', 'app/sem'], env).out,
    '',
    'the last holder removed the semaphore',
  );
  const conflict = startConsul(['lock', '-n=2', 'app/sem2', 'sleep 2'], env);
  await waitFor('a holder', async () => consul(['kv', 'get', 'app/sem2/.lock'], env).code === 0, 10_000);
  const other = consul(['lock', '-n=3', 'app/sem2', 'true'], env);
  assert.equal(other.code, 1);
  assert.equal(other.err, 'Lock acquisition failed: semaphore limit conflict (lock: 2, local: 3)\n');
  assert.equal(await conflict.exited, 0);
});

test('losing the lock (its session destroyed) terminates the child', async () => {
  const p = startConsul(['lock', 'app/lost', 'sleep 30'], env);
  const session = await waitFor(
    'the lock to be held',
    async () => {
      const r = await fetch(`${H}/v1/kv/app/lost/.lock`);
      return r.status === 200 ? ((await r.json()) as Array<{ Session?: string }>)[0]!.Session : undefined;
    },
    10_000,
  );
  await fetch(`${H}/v1/session/destroy/${session}`, { method: 'PUT' });
  const t0 = Date.now();
  assert.equal(await p.exited, 1);
  assert.ok(Date.now() - t0 < 5_000, 'SIGTERM, not the 5 s SIGKILL grace');
  assert.match(p.err(), /Lock lost, killing child/);
});
