/**
 * Run routes: submit (202 at once), get, list with filters and cursor pagination, cancel, rerun and
 * history. Runs belong to the caller's tenant; another tenant's run is 404 like an unknown id.
 * @module
 */
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { Run, RunStatus } from '../../../core/types.js';
import type { SubmitOptions } from '../../../runtime/baton.js';
import type { RunFilter } from '../../../store/port.js';
import { PARENT_SPAN_TAG } from '../../../telemetry/tracing/parent-span-tag.js';
import type { Caller, ServerContext } from '../../context.js';
import { allow } from '../access.js';
import type { ApiEnv } from '../env.js';
import {
  ERROR_RESPONSES,
  HistoryEventSchema,
  Id,
  JsonValue,
  jsonBody,
  jsonContent,
  Limit,
  page,
  QueryInstant,
  queryInt,
  RunSchema,
  StepStateSchema,
} from '../schemas.js';
import { audit, nextCursor, runOfTenant } from '../scope.js';

const DAY_MS = 86_400_000;
const Tag = z.string().min(1).max(200);

const SubmitBody = z
  .strictObject({
    workflow: Id,
    version: z
      .union([z.number().int().min(1).max(1_000_000), Id])
      .optional()
      .openapi({ description: 'A version number or id (`name@2`); the latest when omitted' }),
    input: JsonValue.optional().openapi({ description: 'The run input; `{}` when omitted' }),
    priority: z.number().int().min(-1000).max(1000).optional(),
    tags: z.array(Tag).max(32).optional(),
    budgetUsd: z.number().positive().max(1_000_000).optional().openapi({
      description:
        "The run's budget for model calls in dollars, enforced by the gateway before every call of its llm, agent and plan steps (kept as the tag `budget-usd:<n>`)",
    }),
    timeoutMs: z
      .number()
      .int()
      .min(1)
      .max(365 * DAY_MS)
      .optional(),
  })
  .openapi('SubmitRun');

const RunParams = z.object({ id: Id.openapi({ param: { name: 'id', in: 'path' } }) });
const STATUSES = ['queued', 'running', 'waiting', 'succeeded', 'failed', 'cancelled', 'waiting_for_approval'];

const submit = createRoute({
  operationId: 'runs.submit',
  method: 'post',
  path: '/v1/runs',
  tags: ['Runs'],
  summary: 'Submit a run; answers 202 with the run at once',
  middleware: [allow('runs.submit')] as const,
  request: {
    headers: z.object({
      'idempotency-key': z
        .string()
        .min(1)
        .max(200)
        .optional()
        .openapi({ description: 'A second submit with the same key returns the first run' }),
    }),
    body: jsonBody(SubmitBody),
  },
  responses: { 202: jsonContent(RunSchema, 'The run, accepted'), ...ERROR_RESPONSES },
});

/** A dollar amount in a query string. */
const CostQuery = z.coerce.number().nonnegative().max(1e9);

const list = createRoute({
  operationId: 'runs.list',
  method: 'get',
  path: '/v1/runs',
  tags: ['Runs'],
  summary: 'List runs, newest first',
  middleware: [allow('runs.list')] as const,
  request: {
    query: z.strictObject({
      workflow: Id.optional(),
      version: Id.optional().openapi({ description: 'A version id (`name@2`)' }),
      status: z
        .string()
        .max(200)
        .refine((s) => s.split(',').every((x) => STATUSES.includes(x)), `expected ${STATUSES.join('|')}`)
        .optional()
        .openapi({ description: `Comma-separated: ${STATUSES.join(', ')}` }),
      tag: Tag.optional(),
      createdAfter: QueryInstant.optional(),
      createdBefore: QueryInstant.optional(),
      minCostUsd: CostQuery.optional().openapi({
        description: 'Only runs whose model calls cost at least this',
      }),
      maxCostUsd: CostQuery.optional().openapi({
        description: 'Only runs whose model calls cost at most this',
      }),
      cursor: Id.optional().openapi({ description: 'The `next_cursor` of the previous page' }),
      limit: Limit,
    }),
  },
  responses: { 200: jsonContent(page(RunSchema), 'A page of runs'), ...ERROR_RESPONSES },
});

const get = createRoute({
  operationId: 'runs.get',
  method: 'get',
  path: '/v1/runs/{id}',
  tags: ['Runs'],
  summary: 'A run with its steps',
  middleware: [allow('runs.get')] as const,
  request: { params: RunParams },
  responses: {
    200: jsonContent(RunSchema.extend({ steps: z.array(StepStateSchema) }), 'The run'),
    ...ERROR_RESPONSES,
  },
});

