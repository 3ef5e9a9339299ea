// Three real server processes on 127.0.0.91-93 formed from peers.json (Consul's outage-recovery file):
// kill -9 the leader while eight writers stream, a new leader takes over, and after every server is
// killed -9 and restarted no acknowledged write is missing; then an outage recovery with peers.json
// naming two of the three over the existing data. Snapshots are taken often and logs compacted hard, so the
// killed server can only catch up through InstallSnapshot, and every restart restores from a snapshot.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, readdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { consul, startConsul, stop, waitFor, type Proc } from '../helpers/process.js';

const IPS = ['127.0.0.91', '127.0.0.92', '127.0.0.93'];
const IDS = IPS.map((_, i) => `00000000-0000-4000-8000-00000000009${i + 1}`);
const HTTP = (i: number) => `http://${IPS[i]}:${18591 + i}`;
const dir = mkdtempSync(path.join(tmpdir(), 'raft3-'));
const procs: Array<Proc | null> = [null, null, null];

after(async () => {
  await Promise.all(procs.map((p) => p && stop(p)));
  rmSync(dir, { recursive: true, force: true });
});

function start(i: number): Proc {
  const p = startConsul([
    'agent',
    '-server',
    `-data-dir=${dir}/s${i}`,
    `-node=srv${i + 1}`,
    `-node-id=${IDS[i]}`,
    `-bind=${IPS[i]}`,
    `-client=${IPS[i]}`,
    `-http-port=${18591 + i}`,
    '-hcl',
    'performance { raft_multiplier = 1 }',
    '-hcl',
    'raft_snapshot_threshold = 16',
    '-hcl',
    'raft_snapshot_interval = "300ms"',
    '-hcl',
    'raft_trailing_logs = 4',
  ]);
  procs[i] = p;
  return p;
}

async function json(url: string, init?: RequestInit): Promise<{ status: number; body: unknown }> {
  const r = await fetch(url, { ...init, signal: AbortSignal.timeout(2000) });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}

async function leaderIndex(exclude = -1): Promise<number> {
  for (let i = 0; i < 3; i++) {
    if (i === exclude || !procs[i]) continue;
    try {
      const { body } = await json(`${HTTP(i)}/v1/status/leader`);
      const at = IPS.findIndex((ip) => body === `${ip}:8300`);
      if (at >= 0 && at !== exclude) return at;
    } catch {
      /* that one is down or starting */
    }
  }
  return -1;
}

/** Polls until some server other than `exclude` reports a leader; returns the leader's index. */
async function awaitLeader(what: string, exclude: number, ms: number): Promise<number> {
  return (
    (await waitFor(
      what,
      async () => {
        const l = await leaderIndex(exclude);
        return l >= 0 ? l + 1 : 0;
      },
      ms,
    )) - 1
  );
}

/** The acknowledged writes missing from server i (read locally with ?stale). */
async function missing(i: number, acked: Map<string, string>): Promise<number> {
  const r = await json(`${HTTP(i)}/v1/kv/stream?recurse&stale`);
  const got = new Map((r.body as Array<{ Key: string; Value: string }>).map((e) => [e.Key, e.Value]));
  return [...acked].filter(([k, v]) => got.get(k) !== Buffer.from(v).toString('base64')).length;
}

// RAFT3_DEBUG=1 prints the servers' logs at the end.
after(() => {
  if (process.env.RAFT3_DEBUG)
    for (const p of procs)
      if (p) process.stdout.write(`----\n${p.out().slice(-3000)}\n${p.err().slice(-2000)}\n`);
});

