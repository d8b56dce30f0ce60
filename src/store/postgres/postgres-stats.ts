/**
 * The Postgres adapter's {@link Store.runStats}: the shared statements of `run-stats.ts`, read at once
 * outside a transaction (a dashboard's figures may straddle a commit; none of them is written back).
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

/** Runs a read outside any transaction. */
type Read = <R>(text: string, values?: unknown[]) => Promise<R[]>;

const DIALECT: StatsDialect = {
  param: (n) => `$${n}`,
  errorField: (field) => `(error::jsonb ->> '${field}')`,
};

/** Aggregates of the runs of a window (see {@link Store.runStats}). */
export async function runStats(read: Read, query: RunStatsQuery): Promise<RunStats> {
  checkRunStatsQuery(query);
  const s = runStatsStatements(query, DIALECT);
  const all = <R>(st: StatsStatement) => read<R>(st.text, st.values);
  const [outcomeRows, active, started, ended, errors, failures] = await Promise.all([
    all<OutcomesRow>(s.outcomes),
    all<ActiveRow>(s.active),
    all<BucketRow>(s.started),
    all<BucketRow>(s.ended),
    all<ErrorCodeRow>(s.errors),
    all<FailureRow>(s.failures),
  ]);
  const outcomes = outcomeRows[0];
  const n = timedRuns(outcomes);
  const ranks = percentileRanks(n);
  const durations = n > 0 ? await all<DurationRow>(s.durations([ranks.p50, ranks.p95])) : [];
  return assembleRunStats(query, { outcomes, durations, active, started, ended, errors, failures });
}
