// Alias checks mirror the health of another service instance (alias_service) or node (alias_node):
// critical if any of its checks is critical, else warning if any warns, else passing. Node-level checks
// count for a service alias too, as in Consul.

import type { CheckStatus } from './runner.js';

export interface AliasedCheck {
  node: string;
  name: string;
  serviceId: string;
  status: CheckStatus;
  output: string;
}

export function aliasStatus(
  target: { node: string; serviceId: string },
  checks: readonly AliasedCheck[],
  serviceExists: boolean,
): { status: CheckStatus; output: string } {
  let status: CheckStatus = 'passing';
  let output = 'No checks found.';
  let found = false;
  for (const c of checks) {
    if (target.node !== '' && c.node !== target.node) continue;
    const match = c.serviceId === target.serviceId;
    if (c.serviceId !== '' && !match) continue;
    if (match) found = true;
    if (c.status === 'critical' || c.status === 'warning') {
      status = c.status;
      output = `Aliased check ${JSON.stringify(c.name)} failing: ${c.output}`;
      if (c.status === 'critical') break;
    } else if (status === 'passing') output = 'All checks passing.';
  }
  if (!found && !serviceExists) {
    output = `Service ${target.serviceId} could not be found on node ${target.node}`;
    status = 'critical';
  }
  return { status, output };
}
