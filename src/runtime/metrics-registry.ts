// The agent's metrics registry, one per agent: go-metrics' in-memory sink (10 s intervals kept for a
// minute, shown by /v1/agent/metrics as JSON) and, when telemetry.prometheus_retention_time > 0, a
// Prometheus store (cumulative counters, last gauges, summaries) whose series expire when not updated
// within the retention time. Pure: time comes from the Clock port.

import type { Clock } from './clock.js';
import type { MetricLabels, Metrics } from './metrics.js';

/** go-metrics' DefaultInmemSignal settings as Consul uses them: 10 s intervals, 1 min retained. */
export const INTERVAL_MS = 10_000;
export const RETAIN_MS = 60_000;
/** Prometheus summaries: observations of the last 10 s (client_golang's MaxAge in go-metrics). */
export const SUMMARY_MAX_AGE_MS = 10_000;
/** Observations kept per summary; beyond it the oldest are dropped (quantiles become approximate). */
export const SUMMARY_WINDOW = 1024;
/** Distinct series per store; a new series beyond it is not recorded (its updates are dropped). */
export const MAX_SERIES = 4096;
export const QUANTILES = [0.5, 0.9, 0.99] as const;

export interface MetricsOptions {
  clock: Clock;
  /** telemetry.metrics_prefix ("consul"); "" for none. */
  prefix: string;
  /** Inserted after the prefix in gauge names unless telemetry.disable_hostname (go-metrics' EnableHostname). */
  hostname: string | null;
  filterDefault: boolean;
  allowedPrefixes: readonly string[];
  blockedPrefixes: readonly string[];
  /** telemetry.prometheus_retention_time in ms; 0 keeps no Prometheus store. */
  prometheusRetentionMs: number;
}

interface Aggregate {
  name: string;
  labels: MetricLabels;
  count: number;
  sum: number;
  sumSq: number;
  min: number;
  max: number;
}

interface Interval {
  startMs: number;
  gauges: Map<string, { name: string; value: number; labels: MetricLabels }>;
  counters: Map<string, Aggregate>;
  samples: Map<string, Aggregate>;
}

export type PromKind = 'gauge' | 'counter' | 'summary';

export interface PromSeries {
  labels: Array<[string, string]>;
  /** Gauge value or counter total. */
  value: number;
  /** Summaries: all-time count and sum, and the recent observations for quantiles. */
  count: number;
  sum: number;
  window: Array<{ atMs: number; v: number }>;
  updatedMs: number;
}

export interface PromFamily {
  name: string;
  kind: PromKind;
  series: Map<string, PromSeries>;
}

export interface SampledValueJson {
  Name: string;
  Count: number;
  Rate: number;
  Sum: number;
  Min: number;
  Max: number;
  Mean: number;
  Stddev: number;
  Labels: Record<string, string>;
}

/** The JSON of /v1/agent/metrics (go-metrics' MetricsSummary). */
export interface MetricsSummary {
  Timestamp: string;
  Gauges: Array<{ Name: string; Value: number; Labels: Record<string, string> }>;
  Points: Array<{ Name: string; Points: number[] }>;
  Counters: SampledValueJson[];
  Samples: SampledValueJson[];
}

/** Label suffixes of frozen label sets (callers on hot paths pass the same frozen object each time). */
const frozenSuffix = new WeakMap<MetricLabels, string>();

function labelSuffix(labels: MetricLabels): string {
  const ks = Object.keys(labels).sort();
  return ks.map((k) => `${k}=${labels[k]}`).join(';');
}

function labelHash(name: string, labels: MetricLabels): string {
  let suffix = frozenSuffix.get(labels);
  if (suffix === undefined) {
    suffix = labelSuffix(labels);
    if (Object.isFrozen(labels)) frozenSuffix.set(labels, suffix);
  }
  return suffix === '' ? name : `${name};${suffix}`;
}

/** go-metrics' Prometheus flattening: parts joined by "_", and anything Prometheus refuses made "_". */
export function promName(s: string): string {
  const n = s.replace(/[^a-zA-Z0-9_:]/g, '_');
  return /^[0-9]/.test(n) ? `_${n}` : n;
}

