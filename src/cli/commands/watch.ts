// `consul watch -type=<type> [options] [child...]`: runs a watch plan (structs/watch.ts) against the agent.
// Without a child it prints the first result as indented JSON and exits; with one it runs the child on
// every change with the result as JSON on stdin and CONSUL_INDEX set, until interrupted or a child fails.

import { FlagSet } from '../../lib/flags.js';
import { stringifyGoJson } from '../../lib/gojson.js';
import { parseWatch, runWatch } from '../../structs/watch.js';
import type { Command } from '../command.js';
import { addHttpFlags } from '../http-flags.js';
import { parseFlags } from '../parse.js';
import { usage } from '../usage.js';

const HELP = `
Usage: consul watch [options] [child...]

  Watches for changes in a given data view from Consul. If a child process
  is specified, it will be invoked with the latest results on changes. Otherwise,
  the latest values are dumped to stdout and the watch terminates.

  Providing the watch type is required, and other parameters may be required
  or supported depending on the watch type.
`;

function flags() {
  const f = new FlagSet();
  const http = addHttpFlags(f, { server: true });
  return {
    f,
    http,
    type: f.string(
      'type',
      '',
      'Specifies the watch type. One of key, keyprefix, services, nodes, service, checks, or event.',
    ),
    key: f.string('key', '', "Specifies the key to watch. Only for 'key' type."),
    prefix: f.string('prefix', '', "Specifies the key prefix to watch. Only for 'keyprefix' type."),
    service: f.string(
      'service',
      '',
      "Specifies the service to watch. Required for 'service' type, optional for 'checks' type.",
    ),
    tag: f.strings(
      'tag',
      "Specifies the service tag(s) to filter on. Optional for 'service' type. May be specified multiple times.",
    ),
    passingOnly: f.string(
      'passingonly',
      '',
      "Specifies if only hosts passing all checks are displayed. Optional for 'service' type, must be one of `[true|false]`. Defaults false.",
    ),
    shell: f.bool(
      'shell',
      true,
      'Use a shell to run the command (can set a custom shell via the SHELL environment variable).',
    ),
    state: f.string('state', '', "Specifies the states to watch. Optional for 'checks' type."),
    name: f.string('name', '', "Specifies an event name to watch. Only for 'event' type."),
  };
}

/** Go's strconv.ParseBool. */
function parseBool(s: string): boolean | Error {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  return new Error(`strconv.ParseBool: parsing ${JSON.stringify(s)}: invalid syntax`);
}

const dec = new TextDecoder();

export const watchCommand: Command = {
  synopsis: 'Watch for changes in Consul',
  help: () => usage(HELP, flags().f),
  async run(ctx) {
    const { ui, services } = ctx;
    const o = flags();
    const child = parseFlags(o.f, ctx.args, ui);
    if (child === null) return 1;
    if (o.type.value === '') {
      ui.error('Watch type must be specified');
      ui.error('');
      ui.error(usage(HELP, o.f));
      return 1;
    }
    const params: Record<string, unknown> = { type: o.type.value };
    if (o.key.value) params.key = o.key.value;
    if (o.prefix.value) params.prefix = o.prefix.value;
    if (o.service.value) params.service = o.service.value;
    if (o.tag.value.length > 0) params.tag = o.tag.value;
    if (o.state.value) params.state = o.state.value;
    if (o.name.value) params.name = o.name.value;
    if (o.passingOnly.value !== '') {
      const b = parseBool(o.passingOnly.value);
      if (b instanceof Error) {
        ui.error(`Failed to parse passingonly flag: ${b.message}`);
        return 1;
      }
      params.passingonly = b;
    }
    const plan = parseWatch(params);
    if (plan instanceof Error) {
      ui.error(plan.message);
      return 1;
    }
    const client = o.http.client(services);
    try {
      await client.call('GET', '/v1/agent/self');
    } catch (e) {
      ui.error(`Error querying Consul agent: ${(e as Error).message}`);
      return 1;
    }

    const stop = new AbortController();
    const onInterrupt = () => stop.abort();
    services.interrupted.addEventListener('abort', onInterrupt);
    let exit = 0;
    let running: { kill(sig?: 'SIGTERM'): void } | null = null;
    // Ctrl-C reaches the handler too (Consul forwards signals to it).
    const forward = () => running?.kill('SIGTERM');
    services.interrupted.addEventListener('abort', forward);
    const shell = services.env.SHELL || '/bin/sh';
    const handle = async (index: bigint, data: unknown): Promise<boolean> => {
      if (child.length === 0) {
        ui.output(stringifyGoJson(data, '    '));
        return false;
      }
      const [file, args] = o.shell.value ? [shell, ['-c', child.join(' ')]] : [child[0]!, child.slice(1)];
      const proc = services.processes.spawn(file, args, {
        extraEnv: { CONSUL_INDEX: index.toString() },
        stdin: `${stringifyGoJson(data)}\n`,
        group: true, // an interrupt reaches what the shell forked, too
      });
      running = proc;
      proc.onStdout((c) => ui.write(dec.decode(c)));
      proc.onStderr((c) => ui.writeErr(dec.decode(c)));
      const code = await proc.exited;
      running = null;
      if (code !== 0 && !stop.signal.aborted) {
        ui.error(`Error executing handler: exit status ${code}`);
        exit = 1;
        return false;
      }
      return true;
    };
    await runWatch(
      plan,
      {
        fetch: async (req, signal) => {
          const query: Record<string, string | string[]> = { ...req.query };
          const r = await client.request('GET', req.path, { query, signal });
          const body = dec.decode(await r.raw.body());
          return { status: r.status, index: r.headers['x-consul-index'], body };
        },
        timers: services.timers,
        handle,
        onError: (err, retryMs) =>
          ui.error(
            `[ERROR] watch: Watch errored: type=${plan.type} error="${err.message}" retry=${retryMs / 1000}s`,
          ),
      },
      stop.signal,
    );
    services.interrupted.removeEventListener('abort', onInterrupt);
    services.interrupted.removeEventListener('abort', forward);
    return exit;
  },
};
