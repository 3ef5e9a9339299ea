// Blocking catalog and health reads of one service or node, on the wire against one -dev agent on
// 127.0.5.10: they wait on that name's entries only (a write to service A never answers a watcher of
// B before its wait runs out) and carry Consul's X-Consul-Index for that name.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { stop, type Proc, startDevAgent } from '../helpers/process.js';

const IP = '127.0.5.10';
const PORT = 19510;
const H = `http://${IP}:${PORT}`;
let agent: Proc;

before(async () => {
  agent = await startDevAgent(IP, PORT, 19511, ['-node=blk-agent']);
});

after(async () => {
  await stop(agent);
});

async function http(method: string, path: string, body?: string) {
  const r = await fetch(`${H}${path}`, { method, body, signal: AbortSignal.timeout(8000) });
  return { status: r.status, text: await r.text(), index: Number(r.headers.get('x-consul-index')) };
}

async function register(node: string, service: string, status: string) {
  const r = await http(
    'PUT',
    '/v1/catalog/register',
    JSON.stringify({
      Node: node,
      Address: '10.1.0.1',
      Service: { Service: service, Port: 80 },
      Check: { CheckID: `${service}-chk`, ServiceID: service, Status: status },
    }),
  );
  assert.equal(r.status, 200, r.text);
}

test('a blocking read of service B is not answered by writes to service A, and is by a write to B', async () => {
  await register('blk-n2', 'svc-b', 'passing');
  await register('blk-n1', 'svc-a', 'passing');
  // B's index is its own registration's, not the later write to A.
  const a0 = (await http('GET', '/v1/catalog/service/svc-a')).index;
  assert.ok((await http('GET', '/v1/catalog/service/svc-b')).index < a0);
  assert.ok((await http('GET', '/v1/health/service/svc-b')).index < a0);
  for (const path of ['/v1/catalog/service/svc-b', '/v1/health/service/svc-b']) {
    const idx = (await http('GET', path)).index;
    let t0 = Date.now();
    const blocked = http('GET', `${path}?index=${idx}&wait=1500ms`);
    for (const s of ['warning', 'critical', 'passing']) await register('blk-n1', 'svc-a', s);
    const r1 = await blocked;
    assert.ok(Date.now() - t0 >= 1400, `${path} answered after ${Date.now() - t0} ms`);
    assert.equal(r1.index, idx, path);
    t0 = Date.now();
    const woken = http('GET', `${path}?index=${idx}&wait=6s`);
    await register('blk-n2', 'svc-b', 'warning');
    const r2 = await woken;
    assert.ok(Date.now() - t0 < 4000, `${path} answered after ${Date.now() - t0} ms`);
    assert.ok(r2.index > idx, path);
  }
  // A health read's index is the service's: the last write to B.
  const a = (await http('GET', '/v1/health/service/svc-a')).index;
  const b = (await http('GET', '/v1/health/service/svc-b')).index;
  assert.ok(b > a, `${b} > ${a}`);
});

test('a blocking read of node n2 is not answered by writes on node n1', async () => {
  await register('blk-n4', 'svc-d', 'passing');
  for (const path of ['/v1/catalog/node/blk-n4', '/v1/health/node/blk-n4']) {
    const idx = (await http('GET', path)).index;
    const t0 = Date.now();
    const blocked = http('GET', `${path}?index=${idx}&wait=1500ms`);
    for (const s of ['warning', 'passing']) await register('blk-n3', `svc-c-${s}`, s);
    const r = await blocked;
    assert.ok(Date.now() - t0 >= 1400, `${path} answered after ${Date.now() - t0} ms`);
    // Consul's index of a node read is the table's, so it moved; the read still waited.
    assert.ok(r.index >= idx, path);
  }
});
