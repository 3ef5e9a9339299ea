// Interop with Consul's RPC client side: a Go program built here from Debian's packages of the
// libraries Consul's agents use for server RPC (hashicorp/yamux, net-rpc-msgpackrpc, go-msgpack)
// dials a server's 8300 the way Consul's connection pool does — the RPCMultiplexV2 byte, a yamux
// session, one stream per call — and calls Status, KVS, Catalog and Health methods with Consul's
// request and reply shapes, including a blocking KVS.Get woken by a write on another stream, then
// Session, Txn, Coordinate, Operator and Internal methods, and the snapshot RPC (save and restore).
// The test installs the Go toolchain and those packages when missing.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { aptInstall } from '../helpers/apt.js';
import { startDevAgent, stop, type Proc } from '../helpers/process.js';

const IP = '127.0.0.202';
const SRC = fileURLToPath(new URL('../../../test/interop/go-rpc-client', import.meta.url));
const GO_PACKAGES = [
  'golang-go',
  'golang-github-hashicorp-yamux-dev',
  'golang-github-hashicorp-net-rpc-msgpackrpc-dev',
  'golang-github-hashicorp-go-msgpack-dev',
];
const dir = mkdtempSync(path.join(tmpdir(), 'proconsul-gorpc-'));
let agent: Proc | null = null;
after(async () => {
  if (agent) await stop(agent);
  rmSync(dir, { recursive: true, force: true });
});

/** Builds the client against Debian's Go sources (GOPATH mode, no module downloads). */
function buildClient(): string {
  const lib = '/usr/share/gocode/src/github.com/hashicorp';
  if (
    !existsSync('/usr/bin/go') ||
    !['yamux', 'net-rpc-msgpackrpc', 'go-msgpack'].every((p) => existsSync(`${lib}/${p}`))
  ) {
    const why = aptInstall(GO_PACKAGES);
    assert.ok(existsSync('/usr/bin/go'), `the Go toolchain could not be installed: ${why}`);
  }
  const out = path.join(dir, 'client');
  const r = spawnSync('go', ['build', '-o', out, '.'], {
    cwd: SRC,
    encoding: 'utf8',
    timeout: 300_000,
    env: {
      ...process.env,
      GO111MODULE: 'off',
      GOPATH: `${dir}/gopath:/usr/share/gocode`,
      GOCACHE: `${dir}/cache`,
      GOFLAGS: '',
    },
  });
  assert.equal(r.status, 0, `go build: ${r.stderr}`);
  return out;
}

