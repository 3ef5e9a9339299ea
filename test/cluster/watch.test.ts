// consul watch and agent `watches` against a real -dev agent: without a handler the first result is
// printed as indented JSON; with one the handler runs on each change with JSON on stdin and CONSUL_INDEX;
// a config watch with a script handler runs inside the agent.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import path from 'node:path';
import { consul, startConsul, stop, waitFor, type Proc, startDevAgent } from '../helpers/process.js';

const IP = '127.0.0.110';
const PORT = 19210;
const H = `http://${IP}:${PORT}`;
const env = { CONSUL_HTTP_ADDR: `${IP}:${PORT}` };
const dir = mkdtempSync(path.join(tmpdir(), 'watch-'));
const agentOut = path.join(dir, 'agent-watch.out');
const reloadedOut = path.join(dir, 'reloaded-watch.out');
const cfg = path.join(dir, 'watches.json');
const HOOK = `http://${IP}:19220/hook`;
const hooks: Array<{ method: string; headers: IncomingHttpHeaders; body: string }> = [];
let hookServer: Server;
let agent: Proc;
const watchers: Proc[] = [];

const script = (file: string) => ['sh', '-c', `{ cat; echo "index=$CONSUL_INDEX"; } >> ${file}`];

before(async () => {
  hookServer = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      hooks.push({ method: req.method ?? '', headers: req.headers, body });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => hookServer.listen(19220, IP, r));
  writeFileSync(
    cfg,
    JSON.stringify({
      watches: [
        { type: 'key', key: 'cfg/flag', args: script(agentOut) },
        {
          type: 'keyprefix',
          prefix: 'hook/',
          handler_type: 'http',
          http_handler_config: { path: HOOK, method: 'PUT', header: { 'X-Test': ['yes'] } },
        },
      ],
    }),
  );
  agent = await startDevAgent(IP, PORT, 19211, [
    '-serf-lan-port=19212',
    '-serf-wan-port=19213',
    '-server-port=19214',
    `-config-file=${cfg}`,
  ]);
});

after(async () => {
  for (const w of watchers) await stop(w);
  await stop(agent);
  await new Promise((r) => hookServer.close(r));
  rmSync(dir, { recursive: true, force: true });
});

const put = async (key: string, value: string) => {
  const r = await fetch(`${H}/v1/kv/${key}`, { method: 'PUT', body: value });
  assert.equal((await r.text()).trim(), 'true');
};

