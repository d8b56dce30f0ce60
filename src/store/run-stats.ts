/**
 * {@link Store.runStats} as both adapters run it: the checked query, the aggregate statements (in the
 * adapter's placeholder and JSON dialect) and the assembly of their rows. No I/O.
 * @module
 */
import { BatonError } from '../core/errors.js';
import type { FailedRunSummary, RunOutcomeCounts, RunStats, RunStatsQuery } from './port.js';

/** Most buckets a window may be cut into. */
export const MAX_STATS_BUCKETS = 1000;

/** How an adapter spells a placeholder and a field of the JSON `error` column. */
export interface StatsDialect {
  /** Placeholder of the `n`-th value (1-based): `?` or `$n`. */
  param: (n: number) => string;
  /** The text of `error.<field>`, e.g. `json_extract(error, '$.code')`. */
  errorField: (field: 'code' | 'message') => string;
}

/** A statement and its values. */
export interface StatsStatement {
  text: string;
  values: (string | number)[];
}

/** The statements of one {@link Store.runStats} call, by what they read. */
export interface RunStatsStatements {
  outcomes: StatsStatement;
  durations: (ranks: number[]) => StatsStatement;
  active: StatsStatement;
  started: StatsStatement;
  ended: StatsStatement;
  errors: StatsStatement;
  failures: StatsStatement;
}

/** Rows the statements return; Postgres returns sums and bigints as strings. */
type Num = number | string | null;
/** A row of {@link RunStatsStatements.outcomes}. */
export type OutcomesRow = Record<
  'succeeded' | 'failed' | 'cancelled' | 'recent_succeeded' | 'recent_failed' | 'recent_cancelled' | 'timed',
  Num
>;
/** A row of {@link RunStatsStatements.durations}. */
export interface DurationRow {
  rn: Num;
  d: Num;
}
/** A row of {@link RunStatsStatements.active}. */
export interface ActiveRow {
  status: string;
  n: Num;
}
/** A row of {@link RunStatsStatements.started} and {@link RunStatsStatements.ended}. */
export interface BucketRow {
  b: Num;
  started?: Num;
  succeeded?: Num;
  failed?: Num;
}
/** A row of {@link RunStatsStatements.errors}. */
export interface ErrorCodeRow {
  code: string;
  n: Num;
  example: string;
}
/** A row of {@link RunStatsStatements.failures}. */
export interface FailureRow {
  id: string;
  workflow: string;
  code: string | null;
  message: string | null;
  finished_at: Num;
}

/** What the adapter read, for {@link assembleRunStats}. */
export interface RunStatsRows {
  outcomes: OutcomesRow | undefined;
  durations: DurationRow[];
  active: ActiveRow[];
  started: BucketRow[];
  ended: BucketRow[];
  errors: ErrorCodeRow[];
  failures: FailureRow[];
}

/** Checks a query; throws `INVALID_ARGUMENT` naming the field at fault. */
export function checkRunStatsQuery(query: RunStatsQuery): void {
  for (const field of ['since', 'until', 'bucketMs', 'recentSince', 'failuresSince'] as const) {
    if (!Number.isFinite(query[field])) {
      throw new BatonError(
        'INVALID_ARGUMENT',
        `run stats ${field} must be a finite number, got ${query[field]}`,
        {
          hint: 'Pass milliseconds (since the epoch for instants)',
        },
      );
    }
  }
  if (!(query.until > query.since) || !(query.bucketMs >= 1)) {
    throw new BatonError(
      'INVALID_ARGUMENT',
      `run stats need since < until and bucketMs >= 1, got since ${query.since}, until ${query.until}, bucketMs ${query.bucketMs}`,
      { hint: 'Pass a non-empty window and a positive bucket width' },
    );
  }
  if (bucketCount(query) > MAX_STATS_BUCKETS) {
    throw new BatonError(
      'INVALID_ARGUMENT',
      `run stats would cut the window into ${bucketCount(query)} buckets; at most ${MAX_STATS_BUCKETS}`,
      { hint: 'Pass a wider bucketMs' },
    );
  }
}

