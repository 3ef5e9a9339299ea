// `consul snapshot save | restore | inspect`: the whole state as Consul's archive, written through a
// ".unverified" file that is read back and checked before it takes the real name.

import { FlagSet } from '../../lib/flags.js';
import { readArchive, stateRecordCounts } from '../../lib/snapshot-archive.js';
import { RUN_RESULT_HELP } from '../cli.js';
import type { Command, CommandContext } from '../command.js';
import { addHttpFlags } from '../http-flags.js';
import { parseFlags } from '../parse.js';
import { usage } from '../usage.js';

const dec = new TextDecoder();

export const snapshotCommand: Command = {
  synopsis: 'Saves, restores and inspects snapshots of Consul server state',
  help: () =>
    usage(`
Usage: consul snapshot <subcommand> [options] [args]

  This command has subcommands for saving, restoring, and inspecting the state
  of the Consul servers for disaster recovery. These are atomic, point-in-time
  snapshots which include key/value entries, service catalog, prepared queries,
  sessions, and ACLs.

  If ACLs are enabled, a management token must be supplied in order to perform
  snapshot operations.

  Create a snapshot:

      $ consul snapshot save backup.snap

  Restore a snapshot:

      $ consul snapshot restore backup.snap

  Inspect a snapshot:

      $ consul snapshot inspect backup.snap

  For more examples, ask for subcommand help or view the documentation.
`),
  run: async () => RUN_RESULT_HELP,
};

/** The single FILE argument, or null after Consul's message. */
function fileArg(rest: string[], ctx: CommandContext): string | null {
  if (rest.length === 0) {
    ctx.ui.error('Missing FILE argument');
    return null;
  }
  if (rest.length > 1) {
    ctx.ui.error(`Too many arguments (expected 1, got ${rest.length})`);
    return null;
  }
  const f = rest[0]!;
  return f.startsWith('/') ? f : `${ctx.services.cwd}/${f}`;
}

function saveFlags() {
  const f = new FlagSet();
  const http = addHttpFlags(f, { server: true });
  return { f, http };
}

const SAVE_HELP = `
Usage: consul snapshot save [options] FILE

  Retrieves an atomic, point-in-time snapshot of the state of the Consul servers
  which includes key/value entries, service catalog, prepared queries, sessions,
  and ACLs.

  If ACLs are enabled, a management token must be supplied in order to perform
  snapshot operations.

  To create a snapshot from the leader server and save it to "backup.snap":

    $ consul snapshot save backup.snap

  To create a potentially stale snapshot from any available server (useful if no
  leader is available):

    $ consul snapshot save -stale backup.snap
`;

export const snapshotSaveCommand: Command = {
  synopsis: 'Saves snapshot of Consul server state',
  help: () => usage(SAVE_HELP, saveFlags().f),
  async run(ctx) {
    const { f, http } = saveFlags();
    const rest = parseFlags(f, ctx.args, ctx.ui);
    if (rest === null) return 1;
    const file = fileArg(rest, ctx);
    if (file === null) return 1;
    const client = http.client(ctx.services);
    let archive: Uint8Array;
    let index: string;
    try {
      const r = await client.request('GET', '/v1/snapshot');
      const body = await r.raw.body();
      if (r.status !== 200)
        throw new Error(`Unexpected response code: ${r.status} (${dec.decode(body).trim()})`);
      archive = body;
      index = r.headers['x-consul-index'] ?? '0';
    } catch (e) {
      ctx.ui.error(`Error saving snapshot: ${(e as Error).message}`);
      return 1;
    }
    const disk = ctx.services.disk;
    const unverified = `${file}.unverified`;
    try {
      await disk.writeFileAtomic(unverified, archive);
    } catch (e) {
      ctx.ui.error(`Error writing unverified snapshot file: ${(e as Error).message}`);
      return 1;
    }
    const back = await disk.readFile(unverified);
    const check = back ? readArchive(back) : new Error('file vanished');
    if (check instanceof Error) {
      ctx.ui.error(`Error verifying snapshot file: ${check.message}`);
      return 1;
    }
    try {
      await disk.rename(unverified, file);
    } catch (e) {
      ctx.ui.error(
        `Error renaming ${JSON.stringify(unverified)} to ${JSON.stringify(file)}: ${(e as Error).message}`,
      );
      return 1;
    }
    ctx.ui.output(`Saved and verified snapshot to index ${index}`);
    return 0;
  },
};

function restoreFlags() {
  const f = new FlagSet();
  const http = addHttpFlags(f, { server: false });
  return { f, http };
}

