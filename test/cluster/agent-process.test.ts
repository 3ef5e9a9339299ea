// The real binary as a process: start-up time, identity files, locking, signals, reload, client commands.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, existsSync, writeFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { consul, httpGet, startConsul, stop, waitFor, type Proc } from '../helpers/process.js';
import { dnsQuery } from '../helpers/dns.js';

const procs: Proc[] = [];
const dirs: string[] = [];
const servers: http.Server[] = [];
after(async () => {
  for (const srv of servers) {
    srv.close();
    srv.closeAllConnections();
  }
  await Promise.all(procs.map(stop));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'proconsul-'));
  dirs.push(d);
  return d;
}

function agent(args: string[], env: Record<string, string> = {}): Proc {
  const p = startConsul(['agent', ...args], env);
  procs.push(p);
  return p;
}

const up = (ip: string, port: number) =>
  waitFor(`agent on ${ip}:${port}`, () =>
    httpGet(`http://${ip}:${port}/v1/agent/self`).then((r) => r.status === 200),
  );

test('a -dev agent answers /v1/agent/self and /v1/agent/version within 1 s of start', async () => {
  const t0 = Date.now();
  const p = agent(['-dev', '-client=127.0.0.60', '-http-port=18560', '-node=dev-one']);
  await up('127.0.0.60', 18560);
  const elapsed = Date.now() - t0;
  assert.ok(elapsed < 1000, `took ${elapsed} ms`);
  const self = JSON.parse((await httpGet('http://127.0.0.60:18560/v1/agent/self')).body);
  assert.equal(self.Config.NodeName, 'dev-one');
  assert.equal(self.Config.Datacenter, 'dc1');
  assert.equal(self.Config.Server, true);
  assert.match(self.Config.NodeID, /^[0-9a-f-]{36}$/);
  const v = JSON.parse((await httpGet('http://127.0.0.60:18560/v1/agent/version')).body);
  assert.equal(v.HumanVersion, '1.16.4');
  assert.match(p.out(), /==> Starting Consul agent\.\.\.\n +Version: '1\.16\.4'/);
  assert.match(p.out(), /Node name: 'dev-one'/);
  assert.match(p.out(), /==> Log data will now stream in as it occurs:/);
  await waitFor('agent running log', () => /\[INFO\] {2}agent: Consul agent running!/.test(p.out()));
  // A -dev server is a Raft group of one: it elects itself at once.
  const leader = await waitFor('a leader', async () => {
    const r = await httpGet('http://127.0.0.60:18560/v1/status/leader');
    return r.body !== '""\n' && r.body !== '""' ? r : null;
  });
  assert.equal(JSON.parse(leader.body), '127.0.0.1:8300');
  assert.deepEqual(JSON.parse((await httpGet('http://127.0.0.60:18560/v1/status/peers')).body), [
    '127.0.0.1:8300',
  ]);
  await waitFor('leadership log lines', () => /agent\.server: cluster leadership acquired/.test(p.out()));
  p.child.kill('SIGINT'); // a -dev agent is a server: SIGINT does not leave
  assert.equal(await p.exited, 1);
  assert.match(p.out(), /agent: Caught: signal=interrupt/);
  assert.match(p.out(), /Graceful shutdown disabled\. Exiting/);
});

