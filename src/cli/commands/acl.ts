// `consul acl set-agent-token TYPE TOKEN`: sets one of the agent's ACL tokens through
// PUT /v1/agent/token/:type (the rest of `consul acl` arrives with the ACL issue).

import { FlagSet } from '../../lib/flags.js';
import { RUN_RESULT_HELP } from '../cli.js';
import type { Command } from '../command.js';
import { addHttpFlags } from '../http-flags.js';
import { parseFlags } from '../parse.js';
import { usage } from '../usage.js';

const HELP = `
Usage: consul acl set-agent-token [options] TYPE TOKEN

  This command will set the corresponding token for the agent to use.
  Note that the tokens uploaded this way are not persisted and if
  the agent reloads then the tokens will need to be set again.

  Token Types:

    default       The default token is the token that the agent will use for
                  both internal agent operations and operations initiated by
                  the HTTP and DNS interfaces when no specific token is provided.
                  If not set the agent will use the anonymous token.

    agent         The token that the agent will use for internal agent operations.
                  If not given then the default token is used for these operations.

    recovery      This sets the token that can be used to access the Agent APIs in
                  the event that the ACL datacenter cannot be reached.

    replication   This is the token that the agent will use for replication
                  operations. This token will need to be configured with read access
                  to whatever data is being replicated.

    config_file_service_registration  This is the token that the agent uses to
                  register services and checks defined in config files.

  Example:

    $ consul acl set-agent-token default c4d0f8df-3aba-4ab6-a7a0-35b760dc29a1
`;

/** The CLI's type names to the endpoint's. */
const ENDPOINT: Record<string, string> = {
  default: 'default',
  agent: 'agent',
  recovery: 'agent_recovery',
  replication: 'replication',
  config_file_service_registration: 'config_file_service_registration',
};

function flags() {
  const f = new FlagSet();
  return { f, http: addHttpFlags(f, { server: true }) };
}

export const aclCommand: Command = {
  synopsis: "Interact with Consul's ACLs",
  help: () =>
    usage(`
Usage: consul acl <subcommand> [options] [args]

  This command has subcommands for interacting with Consul's ACLs.
`),
  run: async () => RUN_RESULT_HELP,
};

export const aclSetAgentTokenCommand: Command = {
  synopsis: "Assign tokens for the Consul Agent's usage",
  help: () => usage(HELP, flags().f),
  async run({ args, ui, services }) {
    const o = flags();
    const rest = parseFlags(o.f, args, ui);
    if (rest === null) return 1;
    let why = '';
    if (rest.length === 0) why = 'Missing TYPE and TOKEN arguments';
    else if (rest.length === 1)
      why = rest[0]! in ENDPOINT ? 'Missing TOKEN argument' : 'MISSING TYPE argument';
    else if (rest.length > 2) why = `Too many arguments: expected 2 got ${rest.length}`;
    if (why) {
      ui.error(`Error! ${why}`);
      return 1;
    }
    const [type, token] = rest as [string, string];
    const path = ENDPOINT[type];
    if (!path) {
      ui.error('Unknown token type');
      return 1;
    }
    try {
      await o.http
        .client(services)
        .call('PUT', `/v1/agent/token/${path}`, { body: JSON.stringify({ Token: token }) });
    } catch (e) {
      ui.error(`Failed to set ACL token ${JSON.stringify(type)}: ${(e as Error).message}`);
      return 1;
    }
    ui.output(`ACL token ${JSON.stringify(type)} set successfully`);
    return 0;
  },
};
