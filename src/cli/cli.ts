// The top-level dispatcher, with mitchellh/cli's rules as Consul configures them:
// - `-v`/`-version`/`--version` anywhere before "--" runs `version`;
// - no command or an unknown one prints the command list and exits 127;
// - `-h`/`-help`/`--help` anywhere (before "--") prints the command's help and exits 0;
// - flags before the subcommand are refused (exit 1); nested commands ("operator raft list-peers")
//   are found by longest prefix; a parent with no runnable subcommand prints its help and exits 1.

import type { Command, CommandContext, CliServices, Ui } from './command.js';

export const RUN_RESULT_HELP = -18511; // same sentinel idea as mitchellh/cli: "print help, exit 1"

export type CommandTable = ReadonlyMap<string, Command>;

export async function runCli(
  argv: readonly string[],
  commands: CommandTable,
  ui: Ui,
  services: CliServices,
): Promise<number> {
  let args = [...argv];
  for (const a of args) {
    if (a === '--') break;
    if (a === '-v' || a === '-version' || a === '--version') {
      args = ['version']; // Consul drops every other argument here
      break;
    }
  }

  let isHelp = false;
  let sub = '';
  let subArgs: string[] = [];
  const topFlags: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') break;
    if (a === '-h' || a === '-help' || a === '--help') {
      isHelp = true;
      continue;
    }
    if (sub === '' && a.startsWith('-')) topFlags.push(a);
    if (sub === '' && a !== '' && !a.startsWith('-')) {
      sub = a;
      // Longest prefix of the remaining words that names a command.
      for (let j = args.length; j > i + 1; j--) {
        const key = args.slice(i, j).join(' ');
        if (commands.has(key)) {
          sub = key;
          i = j - 1;
          break;
        }
      }
      subArgs = args.slice(i + 1);
    }
  }

  if (isHelp && sub === '') {
    ui.write(topHelp(commands) + '\n');
    return 0;
  }
  const cmd = commands.get(sub);
  if (!cmd) {
    ui.write(topHelp(commands, parentOf(sub, commands)) + '\n');
    return 127;
  }
  if (isHelp) {
    ui.write(commandHelp(sub, cmd, commands) + '\n');
    return 0;
  }
  if (topFlags.length > 0) {
    ui.write(
      'Invalid flags before the subcommand. If these flags are for\n' +
        'the subcommand, please put them after the subcommand.\n\n' +
        commandHelp(sub, cmd, commands) +
        '\n',
    );
    return 1;
  }
  const ctx: CommandContext = { args: subArgs, ui, services };
  const code = await cmd.run(ctx);
  if (code === RUN_RESULT_HELP) {
    ui.write(commandHelp(sub, cmd, commands) + '\n');
    return 1;
  }
  return code;
}

function parentOf(sub: string, commands: CommandTable): string {
  const words = sub.split(' ');
  for (let n = words.length - 1; n > 0; n--) {
    const p = words.slice(0, n).join(' ');
    if (commands.has(p)) return p;
  }
  return '';
}

/** `consul` with no command: the usage line and every visible top-level command, aligned. */
export function topHelp(commands: CommandTable, parent = ''): string {
  if (parent !== '') {
    const c = commands.get(parent);
    if (c) return commandHelp(parent, c, commands);
  }
  const names = [...commands.keys()].filter((k) => !k.includes(' ') && !commands.get(k)!.hidden).sort();
  const width = Math.max(0, ...names.map((n) => n.length));
  let out = 'Usage: consul [--version] [--help] <command> [<args>]\n\nAvailable commands are:\n';
  for (const n of names) out += `    ${n.padEnd(width)}    ${commands.get(n)!.synopsis}\n`;
  return out;
}

/** A command's help, followed by its direct subcommands when it has any. */
export function commandHelp(name: string, cmd: Command, commands: CommandTable): string {
  let out = cmd.help().trim();
  const prefix = `${name} `;
  const subs = [...commands.keys()]
    .filter((k) => k.startsWith(prefix) && !k.slice(prefix.length).includes(' ') && !commands.get(k)!.hidden)
    .sort();
  if (subs.length > 0) {
    const width = Math.max(...subs.map((s) => s.length - prefix.length));
    out += '\n\nSubcommands:';
    for (const s of subs)
      out += `\n    ${s.slice(prefix.length).padEnd(width)}    ${commands.get(s)!.synopsis}`;
  }
  return out;
}
