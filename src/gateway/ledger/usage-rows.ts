/**
 * The aggregate reads of the request log ({@link GatewayLedger.runUsage}, {@link GatewayLedger.routeOutcomes})
 * as both adapters run them: the checked window, the statements and the row mapping. No I/O.
 * @module
 */
import { BatonError } from '../../core/errors.js';
import type { GatewayLedger, RouteOutcomes, RunStepUsage, UsageWindow } from './port.js';

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

/** The statement of {@link GatewayLedger.routeOutcomes} on `table`. */
export function routeOutcomesQuery(
  table: string,
  window: UsageWindow,
  param: (n: number) => string,
): UsageQuery {
  const where = windowWhere(window, param);
  return {
    text: `SELECT tenant, route, count(*) AS calls, sum(CASE WHEN status = 'error' THEN 1 ELSE 0 END) AS errors
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