function bucketCount(query: RunStatsQuery): number {
  return Math.ceil((query.until - query.since) / query.bucketMs);
}

function limitOf(query: RunStatsQuery): number {
  return Math.min(Math.max(Math.trunc(query.limit ?? 20), 1), 100);
}

/** Builds the statements; each scans one indexed time range of the tenant's runs. */
export function runStatsStatements(query: RunStatsQuery, dialect: StatsDialect): RunStatsStatements {
  // Times are whole milliseconds; a bigint column would refuse a fractional bound.
  const since = Math.floor(query.since);
  const until = Math.ceil(query.until);
  const bucket = Math.max(1, Math.round(query.bucketMs));
  const recent = Math.floor(query.recentSince);
  const statement = (build: (v: (value: string | number) => string) => string): StatsStatement => {
    const values: (string | number)[] = [];
    const text = build((value) => {
      values.push(value);
      return dialect.param(values.length);
    });
    return { text, values };
  };
  const tenant = (v: (value: string | number) => string) =>
    query.tenant === undefined ? '' : `tenant = ${v(query.tenant)} AND `;
  const finishedIn = (v: (value: string | number) => string, from: number) =>
    `${tenant(v)}finished_at >= ${v(from)} AND finished_at < ${v(until)}`;
  const count = (condition: string) => `sum(CASE WHEN ${condition} THEN 1 ELSE 0 END)`;
  const limit = limitOf(query);
  return {
    // The recent span may begin before the window (a window shorter than 5 minutes): read from the
    // earlier of the two and split with CASE.
    outcomes: statement((v) => {
      // Positional placeholders: every occurrence takes its own value, in the order of the text.
      const inWindow = () => `finished_at >= ${v(since)}`;
      const inRecent = () => `finished_at >= ${v(recent)}`;
      return `SELECT
          ${count(`${inWindow()} AND status = 'succeeded'`)} AS succeeded,
          ${count(`${inWindow()} AND status = 'failed'`)} AS failed,
          ${count(`${inWindow()} AND status = 'cancelled'`)} AS cancelled,
          ${count(`${inRecent()} AND status = 'succeeded'`)} AS recent_succeeded,
          ${count(`${inRecent()} AND status = 'failed'`)} AS recent_failed,
          ${count(`${inRecent()} AND status = 'cancelled'`)} AS recent_cancelled,
          ${count(`${inWindow()} AND started_at IS NOT NULL AND status IN ('succeeded', 'failed', 'cancelled')`)} AS timed
        FROM runs WHERE ${finishedIn(v, Math.min(since, recent))}`;
    }),
    durations: (ranks) =>
      statement(
        (v) => `SELECT rn, d FROM (
            SELECT finished_at - started_at AS d, row_number() OVER (ORDER BY finished_at - started_at) AS rn
              FROM runs WHERE ${finishedIn(v, since)} AND started_at IS NOT NULL
                AND status IN ('succeeded', 'failed', 'cancelled')
          ) t WHERE rn IN (${ranks.map((r) => v(r)).join(', ')}) ORDER BY rn`,
      ),
    active: statement(
      (v) => `SELECT status, count(*) AS n FROM runs
        WHERE ${tenant(v)}status IN ('queued', 'running', 'waiting') GROUP BY status`,
    ),
    // Bucket numbers are CAST: SQLite's driver binds numbers as REAL, so its division would keep the
    // fraction (the bounds are never negative, so truncating is flooring).
    started: statement(
      (
        v,
      ) => `SELECT CAST((created_at - ${v(since)}) / ${v(bucket)} AS INTEGER) AS b, count(*) AS started FROM runs
        WHERE ${tenant(v)}created_at >= ${v(since)} AND created_at < ${v(until)} GROUP BY 1`,
    ),
    ended: statement(
      (v) => `SELECT CAST((finished_at - ${v(since)}) / ${v(bucket)} AS INTEGER) AS b,
          ${count(`status = 'succeeded'`)} AS succeeded, ${count(`status = 'failed'`)} AS failed
        FROM runs WHERE ${finishedIn(v, since)} AND status IN ('succeeded', 'failed') GROUP BY 1`,
    ),
    errors: statement(
      (
        v,
      ) => `SELECT COALESCE(${dialect.errorField('code')}, 'UNKNOWN') AS code, count(*) AS n, max(id) AS example
        FROM runs WHERE ${finishedIn(v, since)} AND status = 'failed'
        GROUP BY 1 ORDER BY n DESC, code LIMIT ${v(limit)}`,
    ),
    failures: statement(
      (
        v,
      ) => `SELECT id, workflow, ${dialect.errorField('code')} AS code, ${dialect.errorField('message')} AS message, finished_at
        FROM runs WHERE ${finishedIn(v, Math.floor(query.failuresSince))} AND status = 'failed'
        ORDER BY finished_at DESC, id DESC LIMIT ${v(limit)}`,
    ),
  };
}