/** Go's time.Time.String() of a UTC instant rounded to the second: "2017-08-08 02:55:10 +0000 UTC". */
export function goTimeString(ms: number): string {
  const d = new Date(Math.round(ms / 1000) * 1000);
  const p = (n: number) => String(n).padStart(2, '0');
  return (
    `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ` +
    `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000 UTC`
  );
}

export class MetricsRegistry implements Metrics {
  private readonly intervals: Interval[] = [];
  private readonly prom = new Map<string, PromFamily>();
  private promSeries = 0;
  private readonly finished = new Set<(s: MetricsSummary) => void>();

  constructor(private readonly o: MetricsOptions) {}

  get prometheusEnabled(): boolean {
    return this.o.prometheusRetentionMs > 0;
  }

  incrCounter(key: readonly string[], value = 1, labels: MetricLabels = {}): void {
    const name = this.fullName(key, false);
    if (name === null) return;
    this.ingest(this.current().counters, name, value, labels);
    this.promUpdate('counter', name, labels, (s) => (s.value += value));
  }

  addSample(key: readonly string[], value: number, labels: MetricLabels = {}): void {
    const name = this.fullName(key, false);
    if (name === null) return;
    this.ingest(this.current().samples, name, value, labels);
    const now = this.o.clock.monotonicMs();
    this.promUpdate('summary', name, labels, (s) => {
      s.count++;
      s.sum += value;
      s.window.push({ atMs: now, v: value });
      if (s.window.length > SUMMARY_WINDOW) s.window.shift();
    });
  }

  setGauge(key: readonly string[], value: number, labels: MetricLabels = {}): void {
    const name = this.fullName(key, true);
    if (name === null) return;
    this.current().gauges.set(labelHash(name, labels), { name, value, labels });
    this.promUpdate('gauge', name, labels, (s) => (s.value = value));
  }

  /**
   * The most recent finished interval, or the current one while it is the only one (as go-metrics'
   * DisplayMetrics), in /v1/agent/metrics' JSON form.
   */
  summary(): MetricsSummary {
    this.current();
    const n = this.intervals.length;
    return this.summaryOf(n === 1 ? this.intervals[0]! : this.intervals[n - 2]!);
  }

  /**
   * Calls fn with each interval's summary once the next interval has begun (go-metrics' Stream, behind
   * /v1/agent/metrics/stream). Returns the unsubscribe function.
   */
  onIntervalDone(fn: (s: MetricsSummary) => void): () => void {
    this.finished.add(fn);
    return () => void this.finished.delete(fn);
  }

