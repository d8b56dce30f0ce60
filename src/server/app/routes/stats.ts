/**
 * `GET /v1/stats`: the health, throughput and failures of the caller's tenant over a window, as the
 * dashboard's overview shows them. Aggregates computed by the store (`runStats`) and the gateway
 * ledger (`usageSeries`), never by loading runs.
 * @module
 */
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { UsageBucket } from '../../../gateway/ledger/port.js';
import { parseDuration } from '../../../telemetry/run-window.js';
import type { ServerContext } from '../../context.js';
import { allow } from '../access.js';
import type { ApiEnv } from '../env.js';
import { ERROR_RESPONSES, jsonContent } from '../schemas.js';

const MINUTE = 60_000;
/** The error rate is the share of runs that failed among those that finished in this span. */
const RECENT_MS = 5 * MINUTE;
/** The failing runs listed are those of this span, whatever the window. */
const FAILURES_MS = 60 * MINUTE;
/** At most this many buckets per window (see {@link bucketWidth}). */
const TARGET_BUCKETS = 60;
/** Round bucket widths, so that buckets start on the minute, the hour or the day. */
const BUCKET_WIDTHS = [1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440].map((m) => m * MINUTE);
const MIN_WINDOW_MS = 5 * MINUTE;
const MAX_WINDOW_MS = 90 * 1440 * MINUTE;

/** The smallest round width that cuts `windowMs` into at most {@link TARGET_BUCKETS} buckets. */
export function bucketWidth(windowMs: number): number {
  return BUCKET_WIDTHS.find((w) => windowMs / w <= TARGET_BUCKETS) ?? (BUCKET_WIDTHS.at(-1) as number);
}

const Counts = {
  finished: z.number().int(),
  succeeded: z.number().int(),
  failed: z.number().int(),
  cancelled: z.number().int(),
};

const StatsSchema = z
  .object({
    window: z.string().openapi({ example: '1h' }),
    since: z.number().openapi({ description: 'Start of the window: a bucket boundary (ms since the epoch)' }),
    until: z.number().openapi({ description: 'End of the window: now (ms since the epoch)' }),
    bucketMs: z.number().int().openapi({ description: 'Width of one series bucket' }),
    health: z.object({
      ...Counts,
      successRate: z.number().nullable().openapi({
        description: 'succeeded / (succeeded + failed); cancelled runs left out; null when none',
      }),
      durationMs: z.object({ p50: z.number(), p95: z.number() }).nullable().openapi({
        description: 'Nearest-rank percentiles of finish minus start; null when no run finished',
      }),
      errorRate: z
        .object({
          windowMs: z.number().int(),
          finished: z.number().int(),
          failed: z.number().int(),
          rate: z.number().nullable().openapi({ description: 'failed / finished; null when none finished' }),
        })
        .openapi({ description: 'Runs that finished in the last 5 minutes, whatever the window' }),
      active: z
        .object({ queued: z.number().int(), running: z.number().int(), waiting: z.number().int() })
        .openapi({ description: 'Runs in each active status now' }),
    }),
    usageLogged: z
      .boolean()
      .openapi({ description: 'False when the server has no gateway: tokens and cost are then zero' }),
    usage: z.object({ calls: z.number().int(), tokens: z.number(), costUsd: z.number() }),
    series: z.array(
      z.object({
        at: z.number().openapi({ description: 'Start of the bucket' }),
        started: z.number().int().openapi({ description: 'Runs created in the bucket' }),
        succeeded: z.number().int(),
        failed: z.number().int(),
        calls: z.number().int().openapi({ description: 'Gateway calls' }),
        tokens: z.number().openapi({ description: 'Input plus output tokens of the gateway calls' }),
        costUsd: z.number(),
      }),
    ),
    errors: z
      .array(z.object({ code: z.string(), count: z.number().int(), exampleRunId: z.string() }))
      .openapi({ description: 'Failed runs of the window per error code, most frequent first (at most 20)' }),
    failures: z
      .array(
        z.object({
          id: z.string(),
          workflow: z.string(),
          error: z.object({ code: z.string(), message: z.string() }),
          finishedAt: z.number(),
        }),
      )
      .openapi({ description: 'The newest runs that failed in the last hour (at most 20)' }),
  })
  .openapi('Stats');

