// Prometheus text exposition format 0.0.4 of a MetricsRegistry's store, as promhttp writes go-metrics'
// Prometheus sink: HELP (the name, go-metrics' default help), TYPE, then one line per series; a summary
// has quantile lines and _sum/_count.

import { QUANTILES, type MetricsRegistry, type PromSeries } from './metrics-registry.js';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function num(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function labelText(pairs: ReadonlyArray<readonly [string, string]>): string {
  if (pairs.length === 0) return '';
  return `{${pairs.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`;
}

export function prometheusText(reg: MetricsRegistry): string {
  const out: string[] = [];
  for (const f of reg.prometheusFamilies()) {
    out.push(`# HELP ${f.name} ${f.name}`, `# TYPE ${f.name} ${f.kind}`);
    const series = [...f.series.values()].sort((a, b) => cmp(labelText(a.labels), labelText(b.labels)));
    for (const s of series) {
      if (f.kind !== 'summary') {
        out.push(`${f.name}${labelText(s.labels)} ${num(s.value)}`);
        continue;
      }
      summaryLines(out, f.name, s, reg.quantiles(s));
    }
  }
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}

function summaryLines(out: string[], name: string, s: PromSeries, qs: number[]): void {
  QUANTILES.forEach((q, i) => {
    out.push(`${name}${labelText([...s.labels, ['quantile', String(q)]])} ${num(qs[i]!)}`);
  });
  out.push(`${name}_sum${labelText(s.labels)} ${num(s.sum)}`);
  out.push(`${name}_count${labelText(s.labels)} ${num(s.count)}`);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
