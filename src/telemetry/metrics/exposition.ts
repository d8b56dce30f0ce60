/**
 * Puts {@link Snapshot}s into a prom-client registry: each metric of the catalog is a collector whose
 * `get()` reads the latest scrape, so the registry formats the exposition (and can be merged with an
 * application's own registry) while the values come from the stores.
 * @module
 */
import type { Metric, Registry } from 'prom-client';
import type { MetricDefinition } from './catalog.js';
import type { Snapshot } from './collector.js';
import type { Labels } from './tally.js';

interface ExposedValue {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

/** Registers every metric of `catalog` in `registry`, valued by `snapshot()` at each collection. */
export function registerCatalog(
  registry: Registry,
  catalog: readonly MetricDefinition[],
  snapshot: () => Promise<Snapshot>,
): void {
  for (const def of catalog) {
    const collector = {
      name: def.name,
      help: def.help,
      type: def.type,
      aggregator: 'sum',
      labelNames: def.labels,
      get: async () => ({
        name: def.name,
        help: def.help,
        type: def.type,
        aggregator: 'sum',
        values: valuesOf(def, await snapshot()),
      }),
      reset: () => undefined,
    };
    // prom-client types `registerMetric` with its own classes; the registry only calls `get()`, `reset()` and reads `name`.
    registry.registerMetric(collector as unknown as Metric);
  }
}

function valuesOf(def: MetricDefinition, snapshot: Snapshot): ExposedValue[] {
  if (def.type === 'histogram') return histogramValues(def, snapshot);
  const family = (def.type === 'gauge' ? snapshot.gauges : snapshot.totals).counters.get(def.name);
  return [...(family?.values() ?? [])].sort(byLabels).map((s) => ({ labels: s.labels, value: s.value }));
}

function histogramValues(def: MetricDefinition, snapshot: Snapshot): ExposedValue[] {
  const bounds = def.bounds ?? [];
  const family = snapshot.totals.histograms.get(def.name);
  const values: ExposedValue[] = [];
  for (const series of [...(family?.values() ?? [])].sort(byLabels)) {
    let cumulative = 0;
    series.buckets.forEach((n, i) => {
      cumulative += n;
      const le = i < bounds.length ? (bounds[i] as number) : '+Inf';
      values.push({ labels: { ...series.labels, le }, value: cumulative, metricName: `${def.name}_bucket` });
    });
    values.push({ labels: series.labels, value: series.sum, metricName: `${def.name}_sum` });
    values.push({ labels: series.labels, value: series.count, metricName: `${def.name}_count` });
  }
  return values;
}

function byLabels(a: { labels: Labels }, b: { labels: Labels }): number {
  const ka = JSON.stringify(a.labels);
  const kb = JSON.stringify(b.labels);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}
