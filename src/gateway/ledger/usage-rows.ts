/**
 * The aggregate reads of the request log ({@link GatewayLedger.runUsage}, {@link GatewayLedger.routeOutcomes},
 * {@link GatewayLedger.usageSeries}) as both adapters run them: the checked window, the statements and the row mapping. No I/O.
 * @module
 */
import { BatonError } from '../../core/errors.js';
import type { GatewayLedger, RouteOutcomes, RunStepUsage, UsageBucket, UsageWindow } from './port.js';

/** A statement and its values; `param(n)` spells the n-th placeholder (1-based) of the adapter. */
export interface UsageQuery {
  text: string;
  values: (string | number)[];
}

function windowWhere(window: UsageWindow, param: (n: number) => string): UsageQuery {
  for (const field of ['since', 'until'] as const) {
    if (!Number.isFinite(window[field])) {
      throw new BatonError(
        'INVALID_ARGUMENT',
        `usage window ${field} must be a finite number, got ${window[field]}`,
        {
          hint: 'Pass milliseconds since the epoch',
        },
      );
    }
  }
  // Times are whole milliseconds; a bigint column would refuse a fractional bound.
  const values: (string | number)[] = [Math.ceil(window.since), Math.ceil(window.until)];
  let text = `at >= ${param(1)} AND at < ${param(2)}`;
  if (window.tenant !== undefined) {
    values.push(window.tenant);
    text += ` AND tenant = ${param(3)}`;
  }
  return { text, values };
}

/** The statement of {@link GatewayLedger.runUsage} on `table`. */
export function runUsageQuery(table: string, window: UsageWindow, param: (n: number) => string): UsageQuery {
  const where = windowWhere(window, param);
  return {
    text: `SELECT run_id, step_id, count(*) AS calls,
             sum(CASE WHEN status = 'error' THEN 1 ELSE 0 END) AS errors,
             sum(input_tokens + output_tokens) AS tokens, sum(cost_usd) AS cost_usd
           FROM ${table} WHERE ${where.text} AND run_id IS NOT NULL
           GROUP BY run_id, step_id ORDER BY run_id, step_id NULLS FIRST`,
    values: where.values,
  };
}

/**
 * Errors that are the gateway's own refusals of a request (its budgets, limits, routes, keys and PII
 * policy), not failures of a model: a tenant out of budget is not a sick model.
 */
export const GATEWAY_REFUSALS: readonly string[] = [
  'BUDGET_EXCEEDED',
  'RATE_LIMITED',
  'ROUTE_NOT_FOUND',
  'MODEL_NOT_ALLOWED',
  'KEY_INVALID',
  'PII_BLOCKED',
  'INVALID_REQUEST',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
];

/** The statement of {@link GatewayLedger.routeOutcomes} on `table`. */
export function routeOutcomesQuery(
  table: string,
  window: UsageWindow,
  param: (n: number) => string,
): UsageQuery {
  const where = windowWhere(window, param);
  const refusals = GATEWAY_REFUSALS.map((code) => `'${code}'`).join(', ');
  return {
    text: `SELECT tenant, route, count(*) AS calls,
                  sum(CASE WHEN status = 'error' AND (error_code IS NULL OR error_code NOT IN (${refusals}))
                      THEN 1 ELSE 0 END) AS errors
           FROM ${table} WHERE ${where.text} GROUP BY tenant, route ORDER BY tenant, route`,
    values: where.values,
  };
}

/** A row of {@link runUsageQuery}; Postgres returns sums of integers as strings. */
export interface RunUsageRow {
  run_id: string;
  step_id: string | null;
  calls: number | string;
  errors: number | string;
  tokens: number | string;
  cost_usd: number | string;
}

/** The usage of a {@link RunUsageRow}. */
export function toRunStepUsage(row: RunUsageRow): RunStepUsage {
  return {
    runId: row.run_id,
    ...(row.step_id === null ? {} : { stepId: row.step_id }),
    calls: Number(row.calls),
    errors: Number(row.errors),
    tokens: Number(row.tokens),
    costUsd: Number(row.cost_usd),
  };
}

/** A row of {@link routeOutcomesQuery}. */
export interface RouteOutcomesRow {
  tenant: string;
  route: string;
  calls: number | string;
  errors: number | string;
}

/** The outcomes of a {@link RouteOutcomesRow}. */
export function toRouteOutcomes(row: RouteOutcomesRow): RouteOutcomes {
  return { tenant: row.tenant, route: row.route, calls: Number(row.calls), errors: Number(row.errors) };
}

/** Most buckets {@link GatewayLedger.usageSeries} cuts a window into. */
export const MAX_USAGE_BUCKETS = 1000;

function bucketsOf(window: UsageWindow, bucketMs: number): number {
  if (!(Number.isFinite(bucketMs) && bucketMs >= 1) || !(window.until > window.since)) {
    throw new BatonError(
      'INVALID_ARGUMENT',
      `usage series need since < until and bucketMs >= 1, got since ${window.since}, until ${window.until}, bucketMs ${bucketMs}`,
      { hint: 'Pass a non-empty window and a positive bucket width' },
    );
  }
  const n = Math.ceil((window.until - window.since) / Math.round(bucketMs));
  if (n > MAX_USAGE_BUCKETS) {
    throw new BatonError(
      'INVALID_ARGUMENT',
      `usage series would have ${n} buckets; at most ${MAX_USAGE_BUCKETS}`,
      {
        hint: 'Pass a wider bucketMs',
      },
    );
  }
  return n;
}

/** The statement of {@link GatewayLedger.usageSeries} on `table`; `n` is the bucket number. */
export function usageSeriesQuery(
  table: string,
  window: UsageWindow,
  bucketMs: number,
  param: (n: number) => string,
): UsageQuery {
  const where = windowWhere(window, param);
  bucketsOf(window, bucketMs);
  // The bucket's bounds are written into the text, not bound: SQLite's placeholders are positional and
  // would come before the window's. Both are integers of checked finite numbers (no injection).
  const since = Math.ceil(window.since);
  const width = Math.round(bucketMs);
  return {
    text: `SELECT (at - ${since}) / ${width} AS n, count(*) AS calls,
             sum(input_tokens + output_tokens) AS tokens, sum(cost_usd) AS cost_usd
           FROM ${table} WHERE ${where.text} GROUP BY 1 ORDER BY 1`,
    values: where.values,
  };
}

/** A row of {@link usageSeriesQuery}. */
export interface UsageSeriesRow {
  n: number | string;
  calls: number | string;
  tokens: number | string;
  cost_usd: number | string;
}

/** Every bucket of the window, zeros where no row is. */
export function toUsageSeries(window: UsageWindow, bucketMs: number, rows: UsageSeriesRow[]): UsageBucket[] {
  const width = Math.round(bucketMs);
  const series = Array.from({ length: bucketsOf(window, bucketMs) }, (_, i) => ({
    at: Math.ceil(window.since) + i * width,
    calls: 0,
    tokens: 0,
    costUsd: 0,
  }));
  for (const row of rows) {
    const bucket = series[Number(row.n)];
    if (!bucket) continue;
    bucket.calls = Number(row.calls);
    bucket.tokens = Number(row.tokens);
    bucket.costUsd = Number(row.cost_usd);
  }
  return series;
}
