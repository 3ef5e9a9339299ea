// `consul kv get | put | delete`: the KV store from the command line, with Consul's messages.

import type { ApiClient } from '../../api/client.js';
import { ApiError } from '../../api/client.js';
import { FlagSet } from '../../lib/flags.js';
import type { Command, CommandContext } from '../command.js';
import { RUN_RESULT_HELP } from '../cli.js';
import { addHttpFlags } from '../http-flags.js';
import { parseFlags } from '../parse.js';
import { usage } from '../usage.js';

interface KvPair {
  Key: string;
  Flags: number;
  Value: string | null;
  CreateIndex: number;
  ModifyIndex: number;
  LockIndex: number;
  Session?: string;
}

const dec = new TextDecoder();
const pathOf = (key: string) => `/v1/kv/${key.split('/').map(encodeURIComponent).join('/')}`;
const valueOf = (p: KvPair, base64: boolean) =>
  p.Value === null ? '' : base64 ? p.Value : Buffer.from(p.Value, 'base64').toString('utf8');

/** Key/value lines padded as Go's tabwriter(minwidth 0, tabwidth 2, padding 6) lays them out. */
function detailed(p: KvPair, base64: boolean): string {
  const rows: Array<[string, string]> = [
    ['CreateIndex', String(p.CreateIndex)],
    ['Flags', String(p.Flags)],
    ['Key', p.Key],
    ['LockIndex', String(p.LockIndex)],
    ['ModifyIndex', String(p.ModifyIndex)],
    ['Session', p.Session ? p.Session : '-'],
    ['Value', valueOf(p, base64)],
  ];
  const w = Math.max(...rows.map(([k]) => k.length)) + 6;
  return rows.map(([k, v]) => `${k.padEnd(w)}${v}`).join('\n');
}

async function listOrNull<T>(
  client: ApiClient,
  path: string,
  query: Record<string, string>,
): Promise<T | null> {
  const r = await client.request('GET', path, { query });
  const body = await r.raw.body();
  if (r.status === 404) return null;
  if (r.status !== 200)
    throw new ApiError(`Unexpected response code: ${r.status} (${dec.decode(body).trim()})`, r.status);
  return JSON.parse(dec.decode(body)) as T;
}

const GET_HELP = `
Usage: consul kv get [options] [KEY_OR_PREFIX]

  Retrieves the value from Consul's key-value store at the given key name. If no
  key exists with that name, an error is returned. If a key exists with that
  name but has no data, nothing is returned. If the name or prefix is omitted,
  it defaults to "" which is the root of the key-value store.
`;

function getFlags() {
  const f = new FlagSet();
  const http = addHttpFlags(f, { server: true });
  return {
    f,
    http,
    base64: f.bool('base64', false, 'Base64 encode the value. The default value is false.'),
    detailed: f.bool(
      'detailed',
      false,
      'Provide additional metadata about the key in addition to the value such as the ModifyIndex and any flags that may have been set on the key. The default value is false.',
    ),
    keys: f.bool(
      'keys',
      false,
      'List keys which start with the given prefix, but not their values. This is especially useful if you only need the key names themselves. This option is commonly combined with the -separator option. The default value is false.',
    ),
    recurse: f.bool(
      'recurse',
      false,
      'Recursively look at all keys prefixed with the given path. The default value is false.',
    ),
    separator: f.string(
      'separator',
      '/',
      'String to use as a separator between keys. The default value is "/", but this option is only taken into account when paired with the -keys flag.',
    ),
  };
}

async function runGet({ args, ui, services }: CommandContext): Promise<number> {
  const o = getFlags();
  const rest = parseFlags(o.f, args, ui);
  if (rest === null) return 1;
  if (rest.length > 1) {
    ui.error(`Too many arguments (expected 1, got ${rest.length})`);
    return 1;
  }
  const key = rest[0] ?? '';
  if (key === '' && !o.keys.value && !o.recurse.value) {
    ui.error('Error! Missing KEY argument');
    return 1;
  }
  const client = o.http.client(services);
  try {
    if (o.keys.value) {
      const keys =
        (await listOrNull<string[]>(client, pathOf(key), { keys: '', separator: o.separator.value })) ?? [];
      for (const k of keys) ui.output(k);
      return 0;
    }
    if (o.recurse.value) {
      const pairs = (await listOrNull<KvPair[]>(client, pathOf(key), { recurse: '' })) ?? [];
      for (const [i, p] of pairs.entries()) {
        if (o.detailed.value) ui.output(`${detailed(p, o.base64.value)}${i < pairs.length - 1 ? '\n' : ''}`);
        else ui.output(`${p.Key}:${valueOf(p, o.base64.value)}`);
      }
      return 0;
    }
    const pairs = await listOrNull<KvPair[]>(client, pathOf(key), {});
    const p = pairs?.[0];
    if (!p) {
      ui.error(`Error! No key exists at: ${key}`);
      return 1;
    }
    ui.output(o.detailed.value ? detailed(p, o.base64.value) : valueOf(p, o.base64.value));
    return 0;
  } catch (e) {
    ui.error(`Error querying Consul agent: ${(e as Error).message}`);
    return 1;
  }
}

const PUT_HELP = `
Usage: consul kv put [options] KEY [DATA]

  Writes the data to the given path in the key-value store. The data can be of
  any type.

      $ consul kv put config/redis/maxconns 5

  The data can also be consumed from a file on disk by prefixing with the "@"
  symbol.

      $ consul kv put config/program/license @license.lic

  Or it can be read from stdin using the "-" symbol.

      $ echo "abcd1234" | consul kv put config/program/license -

  Additional flags and more advanced use cases are detailed below.
`;

