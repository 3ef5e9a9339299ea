import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli, RUN_RESULT_HELP } from '../../../src/cli/cli.js';
import type { CliServices, Command, Ui } from '../../../src/cli/command.js';

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

const services = {} as CliServices; // the commands below never touch services

function table(): { calls: string[][]; commands: Map<string, Command> } {
  const calls: string[][] = [];
  const mk = (name: string, code = 0): Command => ({
    synopsis: `does ${name}`,
    help: () => `Usage: consul ${name}`,
    run: async ({ args }) => {
      calls.push([name, ...args]);
      return code;
    },
  });
  const commands = new Map<string, Command>([
    ['members', mk('members')],
    ['version', mk('version')],
    ['operator', { ...mk('operator'), run: async () => RUN_RESULT_HELP }],
    ['operator raft', { ...mk('operator raft'), run: async () => RUN_RESULT_HELP }],
    ['operator raft list-peers', mk('operator raft list-peers')],
    ['configtest', { ...mk('configtest'), hidden: true }],
  ]);
  return { calls, commands };
}

test('no command prints the command list and exits 127', async () => {
  const { commands } = table();
  const ui = capture();
  assert.equal(await runCli([], commands, ui, services), 127);
  assert.equal(
    ui.out,
    'Usage: consul [--version] [--help] <command> [<args>]\n\nAvailable commands are:\n' +
      '    members     does members\n    operator    does operator\n    version     does version\n\n',
  );
});

test('an unknown command prints the command list and exits 127', async () => {
  const { commands, calls } = table();
  const ui = capture();
  assert.equal(await runCli(['bogus', 'x'], commands, ui, services), 127);
  assert.match(ui.out, /^Usage: consul/);
  assert.equal(calls.length, 0);
});

test('-v / -version / --version run version with no other arguments', async () => {
  for (const v of ['-v', '-version', '--version']) {
    const { commands, calls } = table();
    assert.equal(await runCli(['members', v, '-format=json'], commands, capture(), services), 0);
    assert.deepEqual(calls, [['version']]);
  }
});

test('-h anywhere prints the command help and exits 0; alone prints the list', async () => {
  const { commands, calls } = table();
  let ui = capture();
  assert.equal(await runCli(['members', '-detailed', '-h'], commands, ui, services), 0);
  assert.equal(ui.out, 'Usage: consul members\n');
  assert.equal(calls.length, 0);
  ui = capture();
  assert.equal(await runCli(['--help'], commands, ui, services), 0);
  assert.match(ui.out, /Available commands are:/);
});

test('nested commands resolve by longest prefix and pass the rest as arguments', async () => {
  const { commands, calls } = table();
  assert.equal(
    await runCli(['operator', 'raft', 'list-peers', '-stale', 'x'], commands, capture(), services),
    0,
  );
  assert.deepEqual(calls, [['operator raft list-peers', '-stale', 'x']]);
});

test('a parent command without a subcommand prints its help with subcommands and exits 1', async () => {
  const { commands } = table();
  const ui = capture();
  assert.equal(await runCli(['operator', 'raft'], commands, ui, services), 1);
  assert.equal(
    ui.out,
    'Usage: consul operator raft\n\nSubcommands:\n    list-peers    does operator raft list-peers\n',
  );
});

test('flags before the subcommand are refused', async () => {
  const { commands, calls } = table();
  const ui = capture();
  assert.equal(await runCli(['-detailed', 'members'], commands, ui, services), 1);
  assert.match(ui.out, /^Invalid flags before the subcommand\. If these flags are for\nthe subcommand/);
  assert.equal(calls.length, 0);
});

test('hidden commands run but are not listed', async () => {
  const { commands, calls } = table();
  const ui = capture();
  await runCli([], commands, ui, services);
  assert.doesNotMatch(ui.out, /configtest/);
  assert.equal(await runCli(['configtest', '-config-dir=/x'], commands, capture(), services), 0);
  assert.deepEqual(calls, [['configtest', '-config-dir=/x']]);
});
