// `consul validate [options] FILE_OR_DIRECTORY...` — and the 0.8 spelling `consul configtest
// -config-dir=… -config-file=…` that the seed's systemd unit runs in ExecStartPre. Both load exactly as
// the agent does (config/load.ts), so what validates is what starts. Warnings go to stderr unless
// -quiet, which silences a success completely.

import { newAgentFlags } from '../../config/agent-flags.js';
import { loadConfig } from '../../config/load.js';
import { FlagSet } from '../../lib/flags.js';
import type { Command, CommandContext } from '../command.js';
import { parseFlags } from '../parse.js';
import { usage } from '../usage.js';

const HELP = `
Usage: consul validate [options] FILE_OR_DIRECTORY...

  Performs a thorough sanity test on Consul configuration files. For each file
  or directory given, the validate command will attempt to parse the contents
  just as the "consul agent" command would, and catch any errors.

  This is useful to do a test of the configuration only, without actually
  starting the agent. This performs all of the validation the agent would, so
  this should be given the complete set of configuration files that are going
  to be loaded by the agent. This command cannot operate on partial
  configuration fragments since those won't pass the full agent validation.

  For more information on the format of Consul's configuration files, read the
  consul agent --help output.

  Returns 0 if the configuration is valid, or 1 if there are problems.
`;

const CONFIGTEST_HELP = `
Usage: consul configtest [options]

  DEPRECATED. Please use the 'consul validate' command instead.

  Performs a basic sanity test on Consul configuration files. For each file
  or directory given, the configtest command will attempt to parse the
  contents just as the "consul agent" command would, and catch any errors.
  This is useful to do a test of the configuration only, without actually
  starting the agent.

  Returns 0 if the configuration is valid, or 1 if there are problems.
`;

function validateFlags(legacy: boolean) {
  const f = new FlagSet();
  const format = f.string(
    'config-format',
    '',
    "Config files are in this format irrespective of their extension. Must be 'hcl' or 'json'",
  );
  const quiet = f.bool('quiet', false, 'When given, a successful run will produce no output.');
  const paths: string[] = [];
  if (legacy) {
    // 0.8's configtest flags and their help texts.
    const usages: Array<[string, string]> = [
      [
        'config-file',
        'Path to a JSON file to read configuration from. This can be specified multiple times.',
      ],
      [
        'config-dir',
        'Path to a directory to read configuration files from. This will read every file ending in ".json" as configuration in this directory in alphabetical order.',
      ],
    ];
    for (const [name, usage] of usages)
      f.define({ name, kind: 'value', usage, set: (v) => void paths.push(v) });
  }
  return { f, format, quiet, paths };
}

async function run(ctx: CommandContext, legacy: boolean): Promise<number> {
  const { f, format, quiet, paths } = validateFlags(legacy);
  const rest = parseFlags(f, ctx.args, ctx.ui);
  if (rest === null) return 1;
  const files = [...paths, ...rest];
  if (files.length === 0) {
    ctx.ui.error('Must specify at least one config file or directory');
    return 1;
  }
  if (format.value !== '' && format.value !== 'json' && format.value !== 'hcl') {
    // Consul's text, unbalanced quote included.
    ctx.ui.error("-config-format must be either 'hcl' or 'json");
    return 1;
  }
  const { values } = newAgentFlags();
  values.configFiles = files;
  values.configFormat = format.value;
  const r = await loadConfig({
    flags: values,
    disk: ctx.services.disk,
    host: ctx.services.host,
    cwd: ctx.services.cwd,
    // No data_dir is assumed: like Consul (hashicorp/consul#4065), validate wants the complete
    // configuration the agent will run with, so files without data_dir fail as the agent would.
  });
  if (!r.ok) {
    ctx.ui.error(`Config validation failed: ${r.error}`);
    return 1;
  }
  if (!quiet.value) {
    for (const w of r.warnings) ctx.ui.error(w);
    ctx.ui.output('Configuration is valid!');
  }
  return 0;
}

export const validateCommand: Command = {
  synopsis: 'Validate config files/directories',
  help: () => usage(HELP, validateFlags(false).f),
  run: (ctx) => run(ctx, false),
};

export const configtestCommand: Command = {
  synopsis: 'Validate config file',
  hidden: true,
  help: () => usage(CONFIGTEST_HELP, validateFlags(true).f),
  run: (ctx) => run(ctx, true),
};