test('kill -9 the leader during a write stream: a new leader is elected and no acknowledged write is lost', async () => {
  const peers = IPS.map((ip, i) => ({ id: IDS[i], address: `${ip}:8300`, non_voter: false }));
  for (let i = 0; i < 3; i++) {
    mkdirSync(`${dir}/s${i}/raft`, { recursive: true });
    writeFileSync(`${dir}/s${i}/raft/peers.json`, JSON.stringify(peers));
    start(i);
  }
  const first = await awaitLeader('a leader', -1, 15_000);

  const acked = new Map<string, string>();
  let seq = 0;
  const write = async (exclude: number): Promise<boolean> => {
    const l = await leaderIndex(exclude);
    if (l < 0) return false;
    const n = ++seq;
    const k = `stream/k${n}`;
    try {
      const r = await json(`${HTTP(l)}/v1/kv/${k}`, { method: 'PUT', body: `v${n}` });
      if (r.status === 200 && r.body === true) acked.set(k, `v${n}`);
      return r.status === 200;
    } catch {
      return false;
    }
  };
  while (acked.size < 30) await write(-1);
  const before = acked.size;
  // Eight writers keep proposing while the leader is killed, so some writes are in flight at the kill
  // (those never count as acknowledged; every one that was must survive).
  let streaming = true;
  const writers = Array.from({ length: 8 }, async () => {
    while (streaming) if (!(await write(-1))) await new Promise((r) => setTimeout(r, 20));
  });
  while (acked.size < before + 40) await new Promise((r) => setTimeout(r, 10));
  procs[first]!.child.kill('SIGKILL');
  await procs[first]!.exited;
  procs[first] = null;
  const killedAt = Date.now();
  const next = await awaitLeader('a new leader', first, 15_000);
  const failoverMs = Date.now() - killedAt;
  assert.notEqual(next, first);
  // The killed leader's log ends at most a few proposals (one per writer, plus its own) past what the
  // new leader had when it won; the survivors must compact beyond that, or it catches up by entries.
  const selfStats = (await json(`${HTTP(next)}/v1/agent/self`)).body as {
    Stats: { raft: { last_log_index: string } };
  };
  const killIndex = Number(selfStats.Stats.raft.last_log_index) + 16;
  const afterKill = acked.size;
  while (acked.size < afterKill + 30) await new Promise((r) => setTimeout(r, 10));
  streaming = false;
  await Promise.all(writers);
  // The survivors snapshot and compact past where the killed server stopped (keeping 4 trailing entries).
  const snapshotIndex = (i: number) => {
    const d = `${dir}/s${i}/raft/snapshots`;
    const names = existsSync(d) ? readdirSync(d).filter((n) => !n.endsWith('.tmp')) : [];
    assert.ok(names.length <= 2, `${names.length} snapshots retained`);
    return Math.max(0, ...names.map((n) => Number(n.split('-')[1])));
  };
  const survivors = [0, 1, 2].filter((i) => i !== first);
  await waitFor(
    'snapshots past the kill on both survivors',
    async () => {
      // Trailing logs are 4: a snapshot at S keeps entries after S - 4.
      while (survivors.some((i) => snapshotIndex(i) - 4 <= killIndex)) {
        await write(first);
        return false;
      }
      return true;
    },
    15_000,
  );

  // Every server restarts: the killed one first, then the others are killed -9 too and come back.
  start(first);
  // A restart, an election timeout and the snapshot transfer: generous, since CI runs this beside the
  // 1,000-node simulation and apt/go installs that slow process start and fsync.
  await waitFor(
    'the killed server installs a snapshot',
    async () => /Installed remote snapshot/.test(procs[first]!.out()),
    45_000,
  );
  for (let i = 0; i < 3; i++) {
    if (i === first) continue;
    procs[i]!.child.kill('SIGKILL');
    await procs[i]!.exited;
    start(i);
  }
  const final = await awaitLeader('a leader after restarts', -1, 20_000);
  // A no-op commit by the new leader makes everything before it readable; give it a moment.
  const stored = await waitFor(
    'all acknowledged writes',
    async () => {
      const r = await json(`${HTTP(final)}/v1/kv/stream?recurse`);
      const got = new Map(
        (r.body as Array<{ Key: string; Value: string }>).map((e) => [
          e.Key,
          Buffer.from(e.Value, 'base64').toString(),
        ]),
      );
      return [...acked].every(([k, v]) => got.get(k) === v) ? got : null;
    },
    15_000,
  );
  assert.ok(stored.size >= acked.size);
  // Every server holds the data (read locally with ?stale), and the restarted ones came back from a snapshot.
  for (let i = 0; i < 3; i++) {
    await waitFor(
      `server ${i} has every acknowledged write`,
      async () => (await missing(i, acked)) === 0,
      15_000,
    );
    if (i !== first) assert.match(procs[i]!.out(), /restored from snapshot/, `server ${i}`);
  }
  // After the kill -9 restarts an election may still be settling: wait for one leader in the table.
  const lines = await waitFor(
    'list-peers with one leader',
    () => {
      const listed = consul(['operator', 'raft', 'list-peers', `-http-addr=${IPS[final]}:${18591 + final}`]);
      const rows = listed.out.trim().split('\n');
      return listed.code === 0 && rows.filter((l) => /\bleader\b/.test(l)).length === 1 ? rows : null;
    },
    15_000,
    250,
  );
  assert.match(lines[0]!, /^Node +ID +Address +State +Voter +RaftProtocol +Commit Index +Trails Leader By$/);
  assert.equal(lines.length, 4);
  assert.equal(lines.filter((l) => /\bleader\b/.test(l)).length, 1);
  for (const [i, ip] of IPS.entries())
    assert.ok(
      lines.some((l) => l.includes(IDS[i]!) && l.includes(`${ip}:8300`) && / true +3 +\d+ /.test(l)),
      ip,
    );

  // consul info's raft section (from /v1/agent/self) reports the real snapshot and leader contact.
  for (let i = 0; i < 3; i++) {
    const raft = (
      (await json(`${HTTP(i)}/v1/agent/self`)).body as { Stats: { raft: Record<string, string> } }
    ).Stats.raft;
    assert.ok(
      Number(raft.last_snapshot_index) > 0,
      `server ${i} last_snapshot_index ${raft.last_snapshot_index}`,
    );
    assert.ok(Number(raft.last_snapshot_term) > 0, `server ${i} last_snapshot_term`);
    if (raft.state === 'Leader') assert.equal(raft.last_contact, '0');
    else assert.match(raft.last_contact!, /^[\d.]+(ns|µs|ms|s)$|^\d+m[\d.]+s$/, `server ${i}`);
  }

  // consul operator raft transfer-leader: to a named follower, then to whichever is furthest along.
  const addr = (i: number) => `-http-addr=${IPS[i]}:${18591 + i}`;
  const leading = IPS.findIndex((ip) => lines.some((l) => l.includes(`${ip}:8300`) && /\bleader\b/.test(l)));
  const target = (leading + 1) % 3;
  const moved = consul(['operator', 'raft', 'transfer-leader', `-id=${IDS[target]}`, addr(final)]);
  assert.deepEqual(moved, { code: 0, out: 'Success\n', err: '' });
  assert.equal(await awaitLeader('the named server leads', leading, 5_000), target);
  const again = consul(['operator', 'raft', 'transfer-leader', addr(final)]);
  assert.equal(again.out, 'Success\n', again.err);
  assert.notEqual(await awaitLeader('someone else leads', target, 5_000), target);
  const unknown = consul(['operator', 'raft', 'transfer-leader', '-id=nope', addr(final)]);
  assert.equal(unknown.code, 1);
  assert.match(
    unknown.err,
    /^Error transfering leadership: Failed to transfer leadership Unexpected response code: 500 \(Could not find address for server id nope\)/,
  );

  // Outage recovery: all three die, one is lost for good, and the operator writes peers.json naming the
  // other two. The recovered configuration supersedes the one in their logs and snapshots.
  await Promise.all(procs.map(async (p) => p && (p.child.kill('SIGKILL'), await p.exited)));
  procs.fill(null);
  const lost = (final + 1) % 3;
  const kept = [0, 1, 2].filter((i) => i !== lost);
  const two = kept.map((i) => ({ id: IDS[i], address: `${IPS[i]}:8300`, non_voter: false }));
  for (const i of kept) {
    writeFileSync(`${dir}/s${i}/raft/peers.json`, JSON.stringify(two));
    start(i);
  }
  const recovered = await awaitLeader('a leader of the recovered pair', lost, 20_000);
  for (const i of kept) {
    await waitFor(
      `server ${i} recovered`,
      async () => /recovered Raft configuration/.test(procs[i]!.out()),
      5_000,
    );
    assert.ok(!existsSync(`${dir}/s${i}/raft/peers.json`), 'peers.json is deleted once ingested');
    await waitFor(
      `server ${i} keeps every acknowledged write`,
      async () => (await missing(i, acked)) === 0,
      15_000,
    );
  }
  const pair = consul([
    'operator',
    'raft',
    'list-peers',
    `-http-addr=${IPS[recovered]}:${18591 + recovered}`,
  ]);
  assert.equal(pair.out.trim().split('\n').length, 3, pair.out);
  assert.ok(!pair.out.includes(IDS[lost]!), pair.out);
  const put = await json(`${HTTP(recovered)}/v1/kv/stream/after-recovery`, { method: 'PUT', body: 'ok' });
  assert.deepEqual(put, { status: 200, body: true });

  process.stdout.write(
    `# failover: new leader ${failoverMs} ms after kill -9 (raft_multiplier 1); ${acked.size} writes acknowledged, all present after restarts\n`,
  );
});
