// aliasStatus: the worst of the aliased service's checks (node-level checks included), Consul's texts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aliasStatus, type AliasedCheck } from '../../../src/checks/alias.js';

const c = (name: string, serviceId: string, status: AliasedCheck['status'], node = 'n1'): AliasedCheck => ({
  node,
  name,
  serviceId,
  status,
  output: `${name} out`,
});

test('alias: node checks count, other services do not; critical wins over warning', () => {
  const t = { node: 'n1', serviceId: 'web' };
  assert.deepEqual(aliasStatus(t, [c('a', 'web', 'passing'), c('x', 'db', 'critical')], true), {
    status: 'passing',
    output: 'All checks passing.',
  });
  assert.deepEqual(aliasStatus(t, [c('serf', '', 'warning'), c('a', 'web', 'passing')], true), {
    status: 'warning',
    output: 'Aliased check "serf" failing: serf out',
  });
  assert.deepEqual(
    aliasStatus(t, [c('w', 'web', 'warning'), c('k', 'web', 'critical'), c('z', 'web', 'warning')], true),
    {
      status: 'critical',
      output: 'Aliased check "k" failing: k out',
    },
  );
  assert.deepEqual(aliasStatus(t, [c('a', 'web', 'critical', 'n2')], true), {
    status: 'passing',
    output: 'No checks found.',
  });
  assert.deepEqual(aliasStatus(t, [], false), {
    status: 'critical',
    output: 'Service web could not be found on node n1',
  });
  // alias_node alone: the node's own checks.
  assert.deepEqual(
    aliasStatus({ node: 'n1', serviceId: '' }, [c('serf', '', 'critical'), c('a', 'web', 'passing')], true),
    {
      status: 'critical',
      output: 'Aliased check "serf" failing: serf out',
    },
  );
});
