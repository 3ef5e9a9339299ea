import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LogHub } from '../../../src/runtime/log.js';
import { parseLogLevel, type LogRecord } from '../../../src/runtime/logger.js';

const T = Date.UTC(2023, 11, 12, 10, 21, 17, 123);

function fixedHub(level: 'trace' | 'debug' | 'info' | 'warn' | 'error') {
  let now = T;
  const hub = new LogHub({ monotonicMs: () => now, wallMs: () => now }, level);
  return { hub, tick: () => now++ };
}

test('named loggers build dotted names; records carry the clock time and arguments', () => {
  const { hub } = fixedHub('trace');
  const got: LogRecord[] = [];
  hub.addSink({ write: (r) => got.push(r) });
  hub.logger().info('root');
  hub.logger('agent').named('server').named('raft').warn('w', 'k', 1);
  assert.deepEqual(got, [
    { timeMs: T, level: 'info', name: '', message: 'root', kv: [] },
    { timeMs: T, level: 'warn', name: 'agent.server.raft', message: 'w', kv: ['k', 1] },
  ]);
  assert.equal(hub.logger().named('agent').name, 'agent');
});

test('the hub filters by level and changes level at runtime', () => {
  const { hub } = fixedHub('info');
  const seen: string[] = [];
  hub.addSink({ write: (r) => seen.push(`${r.level}:${r.message}`) });
  const log = hub.logger('agent');
  log.trace('t');
  log.debug('hidden');
  log.info('shown');
  log.log('error', 'via log()');
  hub.setLevel('debug');
  assert.equal(hub.level, 'debug');
  log.debug('now shown');
  hub.setLevel('warn');
  log.info('hidden again');
  log.warn('w');
  assert.deepEqual(seen, ['info:shown', 'error:via log()', 'debug:now shown', 'warn:w']);
});

test('monitor subscribers get records at their own level, even below the hub level', () => {
  const { hub } = fixedHub('info');
  const sink: string[] = [];
  const mon: string[] = [];
  const quiet: string[] = [];
  hub.addSink({ write: (r) => sink.push(r.message) });
  const log = hub.logger('agent');
  const unsub = hub.subscribe('trace', (r) => mon.push(`${r.level}:${r.message}`));
  hub.subscribe('error', (r) => quiet.push(r.message));
  log.trace('t');
  log.debug('d');
  log.info('i');
  log.error('e');
  assert.equal(log.isEnabled('trace'), true);
  unsub();
  assert.equal(log.isEnabled('debug'), false);
  log.debug('after unsubscribe');
  assert.deepEqual(mon, ['trace:t', 'debug:d', 'info:i', 'error:e']);
  assert.deepEqual(sink, ['i', 'e']);
  assert.deepEqual(quiet, ['e']);
});

test('below every consumer the call costs nothing: no record, no clock read, no formatting', () => {
  let clockReads = 0;
  const hub = new LogHub(
    {
      monotonicMs: () => 0,
      wallMs: () => {
        clockReads++;
        return T;
      },
    },
    'info',
  );
  let formatted = 0;
  const lazy = {
    toString() {
      formatted++;
      return 'x';
    },
  };
  hub.addSink({ write: (r) => void String(r.kv[1]) });
  hub.logger('a').debug('nobody wants this', 'v', lazy);
  assert.equal(clockReads, 0);
  assert.equal(formatted, 0);
  hub.logger('a').info('wanted', 'v', lazy);
  assert.equal(clockReads, 1);
  assert.equal(formatted, 1);
});

test('a throwing sink or subscriber never reaches the caller, and later sinks still run', () => {
  const { hub } = fixedHub('info');
  const after: string[] = [];
  hub.addSink({
    write: () => {
      throw new Error('disk full');
    },
  });
  hub.subscribe('info', () => {
    throw new Error('client gone');
  });
  hub.addSink({ write: (r) => after.push(r.message) });
  assert.doesNotThrow(() => hub.logger('agent').info('still fine'));
  assert.deepEqual(after, ['still fine']);
});

test('removing a sink stops its records', () => {
  const { hub } = fixedHub('info');
  const got: string[] = [];
  const remove = hub.addSink({ write: (r) => got.push(r.message) });
  hub.logger().info('one');
  remove();
  hub.logger().info('two');
  assert.deepEqual(got, ['one']);
});

test("log level names: Consul's TRACE DEBUG INFO WARN ERR ERROR in any case, nothing else", () => {
  assert.equal(parseLogLevel('TRACE'), 'trace');
  assert.equal(parseLogLevel('Debug'), 'debug');
  assert.equal(parseLogLevel('info'), 'info');
  assert.equal(parseLogLevel('WARN'), 'warn');
  assert.equal(parseLogLevel('err'), 'error');
  assert.equal(parseLogLevel('ERROR'), 'error');
  for (const bad of ['warning', ' info', 'off', 'crit', '']) assert.equal(parseLogLevel(bad), null, bad);
});