function putFlags() {
  const f = new FlagSet();
  const http = addHttpFlags(f, { server: true });
  return {
    f,
    http,
    base64: f.bool('base64', false, 'Treat the data as base 64 encoded. The default value is false.'),
    cas: f.bool(
      'cas',
      false,
      'Perform a Check-And-Set operation. Specifying this value also requires the -modify-index flag to be set. The default value is false.',
    ),
    flags: f.uint(
      'flags',
      0,
      'Unsigned integer value to assign to this key-value pair. This value is not read by Consul, so clients can use this value however makes sense for their use case. The default value is 0 (no flags).',
    ),
    modifyIndex: f.uint(
      'modify-index',
      0,
      'Unsigned integer representing the ModifyIndex of the key. This is used in combination with the -cas flag.',
    ),
  };
}

async function runPut({ args, ui, services }: CommandContext): Promise<number> {
  const o = putFlags();
  const rest = parseFlags(o.f, args, ui);
  if (rest === null) return 1;
  if (rest.length === 0) {
    ui.error('Error! Missing KEY argument');
    return 1;
  }
  if (rest.length > 2) {
    ui.error(`Too many arguments (expected 1 or 2, got ${rest.length})`);
    return 1;
  }
  const key = rest[0]!;
  let data: Uint8Array;
  const raw = rest[1] ?? '';
  if (raw === '-') data = await services.readStdin();
  else if (raw.startsWith('@')) {
    const file = await services.disk.readFile(raw.slice(1));
    if (file === null) {
      ui.error(`Error! Failed to read file: open ${raw.slice(1)}: no such file or directory`);
      return 1;
    }
    data = file;
  } else data = new TextEncoder().encode(raw);
  if (o.base64.value) data = new Uint8Array(Buffer.from(dec.decode(data), 'base64'));
  const query: Record<string, string> = {};
  if (o.flags.value !== 0) query.flags = String(o.flags.value);
  if (o.cas.value) query.cas = String(o.modifyIndex.value);
  try {
    const { body } = await o.http.client(services).call('PUT', pathOf(key), { query, body: data });
    if (dec.decode(body).trim() !== 'true') {
      ui.error(`Error! Did not write to ${key}: CAS failed`);
      return 1;
    }
  } catch (e) {
    ui.error(`Error! Failed writing data: ${(e as Error).message}`);
    return 1;
  }
  ui.output(`Success! Data written to: ${key}`);
  return 0;
}

const DELETE_HELP = `
Usage: consul kv delete [options] KEY_OR_PREFIX

  Removes the value from Consul's key-value store at the given path. If no
  key exists at the path, no action is taken.
`;

function deleteFlags() {
  const f = new FlagSet();
  const http = addHttpFlags(f, { server: true });
  return {
    f,
    http,
    cas: f.bool(
      'cas',
      false,
      'Perform a Check-And-Set operation. Specifying this value also requires the -modify-index flag to be set. The default value is false.',
    ),
    modifyIndex: f.uint(
      'modify-index',
      0,
      'Unsigned integer representing the ModifyIndex of the key. This is used in combination with the -cas flag.',
    ),
    recurse: f.bool(
      'recurse',
      false,
      'Recursively delete all keys with the path. The default value is false.',
    ),
  };
}

async function runDelete({ args, ui, services }: CommandContext): Promise<number> {
  const o = deleteFlags();
  const rest = parseFlags(o.f, args, ui);
  if (rest === null) return 1;
  const key = rest[0] ?? '';
  if (key === '' && !o.recurse.value) {
    ui.error('Error! Missing KEY argument');
    return 1;
  }
  if (o.cas.value && o.recurse.value) {
    ui.error('Cannot specify both -cas and -recurse!');
    return 1;
  }
  const query: Record<string, string> = {};
  if (o.recurse.value) query.recurse = '';
  if (o.cas.value) query.cas = String(o.modifyIndex.value);
  try {
    const { body } = await o.http.client(services).call('DELETE', pathOf(key), { query });
    if (o.cas.value && dec.decode(body).trim() !== 'true') {
      ui.error(`Error! Did not delete key ${key}: CAS failed`);
      return 1;
    }
  } catch (e) {
    ui.error(`Error! Did not delete key ${key}: ${(e as Error).message}`);
    return 1;
  }
  ui.output(o.recurse.value ? `Success! Deleted keys with prefix: ${key}` : `Success! Deleted key: ${key}`);
  return 0;
}

export const kvCommand: Command = {
  synopsis: 'Interact with the key-value store',
  help: () =>
    usage(`
Usage: consul kv <subcommand> [options] [args]

  This command has subcommands for interacting with Consul's key-value
  store. Here are some simple examples, and more detailed examples are
  available in the subcommands or the documentation.

  Create or update the key named "redis/config/connections" with the value "5":

      $ consul kv put redis/config/connections 5

  Read this value back:

      $ consul kv get redis/config/connections

  Or get detailed key information:

      $ consul kv get -detailed redis/config/connections

  Finally, delete the key:

      $ consul kv delete redis/config/connections

  For more examples, ask for subcommand help or view the documentation.
`),
  run: async () => RUN_RESULT_HELP,
};

export const kvGetCommand: Command = {
  synopsis: 'Retrieves or lists data from the KV store',
  help: () => usage(GET_HELP, getFlags().f),
  run: runGet,
};
export const kvPutCommand: Command = {
  synopsis: 'Sets or updates data in the KV store',
  help: () => usage(PUT_HELP, putFlags().f),
  run: runPut,
};
export const kvDeleteCommand: Command = {
  synopsis: 'Removes data from the KV store',
  help: () => usage(DELETE_HELP, deleteFlags().f),
  run: runDelete,
};
