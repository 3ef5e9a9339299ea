import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatHclog, formatJsonLog, formatTimestamp } from '../../../src/runtime/log-format.js';
import { goFloat, goQuote } from '../../../src/runtime/log-values.js';
import type { LogRecord } from '../../../src/runtime/logger.js';

const T = Date.UTC(2023, 11, 12, 10, 21, 17, 123);
const TS = '2023-12-12T10:21:17.123Z';
const rec = (level: LogRecord['level'], name: string, message: string, ...kv: unknown[]): LogRecord => ({
  timeMs: T,
  level,
  name,
  message,
  kv,
});
const text = (r: LogRecord) => formatHclog(r).slice(TS.length + 1);

test('text: level tokens padded to seven characters, then the logger name and message', () => {
  assert.equal(
    formatHclog(rec('info', 'agent.server', 'New leader elected', 'payload', 'agent-one')),
    `${TS} [INFO]  agent.server: New leader elected: payload=agent-one`,
  );
  assert.equal(text(rec('warn', 'agent', 'x')), '[WARN]  agent: x');
  assert.equal(text(rec('error', 'agent', 'x')), '[ERROR] agent: x');
  assert.equal(text(rec('debug', 'agent', 'x')), '[DEBUG] agent: x');
  assert.equal(text(rec('trace', '', 'x')), '[TRACE] x');
  // hclog leaves out ": " when the message is empty
  assert.equal(text(rec('info', 'agent', '')), '[INFO]  agent');
  assert.equal(text(rec('info', 'agent', '', 'k', 1)), '[INFO]  agent: k=1');
});

test('text: values are quoted unless every character lies in "-" … "~"', () => {
  assert.equal(
    text(
      rec(
        'debug',
        'agent.http',
        'Request finished',
        'method',
        'GET',
        'url',
        '/v1/kv/a?recurse=1',
        'from',
        '127.0.0.1:52369',
        'latency',
        '180.708µs',
      ),
    ),
    '[DEBUG] agent.http: Request finished: method=GET url=/v1/kv/a?recurse=1 from=127.0.0.1:52369 latency="180.708µs"',
  );
  assert.equal(
    text(
      rec('info', 'agent.server', 'Adding LAN server', 'server', 'n1 (Addr: tcp/10.0.0.1:8300) (DC: dc1)'),
    ),
    '[INFO]  agent.server: Adding LAN server: server="n1 (Addr: tcp/10.0.0.1:8300) (DC: dc1)"',
  );
  // characters below '-' force quotes (so does the '+' of a float's exponent, above): ',', '+', '!', '#', '*'
  assert.equal(
    text(rec('info', 'a', 'm', 'k', 'a,b', 'p', '+1', 'x', 'c:\\dir')),
    '[INFO]  a: m: k="a,b" p="+1" x=c:\\dir',
  );
  // inside quotes: '"' escaped, backslash kept, control characters escaped, printable unicode kept
  assert.equal(
    text(rec('info', 'a', 'm', 'k', 'say "hi" \\ é\t\x01')),
    '[INFO]  a: m: k="say \\"hi\\" \\ é\\t\\x01"',
  );
  assert.equal(text(rec('info', 'a', 'm', 'empty', '')), '[INFO]  a: m: empty=""');
});

test('text: numbers, booleans, nil, errors, slices and maps as Go prints them', () => {
  assert.equal(
    text(rec('error', 'agent', 'Reload config failed', 'error', new Error('bad thing'), 'n', 3)),
    '[ERROR] agent: Reload config failed: error="bad thing" n=3',
  );
  assert.equal(
    text(
      rec(
        'info',
        'a',
        'm',
        'i',
        -42,
        'big',
        18446744073709551615n,
        'f',
        0.5,
        'e',
        1234567.5,
        'tiny',
        0.00001,
        'b',
        true,
        'nil',
        null,
      ),
    ),
    '[INFO]  a: m: i=-42 big=18446744073709551615 f=0.5 e="1.2345675e+06" tiny=1e-05 b=true nil=<nil>',
  );
  assert.equal(
    text(rec('info', 'a', 'm', 'peers', ['10.0.0.1:8300', 'x y'], 'ports', [8300, 8301], 'empty', [])),
    '[INFO]  a: m: peers=["10.0.0.1:8300", "x y"] ports=[8300, 8301] empty=[]',
  );
  assert.equal(text(rec('info', 'a', 'm', 'meta', { b: 2, a: 'x' })), '[INFO]  a: m: meta="map[a:x b:2]"');
  assert.equal(text(rec('info', 'a', 'm', 'map', new Map([['k', 'v']]))), '[INFO]  a: m: map=map[k:v]');
});