test(
  "Consul's RPC pool (yamux + msgpack-rpc) against our server: Status, KVS, Catalog, Health, Session, Txn, Coordinate, Operator",
  { timeout: 600_000 },
  async () => {
    const client = buildClient();
    agent = await startDevAgent(IP, 18702, -1);
    const self = (await (await fetch(`http://${IP}:18702/v1/agent/self`)).json()) as {
      Config: { NodeName: string; NodeID: string };
    };
    const node = self.Config.NodeName;
    const r = spawnSync(client, [`${IP}:8300`, node], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    const calls = new Map<string, { reply: unknown; error?: string }>();
    for (const line of r.stdout.trim().split('\n')) {
      const x = JSON.parse(line) as { call: string; reply: unknown; error?: string };
      calls.set(x.call, x);
    }
    const reply = (name: string) => {
      const c = calls.get(name);
      assert.ok(c, `no ${name} in ${r.stdout}`);
      assert.equal(c.error, undefined, `${name}: ${c.error}`);
      return c.reply as Record<string, unknown>;
    };
    assert.equal(reply('ping'), true);
    assert.equal(reply('leader'), `${IP}:8300`);
    assert.equal(reply('kv-set'), true);
    const got = reply('kv-get') as {
      Entries: Array<Record<string, unknown>>;
      Index: number;
      KnownLeader: boolean;
    };
    assert.equal(got.Entries.length, 1);
    assert.equal(got.Entries[0]!.Key, 'rpc/hello');
    assert.equal(got.Entries[0]!.Flags, 42);
    assert.equal(Buffer.from(got.Entries[0]!.Value as string, 'base64').toString(), 'world');
    assert.equal(got.Entries[0]!.ModifyIndex, got.Index);
    assert.equal(got.KnownLeader, true);
    assert.deepEqual((reply('kv-keys') as { Keys: string[] }).Keys, ['rpc/hello']);
    // The blocking read returned with the second write's value and a higher index.
    const blocked = reply('kv-blocking-get') as { Entries: Array<Record<string, unknown>>; Index: number };
    assert.equal(Buffer.from(blocked.Entries[0]!.Value as string, 'base64').toString(), 'again');
    assert.ok(blocked.Index > got.Index);
    assert.equal(reply('kv-cas-stale'), false, 'a cas with a stale index is refused');
    reply('register');
    const nodes = (reply('nodes') as { Nodes: Array<{ Node: string; Address: string }> }).Nodes;
    assert.deepEqual(
      nodes.find((n) => n.Node === 'ext-node'),
      { ID: '', Node: 'ext-node', Address: '192.0.2.7' },
    );
    assert.deepEqual((reply('service-nodes') as { ServiceNodes: unknown[] }).ServiceNodes, [
      { Node: 'ext-node', ServiceName: 'ext', ServicePort: 1234 },
    ]);
    const health = (
      reply('health-service') as { Nodes: Array<{ Node: { Node: string }; Service: { Tags: string[] } }> }
    ).Nodes;
    assert.equal(health.length, 1);
    assert.equal(health[0]!.Node.Node, 'ext-node');
    assert.deepEqual(health[0]!.Service.Tags, ['v1']);

    // Sessions.
    const sid = reply('session-create') as unknown as string;
    assert.match(sid, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    type Sess = { Sessions: Array<Record<string, unknown>> | null; Index: number };
    const one = (reply('session-get') as Sess).Sessions!;
    assert.equal(one.length, 1);
    assert.deepEqual(
      { ...one[0], CreateIndex: 0, ModifyIndex: 0 },
      {
        ID: sid,
        Name: 'rpc-lock',
        Node: node,
        LockDelay: 5e9,
        Behavior: 'release',
        TTL: '30s',
        // The HTTP API defaults NodeChecks to serfHealth; Session.Apply takes what the request says.
        NodeChecks: [],
        CreateIndex: 0,
        ModifyIndex: 0,
      },
    );
    assert.ok((one[0]!.CreateIndex as number) > 0);
    assert.deepEqual(
      (reply('session-list') as Sess).Sessions!.map((x) => x.ID),
      [sid],
    );
    assert.deepEqual(
      (reply('session-node') as Sess).Sessions!.map((x) => x.ID),
      [sid],
    );
    assert.equal(reply('kv-lock'), true);
    assert.deepEqual(
      (reply('session-renew') as Sess).Sessions!.map((x) => x.ID),
      [sid],
    );
    assert.equal(reply('session-destroy') as unknown as string, sid);
    assert.equal((reply('session-get-destroyed') as Sess).Sessions, null);

    // Transactions.
    type Txn = {
      Results: Array<{ KV: Record<string, unknown> }> | null;
      Errors: Array<{ OpIndex: number; What: string }> | null;
    };
    const tx = reply('txn-apply') as Txn;
    assert.equal(tx.Errors, null);
    assert.equal(tx.Results!.length, 2);
    assert.equal(tx.Results![0]!.KV.Key, 'txn/a');
    assert.equal(tx.Results![0]!.KV.Flags, 7);
    assert.equal(Buffer.from(tx.Results![1]!.KV.Value as string, 'base64').toString(), 'again');
    const failed = reply('txn-cas-fail') as Txn;
    assert.equal(failed.Results, null);
    assert.equal(failed.Errors!.length, 1);
    assert.equal(failed.Errors![0]!.OpIndex, 0);
    assert.match(failed.Errors![0]!.What, /failed to set key "txn\/a", index is stale/);
    const read = reply('txn-read') as Txn & { KnownLeader: boolean };
    assert.equal(Buffer.from(read.Results![0]!.KV.Value as string, 'base64').toString(), 'one');
    assert.equal(read.KnownLeader, true);

    // Coordinates: floats survive both ways.
    const coord = {
      Vec: [0.5, -0.25, 0, 0, 0, 0, 0, 0.125],
      Error: 1.5,
      Adjustment: -0.001,
      Height: 0.00001,
    };
    reply('coord-update');
    type Coords = { Coordinates: Array<{ Node: string; Coord: unknown }> | null };
    assert.deepEqual(
      (reply('coord-nodes') as Coords).Coordinates!.find((c) => c.Node === node)?.Coord,
      coord,
    );
    assert.deepEqual(
      (reply('coord-node') as Coords).Coordinates!.map((c) => c.Coord),
      [coord],
    );

    // Operator.
    const raft = reply('raft-configuration') as { Servers: Array<Record<string, unknown>>; Index: number };
    assert.deepEqual(raft.Servers, [
      {
        ID: self.Config.NodeID,
        Node: node,
        Address: `${IP}:8300`,
        Leader: true,
        ProtocolVersion: '3',
        Voter: true,
      },
    ]);
    assert.ok(raft.Index > 0);
    assert.deepEqual(reply('autopilot'), {
      CleanupDeadServers: true,
      LastContactThreshold: 200e6,
      MaxTrailingLogs: 250,
      ServerStabilizationTime: 10e9,
    });
    assert.equal(
      calls.get('remove-unknown-peer')?.error,
      'id "00000000-0000-0000-0000-00000000dead" was not found in the Raft configuration',
    );

    // Internal.
    type Dump = {
      Dump: Array<{ Node: string; Address: string; Services: Array<{ Service: string }> | null }> | null;
      Index: number;
    };
    const dumped = (reply('node-dump') as Dump).Dump!;
    assert.deepEqual(dumped.map((n) => n.Node).sort(), ['ext-node', node].sort());
    const info = (reply('node-info') as Dump).Dump!;
    assert.equal(info.length, 1);
    assert.equal(info[0]!.Address, '192.0.2.7');
    assert.deepEqual(
      info[0]!.Services!.map((x) => x.Service),
      ['ext'],
    );

    // The snapshot RPC: a save streams Consul's archive (gzip) after the response header; a restore of
    // it brings the marker key back; garbage is refused in the header's Error.
    type Snap = { resp: { Error: string; Index: number; KnownLeader: boolean }; size: number; gzip: boolean };
    const saved = reply('snapshot-save') as unknown as Snap;
    assert.equal(saved.resp.Error, '');
    assert.ok(saved.resp.Index > 0);
    assert.ok(saved.gzip && saved.size > 100, JSON.stringify(saved));
    const restored = reply('snapshot-restore') as unknown as { resp: { Error: string }; extra: number };
    assert.deepEqual(restored, { resp: { ...restored.resp, Error: '' }, extra: 0 });
    const marker = reply('snap-marker') as { Entries: Array<{ Value: string }> };
    assert.equal(Buffer.from(marker.Entries[0]!.Value, 'base64').toString(), 'before');
    const garbage = reply('snapshot-restore-garbage') as { Error: string };
    assert.match(garbage.Error, /^failed to read snapshot file: /);

    // Errors come back as net/rpc errors with Consul's texts.
    assert.equal(calls.get('unknown')?.error, "rpc: can't find service Nope.Nothing");
    assert.equal(calls.get('wrong-dc')?.error, 'No path to datacenter');
  },
);
