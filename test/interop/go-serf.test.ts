// Interop with a real Go peer: Debian's `serf` agent (hashicorp/serf + memberlist) on 127.0.0.x against
// our Serf/memberlist over real UDP and TCP. Both sides must see each other alive, failed after a kill,
// left after a graceful leave; user events and queries cross both ways; the same encrypted, and after
// a key rotation done through Serf's internal keyring queries. The test installs serf when missing.
import { aptInstall } from '../helpers/apt.js';
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { waitFor } from '../helpers/process.js';
import { GossipDriver } from '../../src/gossip/driver.js';
import { Serf, SERF_DEFAULTS, STATUS_NAMES, type SerfEvent } from '../../src/gossip/serf/serf.js';
import { LAN_PROFILE, memberlistConfig } from '../../src/gossip/memberlist/config.js';
import { LogHub } from '../../src/runtime/log.js';
import { nodeUdp } from '../../src/platform/node/udp.js';
import { nodeTcp } from '../../src/platform/node/tcp.js';
import { systemClock } from '../../src/platform/node/clock.js';
import { systemTimers } from '../../src/platform/node/timers.js';
import { systemRng } from '../../src/platform/node/rng.js';

const dir = mkdtempSync(path.join(tmpdir(), 'proconsul-serf-'));
const children: ChildProcess[] = [];
const ours: Array<{ close(): Promise<void> }> = [];
after(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  for (const o of ours) await o.close().catch(() => {});
  rmSync(dir, { recursive: true, force: true });
});

/** The serf binary, installed from Debian when missing (CI machines start without it). */
function serfBinary(): string {
  for (const p of ['/usr/bin/serf', '/usr/local/bin/serf']) if (existsSync(p)) return p;
  const why = aptInstall(['serf']);
  if (!existsSync('/usr/bin/serf'))
    throw new Error(`serf is not installed and apt-get could not install it: ${why}`);
  return '/usr/bin/serf';
}

interface GoPeer {
  proc: ChildProcess;
  rpc: string;
  log: () => string;
  events: () => string[];
}

function startGo(bin: string, name: string, ip: string, extra: string[] = []): GoPeer {
  const evFile = path.join(dir, `${name}.events`);
  writeFileSync(evFile, '');
  const handler = path.join(dir, `${name}-handler.sh`);
  // User events are logged with their payload; queries named "who" answer with our name and the payload.
  writeFileSync(
    handler,
    `#!/bin/sh\nPAYLOAD=$(cat)\nif [ "$SERF_EVENT" = "query" ]; then printf 'go:%s:%s' "$SERF_SELF_NAME" "$PAYLOAD"; fi\necho "$SERF_EVENT $SERF_USER_EVENT$SERF_QUERY_NAME $PAYLOAD" >> ${evFile}\n`,
  );
  chmodSync(handler, 0o755);
  const rpc = `${ip}:7373`;
  const proc = spawn(
    bin,
    [
      'agent',
      `-node=${name}`,
      `-bind=${ip}:7946`,
      `-rpc-addr=${rpc}`,
      '-log-level=debug',
      `-event-handler=${handler}`,
      ...extra,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.push(proc);
  let out = '';
  proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  return {
    proc,
    rpc,
    log: () => out,
    events: () => readFileSync(evFile, 'utf8').split('\n').filter(Boolean),
  };
}

/** Runs the serf CLI without blocking our event loop (our in-process node must keep answering). */
function serfCli(bin: string, args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const c = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const t = setTimeout(() => c.kill('SIGKILL'), 30_000);
    c.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, out, err });
    });
  });
}

async function goMembers(bin: string, peer: GoPeer): Promise<Record<string, string>> {
  const r = await serfCli(bin, ['members', `-rpc-addr=${peer.rpc}`, '-format=json']);
  if (r.code !== 0) return {};
  const j = JSON.parse(r.out) as { members: Array<{ name: string; status: string }> };
  return Object.fromEntries(j.members.map((m) => [m.name, m.status]));
}

interface Ours {
  serf: Serf;
  driver: GossipDriver;
  events: SerfEvent[];
  close(): Promise<void>;
  view(): Record<string, string>;
}

