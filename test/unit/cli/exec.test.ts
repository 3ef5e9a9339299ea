// `consul exec` against an in-memory fake of the agent's HTTP API: argument errors, the session, job spec
// and event it sends, how it prints what nodes write back, its exit codes, and its cleanup.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execCommand } from '../../../src/cli/commands/exec.js';
import type { CliServices, Ui } from '../../../src/cli/command.js';
import type { HttpClient, HttpClientRequest, HttpClientResponse } from '../../../src/runtime/http.js';
import { systemTimers } from '../../../src/platform/node/timers.js';
import { systemClock } from '../../../src/platform/node/clock.js';

function capture(): Ui & { out: string; err: string } {
  const u = {
    out: '',
    err: '',
    output: (s: string) => void (u.out += `${s}\n`),
    error: (s: string) => void (u.err += `${s}\n`),
    write: (s: string) => void (u.out += s),
    writeErr: (s: string) => void (u.err += s),
  };
  return u;
}

const SESSION = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';

/** The agent side as the CLI sees it: a KV with an index, plus what the "nodes" write after the event. */
class FakeAgent implements HttpClient {
  kv = new Map<string, Uint8Array>();
  index = 1;
  calls: Array<{ method: string; path: string; query: URLSearchParams; body: string }> = [];
  private bump: Array<() => void> = [];
  constructor(private readonly onEvent: (a: FakeAgent) => void) {}

  put(key: string, value: string): void {
    this.kv.set(key, new TextEncoder().encode(value));
    this.index++;
    for (const f of this.bump.splice(0)) f();
  }

  async request(req: HttpClientRequest): Promise<HttpClientResponse> {
    const u = new URL(req.url);
    const body =
      typeof req.body === 'string' ? req.body : new TextDecoder().decode(req.body ?? new Uint8Array());
    this.calls.push({ method: req.method, path: u.pathname, query: u.searchParams, body });
    const json = (v: unknown, headers: Record<string, string> = {}) => reply(200, JSON.stringify(v), headers);
    const p = u.pathname;
    if (p === '/v1/agent/self') return json({ Config: { Datacenter: 'dc1', NodeName: 'cli-node' } });
    if (p === '/v1/session/create') return json({ ID: SESSION });
    if (p.startsWith('/v1/session/destroy/')) return json(true);
    if (p === '/v1/event/fire/_rexec') {
      setImmediate(() => this.onEvent(this));
      return json({ ID: 'ev-1' });
    }
    const key = decodeURIComponent(p.slice('/v1/kv/'.length));
    if (req.method === 'PUT') {
      this.put(key, body);
      return reply(200, 'true');
    }
    if (req.method === 'DELETE') {
      for (const k of [...this.kv.keys()]) if (k.startsWith(key)) this.kv.delete(k);
      return reply(200, 'true');
    }
    if (u.searchParams.has('keys')) {
      // A blocking listing: wait for a write past the given index (or the request to be aborted).
      if (Number(u.searchParams.get('index')) === this.index)
        await new Promise<void>((r) => {
          this.bump.push(r);
          req.signal?.addEventListener('abort', () => r(), { once: true });
        });
      const keys = [...this.kv.keys()].filter((k) => k.startsWith(key)).sort();
      return json(keys, { 'x-consul-index': String(this.index) });
    }
    const v = this.kv.get(key);
    if (!v) return reply(404, '');
    return json([{ Key: key, Value: Buffer.from(v).toString('base64') }]);
  }
}

function reply(status: number, text: string, headers: Record<string, string> = {}): HttpClientResponse {
  const b = new TextEncoder().encode(text);
  return {
    status,
    headers,
    body: async () => b,
    chunks: async function* () {
      yield b;
    },
  };
}

function services(http: HttpClient, stdin = ''): CliServices {
  return {
    env: { CONSUL_HTTP_ADDR: '127.0.0.1:1' },
    http,
    timers: systemTimers,
    clock: systemClock,
    interrupted: new AbortController().signal,
    readStdin: async () => new TextEncoder().encode(stdin),
  } as unknown as CliServices;
}

