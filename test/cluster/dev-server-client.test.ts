// A client agent joined to a `consul agent -dev` server (a common tutorial setup): the dev server
// listens for server RPC on 8300 like any server, so the client forwards reads and writes to it and
// its services reach the dev server's catalog.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { agentUp, startDevAgent, startNodeAgent, stop, waitFor, type Proc } from '../helpers/process.js';

const DEV = '127.0.0.200';
const CLIENT = '127.0.0.201';
const track: { procs: Proc[]; dirs: string[] } = { procs: [], dirs: [] };

after(async () => {
  await Promise.all(track.procs.map(stop));
});

test('a client joined to a -dev server forwards KV and syncs its services to it', async () => {
  track.procs.push(await startDevAgent(DEV, 18700, -1));
  startNodeAgent(
    'dev-client',
    CLIENT,
    [
      '-http-port=18701',
      '-dns-port=-1',
      '-grpc-port=-1',
      `-join=${DEV}`,
      '-hcl',
      'service { name = "api" port = 9000 }',
    ],
    track,
  );
  assert.ok(await agentUp(CLIENT, 18701, 20_000));
  const put = await waitFor(
    'a write through the client',
    async () => {
      const r = await fetch(`http://${CLIENT}:18701/v1/kv/from-client`, { method: 'PUT', body: 'hi' });
      return r.status === 200 ? r.text() : null;
    },
    15_000,
  );
  assert.equal(put.trim(), 'true');
  const raw = await fetch(`http://${DEV}:18700/v1/kv/from-client?raw`);
  assert.equal(await raw.text(), 'hi');
  await waitFor(
    "the client's service in the dev server's catalog",
    async () => {
      const r = (await (await fetch(`http://${DEV}:18700/v1/catalog/service/api`)).json()) as Array<{
        Node: string;
      }>;
      return r.length === 1 && r[0]!.Node === 'dev-client';
    },
    15_000,
  );
});
