/**
 * What the cost model and the alerts share: durations written as `24h`, nearest-rank percentiles, and
 * the finished runs of a time window read from the store in bounded pages.
 * @module
 */
import { BatonError } from '../core/errors.js';
import type { Run } from '../core/types.js';
import type { Store } from '../store/port.js';

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * Milliseconds of a duration written `<number><unit>` with unit `ms`, `s`, `m`, `h` or `d`.
 * @example parseDuration('24h') // 86_400_000
 * @throws BatonError `INVALID_ARGUMENT` for anything else
 */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  const ms = match ? Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS] : Number.NaN;
  if (!(ms > 0)) {
    throw new BatonError('INVALID_ARGUMENT', `${JSON.stringify(text)} is not a duration`, {
      hint: 'Write a positive number and a unit: 30s, 15m, 24h, 7d',
    });
  }
  return ms;
}

/** p50, p95 and p99 of a sample. */
export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
}

/** The nearest-rank `p`-th percentile (0 < p ≤ 100) of `sorted` (ascending); 0 for an empty sample. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] ?? 0;
}

/** p50, p95 and p99 of `values` (any order). */
export function percentiles(values: readonly number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99) };
}

/** Which runs {@link finishedRuns} reads. */
export interface RunWindow {
  workflow?: string;
  versionId?: string;
  tenant?: string;
  /** Runs created at or after this instant (ms since the epoch). */
  createdSince: number;
  /** Runs created before this instant. */
  createdUntil: number;
  /** Only runs that finished within `[since, until)`, when given. */
  finished?: { since: number; until: number };
  /** Stop after this many runs (the newest are read first). @defaultValue 50000 */
  maxRuns?: number;
}

const PAGE = 1000;
const FINISHED = ['succeeded', 'failed', 'cancelled'] as const;

/**
 * The finished runs of a window, newest first, read in pages of 1,000 through `listRuns` (bounded by
 * `maxRuns`, so a huge window costs a bounded number of queries).
 */
export async function finishedRuns(store: Pick<Store, 'listRuns'>, window: RunWindow): Promise<Run[]> {
  const max = window.maxRuns ?? 50_000;
  const runs: Run[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await store.listRuns({
      ...(window.workflow === undefined ? {} : { workflow: window.workflow }),
      ...(window.versionId === undefined ? {} : { versionId: window.versionId }),
      ...(window.tenant === undefined ? {} : { tenant: window.tenant }),
      status: [...FINISHED],
      createdAfter: window.createdSince,
      createdBefore: window.createdUntil,
      ...(cursor === undefined ? {} : { cursor }),
      limit: PAGE,
    });
    for (const run of page) {
      const f = window.finished;
      if (f && !(run.finishedAt !== undefined && run.finishedAt >= f.since && run.finishedAt < f.until))
        continue;
      runs.push(run);
      if (runs.length >= max) return runs;
    }
    if (page.length < PAGE) return runs;
    cursor = page.at(-1)?.id;
  }
}

/** How long a run ran (finish minus start), when it started and finished. */
export function runDuration(run: Run): number | undefined {
  return run.startedAt !== undefined && run.finishedAt !== undefined
    ? run.finishedAt - run.startedAt
    : undefined;
}