test('text: an odd trailing value gets the key EXTRA_VALUE_AT_END', () => {
  assert.equal(
    text(rec('warn', 'a', 'm', 'k', 'v', 'orphan')),
    '[WARN]  a: m: k=v EXTRA_VALUE_AT_END=orphan',
  );
  assert.equal(text(rec('warn', 'a', 'm', 'orphan')), '[WARN]  a: m: EXTRA_VALUE_AT_END=orphan');
});

test('text: a multi-line value goes below the line, each row behind "  | "', () => {
  assert.equal(
    formatHclog(
      rec('error', 'agent.checks', 'Check failed', 'output', 'line one\nline "two"\n', 'id', 'web'),
    ),
    `${TS} [ERROR] agent.checks: Check failed:\n  output=\n  | line one\n  | line "two"\n   id=web`,
  );
});

test('timestamps: milliseconds and Go zone offsets (Z, +hhmm; JSON micros and +hh:mm)', () => {
  assert.equal(formatHclog(rec('info', 'agent', 'x'), 60), '2023-12-12T11:21:17.123+0100 [INFO]  agent: x');
  assert.equal(formatTimestamp(T, -330), '2023-12-12T04:51:17.123-0530');
  assert.equal(formatTimestamp(T, 0, 6, true), '2023-12-12T10:21:17.123000Z');
  assert.equal(formatTimestamp(T + 0.4567, 120, 6, true), '2023-12-12T12:21:17.123456+02:00');
});

test("JSON: hclog's map with sorted keys, errors as their text, Go's escaping", () => {
  assert.equal(
    formatJsonLog(rec('info', 'agent', 'Synced service', 'service', 'web')),
    '{"@level":"info","@message":"Synced service","@module":"agent","@timestamp":"2023-12-12T10:21:17.123000Z","service":"web"}',
  );
  assert.equal(
    formatJsonLog(
      rec(
        'error',
        '',
        'failed <x> & y',
        'zeta',
        1,
        'error',
        new Error('boom'),
        'Alpha',
        [1, 'a'],
        '1st',
        null,
      ),
    ),
    '{"1st":null,"@level":"error","@message":"failed \\u003cx\\u003e \\u0026 y","@timestamp":"2023-12-12T10:21:17.123000Z","Alpha":[1,"a"],"error":"boom","zeta":1}',
  );
  assert.equal(
    formatJsonLog(
      rec('debug', 'a', 'm', 'big', 18446744073709551615n, 'f', 1.5, 'obj', { b: 1, a: 'x' }, 'odd'),
    ),
    '{"@level":"debug","@message":"m","@module":"a","@timestamp":"2023-12-12T10:21:17.123000Z","EXTRA_VALUE_AT_END":"odd","big":18446744073709551615,"f":1.5,"obj":{"b":1,"a":"x"}}',
  );
  assert.deepEqual(
    JSON.parse(formatJsonLog(rec('info', 'a', 'tab\tnl\n\u0001\u2028'))),
    JSON.parse(
      '{"@level":"info","@message":"tab\\tnl\\n\\u0001\\u2028","@module":"a","@timestamp":"2023-12-12T10:21:17.123000Z"}',
    ),
  );
  assert.match(formatJsonLog(rec('info', 'a', '\u0001\u2028')), /"@message":"\\u0001\\u2028"/);
  // a value JSON cannot hold: the line survives without its fields, with hclog's warning
  assert.equal(
    formatJsonLog(rec('info', 'a', 'm', 'fn', () => 1)),
    '{"@level":"info","@message":"m","@module":"a","@timestamp":"2023-12-12T10:21:17.123000Z","@warn":"logging contained values that don\'t serialize to json"}',
  );
  // JSON keeps the local offset with a colon
  assert.match(formatJsonLog(rec('info', 'a', 'm'), 60), /"@timestamp":"2023-12-12T11:21:17\.123000\+01:00"/);
});

test("Go value helpers: strconv.Quote and fmt's %v for floats", () => {
  assert.equal(goQuote('a"b\\c\n\u0000é\u007f'), '"a\\"b\\\\c\\n\\x00é\\x7f"');
  assert.equal(goFloat(100000.5), '100000.5');
  assert.equal(goFloat(1e21), '1e+21');
  assert.equal(goFloat(0.0001), '0.0001');
  assert.equal(goFloat(1.5e-7), '1.5e-07');
  assert.equal(goFloat(NaN), 'NaN');
  assert.equal(goFloat(-Infinity), '-Inf');
});