const cancel = createRoute({
  operationId: 'runs.cancel',
  method: 'post',
  path: '/v1/runs/{id}/cancel',
  tags: ['Runs'],
  summary: 'Cancel a run (its children, timers and waits too; compensations run)',
  middleware: [allow('runs.cancel')] as const,
  request: {
    params: RunParams,
    body: {
      required: false,
      content: {
        'application/json': { schema: z.strictObject({ reason: z.string().max(1000).optional() }) },
      },
    },
  },
  responses: {
    200: jsonContent(RunSchema, 'The cancelled run'),
    ...ERROR_RESPONSES,
    409: jsonContent(z.unknown(), 'RUN_ALREADY_FINISHED'),
  },
});

const rerun = createRoute({
  operationId: 'runs.rerun',
  method: 'post',
  path: '/v1/runs/{id}/rerun',
  tags: ['Runs'],
  summary: 'A new run of the same version, input and tags, tagged `rerun-of:<id>`',
  middleware: [allow('runs.rerun')] as const,
  request: { params: RunParams },
  responses: { 202: jsonContent(RunSchema, 'The new run'), ...ERROR_RESPONSES },
});

const history = createRoute({
  operationId: 'runs.history',
  method: 'get',
  path: '/v1/runs/{id}/history',
  tags: ['Runs'],
  summary: "A run's history events in order",
  middleware: [allow('runs.history')] as const,
  request: {
    params: RunParams,
    query: z.strictObject({
      afterSeq: queryInt(Number.MAX_SAFE_INTEGER)
        .optional()
        .openapi({ description: 'Events after this seq' }),
      limit: queryInt(5000).optional(),
    }),
  },
  responses: {
    200: jsonContent(z.object({ data: z.array(HistoryEventSchema) }), 'The events'),
    ...ERROR_RESPONSES,
  },
});

/** Adds the run routes (the event stream is in `run-stream.ts`). */
export function runRoutes(app: OpenAPIHono<ApiEnv>, ctx: ServerContext): void {
  app.openapi(submit, async (c) => {
    const caller = c.get('caller');
    const body = c.req.valid('json');
    const idempotencyKey = c.req.valid('header')['idempotency-key'];
    // A caller that traces (W3C `traceparent`) gets the run in its own trace, under its span.
    const parent = traceParent(c.req.header('traceparent'));
    const tags = [
      ...(body.tags ?? []),
      ...(body.budgetUsd === undefined ? [] : [`budget-usd:${body.budgetUsd}`]),
      ...(parent ? [`${PARENT_SPAN_TAG}${parent.spanId}`] : []),
    ];
    const run = await ctx.baton.submit(body.workflow, body.input ?? {}, {
      tenant: caller.tenant,
      ...(parent ? { traceId: parent.traceId } : {}),
      ...(body.version === undefined ? {} : { version: versionId(body.workflow, body.version) }),
      ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
      ...(body.priority === undefined ? {} : { priority: body.priority }),
      ...(tags.length === 0 ? {} : { tags }),
      ...(body.timeoutMs === undefined ? {} : { timeoutMs: body.timeoutMs }),
    });
    await audit(ctx, caller, 'run.submit', run.id, {
      workflow: run.workflow,
      versionId: run.versionId,
      ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
    });
    return c.json(run, 202, { Location: `/v1/runs/${run.id}` });
  });

  app.openapi(list, async (c) => {
    const q = c.req.valid('query');
    const limit = q.limit || 50;
    const filter: RunFilter = {
      tenant: c.get('caller').tenant,
      limit,
      ...(q.workflow === undefined ? {} : { workflow: q.workflow }),
      ...(q.version === undefined ? {} : { versionId: q.version }),
      ...(q.tag === undefined ? {} : { tag: q.tag }),
      ...(q.createdAfter === undefined ? {} : { createdAfter: q.createdAfter }),
      ...(q.createdBefore === undefined ? {} : { createdBefore: q.createdBefore }),
      ...(q.cursor === undefined ? {} : { cursor: q.cursor }),
      ...statusFilter(q.status),
    };
    if (q.minCostUsd === undefined && q.maxCostUsd === undefined) {
      const data = await withCosts(ctx, await ctx.baton.listRuns(filter));
      return c.json({ data, next_cursor: nextCursor(data, limit) }, 200);
    }
    // Cost lives in the gateway's ledger, not beside the run: scan pages and keep the runs in range,
    // reading at most COST_SCAN_PAGES pages a request; the cursor continues where the scan stopped.
    const data: Array<Run & { costUsd?: number }> = [];
    let cursor = filter.cursor;
    let exhausted = false;
    for (let pageNo = 0; pageNo < COST_SCAN_PAGES && data.length < limit; pageNo++) {
      const batch = await ctx.baton.listRuns({ ...filter, ...(cursor === undefined ? {} : { cursor }) });
      for (const run of await withCosts(ctx, batch)) {
        cursor = run.id;
        const cost = run.costUsd ?? 0;
        if ((q.minCostUsd ?? 0) <= cost && cost <= (q.maxCostUsd ?? Number.POSITIVE_INFINITY)) data.push(run);
        if (data.length >= limit) break;
      }
      if (batch.length < limit) {
        exhausted = data.length < limit;
        break;
      }
    }
    return c.json({ data, next_cursor: exhausted ? null : (cursor ?? null) }, 200);
  });

  app.openapi(get, async (c) => {
    const run = await runOfTenant(ctx, c.get('caller'), c.req.valid('param').id);
    const [withCost] = await withCosts(ctx, [run]);
    return c.json({ ...run, ...withCost, steps: await ctx.baton.store.getSteps(run.id) }, 200);
  });

  app.openapi(cancel, async (c) => {
    const caller = c.get('caller');
    const run = await runOfTenant(ctx, caller, c.req.valid('param').id);
    const reason = c.req.valid('json').reason ?? `cancelled by ${decider(caller)}`;
    const cancelled = await ctx.baton.cancel(run.id, reason, decider(caller));
    await audit(ctx, caller, 'run.cancel', run.id, { reason });
    return c.json(cancelled, 200);
  });

  app.openapi(rerun, async (c) => {
    const caller = c.get('caller');
    const source = await runOfTenant(ctx, caller, c.req.valid('param').id);
    const run = await ctx.baton.submit(source.workflow, source.input, rerunOptions(source, caller));
    await audit(ctx, caller, 'run.rerun', run.id, { rerunOf: source.id });
    return c.json(run, 202, { Location: `/v1/runs/${run.id}` });
  });

  app.openapi(history, async (c) => {
    const run = await runOfTenant(ctx, c.get('caller'), c.req.valid('param').id);
    const { afterSeq, limit } = c.req.valid('query');
    const data = await ctx.baton.store.getHistory(run.id, {
      ...(afterSeq === undefined ? {} : { afterSeq }),
      ...(limit ? { limit } : {}),
    });
    return c.json({ data }, 200);
  });
}