test('without a handler, consul watch prints the key as indented JSON and exits', async () => {
  await put('foo', 'bar');
  const r = consul(['watch', '-type=key', '-key=foo'], env);
  assert.equal(r.code, 0, r.err);
  const v = JSON.parse(r.out) as Record<string, unknown>;
  assert.deepEqual(Object.keys(v), [
    'Key',
    'CreateIndex',
    'ModifyIndex',
    'LockIndex',
    'Flags',
    'Value',
    'Session',
  ]);
  assert.equal(v.Key, 'foo');
  assert.equal(Buffer.from(String(v.Value), 'base64').toString(), 'bar');
  assert.match(r.out, /^\{\n {4}"Key": "foo",\n/);
  assert.equal(consul(['watch', '-type=key', '-key=absent'], env).out, 'null\n');
  const missing = consul(['watch', '-type=key'], env);
  assert.equal(missing.code, 1);
  assert.equal(missing.err, 'Must specify a single key to watch\n');
  const untyped = consul(['watch'], env);
  assert.equal(untyped.code, 1);
  assert.match(untyped.err, /^Watch type must be specified\n\nUsage: consul watch/);
});

test('with a handler, consul watch runs it on each change with the JSON on stdin', async () => {
  const file = path.join(dir, 'prefix.out');
  const w = startConsul(
    ['watch', '-type=keyprefix', '-prefix=app/', `{ cat; echo "index=$CONSUL_INDEX"; } >> ${file}`],
    env,
  );
  watchers.push(w);
  const runs = () => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n') : []);
  // The first run comes at once with the current (empty) prefix.
  await waitFor('the first handler run', () => runs().length === 2, 10_000);
  assert.equal(runs()[0], 'null');
  await put('app/one', '1');
  await waitFor('a run for app/one', () => runs().length === 4, 10_000);
  await put('app/two', '2');
  await waitFor('a run for app/two', () => runs().length === 6, 10_000);
  const got = runs();
  const keys = (line: string) => (JSON.parse(line) as Array<{ Key: string }>).map((p) => p.Key);
  assert.deepEqual(keys(got[2]!), ['app/one']);
  assert.deepEqual(keys(got[4]!), ['app/one', 'app/two']);
  const idx = (JSON.parse(got[4]!) as Array<{ ModifyIndex: number }>)[1]!.ModifyIndex;
  assert.equal(got[5], `index=${idx}`);
  // A write elsewhere does not run the handler.
  await put('other/x', '1');
  await put('app/two', '2b');
  await waitFor('a run for the changed app/two', () => runs().length === 8, 10_000);
  const last = JSON.parse(runs()[6]!) as Array<{ Key: string; Value: string }>;
  assert.deepEqual(
    last.map((p) => [p.Key, Buffer.from(p.Value, 'base64').toString()]),
    [
      ['app/one', '1'],
      ['app/two', '2b'],
    ],
    'the write under other/ ran no handler',
  );
  w.child.kill('SIGINT');
  assert.equal(await w.exited, 0, w.err());
});

test('a watches entry in the agent config runs its script handler on each change', async () => {
  const runs = () => (existsSync(agentOut) ? readFileSync(agentOut, 'utf8').trim().split('\n') : []);
  await waitFor('the first run at agent start', () => runs().length >= 2, 10_000);
  assert.equal(runs()[0], 'null');
  await put('cfg/flag', 'on');
  await waitFor('a run for cfg/flag', () => runs().length === 4, 10_000);
  const pair = JSON.parse(runs()[2]!) as { Key: string; Value: string; ModifyIndex: number };
  assert.equal(pair.Key, 'cfg/flag');
  assert.equal(Buffer.from(pair.Value, 'base64').toString(), 'on');
  assert.equal(runs()[3], `index=${pair.ModifyIndex}`);
});

test('an http handler receives the JSON with X-Consul-Index and its configured method and headers', async () => {
  await waitFor('the first hook at agent start', () => hooks.length >= 1, 10_000);
  assert.equal(hooks[0]!.body, 'null');
  await put('hook/a', 'A');
  await waitFor('a hook for hook/a', () => hooks.length >= 2, 10_000);
  const h = hooks[1]!;
  assert.equal(h.method, 'PUT');
  assert.equal(h.headers['x-test'], 'yes');
  assert.equal(h.headers['content-type'], 'application/json');
  const pairs = JSON.parse(h.body) as Array<{ Key: string; ModifyIndex: number }>;
  assert.deepEqual(
    pairs.map((p) => p.Key),
    ['hook/a'],
  );
  assert.equal(h.headers['x-consul-index'], String(pairs[0]!.ModifyIndex));
});

test('consul reload replaces the configured watches', async () => {
  writeFileSync(
    cfg,
    JSON.stringify({ watches: [{ type: 'key', key: 'cfg/other', args: script(reloadedOut) }] }),
  );
  const r = consul(['reload'], env);
  assert.equal(r.code, 0, r.err);
  const runs = () => (existsSync(reloadedOut) ? readFileSync(reloadedOut, 'utf8').trim().split('\n') : []);
  await waitFor('the new watch to start', () => runs().length === 2, 10_000);
  const before = readFileSync(agentOut, 'utf8');
  await put('cfg/flag', 'off');
  await put('cfg/other', 'x');
  await waitFor('a run for cfg/other', () => runs().length === 4, 10_000);
  assert.equal((JSON.parse(runs()[2]!) as { Key: string }).Key, 'cfg/other');
  assert.equal(readFileSync(agentOut, 'utf8'), before, 'the removed watch no longer runs');
});

test('an event watch blocks while there are none and hands out each new event once', async () => {
  const empty = await fetch(`${H}/v1/event/list?name=deploy`);
  assert.equal(empty.headers.get('x-consul-index'), '1', 'a non-zero index, so watches block');
  await empty.text();
  const file = path.join(dir, 'events.out');
  const w = startConsul(['watch', '-type=event', '-name=deploy', `cat >> ${file}`], env);
  watchers.push(w);
  const runs = () => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n') : []);
  await waitFor('the first run', () => runs().length === 1, 10_000);
  assert.equal(runs()[0], '[]');
  assert.equal(consul(['event', '-name=deploy', 'one'], env).code, 0);
  await waitFor('a run for the first event', () => runs().length === 2, 10_000);
  assert.equal(consul(['event', '-name=deploy', 'two'], env).code, 0);
  await waitFor('a run for the second event', () => runs().length === 3, 10_000);
  const payloads = runs()
    .slice(1)
    .map((l) =>
      (JSON.parse(l) as Array<{ Payload: string }>).map((e) => Buffer.from(e.Payload, 'base64').toString()),
    );
  assert.deepEqual(payloads, [['one'], ['two']]);
  w.child.kill('SIGINT');
  assert.equal(await w.exited, 0, w.err());
});
