/**
 * The SQLite adapter's {@link Store.runStats}: the shared statements of `run-stats.ts`, read in one
 * read transaction so that the figures agree with each other.
 * @module
 */
import type { RunStats, RunStatsQuery } from '../port.js';
import {
  type ActiveRow,
  assembleRunStats,
  type BucketRow,
  checkRunStatsQuery,
  type DurationRow,
  type ErrorCodeRow,
  type FailureRow,
  type OutcomesRow,
  percentileRanks,
  runStatsStatements,
  type StatsDialect,
  type StatsStatement,
  timedRuns,
} from '../run-stats.js';
import type { SqliteDatabase, SqliteStatement } from './sqlite-driver.js';

const DIALECT: StatsDialect = {
  param: () => '?',
  errorField: (field) => `json_extract(error, '$.${field}')`,
};

/** Aggregates of the runs of a window (see {@link Store.runStats}). */
export function runStats(
  db: SqliteDatabase,
  q: (sql: string) => SqliteStatement,
  query: RunStatsQuery,
): RunStats {
  checkRunStatsQuery(query);
  const s = runStatsStatements(query, DIALECT);
  const all = <R>(st: StatsStatement) => q(st.text).all(...st.values) as R[];
  return db.transaction(() => {
    const outcomes = all<OutcomesRow>(s.outcomes)[0];
    const n = timedRuns(outcomes);
    const ranks = percentileRanks(n);
    return assembleRunStats(query, {
      outcomes,
      durations: n > 0 ? all<DurationRow>(s.durations([ranks.p50, ranks.p95])) : [],
      active: all<ActiveRow>(s.active),
      started: all<BucketRow>(s.started),
      ended: all<BucketRow>(s.ended),
      errors: all<ErrorCodeRow>(s.errors),
      failures: all<FailureRow>(s.failures),
    });
  })();
}
