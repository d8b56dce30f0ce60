/**
 * `GET /v1/costs`: the cost model of the caller's tenant, per workflow version over a window (tokens,
 * cost and duration per run at p50/p95/p99, and the most expensive steps).
 * @module
 */
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { BatonError } from '../../../core/errors.js';
import type { GatewayLedger } from '../../../gateway/ledger/port.js';
import { type CostModel, costModel } from '../../../telemetry/costs/cost-model.js';
import { parseDuration } from '../../../telemetry/run-window.js';
import type { ServerContext } from '../../context.js';
import { allow } from '../access.js';
import type { ApiEnv } from '../env.js';
import { ERROR_RESPONSES, Id, jsonContent } from '../schemas.js';

const PercentilesSchema = z.object({ p50: z.number(), p95: z.number(), p99: z.number() });

const CostModelSchema = z
  .object({
    workflow: z.string(),
    version: z.string(),
    since: z.number(),
    until: z.number(),
    runs: z.number(),
    tokens: PercentilesSchema,
    costUsd: PercentilesSchema,
    durationMs: PercentilesSchema,
    totalCostUsd: z.number(),
    topSteps: z.array(
      z.object({
        stepId: z.string(),
        costUsd: z.number(),
        tokens: z.number(),
        calls: z.number(),
        share: z.number(),
      }),
    ),
    unattributedCostUsd: z.number(),
    usageLogged: z.boolean(),
  })
  .openapi('CostModel');

const Window = z
  .string()
  .regex(/^\d{1,6}(ms|s|m|h|d)$/, 'expected a duration such as 15m, 24h or 7d')
  .refine((w) => parseDuration(w) <= 366 * 86_400_000, 'at most 366d')
  .optional()
  .openapi({ description: 'How far back runs are read (default 24h)', example: '24h' });

const get = createRoute({
  operationId: 'costs.get',
  method: 'get',
  path: '/v1/costs',
  tags: ['Costs'],
  summary: 'Tokens, cost and duration per run at p50/p95/p99, per workflow version, with the top steps',
  middleware: [allow('costs.get')] as const,
  request: {
    query: z.strictObject({
      workflow: Id.optional().openapi({ description: 'One workflow; every workflow when omitted' }),
      version: Id.optional().openapi({ description: 'A version id, number or label; the latest by default' }),
      window: Window,
    }),
  },
  responses: {
    200: jsonContent(z.object({ data: z.array(CostModelSchema) }), 'One cost model per workflow'),
    ...ERROR_RESPONSES,
  },
});

/** Workflows in one answer without `workflow`: each costs a read of its runs in the window. */
const MAX_WORKFLOWS = 100;

/** Adds the costs route. */
export function costRoutes(app: OpenAPIHono<ApiEnv>, ctx: ServerContext): void {
  app.openapi(get, async (c) => {
    const q = c.req.valid('query');
    const until = ctx.now();
    const since = until - parseDuration(q.window ?? '24h');
    const tenant = c.get('caller').tenant;
    if (q.version !== undefined && q.workflow === undefined) {
      throw new BatonError(
        'INVALID_ARGUMENT',
        "version needs workflow: a version names one workflow's version",
        {
          hint: 'Add workflow=<name>, or leave version out for the latest version of every workflow',
          details: { issues: [{ path: 'version', message: 'only with workflow' }] },
        },
      );
    }
    // Every workflow's model reads the same usage of the tenant: read it once per request. Up to
    // now covers every run's calls (none finished later), whatever `until` each model asks for.
    const ledger = ctx.gateway?.ledger;
    let usage: ReturnType<GatewayLedger['runUsage']> | undefined;
    const sources = {
      baton: ctx.baton,
      ledger: ledger && {
        runUsage: (range: Parameters<GatewayLedger['runUsage']>[0]) => {
          usage ??= ledger.runUsage({ ...range, until: Math.max(range.until, until + 1) });
          return usage;
        },
      },
    };
    const workflows =
      q.workflow === undefined
        ? (await ctx.baton.listWorkflows()).map((w) => w.workflow).slice(0, MAX_WORKFLOWS)
        : [q.workflow];
    const data: CostModel[] = [];
    for (const workflow of workflows) {
      data.push(
        await costModel(sources, {
          workflow,
          ...(q.version === undefined ? {} : { version: q.version }),
          since,
          until,
          tenant,
        }),
      );
    }
    return c.json({ data }, 200);
  });
}
