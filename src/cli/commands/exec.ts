// `consul exec [options] [-|command...]` (consul-surface.md §7.9): creates a session (behavior delete,
// TTL 15s renewed every 5s), writes the job spec to <prefix>/<session>/job, waits -wait-repl so stale
// reads see it, fires the `_rexec` user event with the node/service/tag filters, then watches
// <prefix>/<session>/ with blocking key listings and prints what the agents write back, until -wait
// passes with nothing new (twice that while some node has acked but not finished). The agents' half is
// src/agent/remote-exec.ts.

import { kvValue, type ApiClient, type SessionCreate } from '../../api/client.js';
import { FlagSet } from '../../lib/flags.js';
import { formatGoDuration } from '../../lib/duration.js';
import type { CliServices, Command, Ui } from '../command.js';
import { addHttpFlags } from '../http-flags.js';
import { parseFlags } from '../parse.js';
import { usage } from '../usage.js';

const HELP = `
Usage: consul exec [options] [-|command...]

  Evaluates a command on remote Consul nodes. The nodes responding can
  be filtered using regular expressions on node name, service, and tag
  definitions. If a command is '-', stdin will be read until EOF
  and used as a script input.
`;

const PREFIX = '_rexec';
const SESSION_TTL = '15s';
const RENEW_MS = 5000;
const dec = new TextDecoder();

function flags() {
  const f = new FlagSet();
  const http = addHttpFlags(f, { server: true });
  return {
    f,
    http,
    node: f.string('node', '', 'Regular expression to filter on node names.'),
    service: f.string('service', '', 'Regular expression to filter on service instances.'),
    tag: f.string('tag', '', 'Regular expression to filter on service tags. Must be used with -service.'),
    prefix: f.string('prefix', PREFIX, 'Prefix in the KV store to use for request data.'),
    shell: f.bool('shell', true, 'Use a shell to run the command.'),
    wait: f.duration('wait', 2e9, 'Period to wait with no responses before terminating execution.'),
    replWait: f.duration(
      'wait-repl',
      200e6,
      'Period to wait for replication before firing event. This is an optimization to allow stale reads to be performed.',
    ),
    verbose: f.bool('verbose', false, 'Enables verbose output.'),
  };
}

