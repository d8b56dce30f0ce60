/**
 * Prometheus metrics of Baton, read from its stores at scrape time: see {@link createMetrics} and the
 * "Metrics" section of `docs/operations.md`.
 * @module
 */
export { BREAKER_STATES, METRICS, type MetricDefinition } from './catalog.js';
export {
  type BatonMetrics,
  createMetrics,
  engineDatabaseOf,
  type MetricsDatabase,
  type MetricsOptions,
  type MetricsWindow,
} from './create-metrics.js';
export type { PostgresMetricsOptions } from './postgres-source.js';
export type { MetricsSource } from './source.js';
