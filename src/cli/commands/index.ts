// Every command this build implements, by its full name ("operator raft list-peers").
// Only implemented commands are listed, so `consul` never advertises something that does not work.

import type { Command } from '../command.js';
import { configtestCommand, validateCommand } from './validate.js';
import { versionCommand } from './version.js';

export function allCommands(): Map<string, Command> {
  return new Map<string, Command>([
    ['configtest', configtestCommand],
    ['validate', validateCommand],
    ['version', versionCommand],
  ]);
}
