import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LogHub } from '../../../src/runtime/log.js';
import { formatHclog, formatJsonLog } from '../../../src/runtime/log-format.js';
import type { LogRecord } from '../../../src/runtime/logger.js';

const T = Date.UTC(2023, 11, 12, 10, 21, 17, 123);
const rec = (level: LogRecord['level'], name: string, message: string, ...kv: unknown[]): LogRecord => ({
  timeMs: T,
  level,
  name,
  message,
  kv,
});

test("hclog's text line", () => {
  assert.equal(
    formatHclog(rec('info', 'agent.server', 'New leader elected', 'payload', 'agent-one')),
    '2023-12-12T10:21:17.123Z [INFO]  agent.server: New leader elected: payload=agent-one',
  );
  assert.equal(formatHclog(rec('warn', 'agent', 'x')), '2023-12-12T10:21:17.123Z [WARN]  agent: x');
  assert.equal(formatHclog(rec('error', 'agent', 'x')), '2023-12-12T10:21:17.123Z [ERROR] agent: x');
  assert.equal(formatHclog(rec('debug', 'agent', 'x')), '2023-12-12T10:21:17.123Z [DEBUG] agent: x');
  assert.equal(formatHclog(rec('trace', '', 'x')), '2023-12-12T10:21:17.123Z [TRACE] x');
  assert.equal(
    formatHclog(rec('error', 'agent', 'Reload config failed', 'error', new Error('bad thing'), 'n', 3)),
    '2023-12-12T10:21:17.123Z [ERROR] agent: Reload config failed: error="bad thing" n=3',
  );
  // Local time zone offsets print as +hhmm
  assert.equal(formatHclog(rec('info', 'agent', 'x'), 60), '2023-12-12T11:21:17.123+0100 [INFO]  agent: x');
});

test("hclog's JSON line", () => {
  assert.deepEqual(JSON.parse(formatJsonLog(rec('info', 'agent', 'Synced service', 'service', 'web'))), {
    '@level': 'info',
    '@message': 'Synced service',
    '@module': 'agent',
    '@timestamp': '2023-12-12T10:21:17.123000Z',
    service: 'web',
  });
});

test('the hub filters by level, changes level at runtime, and feeds subscribers at their own level', () => {
  let now = T;
  const hub = new LogHub({ monotonicMs: () => now, wallMs: () => now }, 'info');
  const seen: string[] = [];
  const mon: string[] = [];
  hub.addSink({ write: (r) => seen.push(`${r.level}:${r.message}`) });
  const log = hub.logger('agent');
  log.debug('hidden');
  log.info('shown');
  const unsub = hub.subscribe('debug', (r) => mon.push(`${r.name}:${r.message}`));
  log.named('http').debug('for the monitor only');
  hub.setLevel('debug');
  log.debug('now shown');
  unsub();
  log.trace('nobody');
  now++;
  assert.deepEqual(seen, ['info:shown', 'debug:now shown']);
  assert.deepEqual(mon, ['agent.http:for the monitor only', 'agent:now shown']);
  assert.equal(log.isEnabled('trace'), false);
  // A broken sink never breaks the caller.
  hub.addSink({
    write: () => {
      throw new Error('disk full');
    },
  });
  log.info('still fine');
});
