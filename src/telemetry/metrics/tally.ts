/**
 * Additive tallies of counters and histograms, keyed by metric and label values. A scrape adds the
 * settled part of the stores into a kept tally and the unsettled part into a fresh one; both render
 * through the same bounded label sets.
 * @module
 */

/** Label values of one series. */
export type Labels = Record<string, string>;

/** One counter (or gauge) series. */
export interface CounterSeries {
  labels: Labels;
  value: number;
}

/** One histogram series: per-bucket (not cumulative) counts, the last being `+Inf`. */
export interface HistogramSeries {
  labels: Labels;
  buckets: number[];
  sum: number;
  count: number;
}

function keyOf(labels: Labels): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** Counters and histograms under construction. */
export class Tally {
  readonly counters = new Map<string, Map<string, CounterSeries>>();
  readonly histograms = new Map<string, Map<string, HistogramSeries>>();

  /** Adds `value` to a counter series. */
  add(metric: string, labels: Labels, value: number): void {
    if (value === 0 || !Number.isFinite(value)) return;
    const family = familyOf(this.counters, metric);
    const key = keyOf(labels);
    const series = family.get(key);
    if (series) series.value += value;
    else family.set(key, { labels, value });
  }

  /** Sets a gauge series, zero included. */
  set(metric: string, labels: Labels, value: number): void {
    familyOf(this.counters, metric).set(keyOf(labels), { labels, value });
  }

  /**
   * Adds `count` observations that fell in bucket `bucket` (an index into the bounds, or the bounds'
   * length for `+Inf`) and summed to `sum`.
   */
  observe(
    metric: string,
    bounds: readonly number[],
    labels: Labels,
    bucket: number,
    count: number,
    sum: number,
  ): void {
    if (count === 0) return;
    const family = familyOf(this.histograms, metric);
    const key = keyOf(labels);
    let series = family.get(key);
    if (!series) {
      series = { labels, buckets: new Array<number>(bounds.length + 1).fill(0), sum: 0, count: 0 };
      family.set(key, series);
    }
    const index = bucket >= 0 && bucket <= bounds.length ? bucket : bounds.length;
    series.buckets[index] = (series.buckets[index] ?? 0) + count;
    series.sum += sum;
    series.count += count;
  }

  /** Adds every series of `other` into this tally. */
  merge(other: Tally): this {
    for (const [metric, family] of other.counters)
      for (const series of family.values()) this.add(metric, series.labels, series.value);
    for (const [metric, family] of other.histograms) {
      const mine = familyOf(this.histograms, metric);
      for (const [key, series] of family) {
        const existing = mine.get(key);
        if (!existing) {
          mine.set(key, { ...series, buckets: [...series.buckets] });
          continue;
        }
        series.buckets.forEach((n, i) => {
          existing.buckets[i] = (existing.buckets[i] ?? 0) + n;
        });
        existing.sum += series.sum;
        existing.count += series.count;
      }
    }
    return this;
  }

  /** A copy, so that merging the unsettled part leaves this tally as it was. */
  clone(): Tally {
    return new Tally().merge(this);
  }
}

function familyOf<T>(families: Map<string, Map<string, T>>, metric: string): Map<string, T> {
  let family = families.get(metric);
  if (!family) {
    family = new Map();
    families.set(metric, family);
  }
  return family;
}

/** The value folded labels take once their dimension is full. */
export const OTHER = 'other';

/**
 * Bounds the distinct values of one label: the first `max` values seen keep their own series for the
 * life of the process, later ones are reported as `other`. First come rather than top-N, so a series
 * never moves between its own name and `other`, which would make its counter go down.
 */
export class LabelCap {
  readonly #admitted = new Set<string>();

  constructor(readonly max: number) {}

  /** The value to report for `value`. */
  of(value: string): string {
    if (this.#admitted.has(value)) return value;
    if (this.#admitted.size >= this.max) return OTHER;
    this.#admitted.add(value);
    return value;
  }

  /** The values admitted so far. */
  values(): string[] {
    return [...this.#admitted];
  }
}

/**
 * A SQL expression giving the bucket index of `expr` among `bounds` (upper bounds, inclusive, as
 * Prometheus `le`); `bounds.length` for `+Inf`. Valid in SQLite and Postgres alike.
 */
export function bucketSql(expr: string, bounds: readonly number[]): string {
  const whens = bounds.map((b, i) => `WHEN ${expr} <= ${b} THEN ${i}`).join(' ');
  return `CASE ${whens} ELSE ${bounds.length} END`;
}

/** The bucket index of `value` among `bounds`, as {@link bucketSql} computes it. */
export function bucketOf(value: number, bounds: readonly number[]): number {
  const index = bounds.findIndex((b) => value <= b);
  return index === -1 ? bounds.length : index;
}