/** Who a caller is, in decisions and cancellations: `bk_<id> (<name>)`. */
export function decider(caller: Caller): string {
  return `${caller.prefix} (${caller.name})`;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;

/** The trace and span of a valid W3C `traceparent` header (all-zero ids are invalid). */
function traceParent(header: string | undefined): { traceId: string; spanId: string } | undefined {
  const match = header === undefined ? null : TRACEPARENT.exec(header.trim());
  if (!match?.[1] || !match[2] || /^0+$/.test(match[1]) || /^0+$/.test(match[2])) return undefined;
  return { traceId: match[1], spanId: match[2] };
}

/** Pages of runs one cost-filtered list request reads at most. */
const COST_SCAN_PAGES = 20;

/** Each run with what its model calls cost, when the server has a gateway: one ledger query a page. */
async function withCosts(ctx: ServerContext, runs: Run[]): Promise<Array<Run & { costUsd?: number }>> {
  const ledger = ctx.gateway?.ledger;
  if (!ledger || runs.length === 0) return runs;
  const totals = await ledger.totalSpent(
    'run',
    runs.map((r) => r.id),
  );
  return runs.map((run) => ({ ...run, costUsd: totals.get(run.id) ?? 0 }));
}

function versionId(workflow: string, version: number | string): string {
  return typeof version === 'number' || /^\d+$/.test(version) ? `${workflow}@${version}` : version;
}

/** `waiting_for_approval` is not a run status but a filter on waiting runs' steps. */
function statusFilter(status: string | undefined): Pick<RunFilter, 'status' | 'waitingForApproval'> {
  if (status === undefined) return {};
  const wanted = status.split(',');
  const statuses = wanted.filter((s) => s !== 'waiting_for_approval') as RunStatus[];
  return {
    ...(wanted.includes('waiting_for_approval') ? { waitingForApproval: true } : {}),
    ...(statuses.length === 0
      ? {}
      : { status: statuses.length === 1 ? (statuses[0] as RunStatus) : statuses }),
  };
}

function rerunOptions(source: Run, caller: Caller): SubmitOptions {
  const tags = [...source.tags.filter((t) => !t.startsWith('rerun-of:')), `rerun-of:${source.id}`];
  return { version: source.versionId, tenant: caller.tenant, priority: source.priority, tags };
}
