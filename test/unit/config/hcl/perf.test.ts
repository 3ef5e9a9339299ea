// Speed: a 1,000-line Consul config parses well inside the 50 ms budget.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseHcl } from '../../../../src/config/hcl/index.js';

function bigConfig(lines: number): string {
  const out = ['datacenter = "dc1"', 'data_dir = "/opt/consul"', 'retry_join = ["10.0.0.1", "10.0.0.2"]'];
  for (let i = 0; out.length < lines; i++) {
    out.push(
      `# service ${i}`,
      'service {',
      `  name = "svc-${i}"`,
      `  id = "svc-${i}-\\u00e9"`,
      `  tags = ["a", "b", "v${i}"]`,
      `  port = ${8000 + i}`,
      `  meta { weight = "${i * 1.5}" }`,
      '  check {',
      `    http = "http://127.0.0.1:${8000 + i}/health"`,
      '    interval = "10s" // often',
      '  }',
      '}',
    );
  }
  return out.slice(0, lines).join('\n') + '\n';
}

test('a 1,000-line file parses in well under 50 ms', () => {
  const src = bigConfig(1000);
  assert.equal(src.split('\n').length, 1001);
  const first = parseHcl(src);
  assert.ok(first.ok, JSON.stringify(!first.ok && first.error));
  const times: number[] = [];
  for (let i = 0; i < 7; i++) {
    const t0 = performance.now();
    parseHcl(src);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const median = times[3] as number;
  assert.ok(median < 25, `median ${median.toFixed(2)} ms`);
});

test('many differently named labelled blocks decode without rescanning the file per block', () => {
  // hcl's own decoder is quadratic here (one list scan per distinct key); 5,000 blocks took 1.3 s that way.
  const src = Array.from({ length: 5000 }, (_, i) => `k${i} "label" { a = ${i} }`).join('\n');
  const t0 = performance.now();
  const r = parseHcl(src);
  const ms = performance.now() - t0;
  assert.ok(r.ok);
  assert.deepStrictEqual(r.value.k4999, [{ label: [{ a: 4999 }] }]);
  assert.ok(ms < 300, `${ms.toFixed(1)} ms`);
});