async function startOurs(name: string, ip: string, keys: Uint8Array[] = []): Promise<Ours> {
  const hub = new LogHub(systemClock, 'error');
  const events: SerfEvent[] = [];
  const serf = new Serf(
    {
      ...SERF_DEFAULTS,
      nodeName: name,
      tags: new Map([['role', 'proconsul']]),
      memberlist: memberlistConfig(LAN_PROFILE, { name, advertiseAddr: ip, advertisePort: 7946, keys }),
    },
    systemRng,
    hub.logger('serf'),
    systemClock.monotonicMs(),
    (e) => {
      events.push(e);
      // Our side answers queries named "who" the way the Go handler does.
      if (e.type === 'query' && e.query.name === 'who')
        driver.run(() =>
          e.query.respond(
            new TextEncoder().encode(`ts:${name}:${new TextDecoder().decode(e.query.payload)}`),
          ),
        );
    },
  );
  const driver = new GossipDriver(
    serf,
    {
      packets: nodeUdp,
      streams: nodeTcp,
      clock: systemClock,
      timers: systemTimers,
      log: hub.logger('driver'),
    },
    () => ({ keys: serf.keys(), label: '', verifyIncoming: true }),
  );
  serf.start();
  await driver.start({ ip, port: 7946 });
  const o: Ours = {
    serf,
    driver,
    events,
    close: async () => {
      driver.run(() => serf.shutdown());
      await driver.close();
    },
    view: () => Object.fromEntries(serf.allMembers().map((m) => [m.name, STATUS_NAMES[m.status]])),
  };
  ours.push(o);
  return o;
}

const join = (o: Ours, ip: string) =>
  new Promise<{ n: number; err: string | null }>((resolve) =>
    o.driver.run(() => o.serf.join([{ ip, port: 7946 }], false, (n, err) => resolve({ n, err }))),
  );

const leave = (o: Ours) => new Promise<string | null>((resolve) => o.driver.run(() => o.serf.leave(resolve)));

test(
  'plain: joins both ways, events and queries cross, kill → failed, leave → left',
  { timeout: 150_000 },
  async () => {
    const bin = serfBinary();
    const go = startGo(bin, 'go-a', '127.0.0.160');
    await waitFor(
      'go serf up',
      async () => (await serfCli(bin, ['members', `-rpc-addr=${go.rpc}`])).code === 0,
      10_000,
    );

    // Ours joins theirs.
    const t1 = await startOurs('ts-a', '127.0.0.161');
    assert.deepEqual(await join(t1, '127.0.0.160'), { n: 1, err: null });
    await waitFor(
      'both alive on both sides',
      async () => (await goMembers(bin, go))['ts-a'] === 'alive' && t1.view()['go-a'] === 'alive',
      10_000,
    );
    const tags = JSON.parse((await serfCli(bin, ['members', `-rpc-addr=${go.rpc}`, '-format=json'])).out) as {
      members: Array<{ name: string; tags: Record<string, string> }>;
    };
    assert.deepEqual(tags.members.find((m) => m.name === 'ts-a')?.tags, { role: 'proconsul' });

    // Theirs joins ours: a second Go node joins through our node and everyone sees everyone.
    const go2 = startGo(bin, 'go-b', '127.0.0.162', ['-join=127.0.0.161:7946']);
    await waitFor(
      'go-b learned through ts-a',
      async () =>
        t1.view()['go-b'] === 'alive' &&
        (await goMembers(bin, go))['go-b'] === 'alive' &&
        (await goMembers(bin, go2))['ts-a'] === 'alive',
      15_000,
    );

    // User event from Go reaches us; ours reaches Go.
    assert.equal((await serfCli(bin, ['event', `-rpc-addr=${go.rpc}`, 'deploy', 'from-go'])).code, 0);
    await waitFor(
      'our node got the Go event',
      () =>
        t1.events.some(
          (e) =>
            e.type === 'user' && e.name === 'deploy' && new TextDecoder().decode(e.payload) === 'from-go',
        ),
      10_000,
    );
    assert.equal(
      t1.driver.run(() => t1.serf.userEvent('release', new TextEncoder().encode('from-ts'), false)),
      null,
    );
    await waitFor(
      'Go got our event',
      () =>
        go.events().some((l) => l === 'user release from-ts') &&
        go2.events().some((l) => l === 'user release from-ts'),
      10_000,
    );

    // A Go query gets our answer; our query gets both Go answers.
    const q = await serfCli(bin, [
      'query',
      `-rpc-addr=${go.rpc}`,
      '-format=json',
      '-timeout=3s',
      'who',
      'ping',
    ]);
    assert.equal(q.code, 0, q.err);
    const qj = JSON.parse(q.out) as { Acks: string[]; Responses: Record<string, string> };
    assert.equal(qj.Responses['ts-a'], 'ts:ts-a:ping');
    assert.ok(qj.Acks.includes('ts-a'));
    const h = t1.driver.run(() =>
      t1.serf.query('who', new TextEncoder().encode('hello'), { requestAck: true, timeoutMs: 3000 }),
    );
    assert.ok(typeof h !== 'string');
    await waitFor('our query finished', () => h.finished, 10_000);
    const answers = Object.fromEntries(h.responses.map((r) => [r.from, new TextDecoder().decode(r.payload)]));
    assert.equal(answers['go-a'], 'go:go-a:hello');
    assert.equal(answers['go-b'], 'go:go-b:hello');
    assert.ok(h.acks.includes('go-a') && h.acks.includes('go-b'));

    // kill -9 of a Go node: ours marks it failed. Killing ours: Go marks it failed.
    go2.proc.kill('SIGKILL');
    await waitFor('ours: go-b failed', () => t1.view()['go-b'] === 'failed', 30_000);
    const t2 = await startOurs('ts-b', '127.0.0.163');
    assert.equal((await join(t2, '127.0.0.160')).err, null);
    await waitFor('ts-b alive on Go', async () => (await goMembers(bin, go))['ts-b'] === 'alive', 10_000);
    await t2.close(); // vanishes without a goodbye
    await waitFor('Go: ts-b failed', async () => (await goMembers(bin, go))['ts-b'] === 'failed', 30_000);

    // Graceful leaves: ours leaves → "left" on Go; Go leaves → "left" on ours.
    const t3 = await startOurs('ts-c', '127.0.0.164');
    assert.equal((await join(t3, '127.0.0.160')).err, null);
    await waitFor('ts-c alive on Go', async () => (await goMembers(bin, go))['ts-c'] === 'alive', 10_000);
    assert.equal(await leave(t3), null);
    await waitFor('Go: ts-c left', async () => (await goMembers(bin, go))['ts-c'] === 'left', 10_000);
    assert.equal((await serfCli(bin, ['leave', `-rpc-addr=${go.rpc}`])).code, 0);
    await waitFor('ours: go-a left', () => t1.view()['go-a'] === 'left', 15_000);
  },
);