const RESTORE_HELP = `
Usage: consul snapshot restore [options] FILE

  Restores an atomic, point-in-time snapshot of the state of the Consul servers
  which includes key/value entries, service catalog, prepared queries, sessions,
  and ACLs.

  Restores involve a potentially dangerous low-level Raft operation that is not
  designed to handle server failures during a restore. This command is primarily
  intended to be used when recovering from a disaster, restoring into a fresh
  cluster of Consul servers.

  If ACLs are enabled, a management token must be supplied in order to perform
  snapshot operations.

  To restore a snapshot from the file "backup.snap":

    $ consul snapshot restore backup.snap
`;

export const snapshotRestoreCommand: Command = {
  synopsis: 'Restores snapshot of Consul server state',
  help: () => usage(RESTORE_HELP, restoreFlags().f),
  async run(ctx) {
    const { f, http } = restoreFlags();
    const rest = parseFlags(f, ctx.args, ctx.ui);
    if (rest === null) return 1;
    const file = fileArg(rest, ctx);
    if (file === null) return 1;
    let data: Uint8Array | null;
    try {
      data = await ctx.services.disk.readFile(file);
    } catch (e) {
      data = null;
      ctx.ui.error(`Error opening snapshot file: ${(e as Error).message}`);
      return 1;
    }
    if (data === null) {
      ctx.ui.error(`Error opening snapshot file: open ${rest[0]}: no such file or directory`);
      return 1;
    }
    try {
      const r = await http.client(ctx.services).request('PUT', '/v1/snapshot', { body: data });
      const body = await r.raw.body();
      if (r.status !== 200)
        throw new Error(`Unexpected response code: ${r.status} (${dec.decode(body).trim()})`);
    } catch (e) {
      ctx.ui.error(`Error restoring snapshot: ${(e as Error).message}`);
      return 1;
    }
    ctx.ui.output('Restored snapshot');
    return 0;
  },
};

const INSPECT_HELP = `
Usage: consul snapshot inspect [options] FILE

  Displays information about a snapshot file on disk.

  To inspect the file "backup.snap":

    $ consul snapshot inspect backup.snap
`;

/** Consul's ByteSize: one decimal, ".0" dropped, KB/MB/... by powers of 1024. */
function byteSize(n: number): string {
  const units: Array<[number, string]> = [
    [1024 ** 4, 'TB'],
    [1024 ** 3, 'GB'],
    [1024 ** 2, 'MB'],
    [1024, 'KB'],
    [1, 'B'],
  ];
  if (n === 0) return '0';
  const [div, unit] = units.find(([d]) => n >= d)!;
  return `${(n / div).toFixed(1).replace(/\.0$/, '')}${unit}`;
}

/** Go's tabwriter (minwidth 8, padding 6) over rows of tab-terminated cells, one block per run of rows. */
function tabwrite(lines: string[]): string {
  const out: string[] = [];
  let block: string[][] = [];
  const flush = () => {
    const widths: number[] = [];
    for (const cells of block)
      cells.slice(0, -1).forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 8, c.length + 6)));
    for (const cells of block)
      out.push(cells.map((c, i) => (i < cells.length - 1 ? c.padEnd(widths[i]!) : c)).join(''));
    block = [];
  };
  for (const l of lines) {
    if (!l.includes('\t')) {
      flush();
      out.push(l);
    } else block.push(l.split('\t'));
  }
  flush();
  return out.join('\n');
}

export const snapshotInspectCommand: Command = {
  synopsis: 'Displays information about a Consul snapshot file',
  help: () => usage(INSPECT_HELP, new FlagSet()),
  async run(ctx) {
    const rest = parseFlags(new FlagSet(), ctx.args, ctx.ui);
    if (rest === null) return 1;
    const file = fileArg(rest, ctx);
    if (file === null) return 1;
    const data = await ctx.services.disk.readFile(file).catch(() => null);
    if (data === null) {
      ctx.ui.error(`Error opening snapshot file: open ${rest[0]}: no such file or directory`);
      return 1;
    }
    const a = readArchive(data);
    if (a instanceof Error) {
      ctx.ui.error(`Error extracting snapshot data: ${a.message}`);
      return 1;
    }
    const m = a.meta;
    const types = stateRecordCounts(a.state).sort((x, y) => y.size - x.size);
    const total = types.reduce((n, t) => n + t.size, 0);
    const lines = [
      ` ID\t${m.ID}`,
      ` Size\t${m.Size}`,
      ` Index\t${m.Index}`,
      ` Term\t${m.Term}`,
      ` Version\t${m.Version}`,
      '',
      ' Type\tCount\tSize\t',
      ' ----\t----\t----\t',
      ...types.map((t) => ` ${t.type}\t${t.count}\t${byteSize(t.size)}\t`),
      ' ----\t----\t----\t',
      ` Total\t\t${byteSize(total)}\t`,
    ];
    ctx.ui.output(tabwrite(lines));
    return 0;
  },
};
