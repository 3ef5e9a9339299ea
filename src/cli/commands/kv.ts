// `consul kv get | put | delete`: the KV store from the command line, with Consul's messages.

import type { KVPair } from '../../api/client.js';
import { FlagSet } from '../../lib/flags.js';
import { parseGoJson } from '../../lib/gojson.js';
import type { Command, CommandContext } from '../command.js';
import { RUN_RESULT_HELP } from '../cli.js';
import { addHttpFlags } from '../http-flags.js';
import { parseFlags } from '../parse.js';
import { usage } from '../usage.js';

const dec = new TextDecoder();
const valueOf = (p: KVPair, base64: boolean) =>
  p.Value === null ? '' : base64 ? p.Value : Buffer.from(p.Value, 'base64').toString('utf8');

/** Key/value lines padded as Go's tabwriter(minwidth 0, tabwidth 2, padding 6) lays them out. */
function detailed(p: KVPair, base64: boolean): string {
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
      const { keys } = await client.kv.keys(key, o.separator.value);
      for (const k of keys) ui.output(k);
      return 0;
    }
    if (o.recurse.value) {
      const { pairs } = await client.kv.list(key);
      for (const [i, p] of pairs.entries()) {
        if (o.detailed.value) ui.output(`${detailed(p, o.base64.value)}${i < pairs.length - 1 ? '\n' : ''}`);
        else ui.output(`${p.Key}:${valueOf(p, o.base64.value)}`);
      }
      return 0;
    }
    const { pair: p } = await client.kv.get(key);
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
    acquire: f.bool(
      'acquire',
      false,
      'Obtain a lock on the key. If the key does not exist, this operation will create the key and obtain the lock. The session must already exist and be specified via the -session flag. The default value is false.',
    ),
    base64: f.bool('base64', false, 'Treat the data as base 64 encoded. The default value is false.'),
    release: f.bool(
      'release',
      false,
      'Forfeit the lock on the key at the given path. This requires the -session flag to be set. The key must be held by the session in order to be unlocked. The default value is false.',
    ),
    session: f.string(
      'session',
      '',
      'User-defined identifer for this session as a string. This is commonly used with the -acquire and -release operations to build robust locking, but it can be set on any key. The default value is empty (no session).',
    ),
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
  if ((o.acquire.value || o.release.value) && o.session.value === '') {
    ui.error('Error! Missing -session (required with -acquire and -release)');
    return 1;
  }
  let ok: boolean;
  try {
    ok = await o.http.client(services).kv.put(key, data, {
      flags: o.flags.value,
      cas: o.cas.value ? o.modifyIndex.value : undefined,
      acquire: o.acquire.value ? o.session.value : undefined,
      release: !o.acquire.value && o.release.value ? o.session.value : undefined,
    });
  } catch (e) {
    ui.error(`Error! Failed writing data: ${(e as Error).message}`);
    return 1;
  }
  if (o.acquire.value) {
    if (!ok) ui.error('Error! Did not acquire lock');
    else ui.output(`Success! Lock acquired on: ${key}`);
  } else if (o.release.value) {
    if (!ok) ui.error('Error! Did not release lock');
    else ui.output(`Success! Lock released on: ${key}`);
  } else if (!ok) ui.error(`Error! Did not write to ${key}: CAS failed`);
  else ui.output(`Success! Data written to: ${key}`);
  return ok ? 0 : 1;
}

/** DATA, "-" (stdin) or "@file", as Consul's kv commands read their argument. */
async function dataArg(rest: string[], ctx: CommandContext): Promise<Uint8Array | null> {
  if (rest.length === 0) {
    ctx.ui.error('Missing DATA argument');
    return null;
  }
  if (rest.length > 1) {
    ctx.ui.error(`Too many arguments (expected 1, got ${rest.length})`);
    return null;
  }
  const raw = rest[0]!;
  if (raw === '-') return ctx.services.readStdin();
  if (raw.startsWith('@')) {
    const file = await ctx.services.disk.readFile(raw.slice(1));
    if (file === null)
      ctx.ui.error(`Error! Failed to read file: open ${raw.slice(1)}: no such file or directory`);
    return file;
  }
  return new TextEncoder().encode(raw);
}

const EXPORT_HELP = `
Usage: consul kv export [KEY_OR_PREFIX]

  Retrieves key-value pairs for the given prefix from Consul's key-value store,
  and writes a JSON representation to stdout. This can be used with the command
  "consul kv import" to move entire trees between Consul clusters.

      $ consul kv export vault
`;

function exportFlags() {
  const f = new FlagSet();
  return { f, http: addHttpFlags(f, { server: true }) };
}

