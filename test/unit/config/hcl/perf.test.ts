// Big inputs parse correctly: a 1,000-line Consul config and 5,000 differently named labelled blocks
// (hcl's own decoder rescans per distinct key there). How fast is bench/hcl-parse.mjs's business: the
// machine is shared, so timings are not asserted in tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseHcl } from '../../../../src/config/hcl/index.js';
import { bigConfig, labelledBlocks } from './big-inputs.js';

test('a 1,000-line config file parses', () => {
  const src = bigConfig(1000);
  assert.equal(src.split('\n').length, 1001);
  const r = parseHcl(src);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.error));
  const services = r.value.service as Array<Record<string, unknown>>;
  assert.equal(services.length, 83);
  assert.equal(services[82]!.name, 'svc-82');
});

test('5,000 differently named labelled blocks decode', () => {
  const r = parseHcl(labelledBlocks(5000));
  assert.ok(r.ok);
  assert.deepStrictEqual(r.value.k4999, [{ label: [{ a: 4999 }] }]);
});
