// Large HCL inputs for the parser's tests and bench/hcl-parse.mjs.

/** A Consul config of `lines` lines: a few top-level keys, then service blocks with checks. */
export function bigConfig(lines: number): string {
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

/** `n` top-level blocks, each under its own key with one label. */
export function labelledBlocks(n: number): string {
  return Array.from({ length: n }, (_, i) => `k${i} "label" { a = ${i} }`).join('\n');
}
