import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostDerivedId, resolveNodeId } from '../../../src/agent/node-id.js';
import { lockDataDir } from '../../../src/agent/data-dir.js';
import { SeededRng } from '../../../src/lib/prng.js';
import { LogHub } from '../../../src/runtime/log.js';
import { fakeHost, MemDisk } from '../../helpers/fakes.js';

const clock = { monotonicMs: () => 0, wallMs: () => 0 };
const ports = (disk = new MemDisk()) => ({
  disk,
  host: fakeHost(),
  rng: new SeededRng(1),
  logger: new LogHub(clock, 'error').logger('agent'),
});
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

test('a new random node ID is stored in <data-dir>/node-id and reused', async () => {
  const p = ports();
  const opts = { configured: '', dataDir: '/data', devMode: false, disableHostNodeId: true };
  const id = await resolveNodeId(opts, p);
  assert.match(String(id), UUID);
  assert.equal(p.disk.text('/data/node-id'), id);
  assert.equal(await resolveNodeId(opts, { ...p, rng: new SeededRng(99) }), id);
});

test('disable_host_node_id=false derives the ID from the host (so cloned hosts collide, as in the seed)', async () => {
  const a = await resolveNodeId(
    { configured: '', dataDir: '/data', devMode: false, disableHostNodeId: false },
    ports(),
  );
  const b = await resolveNodeId(
    { configured: '', dataDir: '/data', devMode: false, disableHostNodeId: false },
    ports(),
  );
  assert.equal(a, b);
  assert.equal(a, hostDerivedId('0f2e9c4a-1b3d-4e5f-8a7b-9c0d1e2f3a4b'));
  assert.match(String(a), UUID);
});

test('-node-id wins; an invalid stored ID is an error; -dev never touches the disk', async () => {
  const p = ports(new MemDisk({ '/data/node-id': 'garbage\n' }));
  assert.equal(
    await resolveNodeId(
      {
        configured: 'ADF4238A-882B-9DDC-4A9D-5B6758E4159E',
        dataDir: '/data',
        devMode: false,
        disableHostNodeId: true,
      },
      p,
    ),
    'adf4238a-882b-9ddc-4a9d-5b6758e4159e',
  );
  const bad = await resolveNodeId(
    { configured: '', dataDir: '/data', devMode: false, disableHostNodeId: true },
    p,
  );
  assert.ok(bad instanceof Error);
  assert.match(bad.message, /loaded node ID is invalid: "garbage"/);
  const dev = ports();
  assert.match(
    String(await resolveNodeId({ configured: '', dataDir: '', devMode: true, disableHostNodeId: true }, dev)),
    UUID,
  );
  assert.equal(dev.disk.files.size, 0);
});

test('data-dir lock: held by a live pid → error; stale → taken over; released on demand', async () => {
  const disk = new MemDisk();
  const alive = new Set([100]);
  const l1 = await lockDataDir(disk, '/data', 100, (p) => alive.has(p));
  assert.ok(!(l1 instanceof Error));
  const l2 = await lockDataDir(disk, '/data', 200, (p) => alive.has(p));
  assert.ok(l2 instanceof Error);
  assert.match(l2.message, /in use by another Consul agent \(pid 100\)/);
  alive.delete(100); // the first agent was killed -9
  const l3 = await lockDataDir(disk, '/data', 200, (p) => alive.has(p));
  assert.ok(!(l3 instanceof Error));
  await l3.release();
  assert.equal(disk.files.has('/data/agent.lock'), false);
  const notDir = await lockDataDir(new MemDisk({ '/file': 'x' }), '/file', 1, () => false);
  assert.ok(notDir instanceof Error);
  assert.equal(notDir.message, 'data_dir "/file" is not a directory');
});
