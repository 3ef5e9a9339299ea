import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRng } from '../../src/lib/prng.js';
import type { Disk } from '../../src/runtime/disk.js';
import { SimDisk } from './disk.js';
import { Scheduler } from './scheduler.js';
import { forEachSeed } from './seed.js';

const dec = new TextDecoder();
const text = async (d: Disk, p: string) => {
  const b = await d.readFile(p);
  return b === null ? null : dec.decode(b);
};

forEachSeed(
  'crash keeps acknowledged synced data, loses unsynced data, may tear the tail',
  [1, 2, 3, 4, 5, 6, 7, 8],
  async (seed) => {
    const disk = new SimDisk({ rng: new SeededRng(seed) });
    await disk.mkdirp('/d');
    await disk.writeFileAtomic('/d/meta', 'synced');
    await disk.appendFile('/d/log', 'aaaa');
    await disk.fsync('/d/log');
    await disk.appendFile('/d/log', 'bbbb');
    await disk.appendFile('/d/log', 'cccc');
    await disk.appendFile('/d/tmp', 'never synced');
    assert.equal(await text(disk, '/d/log'), 'aaaabbbbcccc', 'readers see unsynced data before a crash');
    assert.equal(disk.unsyncedBytes('/d/log'), 8);
    const losses = disk.crash();
    assert.equal(await text(disk, '/d/meta'), 'synced');
    const log = (await text(disk, '/d/log'))!;
    assert.ok(
      /^aaaa(bbbb|bbbbc{0,3}|b{0,3})$/.test(log),
      `survivor must be synced data plus a strict prefix: ${log}`,
    );
    assert.notEqual(log, 'aaaabbbbcccc');
    const tmp = await text(disk, '/d/tmp');
    assert.ok(tmp === null || (tmp.length < 12 && 'never synced'.startsWith(tmp)), String(tmp));
    assert.deepEqual(
      losses.map((l) => l.path),
      ['/d/log', '/d/tmp'],
    );
    assert.equal(losses[1]!.vanished, tmp === null);
    // After the crash the survivor is durable: a second crash changes nothing.
    disk.crash();
    assert.equal(await text(disk, '/d/log'), log);
  },
);

test('over many seeds both outcomes happen: clean loss and a torn tail', () => {
  let torn = 0;
  let clean = 0;
  for (let seed = 0; seed < 200; seed++) {
    const disk = new SimDisk({ rng: new SeededRng(seed) });
    disk.put('/log', 'x');
    void disk.appendFile('/log', 'yyyyyyyy');
    const [loss] = disk.crash();
    if (loss!.keptUnsynced > 0) torn++;
    else clean++;
  }
  assert.ok(torn > 50 && clean > 50, `torn=${torn} clean=${clean}`);
  // tearProbability 0 never tears
  const d = new SimDisk({ tearProbability: 0 });
  d.put('/log', 'x');
  void d.appendFile('/log', 'yyyy');
  d.crash();
  assert.equal(d.text('/log'), 'x');
});

test('the same seed tears the same way', async () => {
  const run = async (seed: number) => {
    const disk = new SimDisk({ rng: new SeededRng(seed) });
    disk.put('/a', '');
    for (let i = 0; i < 20; i++) await disk.appendFile('/a', `record-${i};`);
    disk.crash();
    return disk.text('/a');
  };
  assert.equal(await run(5), await run(5));
});

test('works as the Disk port with the real one’s errors: missing parents, EISDIR, exclusive create', async () => {
  const disk: SimDisk = new SimDisk();
  await assert.rejects(disk.writeFileAtomic('/no/such/file', 'x'), { code: 'ENOENT' });
  await assert.rejects(disk.appendFile('/no/file', 'x'), { code: 'ENOENT' });
  await disk.mkdirp('/data/raft/');
  assert.equal(await disk.createExclusive('/data/lock', '1'), true);
  assert.equal(await disk.createExclusive('/data/lock', '2'), false);
  assert.equal(await text(disk, '/data/lock'), '1');
  await assert.rejects(disk.readFile('/data'), { code: 'EISDIR' });
  await assert.rejects(disk.mkdirp('/data/lock/x'), { code: 'ENOTDIR' });
  assert.equal(await disk.readFile('/data/none'), null);
  assert.equal(await disk.stat('/data/none'), null);
  assert.deepEqual(await disk.stat('/data//raft'), { isFile: false, isDirectory: true, size: 0, mtimeMs: 0 });
  await disk.writeFileAtomic('/data/b', new Uint8Array([1, 2, 3]));
  assert.equal((await disk.stat('/data/b'))!.size, 3);
  assert.deepEqual(
    (await disk.readdir('/data'))!.map((e) => `${e.name}:${e.isDirectory ? 'd' : 'f'}`),
    ['b:f', 'lock:f', 'raft:d'],
  );
  assert.equal(await disk.readdir('/missing'), null);
  // A caller's buffer is copied: mutating it later does not change the file.
  const buf = new Uint8Array([9]);
  await disk.writeFileAtomic('/data/c', buf);
  buf[0] = 0;
  assert.deepEqual(await disk.readFile('/data/c'), new Uint8Array([9]));
});