test('pid file is written at start and removed at exit; node-id persists across restarts', async () => {
  const dir = tmp();
  const args = [
    '-server',
    '-bootstrap',
    `-data-dir=${dir}/data`,
    `-pid-file=${dir}/consul.pid`,
    '-bind=127.0.0.62',
    '-client=127.0.0.62',
    '-http-port=18562',
    '-node=pid-test',
  ];
  const p1 = agent(args);
  await up('127.0.0.62', 18562);
  assert.equal(readFileSync(`${dir}/consul.pid`, 'utf8'), String(p1.child.pid));
  const id1 = readFileSync(`${dir}/data/node-id`, 'utf8');
  assert.match(id1, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  p1.child.kill('SIGTERM'); // a server does not leave on SIGTERM (leave_on_terminate=false)
  assert.equal(await p1.exited, 1);
  assert.equal(existsSync(`${dir}/consul.pid`), false);
  const p2 = agent(args);
  await up('127.0.0.62', 18562);
  const self = JSON.parse((await httpGet('http://127.0.0.62:18562/v1/agent/self')).body);
  assert.equal(self.Config.NodeID, id1);
  p2.child.kill('SIGKILL');
  await p2.exited;
});

test('a second agent on the same data dir fails with a lock error; the first is unharmed; a stale lock is taken over', async () => {
  const dir = tmp();
  const first = agent([
    '-server',
    '-bootstrap',
    `-data-dir=${dir}`,
    '-bind=127.0.0.63',
    '-client=127.0.0.63',
    '-http-port=18563',
    '-node=first',
  ]);
  await up('127.0.0.63', 18563);
  const id = readFileSync(`${dir}/node-id`, 'utf8');
  const second = agent([
    '-server',
    '-bootstrap',
    `-data-dir=${dir}`,
    '-bind=127.0.0.64',
    '-client=127.0.0.64',
    '-http-port=18564',
    '-node=second',
  ]);
  assert.equal(await second.exited, 1);
  assert.match(second.err() + second.out(), /is in use by another Consul agent \(pid \d+\)/);
  assert.equal(readFileSync(`${dir}/node-id`, 'utf8'), id);
  assert.equal((await httpGet('http://127.0.0.63:18563/v1/agent/self')).status, 200);
  first.child.kill('SIGKILL'); // leaves a stale lock behind
  await first.exited;
  const third = agent([
    '-server',
    '-bootstrap',
    `-data-dir=${dir}`,
    '-bind=127.0.0.63',
    '-client=127.0.0.63',
    '-http-port=18563',
    '-node=third',
  ]);
  await up('127.0.0.63', 18563);
  third.child.kill('SIGKILL');
  await third.exited;
});

test('signals: a client leaves gracefully on SIGTERM and SIGINT (exit 0); SIGHUP reloads the log level', async () => {
  const dir = tmp();
  writeFileSync(`${dir}/a.json`, JSON.stringify({ log_level: 'INFO' }));
  const args = [
    `-data-dir=${dir}/data`,
    `-config-dir=${dir}`,
    '-bind=127.0.0.65',
    '-client=127.0.0.65',
    '-http-port=18565',
    '-node=client-one',
  ];
  const p = agent(args);
  await up('127.0.0.65', 18565);
  await httpGet('http://127.0.0.65:18565/v1/agent/version');
  assert.doesNotMatch(p.out(), /\[DEBUG\]/);
  writeFileSync(`${dir}/a.json`, JSON.stringify({ log_level: 'DEBUG' }));
  p.child.kill('SIGHUP');
  await waitFor('SIGHUP handled', () => /Caught: signal=hangup/.test(p.out()));
  await waitFor('debug logging after reload', async () => {
    await httpGet('http://127.0.0.65:18565/v1/agent/version');
    return /\[DEBUG\] agent\.http: Request finished/.test(p.out());
  });
  p.child.kill('SIGTERM');
  assert.equal(await p.exited, 0);
  assert.match(p.out(), /Caught: signal=terminated/);
  assert.match(p.out(), /Gracefully shutting down agent\.\.\./);
  assert.match(p.out(), /Graceful exit completed/);
  const q = agent(args);
  await up('127.0.0.65', 18565);
  q.child.kill('SIGINT');
  assert.equal(await q.exited, 0);
});

test('a server started with leave_on_terminate=true leaves on SIGTERM; a broken reload keeps the old config', async () => {
  const dir = tmp();
  writeFileSync(`${dir}/a.json`, JSON.stringify({ leave_on_terminate: true }));
  const p = agent([
    '-server',
    '-bootstrap',
    `-data-dir=${dir}/data`,
    `-config-dir=${dir}`,
    '-bind=127.0.0.66',
    '-client=127.0.0.66',
    '-http-port=18566',
  ]);
  await up('127.0.0.66', 18566);
  writeFileSync(`${dir}/b.json`, '{ broken');
  const r = consul(['reload', '-http-addr=127.0.0.66:18566']);
  assert.equal(r.code, 1);
  assert.match(
    r.err,
    /^Error reloading: Unexpected response code: 500 \(failed to parse .*b\.json: invalid character 'b' looking for beginning of object key string/,
  );
  assert.equal((await httpGet('http://127.0.0.66:18566/v1/agent/self')).status, 200);
  p.child.kill('SIGTERM');
  assert.equal(await p.exited, 0);
});

test('client commands: reload, info, monitor, leave via -http-addr / --http-addr and CONSUL_HTTP_ADDR', async () => {
  const dir = tmp();
  const p = agent([
    '-server',
    '-bootstrap',
    `-data-dir=${dir}`,
    '-bind=127.0.0.67',
    '-client=127.0.0.67',
    '-http-port=18567',
    '-node=cmd-test',
  ]);
  await up('127.0.0.67', 18567);
  assert.deepEqual(consul(['reload', '--http-addr=127.0.0.67:18567']), {
    code: 0,
    out: 'Configuration reload triggered\n',
    err: '',
  });
  const info = consul(['info'], { CONSUL_HTTP_ADDR: 'http://127.0.0.67:18567' });
  assert.equal(info.code, 0, info.err);
  assert.match(info.out, /^agent:\n\tcheck_monitors = 0\n/);
  assert.match(info.out, /\nbuild:\n\tprerelease = \n\trevision = proconsul\n\tversion = 1\.16\.4\n/);
  assert.match(info.out, /\nruntime:\n\tarch = /);
  const mon = startConsul(['monitor', '-http-addr=127.0.0.67:18567', '-log-level=debug']);
  procs.push(mon);
  await waitFor('monitor streaming', async () => {
    await httpGet('http://127.0.0.67:18567/v1/agent/version');
    return /\[DEBUG\] agent\.http: Request finished: method=GET url=\/v1\/agent\/version/.test(mon.out());
  });
  mon.child.kill('SIGINT');
  assert.equal(await mon.exited, 0);
  const refused = consul(['reload', '-http-addr=127.0.0.67:1']);
  assert.equal(refused.code, 1);
  assert.equal(
    refused.err,
    'Error reloading: Put "http://127.0.0.67:1/v1/agent/reload": dial tcp 127.0.0.67:1: connect: connection refused\n',
  );
  assert.deepEqual(consul(['leave', '-http-addr=127.0.0.67:18567']), {
    code: 0,
    out: 'Graceful leave complete\n',
    err: '',
  });
  assert.equal(await p.exited, 0);
});

test('config errors stop the agent before it touches the data dir', async () => {
  const dir = tmp();
  const p = agent([
    `-data-dir=${dir}/data`,
    '-bind=127.0.0.68',
    '-server',
    '-bootstrap',
    '-bootstrap-expect=3',
  ]);
  assert.equal(await p.exited, 1);
  assert.equal(p.err(), "'bootstrap_expect > 0' and 'bootstrap = true' are mutually exclusive\n");
  assert.equal(existsSync(`${dir}/data`), false);
  const bad = agent([`-data-dir=${dir}/data`, '-bind=127.0.0.68', '-retry-interval=soon']);
  assert.equal(await bad.exited, 1);
  assert.match(bad.err(), /retry_interval: invalid duration: "soon"/);
});

test('-log-json suppresses the banner and logs JSON; -log-file writes the same lines to a file', async () => {
  const dir = tmp();
  const p = agent(['-dev', '-log-json', `-log-file=${dir}/logs/`, '-client=127.0.0.69', '-http-port=18569']);
  await up('127.0.0.69', 18569);
  await waitFor('running line', () => p.out().includes('Consul agent running!'));
  assert.doesNotMatch(p.out(), /Starting Consul agent/);
  const lines = p
    .out()
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, string>);
  const running = lines.find((l) => l['@message'] === 'Consul agent running!')!;
  assert.equal(running['@level'], 'info');
  assert.equal(running['@module'], 'agent');
  assert.match(running['@timestamp']!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}(Z|[+-]\d\d:\d\d)$/);
  await waitFor(
    'log file',
    () =>
      existsSync(`${dir}/logs/consul.log`) &&
      readFileSync(`${dir}/logs/consul.log`, 'utf8').includes('Consul agent running!'),
  );
  p.child.kill('SIGKILL');
  await p.exited;
});

