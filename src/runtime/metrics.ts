// Metrics port, shaped like go-metrics: a metric is a key of parts (["raft", "apply"]), the sink adds
// the `telemetry.metrics_prefix` in front. Counters add up, samples are timings in milliseconds (or
// sizes), gauges hold the last value set.

export type MetricLabels = Readonly<Record<string, string>>;

export interface Metrics {
  incrCounter(key: readonly string[], value?: number, labels?: MetricLabels): void;
  addSample(key: readonly string[], value: number, labels?: MetricLabels): void;
  setGauge(key: readonly string[], value: number, labels?: MetricLabels): void;
}

/** For components built without a registry (unit tests, tools): every metric is discarded. */
export const noMetrics: Metrics = {
  incrCounter: () => {},
  addSample: () => {},
  setGauge: () => {},
};