test('rename and remove, for files and whole directories', async () => {
  const disk = new SimDisk({ now: () => 42 });
  disk.put('/s/1/meta.json', '{}');
  disk.put('/s/1/state.bin', 'S');
  await disk.mkdirp('/t');
  await disk.rename('/s/1', '/t/1');
  assert.equal(disk.text('/t/1/state.bin'), 'S');
  assert.equal(await disk.stat('/s/1'), null);
  await disk.writeFileAtomic('/t/x.tmp', 'new');
  await disk.rename('/t/x.tmp', '/t/x');
  assert.equal(disk.text('/t/x'), 'new');
  assert.equal((await disk.stat('/t/x'))!.mtimeMs, 42);
  await assert.rejects(disk.rename('/t/none', '/t/y'), { code: 'ENOENT' });
  await disk.remove('/t/1');
  await disk.remove('/t/never-existed');
  assert.deepEqual(disk.paths(), ['/t/x']);
});

test('injected faults reject the operation before it takes effect', async () => {
  const disk = new SimDisk();
  disk.put('/d/log', 'a');
  disk.injectFaults((op, p) =>
    op === 'appendFile' && p === '/d/log' ? 'ENOSPC' : op === 'fsync' ? 'EIO' : undefined,
  );
  await assert.rejects(disk.appendFile('/d/log', 'b'), {
    code: 'ENOSPC',
    message: /no space left on device/,
  });
  await assert.rejects(disk.fsync('/d/log'), { code: 'EIO' });
  assert.equal(disk.text('/d/log'), 'a');
  disk.injectFaults(null);
  await disk.appendFile('/d/log', 'b');
  await disk.fsync('/d/log');
  disk.crash();
  assert.equal(disk.text('/d/log'), 'ab');
  assert.deepEqual(disk.stats, { writes: 0, appends: 1, fsyncs: 1, crashes: 1 });
});

test('with latency: fsync covers only earlier writes, and a crash mid-fsync loses them and never acks', async () => {
  const sched = new Scheduler();
  const disk = new SimDisk({
    rng: new SeededRng(1),
    tearProbability: 0,
    latency: { sched, syncMs: 10, opMs: 1 },
  });
  disk.put('/log', '');
  const acked: string[] = [];
  const write = async (rec: string) => {
    await disk.appendFile('/log', rec);
    await disk.fsync('/log');
    acked.push(rec); // "persist before ack"
  };
  void write('a;');
  await sched.runForAsync(5); // a's fsync is in progress
  void disk.appendFile('/log', 'late;'); // after the fsync started: not covered by it
  await sched.runUntilIdleAsync();
  assert.deepEqual(acked, ['a;']);
  assert.equal(disk.unsyncedBytes('/log'), 5);
  void write('b;');
  await sched.runForAsync(5);
  disk.crash();
  await sched.runUntilIdleAsync();
  assert.deepEqual(acked, ['a;'], 'a write whose fsync was cut by the crash is never acknowledged');
  assert.equal(disk.text('/log'), 'a;');
});

test('with latency: writeFileAtomic replaces the file only when it completes', async () => {
  const sched = new Scheduler();
  const disk = new SimDisk({ latency: { sched, syncMs: 10 } });
  disk.put('/d/node-id', 'old');
  let done = false;
  void disk.writeFileAtomic('/d/node-id', 'new').then(() => (done = true));
  await sched.runForAsync(5);
  assert.equal(disk.text('/d/node-id'), 'old');
  disk.crash();
  await sched.runUntilIdleAsync();
  assert.equal(disk.text('/d/node-id'), 'old');
  assert.equal(done, false);
  assert.equal(await sched.settle(disk.writeFileAtomic('/d/node-id', 'new')), undefined);
  assert.equal(disk.text('/d/node-id'), 'new');
});