test(
  'encrypted: same key joins, wrong key is refused, key rotation through Serf queries',
  { timeout: 120_000 },
  async () => {
    const bin = serfBinary();
    const k1 = Buffer.from(Array.from({ length: 32 }, (_, i) => i)).toString('base64');
    const k2 = Buffer.from(Array.from({ length: 32 }, (_, i) => 32 + i)).toString('base64');
    const keyring = path.join(dir, 'go-e.keyring');
    writeFileSync(keyring, JSON.stringify([k1]));
    const go = startGo(bin, 'go-e', '127.0.0.165', [`-keyring-file=${keyring}`]);
    await waitFor(
      'go serf up',
      async () => (await serfCli(bin, ['members', `-rpc-addr=${go.rpc}`])).code === 0,
      10_000,
    );

    const bad = await startOurs('ts-wrong', '127.0.0.166', [new Uint8Array(Buffer.from(k2, 'base64'))]);
    const refused = await join(bad, '127.0.0.165');
    assert.equal(refused.n, 0);
    assert.match(refused.err ?? '', /Failed to join 127\.0\.0\.165:7946/);
    await bad.close();

    const t = await startOurs('ts-e', '127.0.0.167', [new Uint8Array(Buffer.from(k1, 'base64'))]);
    assert.deepEqual(await join(t, '127.0.0.165'), { n: 1, err: null });
    await waitFor(
      'encrypted pool',
      async () => (await goMembers(bin, go))['ts-e'] === 'alive' && t.view()['go-e'] === 'alive',
      10_000,
    );

    // Rotate from the Go side: install k2 everywhere, make it primary, remove k1.
    for (const args of [
      ['-install', k2],
      ['-use', k2],
      ['-remove', k1],
    ]) {
      const r = await serfCli(bin, ['keys', `-rpc-addr=${go.rpc}`, ...args]);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.out}${r.err}`);
    }
    assert.deepEqual(
      t.serf.keys().map((k) => Buffer.from(k).toString('base64')),
      [k2],
    );
    const list = await serfCli(bin, ['keys', `-rpc-addr=${go.rpc}`, '-list']);
    assert.equal(list.code, 0, list.err);
    assert.match(list.out, new RegExp(`${k2.replace(/[+/=]/g, '\\$&')} +\\[2/2\\]`));
    // Still talking after the rotation: an event crosses under the new key.
    assert.equal(
      t.driver.run(() => t.serf.userEvent('rotated', new TextEncoder().encode('k2'), false)),
      null,
    );
    await waitFor('event under k2', () => go.events().some((l) => l === 'user rotated k2'), 10_000);
  },
);