test('exec: argument errors use Consul texts and exit 1 before touching the agent', async () => {
  const none = new FakeAgent(() => {});
  const cases: Array<[string[], string]> = [
    [[], 'Must specify a command to execute\n'],
    [['-shell=false', '-'], 'Cannot configure -shell=false when reading from stdin\n'],
    [['-tag=x', 'uptime'], 'Cannot provide tag filter without service filter.\n'],
    [['-node=(', 'uptime'], 'Failed to compile node filter regexp: '],
  ];
  for (const [args, err] of cases) {
    const ui = capture();
    assert.equal(await execCommand.run({ args, ui, services: services(none) }), 1, args.join(' '));
    assert.ok(ui.err.startsWith(err), `${args.join(' ')}: ${ui.err}`);
  }
  assert.deepEqual(none.calls, []);
});

test('exec: session, job spec and event as Consul sends them; node output, exit code 2, cleanup', async () => {
  const dir = `_rexec/${SESSION}`;
  const agent = new FakeAgent((a) => {
    a.put(`${dir}/web-1/ack`, '');
    a.put(`${dir}/web-1/out/00000`, 'line one\nline two\n');
    a.put(`${dir}/web-1/exit`, '1');
  });
  const ui = capture();
  const code = await execCommand.run({
    args: ['-wait=100ms', '-wait-repl=0s', '-service=web', 'uptime', '-p'],
    ui,
    services: services(agent),
  });
  assert.equal(code, 2, ui.err);
  assert.equal(
    ui.out,
    [
      '    web-1: line one',
      '    web-1: line two',
      '    web-1:',
      '==> web-1: finished with exit code 1',
      '1 / 1 node(s) completed / acknowledged',
      '',
    ].join('\n'),
  );
  const create = agent.calls.find((c) => c.path === '/v1/session/create')!;
  assert.deepEqual(JSON.parse(create.body), { Name: 'Remote Exec', Behavior: 'delete', TTL: '15s' });
  const job = agent.calls.find((c) => c.path === `/v1/kv/${dir}/job`)!;
  assert.equal(job.query.get('acquire'), SESSION);
  assert.deepEqual(JSON.parse(job.body), { Command: 'uptime -p', Wait: 100e6 });
  const fire = agent.calls.find((c) => c.path === '/v1/event/fire/_rexec')!;
  assert.deepEqual(JSON.parse(fire.body), { Prefix: '_rexec', Session: SESSION });
  assert.equal(fire.query.get('service'), 'web');
  const tail = agent.calls.slice(-2).map((c) => `${c.method} ${c.path}`);
  assert.deepEqual(tail, [`PUT /v1/session/destroy/${SESSION}`, `DELETE /v1/kv/${dir}`]);
  assert.equal(agent.kv.size, 0);
});

test('exec: -shell=false sends Args, stdin sends a base64 Script; an unfinished node exits 2', async () => {
  const dir = `_rexec/${SESSION}`;
  const args = new FakeAgent((a) => a.put(`${dir}/db-1/ack`, ''));
  const ui = capture();
  const code = await execCommand.run({
    args: ['-wait=50ms', '-wait-repl=0s', '-shell=false', '-verbose', 'uptime', '-p'],
    ui,
    services: services(args),
  });
  assert.equal(code, 2, 'acknowledged but never finished');
  const job = args.calls.find((c) => c.path === `/v1/kv/${dir}/job`)!;
  assert.deepEqual(JSON.parse(job.body), { Args: ['uptime', '-p'], Wait: 50e6 });
  assert.match(ui.out, /^==> db-1: acknowledged$/m);
  assert.match(ui.out, /^0 \/ 1 node\(s\) completed \/ acknowledged$/m);

  const script = new FakeAgent(() => {});
  const ui2 = capture();
  assert.equal(
    await execCommand.run({
      args: ['-wait=50ms', '-wait-repl=0s', '-'],
      ui: ui2,
      services: services(script, '#!/bin/sh\necho hi\n'),
    }),
    0,
  );
  const job2 = script.calls.find((c) => c.path === `/v1/kv/${dir}/job`)!;
  assert.deepEqual(JSON.parse(job2.body), {
    Script: Buffer.from('#!/bin/sh\necho hi\n').toString('base64'),
    Wait: 50e6,
  });
  assert.equal(ui2.out, '0 / 0 node(s) completed / acknowledged\n');
});