test('reload changes only what Consul reloads: log level yes, node name no', async () => {
  const dir = tmp();
  writeFileSync(`${dir}/a.json`, JSON.stringify({ node_name: 'before', log_level: 'warn' }));
  const p = agent([
    '-server',
    '-bootstrap',
    `-data-dir=${dir}/data`,
    `-config-dir=${dir}`,
    '-bind=127.0.0.70',
    '-client=127.0.0.70',
    '-http-port=18570',
  ]);
  await up('127.0.0.70', 18570);
  writeFileSync(`${dir}/a.json`, JSON.stringify({ node_name: 'after', log_level: 'debug' }));
  assert.equal(consul(['reload', '-http-addr=127.0.0.70:18570']).code, 0);
  const self = JSON.parse((await httpGet('http://127.0.0.70:18570/v1/agent/self')).body);
  assert.equal(self.Config.NodeName, 'before');
  assert.equal(self.DebugConfig.Logging.LogLevel, 'DEBUG');
  p.child.kill('SIGKILL');
  await p.exited;
});

test('status: a bootstrap server leads itself; a server waiting for bootstrap_expect knows no leader; a client has no servers', async () => {
  const dir = tmp();
  const boot = agent([
    '-server',
    '-bootstrap',
    `-data-dir=${dir}/a`,
    '-bind=127.0.0.72',
    '-client=127.0.0.72',
    '-http-port=18572',
  ]);
  const wait = agent([
    '-server',
    '-bootstrap-expect=3',
    `-data-dir=${dir}/b`,
    '-bind=127.0.0.73',
    '-client=127.0.0.73',
    '-http-port=18573',
  ]);
  const client = agent([`-data-dir=${dir}/c`, '-bind=127.0.0.74', '-client=127.0.0.74', '-http-port=18574']);
  await Promise.all([up('127.0.0.72', 18572), up('127.0.0.73', 18573), up('127.0.0.74', 18574)]);
  await waitFor(
    'bootstrap leader',
    async () =>
      JSON.parse((await httpGet('http://127.0.0.72:18572/v1/status/leader')).body) === '127.0.0.72:8300',
  );
  assert.deepEqual(JSON.parse((await httpGet('http://127.0.0.72:18572/v1/status/peers')).body), [
    '127.0.0.72:8300',
  ]);
  assert.equal(JSON.parse((await httpGet('http://127.0.0.73:18573/v1/status/leader')).body), '');
  assert.deepEqual(JSON.parse((await httpGet('http://127.0.0.73:18573/v1/status/peers')).body), []);
  const c = await httpGet('http://127.0.0.74:18574/v1/status/leader');
  assert.equal(c.status, 500);
  assert.equal(c.body, 'No known Consul servers\n');
  const info = consul(['info', '-http-addr=127.0.0.72:18572']);
  assert.match(
    info.out,
    /\nconsul:\n\tacl = disabled\n\tbootstrap = true\n\tknown_datacenters = 1\n\tleader = true\n\tleader_addr = 127\.0\.0\.72:8300\n\tserver = true\n/,
  );
  assert.match(info.out, /\nraft:\n(\t.*\n)*\tstate = Leader\n/);
  const cinfo = consul(['info', '-http-addr=127.0.0.74:18574']);
  assert.match(cinfo.out, /\nconsul:\n\tacl = disabled\n\tknown_servers = 0\n\tserver = false\n/);
  assert.doesNotMatch(cinfo.out, /raft:/);
  // The Raft log is durable: a restarted bootstrap server keeps its term history.
  boot.child.kill('SIGKILL');
  await boot.exited;
  const again = agent([
    '-server',
    '-bootstrap',
    `-data-dir=${dir}/a`,
    '-bind=127.0.0.72',
    '-client=127.0.0.72',
    '-http-port=18572',
    '-hcl',
    'performance { raft_multiplier = 1 }', // elect within ~2 s rather than 5-10 s
  ]);
  await up('127.0.0.72', 18572);
  await waitFor('re-elected', async () =>
    /\tterm = ([2-9]|\d\d+)\n/.test(consul(['info', '-http-addr=127.0.0.72:18572']).out),
  );
  for (const x of [again, wait, client]) x.child.kill('SIGKILL');
  await Promise.all([again.exited, wait.exited, client.exited]);
});

