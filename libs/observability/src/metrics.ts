import { Counter, type CounterConfiguration, Gauge, type GaugeConfiguration, register } from 'prom-client';

/**
 * The metrics of what a service does (flows, deliveries, consumers, dead letters, the pool) live in
 * prom-client's global registry, defined beside the code that moves them; each service's /metrics
 * serves them with its HTTP and process metrics (libs/http). Several applications in one process
 * (the tests) share them: a metric is made once, whoever asks first.
 */
export function sharedCounter<Label extends string>(config: CounterConfiguration<Label>): Counter<Label> {
  return (register.getSingleMetric(config.name) as Counter<Label> | undefined) ?? new Counter(config);
}

/** A gauge in the global registry (see sharedCounter); one whose `collect` reads at scrape time keeps the last one given. */
export function sharedGauge<Label extends string>(config: GaugeConfiguration<Label>): Gauge<Label> {
  const existing = register.getSingleMetric(config.name);
  if (existing && config.collect === undefined) return existing as Gauge<Label>;
  if (existing) register.removeSingleMetric(config.name);
  return new Gauge(config);
}

export { register as sharedMetricsRegistry };