/** The 1-based ranks of the nearest-rank p50 and p95 among `n` values. */
export function percentileRanks(n: number): { p50: number; p95: number } {
  const rank = (p: number) => Math.min(n, Math.max(1, Math.ceil((p / 100) * n)));
  return { p50: rank(50), p95: rank(95) };
}

const num = (value: Num | undefined): number => (value === null || value === undefined ? 0 : Number(value));

function outcomes(succeeded: number, failed: number, cancelled: number): RunOutcomeCounts {
  return { finished: succeeded + failed + cancelled, succeeded, failed, cancelled };
}

/** The number of runs with a duration in an {@link OutcomesRow}, to pick the percentile ranks. */
export function timedRuns(row: OutcomesRow | undefined): number {
  return num(row?.timed);
}

/** Puts the rows together. */
export function assembleRunStats(query: RunStatsQuery, rows: RunStatsRows): RunStats {
  const o = rows.outcomes;
  const series = Array.from({ length: bucketCount(query) }, (_, i) => ({
    at: Math.floor(query.since) + i * Math.max(1, Math.round(query.bucketMs)),
    started: 0,
    succeeded: 0,
    failed: 0,
  }));
  for (const row of rows.started) {
    const b = series[num(row.b)];
    if (b) b.started += num(row.started);
  }
  for (const row of rows.ended) {
    const b = series[num(row.b)];
    if (!b) continue;
    b.succeeded += num(row.succeeded);
    b.failed += num(row.failed);
  }
  const active = { queued: 0, running: 0, waiting: 0 };
  for (const row of rows.active) {
    if (row.status === 'queued' || row.status === 'running' || row.status === 'waiting')
      active[row.status] = num(row.n);
  }
  const stats: RunStats = {
    ...outcomes(num(o?.succeeded), num(o?.failed), num(o?.cancelled)),
    recent: outcomes(num(o?.recent_succeeded), num(o?.recent_failed), num(o?.recent_cancelled)),
    active,
    series,
    errors: rows.errors.map((r) => ({ code: r.code, count: num(r.n), exampleRunId: r.example })),
    failures: rows.failures.map(
      (r): FailedRunSummary => ({
        id: r.id,
        workflow: r.workflow,
        error: { code: r.code ?? 'UNKNOWN', message: r.message ?? '' },
        finishedAt: num(r.finished_at),
      }),
    ),
  };
  const n = timedRuns(o);
  if (n > 0) {
    const ranks = percentileRanks(n);
    const at = new Map(rows.durations.map((r) => [num(r.rn), num(r.d)]));
    stats.durationMs = { p50: at.get(ranks.p50) ?? 0, p95: at.get(ranks.p95) ?? 0 };
  }
  return stats;
}