test('KV through Raft on a -dev server: put/get/raw/keys/recurse/cas/delete, blocking queries, size limit', async () => {
  const p = agent(['-dev', '-client=127.0.0.76', '-http-port=18576']);
  await up('127.0.0.76', 18576);
  const A = 'http://127.0.0.76:18576/v1/kv';
  const put = async (path: string, body: string | Uint8Array) => {
    const r = await fetch(`${A}/${path}`, { method: 'PUT', body });
    return { status: r.status, body: (await r.text()).trim() }; // -dev pretty-prints: "true\n"
  };
  await waitFor('leader', async () => (await put('probe', 'x')).body === 'true');
  assert.deepEqual(await put('foo?flags=42', 'bar'), { status: 200, body: 'true' });
  const get = await httpGet(`${A}/foo`);
  const [e] = JSON.parse(get.body);
  assert.equal(e.Key, 'foo');
  assert.equal(e.Flags, 42);
  assert.equal(Buffer.from(e.Value, 'base64').toString(), 'bar');
  assert.equal(get.headers.get('x-consul-index'), String(e.ModifyIndex));
  assert.equal(get.headers.get('x-consul-knownleader'), 'true');
  assert.deepEqual(Object.keys(e), ['LockIndex', 'Key', 'Flags', 'Value', 'CreateIndex', 'ModifyIndex']);
  assert.equal((await httpGet(`${A}/foo?raw`)).body, 'bar');
  const miss = await httpGet(`${A}/nope`);
  assert.equal(miss.status, 404);
  assert.equal(miss.body, '');
  assert.ok(Number(miss.headers.get('x-consul-index')) >= 1);
  assert.deepEqual(await put(`foo?cas=${e.ModifyIndex - 1}`, 'lost'), { status: 200, body: 'false' });
  assert.deepEqual(await put(`foo?cas=${e.ModifyIndex}`, 'won'), { status: 200, body: 'true' });
  for (const k of ['web/a', 'web/b/1', 'web/b/2']) await put(k, k);
  assert.deepEqual(JSON.parse((await httpGet(`${A}/web/?keys&separator=/`)).body), ['web/a', 'web/b/']);
  assert.deepEqual(
    JSON.parse((await httpGet(`${A}/web?recurse`)).body).map((x: { Key: string }) => x.Key),
    ['web/a', 'web/b/1', 'web/b/2'],
  );
  // Blocking: a query at the current index waits until the key changes.
  const idx = (await httpGet(`${A}/web/a`)).headers.get('x-consul-index');
  const t0 = Date.now();
  const blocked = httpGet(`${A}/web/a?index=${idx}&wait=10s`);
  const change = new Promise((r) => setTimeout(r, 300)).then(() => put('web/a', 'changed'));
  const after = await blocked;
  await change; // its own response, before the agent goes away
  assert.ok(Date.now() - t0 >= 250, 'returned before the write');
  assert.equal(Buffer.from(JSON.parse(after.body)[0].Value, 'base64').toString(), 'changed');
  const t1 = Date.now();
  await httpGet(`${A}/web/a?index=${after.headers.get('x-consul-index')}&wait=200ms`);
  assert.ok(Date.now() - t1 >= 190, 'wait did not hold');
  assert.equal((await httpGet(`${A}/x?index=abc`)).status, 400);
  const conflict = await httpGet(`${A}/foo?stale&consistent`);
  assert.deepEqual(
    [conflict.status, conflict.body],
    [400, 'Cannot specify ?stale with ?consistent, conflicting semantics.\n'],
  );
  const otherDc = await httpGet(`${A}/foo?dc=dc2`);
  assert.deepEqual([otherDc.status, otherDc.body], [500, 'No path to datacenter\n']);
  assert.equal((await httpGet(`${A}/foo?dc=DC1`)).status, 200);
  const del = await fetch(`${A}/web?recurse`, { method: 'DELETE' });
  assert.equal((await del.text()).trim(), 'true');
  assert.equal((await httpGet(`${A}/web?recurse`)).status, 404);
  const big = await put('big', new Uint8Array(524289));
  assert.equal(big.status, 413);
  assert.match(big.body, /^Request body\(524289 bytes\) too large, max size: 524288 bytes/);
  assert.equal((await put('', 'x')).status, 400);
  p.child.kill('SIGKILL');
  await p.exited;
});