function regexError(re: string): string | null {
  try {
    new RegExp(re);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

/** Consul's TargetedUI: every line of a message prefixed "==> node: " (info) or "    node: " (output). */
function targeted(arrow: boolean, node: string, message: string): string {
  const lead = arrow ? '==>' : '   ';
  return message
    .split('\n')
    .map((l) => `${lead} ${node}: ${l}`)
    .join('\n')
    .replace(/\s+$/, '');
}

type Result =
  | { kind: 'ack'; node: string }
  | { kind: 'heartbeat'; node: string }
  | { kind: 'output'; node: string; output: string }
  | { kind: 'exit'; node: string; code: number }
  | { kind: 'error' };

/** A queue the key watcher fills and the main loop drains. */
class Results {
  private items: Result[] = [];
  private wake: (() => void) | null = null;
  push(r: Result): void {
    this.items.push(r);
    const w = this.wake;
    this.wake = null;
    w?.();
  }
  take(): Result | undefined {
    return this.items.shift();
  }
  next(): Promise<void> {
    if (this.items.length > 0) return Promise.resolve();
    return new Promise((r) => (this.wake = r));
  }
}

async function getValue(client: ApiClient, key: string, signal: AbortSignal): Promise<Uint8Array | null> {
  const { pair } = await client.kv.get(key, { signal });
  return pair && kvValue(pair);
}

/** Blocking listings of <dir> turned into results, each key once, in key order (as Consul does). */
async function streamResults(
  client: ApiClient,
  dir: string,
  waitNs: number,
  out: Results,
  ui: Ui,
  signal: AbortSignal,
): Promise<void> {
  const seen = new Set<string>();
  let index = '0';
  while (!signal.aborted) {
    let keys: string[];
    let last: string;
    try {
      const r = await client.kv.keys(dir, '', { index, wait: formatGoDuration(waitNs), signal });
      last = r.meta.lastIndex;
      keys = r.keys;
    } catch (e) {
      if (signal.aborted) return;
      ui.error(`Failed to read results: ${(e as Error).message}`);
      out.push({ kind: 'error' });
      return;
    }
    if (last === index) continue;
    index = last;
    // A node's exit key sorts before its output keys; read it last so "finished" follows the output.
    const ordered = [...keys].sort((a, b) => Number(a.endsWith('/exit')) - Number(b.endsWith('/exit')));
    for (const full of ordered) {
      if (seen.has(full)) continue;
      seen.add(full);
      const key = full.startsWith(dir) ? full.slice(dir.length) : full;
      if (key === 'job') continue;
      if (key.endsWith('/ack')) {
        out.push({ kind: 'ack', node: key.slice(0, -'/ack'.length) });
        continue;
      }
      const isExit = key.endsWith('/exit');
      const div = key.lastIndexOf('/out/');
      if (!isExit && div === -1) {
        ui.error(`Unknown key '${key}', ignoring.`);
        continue;
      }
      let value: Uint8Array | null;
      try {
        value = await getValue(client, full, signal);
      } catch (e) {
        if (signal.aborted) return;
        ui.error(`Failed to read key '${full}': ${(e as Error).message}`);
        continue;
      }
      if (value === null) {
        ui.error(`Failed to read key '${full}': <nil>`);
        continue;
      }
      if (isExit) {
        const text = dec.decode(value);
        if (!/^[+-]?\d+$/.test(text)) {
          ui.error(
            `Failed to parse exit code '${text}': strconv.ParseInt: parsing "${text}": invalid syntax`,
          );
          continue;
        }
        out.push({ kind: 'exit', node: key.slice(0, -'/exit'.length), code: Number(text) });
      } else if (value.length === 0) out.push({ kind: 'heartbeat', node: key.slice(0, div) });
      else out.push({ kind: 'output', node: key.slice(0, div), output: dec.decode(value) });
    }
  }
}

export const execCommand: Command = {
  synopsis: 'Executes a command on Consul nodes',
  help: () => usage(HELP, flags().f),
  async run({ args, ui, services }) {
    const o = flags();
    const rest = parseFlags(o.f, args, ui);
    if (rest === null) return 1;
    let command = rest.join(' ');
    let script: Uint8Array | null = null;
    let argv: string[] = [];
    if (command === '-') {
      if (!o.shell.value) {
        ui.error('Cannot configure -shell=false when reading from stdin');
        return 1;
      }
      command = '';
      script = await services.readStdin();
    } else if (!o.shell.value) {
      command = '';
      argv = rest;
    }
    if (command === '' && (script === null || script.length === 0) && argv.length === 0) {
      ui.error('Must specify a command to execute');
      ui.error('');
      ui.error(usage(HELP, o.f));
      return 1;
    }
    for (const [what, re] of [
      ['node', o.node.value],
      ['service', o.service.value],
      ['tag', o.tag.value],
    ] as const) {
      const err = re === '' ? null : regexError(re);
      if (err !== null) {
        ui.error(`Failed to compile ${what} filter regexp: ${err}`);
        return 1;
      }
    }
    if (o.tag.value !== '' && o.service.value === '') {
      ui.error('Cannot provide tag filter without service filter.');
      return 1;
    }

    const client = o.http.client(services);
    let self: { Config: { Datacenter: string; NodeName: string } };
    try {
      self = await client.getJson('/v1/agent/self');
    } catch (e) {
      ui.error(`Error querying Consul agent: ${(e as Error).message}`);
      return 1;
    }
    const info = (s: string) => ui.output(s);
    const verbose = (s: string) => o.verbose.value && info(s);
    const dc = client.config.datacenter;
    const foreign = dc !== '' && dc !== self.Config.Datacenter;
    if (foreign) verbose('Remote exec in foreign datacenter, using Session TTL');

    // Go's encoding/json of the spec: omitempty Command/Args/Script ([]byte as base64), Wait in ns.
    const spec: Record<string, unknown> = {};
    if (command !== '') spec.Command = command;
    if (argv.length > 0) spec.Args = argv;
    if (script !== null && script.length > 0) spec.Script = Buffer.from(script).toString('base64');
    spec.Wait = o.wait.value;

    let session: string;
    try {
      session = await createSession(client, foreign, self.Config, dc, verbose);
    } catch (e) {
      ui.error(`Failed to create session: ${(e as Error).message}`);
      return 1;
    }
    const renew = services.timers.every(RENEW_MS, () => {
      client.session.renew(session).catch((e: Error) => {
        ui.error(`Session renew failed: ${e.message}`);
        renew.cancel();
      });
    });
    const dir = `${o.prefix.value}/${session}`;
    let uploaded = false;
    const cleanup = async () => {
      renew.cancel();
      await client.session.destroy(session).catch(() => {});
      if (uploaded) await client.kv.delete(dir, { recurse: true }).catch(() => {});
    };
    try {
      verbose(`Created remote execution session: ${session}`);
      try {
        const acquired = await client.kv.put(`${dir}/job`, JSON.stringify(spec), { acquire: session });
        uploaded = true;
        if (!acquired) throw new Error(`failed to acquire key ${dir}/job`);
      } catch (e) {
        ui.error(`Failed to create job file: ${(e as Error).message}`);
        return 1;
      }
      verbose('Uploaded remote execution spec');

      const interrupted = await new Promise<boolean>((res) => {
        if (services.interrupted.aborted) return res(true);
        const t = services.timers.after(o.replWait.value / 1e6, () => res(false));
        services.interrupted.addEventListener('abort', () => (t.cancel(), res(true)), { once: true });
      });
      if (interrupted) return 1;

      let eventId: string;
      try {
        const r = await client.call('PUT', '/v1/event/fire/_rexec', {
          body: JSON.stringify({ Prefix: o.prefix.value, Session: session }),
          query: {
            node: o.node.value || undefined,
            service: o.service.value || undefined,
            tag: o.tag.value || undefined,
          },
        });
        eventId = (JSON.parse(dec.decode(r.body)) as { ID: string }).ID;
      } catch (e) {
        ui.error(`Failed to fire event: ${(e as Error).message}`);
        return 1;
      }
      verbose(`Fired remote execution event: ${eventId}`);
      return await waitForJob(client, `${dir}/`, o.wait.value, o.verbose.value, ui, services);
    } finally {
      await cleanup();
    }
  },
};

async function createSession(
  client: ApiClient,
  foreign: boolean,
  local: { Datacenter: string; NodeName: string },
  dc: string,
  verbose: (s: string) => void,
): Promise<string> {
  let body: SessionCreate = { Name: 'Remote Exec', Behavior: 'delete', TTL: SESSION_TTL };
  if (foreign) {
    // The session must live on a node of the remote datacenter: one of its servers, with no checks.
    let servers: Array<{ Node: { Node: string } }>;
    try {
      servers = (await client.health.service('consul', { passing: true })).items;
    } catch (e) {
      throw new Error(`Failed to find Consul server in remote datacenter: ${(e as Error).message}`);
    }
    if (servers.length === 0) throw new Error('Failed to find Consul server in remote datacenter');
    const node = servers[0]!.Node.Node;
    verbose(`Binding session to remote node ${node}@${dc}`);
    body = {
      Name: `Remote Exec via ${local.NodeName}@${local.Datacenter}`,
      Node: node,
      Checks: [],
      Behavior: 'delete',
      TTL: SESSION_TTL,
    };
  }
  return client.session.create(body);
}

async function waitForJob(
  client: ApiClient,
  dir: string,
  waitNs: number,
  verbose: boolean,
  ui: Ui,
  services: Pick<CliServices, 'timers' | 'interrupted' | 'clock'>,
): Promise<number> {
  const start = services.clock.monotonicMs();
  const results = new Results();
  const stop = new AbortController();
  const streaming = streamResults(client, dir, waitNs, results, ui, stop.signal);
  let acks = 0;
  let exits = 0;
  let bad = 0;
  try {
    for (;;) {
      const r = results.take();
      if (r === undefined) {
        // Quiet for -wait (doubled while a node has acked but not finished) ends the job.
        const quietMs = (acks > exits ? 2 : 1) * (waitNs / 1e6);
        let timer: { cancel(): void } | null = null;
        const outcome = await Promise.race([
          results.next().then(() => 'result' as const),
          new Promise<'quiet'>((res) => (timer = services.timers.after(quietMs, () => res('quiet')))),
          new Promise<'interrupt'>((res) => {
            if (services.interrupted.aborted) res('interrupt');
            services.interrupted.addEventListener('abort', () => res('interrupt'), { once: true });
          }),
        ]);
        (timer as { cancel(): void } | null)?.cancel();
        if (outcome === 'interrupt') return 1;
        if (outcome === 'quiet') {
          ui.output(`${exits} / ${acks} node(s) completed / acknowledged`);
          if (verbose)
            ui.output(`Completed in ${((services.clock.monotonicMs() - start) / 1000).toFixed(2)} seconds`);
          if (exits < acks) bad++;
          return bad > 0 ? 2 : 0;
        }
        continue;
      }
      switch (r.kind) {
        case 'ack':
          acks++;
          if (verbose) ui.output(targeted(true, r.node, 'acknowledged'));
          break;
        case 'heartbeat':
          if (verbose) ui.output(targeted(true, r.node, 'heartbeat received'));
          break;
        case 'output':
          ui.output(targeted(false, r.node, r.output));
          break;
        case 'exit':
          exits++;
          ui.output(targeted(true, r.node, `finished with exit code ${r.code}`));
          if (r.code !== 0) bad++;
          break;
        case 'error':
          return 1;
      }
    }
  } finally {
    stop.abort();
    await streaming.catch(() => {});
  }
}
