// The agent's gossip pools built from a RuntimeConfig, on the simulated network and an in-memory disk:
// the serf/*.keyring file is written from `encrypt` and preferred on restart, unless
// disable_keyring_file says no file is read or written at all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Scheduler } from './scheduler.js';
import { SimNetwork } from './network.js';
import { simRng } from './rng.js';
import { LogHub } from '../../src/runtime/log.js';
import { AgentGossip } from '../../src/agent/gossip.js';
import { buildRuntimeConfig } from '../../src/config/builder.js';
import { defaultConfig } from '../../src/config/defaults.js';
import { mergeRaw } from '../../src/config/merge.js';
import type { Raw } from '../../src/config/raw.js';
import type { RuntimeConfig } from '../../src/config/runtime-config.js';
import { fakeHost, MemDisk } from '../helpers/fakes.js';
import { memberTags } from '../../src/agent/self.js';
import type { Agent } from '../../src/agent/agent.js';

const K1 = Buffer.alloc(32, 1).toString('base64');
const K2 = Buffer.alloc(32, 2).toString('base64');

export function runtimeConfig(user: Raw): RuntimeConfig {
  const merged = mergeRaw(mergeRaw(defaultConfig(), { data_dir: '/d', bind_addr: '127.0.0.1' }), user);
  const r = buildRuntimeConfig(merged, { host: fakeHost(), devMode: false, sourceFiles: [] });
  assert.ok(r.ok, r.ok ? '' : r.error);
  return r.config;
}

/** Starts the agent's pools, returns the LAN keyring in use, and shuts them down again. */
async function lanKeys(cfg: RuntimeConfig, disk: MemDisk, tags = new Map<string, string>()) {
  const sched = new Scheduler();
  const hub = new LogHub(sched.clock(), 'error');
  const warnings: string[] = [];
  hub.subscribe('warn', (r) => warnings.push(`${r.message} ${r.kv.join('=')}`));
  const net = new SimNetwork(sched, simRng(1).fork('net'), { delayMs: 1, jitterMs: 0 });
  const host = net.host('127.0.0.1');
  const g = new AgentGossip(
    cfg,
    'id-1',
    () => tags,
    {
      clock: sched.clock(),
      timers: sched.timers('a'),
      rng: simRng(1),
      hub,
      disk,
      packets: host,
      streams: host,
    },
    () => undefined,
  );
  await sched.settle(g.start(), 1000);
  const keys = g.lan!.serf.keys().map((k) => Buffer.from(k).toString('base64'));
  const self = g.lan!.serf.allMembers().find((m) => m.name === cfg.nodeName)!;
  await sched.settle(g.shutdown(), 1000);
  return { keys, self, warnings };
}

test('agent gossip: the keyring file is written from encrypt and wins over it on restart', async () => {
  const disk = new MemDisk();
  assert.deepEqual((await lanKeys(runtimeConfig({ encrypt: K1 }), disk)).keys, [K1]);
  assert.deepEqual(JSON.parse(disk.text('/d/serf/local.keyring')!), [K1]);
  const again = await lanKeys(runtimeConfig({ encrypt: K2 }), disk);
  assert.deepEqual(again.keys, [K1]);
  assert.deepEqual(again.warnings, [
    "keyring doesn't include key provided with -encrypt, using keyring keyring=LAN",
  ]);
  // The key the file already holds draws no warning.
  assert.deepEqual((await lanKeys(runtimeConfig({ encrypt: K1 }), disk)).warnings, []);
});

test('agent gossip: disable_keyring_file neither writes nor reads serf/local.keyring', async () => {
  const disk = new MemDisk();
  const cfg = runtimeConfig({ encrypt: K1, disable_keyring_file: true });
  assert.deepEqual((await lanKeys(cfg, disk)).keys, [K1]);
  assert.equal(disk.text('/d/serf/local.keyring'), undefined);
  disk.put('/d/serf/local.keyring', JSON.stringify([K2]));
  assert.deepEqual((await lanKeys(cfg, disk)).keys, [K1]);
});

test('agent gossip: a client advertises advertise_reconnect_timeout as rc_tm, a Go duration', () => {
  const tagsOf = (user: Raw) => {
    const config = runtimeConfig(user);
    return memberTags({ config, nodeId: 'id-1' } as unknown as Agent);
  };
  assert.equal(tagsOf({ advertise_reconnect_timeout: '8h' }).rc_tm, '8h0m0s');
  assert.equal(tagsOf({ advertise_reconnect_timeout: '90m' }).rc_tm, '1h30m0s');
  assert.equal(tagsOf({}).rc_tm, undefined);
});

/** Agents on one simulated network: a in server mode (LAN + WAN pools), b and c clients. */
async function keyringPool() {
  const sched = new Scheduler();
  const net = new SimNetwork(sched, simRng(7).fork('net'), { delayMs: 1, jitterMs: 1 });
  const start = async (name: string, ip: string, extra: Raw) => {
    const host = net.host(ip);
    const cfg = runtimeConfig({ node_name: name, bind_addr: ip, encrypt: K1, ...extra });
    const g = new AgentGossip(
      cfg,
      `id-${name}`,
      (pool) =>
        new Map([
          ['role', pool === 'wan' ? 'consul' : 'node'],
          ['dc', 'dc1'],
        ]),
      {
        clock: sched.clock(),
        timers: sched.timers(name),
        rng: simRng(1).fork(name),
        hub: new LogHub(sched.clock(), 'error'),
        disk: new MemDisk(),
        packets: host,
        streams: host,
      },
      () => undefined,
    );
    await sched.settle(g.start(), 1000);
    return g;
  };
  const a = await start('a', '10.0.0.1', { server: true, bootstrap: true });
  const b = await start('b', '10.0.0.2', {});
  const c = await start('c', '10.0.0.3', {});
  for (const x of [b, c]) assert.equal((await sched.settle(x.join(['10.0.0.1'], 'lan'), 5000)).err, null);
  await sched.runForAsync(3000);
  assert.equal(a.members('lan').length, 3);
  return { sched, net, a };
}

test('agent gossip: keyring local-only lists the LAN pool alone; relay-factor relays answers', async () => {
  const { sched, net, a } = await keyringPool();
  const list = (opts: { relayFactor?: number; localOnly?: boolean }) =>
    sched.settle(a.keyring('list', '', opts), 30_000);
  assert.deepEqual(
    (await list({})).map((r) => r.WAN),
    [true, false],
  );
  assert.deepEqual(
    (await list({ localOnly: true })).map((r) => [r.WAN, r.NumResp, r.Keys]),
    [[false, 3, { [K1]: 3 }]],
  );
  // b cannot reach a directly any more: its answer arrives only when relayed through c.
  net.setLink('10.0.0.2', '10.0.0.1', { loss: 1 }, true);
  assert.equal((await list({ localOnly: true }))[0]!.NumResp, 2);
  const relayed = (await list({ localOnly: true, relayFactor: 2 }))[0]!;
  assert.equal(relayed.NumResp, 3);
  assert.deepEqual(relayed.Keys, { [K1]: 3 });
});
