// `consul services register|deregister`: services from definition files (the config schema, JSON or
// HCL: `service {}` / `services []`) or from flags, through the local agent's API.

import { FlagSet } from '../../lib/flags.js';
import type { Command, CommandContext } from '../command.js';
import { addHttpFlags } from '../http-flags.js';
import { parseFlags } from '../parse.js';
import { usage } from '../usage.js';
import { RUN_RESULT_HELP } from '../cli.js';
import { decodeFragment } from '../../config/load.js';
import { formatOf } from '../../config/sources.js';

type Obj = Record<string, unknown>;

const REGISTER_HELP = `
Usage: consul services register [options] [FILE...]

  Register one or more services using the local agent API. Services can
  be registered from standard Consul configuration files (HCL or JSON) or
  using flags. The service is registered and the command returns. The caller
  must remember to call "consul services deregister" or a similar API to
  deregister the service when complete.

      $ consul services register web.json

  Additional flags and more advanced use cases are detailed below.
`;

const DEREGISTER_HELP = `
Usage: consul services deregister [options] [FILE...]

  Deregister one or more services that were previously registered with
  the local agent.

      $ consul services deregister web.json

  The -id flag may be used to deregister a single service by ID:

      $ consul services deregister -id=web

  Services are deregistered from the local agent catalog. This command must
  be run against the same agent where the service was registered.
`;

const dec = new TextDecoder();

/** The service definitions in the given files, in config form; an Error names the file that failed. */
async function servicesFromFiles(ctx: CommandContext, files: readonly string[]): Promise<Obj[] | Error> {
  const out: Obj[] = [];
  for (const name of files) {
    const path = name.startsWith('/') ? name : `${ctx.services.cwd}/${name}`;
    let bytes: Uint8Array | null;
    try {
      bytes = await ctx.services.disk.readFile(path);
    } catch (e) {
      return new Error(`Error reading ${name}: ${(e as Error).message}`);
    }
    if (bytes === null) return new Error(`Error reading ${name}: open ${name}: no such file or directory`);
    const frag = decodeFragment({ name, format: formatOf(name) || 'hcl', text: dec.decode(bytes) }, []);
    if (!frag.ok) return new Error(frag.error);
    const list = frag.value.services;
    if (!Array.isArray(list) || list.length === 0) return new Error(`${name}: no services found in file`);
    out.push(...(list as Obj[]));
  }
  return out;
}

function registerFlags() {
  const f = new FlagSet();
  return {
    f,
    http: addHttpFlags(f, { server: true }),
    id: f.string(
      'id',
      '',
      "ID of the service to register for arg-based registration. If this isn't set, it will default to the -name value.",
    ),
    name: f.string('name', '', 'Name of the service to register for arg-based registration.'),
    address: f.string('address', '', 'Address of the service to register for arg-based registration.'),
    port: f.int('port', 0, 'Port of the service to register for arg-based registration.'),
    socket: f.string(
      'socket',
      '',
      'Path to the Unix domain socket to register for arg-based registration (conflicts with address and port).',
    ),
    meta: f.map(
      'meta',
      'Metadata to set on the service, formatted as key=value. This flag may be specified multiple times to set multiple meta fields.',
    ),
    tag: f.strings(
      'tag',
      'Tag to add to the service. This flag can be specified multiple times to set multiple tags.',
    ),
    taggedAddress: f.map(
      'tagged-address',
      'Tagged address to set on the service, formatted as key=value. This flag may be specified multiple times to set multiple addresses.',
    ),
    kind: f.string('kind', '', "The services 'kind'"),
  };
}

/** host:port → Consul's ServiceAddress ({Address, Port}); an Error as api.ParseServiceAddr words it. */
function serviceAddr(v: string): { address: string; port: number } | Error {
  const i = v.lastIndexOf(':');
  if (i < 0 || v.startsWith('[') !== v.includes(']')) return { address: v.replace(/^\[|\]$/g, ''), port: 0 };
  const port = Number(v.slice(i + 1));
  if (!/^\d+$/.test(v.slice(i + 1)) || port > 65535)
    return new Error(`strconv.Atoi: parsing "${v.slice(i + 1)}": invalid syntax`);
  return { address: v.slice(0, i).replace(/^\[|\]$/g, ''), port };
}