async function runExport(ctx: CommandContext): Promise<number> {
  const o = exportFlags();
  const rest = parseFlags(o.f, ctx.args, ctx.ui);
  if (rest === null) return 1;
  if (rest.length > 1) {
    ctx.ui.error(`Too many arguments (expected 1, got ${rest.length})`);
    return 1;
  }
  let pairs: KVPair[];
  try {
    ({ pairs } = await o.http.client(ctx.services).kv.list(rest[0] ?? ''));
  } catch (e) {
    ctx.ui.error(`Error querying Consul agent: ${(e as Error).message}`);
    return 1;
  }
  // Go's json.MarshalIndent(…, "", "\t") of {key, flags, value}.
  if (pairs.length === 0) {
    ctx.ui.output('[]');
    return 0;
  }
  const rows = pairs.map(
    (p) =>
      `\t{\n\t\t"key": ${JSON.stringify(p.Key)},\n\t\t"flags": ${String(p.Flags)},\n\t\t"value": ${JSON.stringify(p.Value ?? '')}\n\t}`,
  );
  ctx.ui.output(`[\n${rows.join(',\n')}\n]`);
  return 0;
}

const IMPORT_HELP = `
Usage: consul kv import [DATA]

  Imports key-value pairs to the key-value store from the JSON representation
  generated by the "consul kv export" command.

  The data can be read from a file by prefixing the filename with the "@"
  symbol. For example:

      $ consul kv import @filename.json

  Or it can be read from stdin using the "-" symbol:

      $ cat filename.json | consul kv import -

  Alternatively the data may be provided as the final parameter to the command,
  though care must be taken with regards to shell escaping.
`;

function importFlags() {
  const f = new FlagSet();
  return {
    f,
    http: addHttpFlags(f, { server: true }),
    prefix: f.string('prefix', '', 'Key prefix for imported data. The default value is empty meaning root.'),
  };
}

/** Go's path.Join for the -prefix case (cleans the joined path). */
function joinPath(prefix: string, key: string): string {
  const parts: string[] = [];
  for (const seg of `${prefix}/${key}`.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') parts.pop();
    else parts.push(seg);
  }
  return (prefix.startsWith('/') ? '/' : '') + parts.join('/');
}

async function runImport(ctx: CommandContext): Promise<number> {
  const o = importFlags();
  const rest = parseFlags(o.f, ctx.args, ctx.ui);
  if (rest === null) return 1;
  const data = await dataArg(rest, ctx);
  if (data === null) return 1;
  let entries: Array<{ key?: unknown; flags?: unknown; value?: unknown }>;
  try {
    const parsed = parseGoJson(dec.decode(data));
    if (!parsed.ok) throw new Error(parsed.error.message);
    entries = parsed.value as typeof entries;
    if (!Array.isArray(entries))
      throw new Error('json: cannot unmarshal object into Go value of type []*kv.Entry');
  } catch (e) {
    ctx.ui.error(`Cannot unmarshal data: ${(e as Error).message}`);
    return 1;
  }
  const client = o.http.client(ctx.services);
  for (const e of entries) {
    const value = typeof e.value === 'string' ? e.value : '';
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0) {
      ctx.ui.error('Cannot base 64 decode value: illegal base64 data at input byte 0');
      return 1;
    }
    const key = o.prefix.value ? joinPath(o.prefix.value, String(e.key ?? '')) : String(e.key ?? '');
    const flags = typeof e.flags === 'number' || typeof e.flags === 'bigint' ? e.flags : 0;
    try {
      await client.kv.put(key, new Uint8Array(Buffer.from(value, 'base64')), { flags });
    } catch (err) {
      ctx.ui.error(`Error! Failed writing data for key ${key}: ${(err as Error).message}`);
      return 1;
    }
    ctx.ui.output(`Imported: ${key}`);
  }
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
  try {
    const ok = await o.http.client(services).kv.delete(key, {
      recurse: o.recurse.value,
      cas: o.cas.value ? o.modifyIndex.value : undefined,
    });
    if (!ok) {
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
export const kvExportCommand: Command = {
  synopsis: 'Exports a tree from the KV store as JSON',
  help: () => usage(EXPORT_HELP, exportFlags().f),
  run: runExport,
};
export const kvImportCommand: Command = {
  synopsis: 'Imports a tree stored as JSON to the KV store',
  help: () => usage(IMPORT_HELP, importFlags().f),
  run: runImport,
};
export const kvDeleteCommand: Command = {
  synopsis: 'Removes data from the KV store',
  help: () => usage(DELETE_HELP, deleteFlags().f),
  run: runDelete,
};