  private summaryOf(iv: Interval): MetricsSummary {
    const byName = <T extends { Name: string }>(xs: Array<[string, T]>) =>
      xs
        .sort(([ha, a], [hb, b]) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : ha < hb ? -1 : 1))
        .map(([, x]) => x);
    const sampled = (m: Map<string, Aggregate>) =>
      byName([...m].map(([h, a]) => [h, sampledJson(a)] as [string, SampledValueJson]));
    return {
      Timestamp: goTimeString(iv.startMs),
      Gauges: byName(
        [...iv.gauges].map(([h, g]) => [h, { Name: g.name, Value: g.value, Labels: { ...g.labels } }]),
      ),
      Points: [],
      Counters: sampled(iv.counters),
      Samples: sampled(iv.samples),
    };
  }

  /** The live Prometheus families, sorted by name, expired series removed. Empty when disabled. */
  prometheusFamilies(): PromFamily[] {
    const now = this.o.clock.monotonicMs();
    for (const [fname, f] of this.prom) {
      for (const [h, s] of f.series)
        if (now - s.updatedMs > this.o.prometheusRetentionMs) {
          f.series.delete(h);
          this.promSeries--;
        }
      if (f.series.size === 0) this.prom.delete(fname);
    }
    return [...this.prom.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Quantiles of a summary's observations of the last SUMMARY_MAX_AGE_MS (NaN without any). */
  quantiles(s: PromSeries): number[] {
    const cutoff = this.o.clock.monotonicMs() - SUMMARY_MAX_AGE_MS;
    while (s.window.length > 0 && s.window[0]!.atMs < cutoff) s.window.shift();
    const vs = s.window.map((x) => x.v).sort((a, b) => a - b);
    return QUANTILES.map((q) => (vs.length === 0 ? NaN : vs[Math.max(0, Math.ceil(q * vs.length) - 1)]!));
  }

  /** prefix[.hostname].key, or null when telemetry's prefix filter blocks it. */
  private fullName(key: readonly string[], gauge: boolean): string | null {
    // The same few keys come by on every request: remember each one's answer (options never change).
    const k = `${gauge ? 'g' : 's'}\u0000${key.join('\u0000')}`;
    const known = this.names.get(k);
    if (known !== undefined) return known;
    const name = this.computeName(key, gauge);
    if (this.names.size < MAX_SERIES) this.names.set(k, name);
    return name;
  }

  private readonly names = new Map<string, string | null>();

  private computeName(key: readonly string[], gauge: boolean): string | null {
    const parts = [...key];
    if (gauge && this.o.hostname) parts.unshift(this.o.hostname);
    if (this.o.prefix !== '') parts.unshift(this.o.prefix);
    const name = parts.join('.');
    return this.allowed(name) ? name : null;
  }

  /** The longest matching allowed/blocked prefix decides; with none, filter_default. */
  private allowed(name: string): boolean {
    let best = -1;
    let ok = this.o.filterDefault;
    for (const p of this.o.allowedPrefixes)
      if (p.length > best && name.startsWith(p)) [best, ok] = [p.length, true];
    for (const p of this.o.blockedPrefixes)
      if (p.length >= best && name.startsWith(p)) [best, ok] = [p.length, false];
    return ok;
  }

  private current(): Interval {
    const start = Math.floor(this.o.clock.wallMs() / INTERVAL_MS) * INTERVAL_MS;
    const last = this.intervals.at(-1);
    if (last && last.startMs === start) return last;
    const iv: Interval = { startMs: start, gauges: new Map(), counters: new Map(), samples: new Map() };
    this.intervals.push(iv);
    while (this.intervals.length > RETAIN_MS / INTERVAL_MS) this.intervals.shift();
    if (last && this.finished.size > 0) {
      const done = this.summaryOf(last);
      for (const fn of [...this.finished]) fn(done);
    }
    return iv;
  }

  private ingest(m: Map<string, Aggregate>, name: string, v: number, labels: MetricLabels): void {
    const h = labelHash(name, labels);
    let a = m.get(h);
    if (!a) {
      if (m.size >= MAX_SERIES) return;
      a = { name, labels: { ...labels }, count: 0, sum: 0, sumSq: 0, min: v, max: v };
      m.set(h, a);
    }
    a.count++;
    a.sum += v;
    a.sumSq += v * v;
    if (v < a.min) a.min = v;
    if (v > a.max) a.max = v;
  }

  private promUpdate(
    kind: PromKind,
    dotted: string,
    labels: MetricLabels,
    fn: (s: PromSeries) => void,
  ): void {
    if (!this.prometheusEnabled) return;
    const name = promName(dotted);
    let f = this.prom.get(name);
    if (!f) {
      f = { name, kind, series: new Map() };
      this.prom.set(name, f);
    }
    // One family has one type (client_golang refuses a second registration of another type).
    if (f.kind !== kind) return;
    const pl: Array<[string, string]> = Object.keys(labels)
      .sort()
      .map((k) => [promName(k), labels[k]!]);
    const h = pl.map(([k, v]) => `${k}=${v}`).join('\u0000');
    let s = f.series.get(h);
    if (!s) {
      if (this.promSeries >= MAX_SERIES) return;
      s = { labels: pl, value: 0, count: 0, sum: 0, window: [], updatedMs: 0 };
      f.series.set(h, s);
      this.promSeries++;
    }
    fn(s);
    s.updatedMs = this.o.clock.monotonicMs();
  }
}

function sampledJson(a: Aggregate): SampledValueJson {
  const mean = a.count === 0 ? 0 : a.sum / a.count;
  // go-metrics' Stddev: the sample standard deviation, 0 for fewer than two values.
  const stddev =
    a.count < 2 ? 0 : Math.sqrt(Math.max(0, (a.sumSq - (a.sum * a.sum) / a.count) / (a.count - 1)));
  return {
    Name: a.name,
    Count: a.count,
    Rate: a.sum / (INTERVAL_MS / 1000),
    Sum: a.sum,
    Min: a.min,
    Max: a.max,
    Mean: mean,
    Stddev: stddev,
    Labels: { ...a.labels },
  };
}