test('consul kv put/get/delete against an agent', async () => {
  const p = agent(['-dev', '-client=127.0.0.79', '-http-port=18579']);
  await up('127.0.0.79', 18579);
  const env = { CONSUL_HTTP_ADDR: '127.0.0.79:18579' };
  await waitFor('leader', () => consul(['kv', 'put', 'probe', 'x'], env).code === 0);
  assert.deepEqual(consul(['kv', 'put', 'redis/config/minconns', '1'], env), {
    code: 0,
    out: 'Success! Data written to: redis/config/minconns\n',
    err: '',
  });
  assert.equal(consul(['kv', 'put', '-flags=42', 'redis/config/maxconns', '25'], env).code, 0);
  assert.equal(consul(['kv', 'get', 'redis/config/minconns'], env).out, '1\n');
  assert.match(
    consul(['kv', 'get', '-detailed', 'redis/config/maxconns'], env).out,
    /^CreateIndex {6}\d+\nFlags {12}42\nKey {14}redis\/config\/maxconns\nLockIndex {8}0\nModifyIndex {6}\d+\nSession {10}-\nValue {12}25\n$/,
  );
  assert.equal(
    consul(['kv', 'get', '-recurse', 'redis'], env).out,
    'redis/config/maxconns:25\nredis/config/minconns:1\n',
  );
  assert.equal(consul(['kv', 'get', '-keys', 'redis/'], env).out, 'redis/config/\n');
  assert.deepEqual(consul(['kv', 'get', 'nope'], env), {
    code: 1,
    out: '',
    err: 'Error! No key exists at: nope\n',
  });
  assert.deepEqual(consul(['kv', 'put', '-cas', '-modify-index=1', 'redis/config/minconns', '9'], env), {
    code: 1,
    out: '',
    err: 'Error! Did not write to redis/config/minconns: CAS failed\n',
  });
  // export → delete → import brings the tree back (flags included); -prefix moves it.
  const exported = consul(['kv', 'export', 'redis/'], env);
  assert.equal(exported.code, 0, exported.err);
  assert.match(
    exported.out,
    /^\[\n\t\{\n\t\t"key": "redis\/config\/maxconns",\n\t\t"flags": 42,\n\t\t"value": "MjU="\n\t\},\n\t\{\n/,
  );
  assert.equal(
    consul(['kv', 'delete', '-recurse', 'redis'], env).out,
    'Success! Deleted keys with prefix: redis\n',
  );
  assert.equal(
    consul(['kv', 'import', exported.out], env).out,
    'Imported: redis/config/maxconns\nImported: redis/config/minconns\n',
  );
  assert.match(consul(['kv', 'get', '-detailed', 'redis/config/maxconns'], env).out, /\nFlags {12}42\n/);
  assert.equal(
    consul(['kv', 'import', '-prefix=copy', exported.out], env).out,
    'Imported: copy/redis/config/maxconns\nImported: copy/redis/config/minconns\n',
  );
  assert.equal(consul(['kv', 'export', 'nothing/'], env).out, '[]\n');
  assert.equal(consul(['kv', 'import', '{'], env).err.split(':')[0], 'Cannot unmarshal data');
  // Locks from the command line.
  const sess = (await (
    await fetch('http://127.0.0.79:18579/v1/session/create', { method: 'PUT' })
  ).json()) as {
    ID: string;
  };
  assert.deepEqual(consul(['kv', 'put', '-acquire', `-session=${sess.ID}`, 'locked', 'me'], env), {
    code: 0,
    out: 'Success! Lock acquired on: locked\n',
    err: '',
  });
  assert.match(
    consul(['kv', 'get', '-detailed', 'locked'], env).out,
    new RegExp(`\nSession {10}${sess.ID}\n`),
  );
  assert.equal(
    consul(['kv', 'put', '-release', `-session=${sess.ID}`, 'locked'], env).out,
    'Success! Lock released on: locked\n',
  );
  assert.deepEqual(consul(['kv', 'put', '-release', `-session=${sess.ID}`, 'locked'], env), {
    code: 1,
    out: '',
    err: 'Error! Did not release lock\n',
  });
  assert.equal(consul(['kv', 'delete', '-recurse', 'copy'], env).code, 0);
  assert.equal(
    consul(['kv', 'delete', '-recurse', 'redis'], env).out,
    'Success! Deleted keys with prefix: redis\n',
  );
  assert.equal(consul(['kv', 'get', '-recurse', 'redis'], env).out, '');
  assert.deepEqual(consul(['kv', 'delete', '-cas', '-recurse', 'x'], env), {
    code: 1,
    out: '',
    err: 'Cannot specify both -cas and -recurse!\n',
  });
  const parent = consul(['kv'], env);
  assert.equal(parent.code, 1);
  assert.match(parent.out, /\nSubcommands:\n {4}delete {4}Removes data from the KV store\n/);
  p.child.kill('SIGKILL');
  await p.exited;
});

test('catalog through Raft: register, list, filter by tag, node view, deregister, blocking', async () => {
  const p = agent(['-dev', '-client=127.0.0.86', '-http-port=18586']);
  await up('127.0.0.86', 18586);
  const A = 'http://127.0.0.86:18586/v1/catalog';
  const put = async (path: string, body: unknown) => {
    const r = await fetch(`${A}/${path}`, {
      method: 'PUT',
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: r.status, body: (await r.text()).trim() };
  };
  const reg = {
    Node: 'web1',
    Address: '10.1.0.1',
    Service: { Service: 'web', Tags: ['master'], Port: 8080 },
  };
  await waitFor('leader', async () => (await put('register', reg)).body === 'true');
  assert.deepEqual(
    await put('register', {
      node: 'web2',
      address: '10.1.0.2',
      service: { service: 'web', tags: ['v2'], port: 8081 },
    }),
    { status: 200, body: 'true' },
  );
  assert.deepEqual(await put('register', { Address: 'x' }), { status: 400, body: 'Missing node name' });
  assert.equal(
    (await put('register', '{bad')).body,
    "Request decode failed: invalid character 'b' looking for beginning of object key string",
  );
  const nodes = JSON.parse((await httpGet(`${A}/nodes`)).body).filter((n: { Node: string }) =>
    n.Node.startsWith('web'),
  );
  assert.deepEqual(
    nodes.map((n: { Node: string }) => n.Node),
    ['web1', 'web2'],
  );
  assert.deepEqual(Object.keys(nodes[0]), [
    'ID',
    'Node',
    'Address',
    'Datacenter',
    'TaggedAddresses',
    'Meta',
    'CreateIndex',
    'ModifyIndex',
  ]);
  await waitFor('agent synced', async () => 'consul' in JSON.parse((await httpGet(`${A}/services`)).body));
  assert.deepEqual(JSON.parse((await httpGet(`${A}/services`)).body), { consul: [], web: ['master', 'v2'] });
  const rows = JSON.parse((await httpGet(`${A}/service/web?tag=master`)).body);
  assert.equal(rows.length, 1);
  assert.equal(rows[0].ServicePort, 8080);
  assert.equal(rows[0].Address, '10.1.0.1');
  assert.deepEqual(JSON.parse((await httpGet(`${A}/service/nothing`)).body), []);
  assert.equal(JSON.parse((await httpGet(`${A}/node/web1`)).body).Services.web.Port, 8080);
  assert.equal((await httpGet(`${A}/node/nope`)).body.trim(), 'null');
  assert.deepEqual(JSON.parse((await httpGet(`${A}/datacenters`)).body), ['dc1']);
  // Health views of the same catalog.
  await put('register', { Node: 'web2', Address: '10.1.0.2', Check: { Name: 'disk', Status: 'warning' } });
  const H = 'http://127.0.0.86:18586/v1/health';
  const all = JSON.parse((await httpGet(`${H}/service/web`)).body);
  assert.deepEqual(
    all.map((e: { Node: { Node: string } }) => e.Node.Node),
    ['web1', 'web2'],
  );
  assert.deepEqual(
    all[1].Checks.map((c: { Name: string; Status: string }) => [c.Name, c.Status]),
    [['disk', 'warning']],
  );
  const passing = JSON.parse((await httpGet(`${H}/service/web?passing`)).body);
  assert.deepEqual(
    passing.map((e: { Node: { Node: string } }) => e.Node.Node),
    ['web1'],
  );
  assert.deepEqual(
    JSON.parse((await httpGet(`${H}/state/warning`)).body).map((c: { Node: string }) => c.Node),
    ['web2'],
  );
  assert.deepEqual(
    JSON.parse((await httpGet(`${H}/node/web2`)).body).map((c: { Name: string }) => c.Name),
    ['disk'],
  );
  assert.equal((await httpGet(`${H}/state/bogus`)).status, 400);
  // The agent's own anti-entropy writes too (its node, the consul service): let it settle first.
  await waitFor('agent synced', async () => 'consul' in JSON.parse((await httpGet(`${A}/services`)).body));
  const idx = (await httpGet(`${A}/nodes`)).headers.get('x-consul-index');
  const blocked = httpGet(`${A}/nodes?index=${idx}&wait=10s`);
  const dereg = new Promise((r) => setTimeout(r, 200)).then(() => put('deregister', { Node: 'web2' }));
  assert.deepEqual(
    JSON.parse((await blocked).body)
      .map((n: { Node: string }) => n.Node)
      .filter((n: string) => n.startsWith('web')),
    ['web1'],
  );
  assert.deepEqual(await dereg, { status: 200, body: 'true' });
  p.child.kill('SIGKILL');
  await p.exited;
});

test("DNS on 8600 answers the seed's queries from the catalog: node A, service SRV with A in additional, tags, RFC 2782, NXDOMAIN with SOA", async () => {
  const p = agent(['-dev', '-client=127.0.0.88', '-http-port=18588']);
  await up('127.0.0.88', 18588);
  const A = 'http://127.0.0.88:18588/v1/catalog/register';
  const reg = async (body: unknown) => (await fetch(A, { method: 'PUT', body: JSON.stringify(body) })).text();
  const web = (node: string, addr: string, status: string, tags: string[]) => ({
    Node: node,
    Address: addr,
    Service: { Service: 'web', Tags: tags, Port: 8080 },
    Check: { Name: 'web', ServiceID: 'web', Status: status },
  });
  await waitFor(
    'leader',
    async () => (await reg(web('consul-server01', '10.2.0.10', 'passing', ['master']))).trim() === 'true',
  );
  await reg(web('consul-server02', '10.2.0.11', 'critical', ['master']));
  const D = (name: string, type: Parameters<typeof dnsQuery>[3], opts = {}) =>
    dnsQuery('127.0.0.88', 8600, name, type, opts);
  const node = await D('consul-server01.node.consul', 'A');
  assert.equal(node.rcode, 'NOERROR');
  assert.deepEqual(
    node.answers?.map((a) => [a.name, a.type, (a as { ttl: number }).ttl, (a as { data: string }).data]),
    [['consul-server01.node.consul', 'A', 0, '10.2.0.10']],
  );
  assert.ok(((node.flags ?? 0) & 0x400) !== 0, 'authoritative');
  const withDc = await D('consul-server01.node.dc1.consul', 'A');
  assert.equal((withDc.answers?.[0] as { data: string }).data, '10.2.0.10');
  const srv = await D('web.service.consul', 'SRV');
  assert.deepEqual(
    srv.answers?.map((a) => (a as { data: unknown }).data),
    [{ priority: 1, weight: 1, port: 8080, target: 'consul-server01.node.dc1.consul' }],
  ); // the critical one is left out
  assert.deepEqual(
    srv.additionals?.map((a) => [a.name, a.type, (a as { data: string }).data]),
    [['consul-server01.node.dc1.consul', 'A', '10.2.0.10']],
  );
  const tcp = await D('web.service.consul', 'SRV', { tcp: true });
  assert.equal(tcp.answers?.length, 1);
  const tagged = await D('master.web.service.consul', 'A');
  assert.deepEqual(
    tagged.answers?.map((a) => (a as { data: string }).data),
    ['10.2.0.10'],
  );
  const rfc = await D('_web._tcp.service.consul', 'SRV');
  assert.equal(rfc.answers?.length, 1);
  const missing = await D('nope.service.consul', 'A');
  assert.equal(missing.rcode, 'NXDOMAIN');
  const soa = missing.authorities?.[0] as {
    type: string;
    name: string;
    data: { mname: string; rname: string; refresh: number; retry: number; expire: number; minimum: number };
  };
  assert.equal(soa.type, 'SOA');
  assert.equal(soa.name, 'consul');
  assert.deepEqual(
    [soa.data.mname, soa.data.rname, soa.data.refresh, soa.data.retry, soa.data.expire, soa.data.minimum],
    ['ns.consul', 'hostmaster.consul', 3600, 600, 86400, 0],
  );
  // All instances unhealthy → NXDOMAIN, as the seed shows when the web server stops.
  await reg(web('consul-server01', '10.2.0.10', 'critical', ['master']));
  assert.equal((await D('web.service.consul', 'SRV')).rcode, 'NXDOMAIN');
  assert.equal((await D('example.com', 'A')).rcode, 'REFUSED');
  // Many instances: without EDNS at most udp_answer_limit (3) answers over UDP; all over TCP.
  for (let i = 0; i < 6; i++)
    await reg({ Node: `api${i}`, Address: `10.3.0.${i + 1}`, Service: { Service: 'api', Port: 9000 } });
  assert.equal((await D('api.service.consul', 'A')).answers?.length, 3);
  assert.equal((await D('api.service.consul', 'A', { tcp: true })).answers?.length, 6);
  assert.equal((await D('api.service.consul', 'A', { edns: 4096 })).answers?.length, 6);
  p.child.kill('SIGKILL');
  await p.exited;
});

test("the seed's web.json: an HTTP-checked service joins DNS when its server is up, leaves when it stops; reload adds services", async () => {
  const dir = tmp();
  writeFileSync(
    `${dir}/web.json`,
    '{"service": {"name": "web", "tags": ["master"], "port": 18089,\n"check": {"http": "http://127.0.0.89:18089", "interval": "1s"}}}',
  );
  const p = agent([
    '-dev',
    '-client=127.0.0.89',
    '-http-port=18590',
    `-config-dir=${dir}`,
    '-node=consul-server01',
  ]);
  await up('127.0.0.89', 18590);
  const srv = () => dnsQuery('127.0.0.89', 8600, 'web.service.consul', 'SRV');
  await waitFor('service registered', async () =>
    (await httpGet('http://127.0.0.89:18590/v1/catalog/service/web')).body.includes('"ServicePort": 18089'),
  );
  assert.equal((await srv()).rcode, 'NXDOMAIN'); // the check is critical: nothing listens yet
  await waitFor('check failing in the log', () =>
    /\[WARN\] {2}agent: Check is now critical: check=service:web/.test(p.out()),
  );
  const web = http.createServer((_q, r) => r.end('ok'));
  await new Promise<void>((r) => web.listen(18089, '127.0.0.89', r));
  servers.push(web); // closed by after() even if an assertion fails first
  const up1 = await waitFor('SRV answer', async () => {
    const a = await srv();
    return a.rcode === 'NOERROR' && a.answers?.length === 1 ? a : null;
  });
  assert.deepEqual((up1.answers![0] as { data: unknown }).data, {
    priority: 1,
    weight: 1,
    port: 18089,
    target: 'consul-server01.node.dc1.consul',
  });
  assert.match(p.out(), /agent: Synced check: check=service:web/);
  const env = { CONSUL_HTTP_ADDR: '127.0.0.89:18590' };
  assert.match(consul(['catalog', 'services', '-tags'], env).out, /^consul\nweb {5}master\n$/);
  assert.match(
    consul(['catalog', 'nodes'], env).out,
    /^Node +ID +Address +DC\nconsul-server01 +[0-9a-f]{8} +127\.0\.0\.1 +dc1\n$/,
  );
  assert.equal(consul(['catalog', 'datacenters'], env).out, 'dc1\n');
  const agentSvcs = JSON.parse((await httpGet('http://127.0.0.89:18590/v1/agent/services')).body);
  assert.deepEqual(
    [agentSvcs.web.Service, agentSvcs.web.Port, agentSvcs.web.Tags],
    ['web', 18089, ['master']],
  );
  const agentChecks = JSON.parse((await httpGet('http://127.0.0.89:18590/v1/agent/checks')).body);
  assert.equal(agentChecks['service:web'].Status, 'passing');
  assert.equal(agentChecks['service:web'].Name, "Service 'web' check");
  const health = JSON.parse((await httpGet('http://127.0.0.89:18590/v1/health/service/web?passing')).body);
  assert.match(
    health[0].Checks.find((c: { CheckID: string }) => c.CheckID === 'service:web').Output,
    /^HTTP GET http:\/\/127\.0\.0\.89:18089: 200 OK Output: ok$/,
  );
  await new Promise<void>((r) => web.close(() => r()));
  web.closeAllConnections();
  await waitFor('NXDOMAIN again', async () => (await srv()).rcode === 'NXDOMAIN');
  writeFileSync(`${dir}/api.json`, '{"service": {"name": "api", "port": 9090}}');
  assert.equal(consul(['reload', '-http-addr=127.0.0.89:18590']).code, 0);
  await waitFor(
    'api in DNS',
    async () => (await dnsQuery('127.0.0.89', 8600, 'api.service.consul', 'A')).rcode === 'NOERROR',
  );
  p.child.kill('SIGKILL');
  await p.exited;
});

test('consul members on an agent that has joined nobody: one row, as the seed shows before `consul join`', async () => {
  const dir = tmp();
  const p = agent([
    '-server',
    '-bootstrap',
    `-data-dir=${dir}`,
    '-bind=127.0.0.95',
    '-client=127.0.0.95',
    '-node=consul-server01',
  ]);
  await up('127.0.0.95', 8500);
  const r = consul(['members', '--http-addr', '127.0.0.95:8500']);
  assert.equal(r.code, 0, r.err);
  assert.equal(
    r.out,
    'Node             Address          Status  Type    Build   Protocol  DC   Partition  Segment\n' +
      'consul-server01  127.0.0.95:8301  alive   server  1.16.4  2         dc1  default    <all>\n',
  );
  assert.match(
    consul(['members', '-detailed', '-http-addr=127.0.0.95:8500']).out,
    /^Node +Address +Status +Tags\nconsul-server01 +127\.0\.0\.95:8301 +alive +acls=0,bootstrap=1,build=1\.16\.4:proconsul,dc=dc1,ft_fs=1,ft_si=1,/,
  );
  assert.equal(consul(['members', '-status=failed', '-http-addr=127.0.0.95:8500']).code, 2);
  assert.match(
    consul(['members', '-wan', '-http-addr=127.0.0.95:8500']).out,
    /\nconsul-server01\.dc1 +127\.0\.0\.95:8302 +alive +server/,
  );
  // Community Consul has one LAN segment: all of them (`_all`) is that one, any other is refused.
  assert.equal(consul(['members', '-segment=_all', '-http-addr=127.0.0.95:8500']).code, 0);
  assert.deepEqual(consul(['members', '-segment=alpha', '-http-addr=127.0.0.95:8500']), {
    code: 1,
    out: '',
    err: 'Error retrieving members: Unexpected response code: 500 (Network segments are not supported in this version of Consul)\n',
  });
  p.child.kill('SIGKILL');
  await p.exited;
});
