import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConsoleSink, localOffset } from '../../../src/platform/node/log-console.js';
import type { LogRecord } from '../../../src/runtime/logger.js';

const rec = (message: string): LogRecord => ({
  timeMs: Date.UTC(2023, 11, 12, 10, 21, 17, 123),
  level: 'info',
  name: 'agent',
  message,
  kv: ['k', 'v'],
});

test('console lines wait for the banner, then flow in order; text or JSON', () => {
  const out: string[] = [];
  const sink = new ConsoleSink(false, (s) => out.push(s));
  sink.write(rec('before banner'));
  assert.deepEqual(out, []);
  sink.open();
  sink.write(rec('after banner'));
  assert.equal(out.length, 2);
  assert.match(out[0]!, /^\d{4}-\d\d-\d\dT[\d:.]+(Z|[+-]\d{4}) \[INFO\] {2}agent: before banner: k=v\n$/);
  assert.match(out[1]!, /agent: after banner: k=v\n$/);

  const json: string[] = [];
  const j = new ConsoleSink(true, (s) => json.push(s));
  j.open();
  j.write(rec('as json'));
  assert.equal(json.length, 1);
  assert.ok(json[0]!.endsWith('}\n'));
  const o = JSON.parse(json[0]!) as Record<string, string>;
  assert.equal(o['@message'], 'as json');
  assert.equal(o['k'], 'v');
});

test('local offset is minutes east of UTC for this process', () => {
  const ms = Date.UTC(2023, 0, 1);
  assert.equal(localOffset(ms), -new Date(ms).getTimezoneOffset());
});
