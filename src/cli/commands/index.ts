// Every command this build implements, by its full name ("operator raft list-peers").
// Only implemented commands are listed, so `consul` never advertises something that does not work.

import type { Command } from '../command.js';
import { agentCommand } from './agent.js';
import { infoCommand } from './info.js';
import {
  catalogCommand,
  catalogDatacentersCommand,
  catalogNodesCommand,
  catalogServicesCommand,
} from './catalog.js';
import { eventCommand } from './event.js';
import { execCommand } from './exec.js';
import { watchCommand } from './watch.js';
import { forceLeaveCommand } from './force-leave.js';
import { joinCommand } from './join.js';
import { keygenCommand } from './keygen.js';
import { keyringCommand } from './keyring.js';
import {
  kvCommand,
  kvDeleteCommand,
  kvExportCommand,
  kvGetCommand,
  kvImportCommand,
  kvPutCommand,
} from './kv.js';
import { membersCommand } from './members.js';
import { monitorCommand } from './monitor.js';
import {
  listPeersCommand,
  operatorCommand,
  operatorRaftCommand,
  removePeerCommand,
  transferLeaderCommand,
} from './operator.js';
import { leaveCommand, reloadCommand } from './simple.js';
import { lockCommand } from './lock.js';
import { maintCommand } from './maint.js';
import { aclCommand, aclSetAgentTokenCommand } from './acl.js';
import { servicesCommand, servicesDeregisterCommand, servicesRegisterCommand } from './services.js';
import { configtestCommand, validateCommand } from './validate.js';
import { versionCommand } from './version.js';
import { rttCommand } from './rtt.js';
import {
  autopilotGetCommand,
  autopilotSetCommand,
  autopilotStateCommand,
  operatorAutopilotCommand,
} from './autopilot.js';
import {
  snapshotCommand,
  snapshotInspectCommand,
  snapshotRestoreCommand,
  snapshotSaveCommand,
} from './snapshot.js';

export function allCommands(): Map<string, Command> {
  return new Map<string, Command>([
    ['acl', aclCommand],
    ['acl set-agent-token', aclSetAgentTokenCommand],
    ['agent', agentCommand],
    ['catalog', catalogCommand],
    ['catalog datacenters', catalogDatacentersCommand],
    ['catalog nodes', catalogNodesCommand],
    ['catalog services', catalogServicesCommand],
    ['configtest', configtestCommand],
    ['event', eventCommand],
    ['exec', execCommand],
    ['force-leave', forceLeaveCommand],
    ['info', infoCommand],
    ['join', joinCommand],
    ['keygen', keygenCommand],
    ['keyring', keyringCommand],
    ['kv', kvCommand],
    ['kv delete', kvDeleteCommand],
    ['kv export', kvExportCommand],
    ['kv import', kvImportCommand],
    ['kv get', kvGetCommand],
    ['kv put', kvPutCommand],
    ['leave', leaveCommand],
    ['lock', lockCommand],
    ['maint', maintCommand],
    ['members', membersCommand],
    ['services', servicesCommand],
    ['services register', servicesRegisterCommand],
    ['services deregister', servicesDeregisterCommand],
    ['monitor', monitorCommand],
    ['operator', operatorCommand],
    ['operator autopilot', operatorAutopilotCommand],
    ['operator autopilot get-config', autopilotGetCommand],
    ['operator autopilot set-config', autopilotSetCommand],
    ['operator autopilot state', autopilotStateCommand],
    ['operator raft', operatorRaftCommand],
    ['operator raft list-peers', listPeersCommand],
    ['operator raft remove-peer', removePeerCommand],
    ['operator raft transfer-leader', transferLeaderCommand],
    ['reload', reloadCommand],
    ['rtt', rttCommand],
    ['snapshot', snapshotCommand],
    ['snapshot inspect', snapshotInspectCommand],
    ['snapshot restore', snapshotRestoreCommand],
    ['snapshot save', snapshotSaveCommand],
    ['validate', validateCommand],
    ['version', versionCommand],
    ['watch', watchCommand],
  ]);
}