const WINDOW_FORMAT = /^\d{1,6}(m|h|d)$/;

const Window = z
  .string()
  .regex(WINDOW_FORMAT, 'expected a duration such as 1h, 24h or 7d')
  .refine((w) => {
    // Zod runs the refinement after a failed regex too; parseDuration would throw on such text.
    if (!WINDOW_FORMAT.test(w)) return true;
    const ms = parseDuration(w);
    return ms >= MIN_WINDOW_MS && ms <= MAX_WINDOW_MS;
  }, 'between 5m and 90d')
  .optional()
  .openapi({ description: 'How far back (default 1h); between 5m and 90d', example: '24h' });

const get = createRoute({
  operationId: 'stats.get',
  method: 'get',
  path: '/v1/stats',
  tags: ['Stats'],
  summary: 'Health, throughput, cost and failures of the tenant’s runs over a window',
  middleware: [allow('stats.get')] as const,
  request: { query: z.strictObject({ window: Window }) },
  responses: {
    200: jsonContent(StatsSchema, 'The overview of the window'),
    ...ERROR_RESPONSES,
  },
});

/** Adds the stats route. */
export function statsRoutes(app: OpenAPIHono<ApiEnv>, ctx: ServerContext): void {
  app.openapi(get, async (c) => {
    const window = c.req.valid('query').window ?? '1h';
    const windowMs = parseDuration(window);
    const bucketMs = bucketWidth(windowMs);
    const until = ctx.now();
    // Buckets on round boundaries, so a chart refreshed a few seconds later keeps its bars in place;
    // the window grows by less than one bucket to begin on one.
    const since = Math.floor((until - windowMs) / bucketMs) * bucketMs;
    const tenant = c.get('caller').tenant;
    const ledger = ctx.gateway?.ledger;
    const [runs, usage] = await Promise.all([
      ctx.baton.store.runStats({
        tenant,
        since,
        until,
        bucketMs,
        recentSince: until - RECENT_MS,
        failuresSince: until - FAILURES_MS,
      }),
      ledger ? ledger.usageSeries({ since, until, tenant }, bucketMs) : Promise.resolve(undefined),
    ]);
    const decided = runs.succeeded + runs.failed;
    const usageAt = (i: number): UsageBucket | undefined => usage?.[i];
    const series = runs.series.map((b, i) => ({
      ...b,
      calls: usageAt(i)?.calls ?? 0,
      tokens: usageAt(i)?.tokens ?? 0,
      costUsd: usageAt(i)?.costUsd ?? 0,
    }));
    return c.json(
      {
        window,
        since,
        until,
        bucketMs,
        health: {
          finished: runs.finished,
          succeeded: runs.succeeded,
          failed: runs.failed,
          cancelled: runs.cancelled,
          successRate: decided === 0 ? null : runs.succeeded / decided,
          durationMs: runs.durationMs ?? null,
          errorRate: {
            windowMs: RECENT_MS,
            finished: runs.recent.finished,
            failed: runs.recent.failed,
            rate: runs.recent.finished === 0 ? null : runs.recent.failed / runs.recent.finished,
          },
          active: runs.active,
        },
        usageLogged: ledger !== undefined,
        usage: {
          calls: series.reduce((n, b) => n + b.calls, 0),
          tokens: series.reduce((n, b) => n + b.tokens, 0),
          costUsd: series.reduce((n, b) => n + b.costUsd, 0),
        },
        series,
        errors: runs.errors,
        failures: runs.failures,
      },
      200,
    );
  });
}