export const servicesRegisterCommand: Command = {
  synopsis: 'Register services with the local agent',
  help: () => usage(REGISTER_HELP, registerFlags().f),
  async run(ctx) {
    const { args, ui, services } = ctx;
    const o = registerFlags();
    const rest = parseFlags(o.f, args, ui);
    if (rest === null) return 1;
    const tagged: Record<string, { address: string; port: number }> = {};
    for (const [k, v] of Object.entries(o.taggedAddress.value)) {
      const a = serviceAddr(v);
      if (a instanceof Error) {
        ui.error(`Invalid Tagged Address: ${a.message}`);
        return 1;
      }
      tagged[k] = a;
    }
    if (rest.length === 0 && o.name.value === '') {
      ui.error('Service registration requires at least one argument or flags.');
      return 1;
    }
    if (rest.length > 0 && o.name.value !== '') {
      ui.error('Service registration requires arguments or -id, not both.');
      return 1;
    }
    const fromFlags: Obj = {
      ...(o.kind.value ? { kind: o.kind.value } : {}),
      ...(o.id.value ? { id: o.id.value } : {}),
      name: o.name.value,
      ...(o.address.value ? { address: o.address.value } : {}),
      ...(o.port.value ? { port: o.port.value } : {}),
      ...(o.socket.value ? { socket_path: o.socket.value } : {}),
      tags: o.tag.value,
      meta: o.meta.value,
      ...(Object.keys(tagged).length ? { tagged_addresses: tagged } : {}),
    };
    let defs: Obj[] = [fromFlags];
    if (rest.length > 0) {
      const files = await servicesFromFiles(ctx, rest);
      if (files instanceof Error) {
        ui.error(`Error: ${files.message}`);
        return 1;
      }
      // A flag fills in what a file leaves out; tags, meta and tagged addresses add up (Consul's CombineArgs).
      defs = files.map((d) => ({
        ...Object.fromEntries(
          Object.entries(fromFlags).filter(([k, v]) => d[k] === undefined && v !== '' && k !== 'tags'),
        ),
        ...d,
        tags: [...((d.tags as string[] | undefined) ?? []), ...o.tag.value],
        meta: { ...((d.meta as Obj | undefined) ?? {}), ...o.meta.value },
      }));
    }
    const client = o.http.client(services);
    for (const d of defs) {
      const name = String(d.name ?? '');
      try {
        await client.call('PUT', '/v1/agent/service/register', { body: JSON.stringify(d) });
      } catch (e) {
        ui.error(`Error registering service ${JSON.stringify(name)}: ${(e as Error).message}`);
        return 1;
      }
      ui.output(`Registered service: ${name}`);
    }
    return 0;
  },
};

function deregisterFlags() {
  const f = new FlagSet();
  return {
    f,
    http: addHttpFlags(f, { server: true }),
    id: f.string('id', '', 'ID to delete. This must not be set if arguments are given.'),
  };
}

export const servicesDeregisterCommand: Command = {
  synopsis: 'Deregister services with the local agent',
  help: () => usage(DEREGISTER_HELP, deregisterFlags().f),
  async run(ctx) {
    const { args, ui, services } = ctx;
    const o = deregisterFlags();
    const rest = parseFlags(o.f, args, ui);
    if (rest === null) return 1;
    if (rest.length === 0 && o.id.value === '') {
      ui.error('Service deregistration requires at least one argument or -id.');
      return 1;
    }
    if (rest.length > 0 && o.id.value !== '') {
      ui.error('Service deregistration requires arguments or -id, not both.');
      return 1;
    }
    let ids = [o.id.value];
    if (rest.length > 0) {
      const files = await servicesFromFiles(ctx, rest);
      if (files instanceof Error) {
        ui.error(`Error: ${files.message}`);
        return 1;
      }
      ids = files.map((d) => String(d.id || d.name || ''));
    }
    const client = o.http.client(services);
    for (const id of ids) {
      try {
        await client.call('PUT', `/v1/agent/service/deregister/${encodeURIComponent(id)}`);
      } catch (e) {
        ui.error(`Error deregistering service ${JSON.stringify(id)}: ${(e as Error).message}`);
        return 1;
      }
      ui.output(`Deregistered service: ${id}`);
    }
    return 0;
  },
};

export const servicesCommand: Command = {
  synopsis: 'Interact with services',
  help: () =>
    usage(`
Usage: consul services <subcommand> [options] [args]

  This command has subcommands for interacting with services. The subcommands
  default to working with services registered with the local agent. Please see
  the "consul catalog" command for interacting with the entire catalog.

  For more examples, ask for subcommand help or view the documentation.
`),
  run: async () => RUN_RESULT_HELP,
};
