/**
 * `GET /v1/runs/{id}/steps/{stepId}`: what a step inspector shows about one step of a run and that the
 * run itself does not carry: its node in the version's graph, every attempt (items of a `map` step
 * included) with its worker and error, and the model calls it made, from the gateway's request log
 * (tokens with cached and reasoning, cost, latency, and the request and response as the gateway kept
 * them, masked and truncated).
 * @module
 */
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { BatonError } from '../../../core/errors.js';
import type { RequestLogEntry } from '../../../gateway/ledger/port.js';
import type { ServerContext } from '../../context.js';
import { allow } from '../access.js';
import type { ApiEnv } from '../env.js';
import { ERROR_RESPONSES, Id, jsonContent, RequestLogEntryFields, StepStateSchema } from '../schemas.js';
import { runOfTenant } from '../scope.js';

/** Request-log entries read for one step at most: a page of the log is 1,000 entries. */
const MAX_MODEL_CALLS = 5000;

const AttemptSchema = z
  .object({
    item: z.number().openapi({ description: 'The `map` item index; -1 for the step itself' }),
    attempt: z.number(),
    kind: z.string(),
    workerId: z.string(),
    status: z.enum(['running', 'succeeded', 'failed', 'lost', 'cancelled']),
    startedAt: z.number(),
    finishedAt: z.number().optional(),
    error: z.unknown().optional(),
  })
  .openapi('StepAttempt');

const ModelCallSchema = RequestLogEntryFields.extend({
  request: z.unknown().optional().openapi({ description: 'The request (messages, tools) as logged' }),
  response: z.unknown().optional().openapi({ description: 'The response as logged' }),
}).openapi('StepModelCall');

const UsageSchema = z.object({
  calls: z.number(),
  errors: z.number(),
  inputTokens: z.number(),
  outputTokens: z.number(),
  cachedInputTokens: z.number(),
  reasoningTokens: z.number(),
  costUsd: z.number(),
});

const StepDetailSchema = z
  .object({
    runId: z.string(),
    stepId: z.string(),
    state: StepStateSchema.extend({ wait: z.unknown().optional(), map: z.unknown().optional() })
      .optional()
      .openapi({ description: 'Absent while the step has not been scheduled' }),
    node: z.unknown().openapi({ description: "The step's node in the run's version graph" }),
    attempts: z.array(AttemptSchema),
    modelCalls: z.array(ModelCallSchema).openapi({
      description: 'Oldest first; empty when the server has no gateway or the step called no model',
    }),
    usage: UsageSchema,
    modelCallsTruncated: z.boolean(),
  })
  .openapi('StepDetail');

const step = createRoute({
  operationId: 'runs.step',
  method: 'get',
  path: '/v1/runs/{id}/steps/{stepId}',
  tags: ['Runs'],
  summary: 'One step of a run: its graph node, attempts, and model calls with tokens and cost',
  middleware: [allow('runs.step')] as const,
  request: {
    params: z.object({
      id: Id.openapi({ param: { name: 'id', in: 'path' } }),
      stepId: Id.openapi({ param: { name: 'stepId', in: 'path' } }),
    }),
  },
  responses: { 200: jsonContent(StepDetailSchema, 'The step'), ...ERROR_RESPONSES },
});

/** Adds `GET /v1/runs/{id}/steps/{stepId}`. */
export function runStepRoutes(app: OpenAPIHono<ApiEnv>, ctx: ServerContext): void {
  app.openapi(step, async (c) => {
    const caller = c.get('caller');
    const { id, stepId } = c.req.valid('param');
    const run = await runOfTenant(ctx, caller, id);
    const [version, states, attempts] = await Promise.all([
      ctx.baton.store.getVersion(run.versionId),
      ctx.baton.store.getSteps(run.id),
      ctx.baton.store.listAttempts(run.id),
    ]);
    const node = version?.graph.steps.find((s) => s.id === stepId);
    const state = states.find((s) => s.stepId === stepId);
    if (!node && !state) {
      throw new BatonError('STEP_NOT_FOUND', `run ${run.id} has no step "${stepId}"`, {
        hint: `GET /v1/runs/${run.id} lists the run's steps`,
        details: { runId: run.id, stepId },
      });
    }
    const { calls, truncated } = await modelCalls(ctx, caller.tenant, run.id, stepId);
    return c.json(
      {
        runId: run.id,
        stepId,
        ...(state ? { state } : {}),
        node: node ?? null,
        attempts: attempts
          .filter((a) => a.stepId === stepId)
          .map(({ runId: _run, stepId: _step, ...a }) => a)
          .sort((a, b) => a.startedAt - b.startedAt || a.item - b.item || a.attempt - b.attempt),
        modelCalls: calls.map(toModelCall),
        usage: usageOf(calls),
        modelCallsTruncated: truncated,
      },
      200,
    );
  });
}

/** The step's entries of the run's request log, oldest first. */
async function modelCalls(
  ctx: ServerContext,
  tenant: string,
  runId: string,
  stepId: string,
): Promise<{ calls: RequestLogEntry[]; truncated: boolean }> {
  const ledger = ctx.gateway?.ledger;
  if (!ledger) return { calls: [], truncated: false };
  const calls: RequestLogEntry[] = [];
  let before: string | undefined;
  for (;;) {
    const page = await ledger.listRequests({
      tenant,
      runId,
      stepId,
      limit: 1000,
      ...(before === undefined ? {} : { before }),
    });
    calls.push(...page.entries);
    if (!page.nextCursor) return { calls: calls.reverse(), truncated: false };
    if (calls.length >= MAX_MODEL_CALLS) return { calls: calls.reverse(), truncated: true };
    before = page.nextCursor;
  }
}

function toModelCall(e: RequestLogEntry) {
  const { tenant: _tenant, keyId: _key, runId: _run, stepId: _step, request, response, ...rest } = e;
  return {
    ...rest,
    ...(request === undefined ? {} : { request: parseLogged(request) }),
    ...(response === undefined ? {} : { response: parseLogged(response) }),
  };
}

/** The gateway logs JSON text, truncated when large: parsed when it still parses, else the text. */
function parseLogged(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function usageOf(calls: readonly RequestLogEntry[]) {
  const usage = {
    calls: calls.length,
    errors: 0,
    inputTokens: 0,
    outputTokens: 0,
    cachedInputTokens: 0,
    reasoningTokens: 0,
    costUsd: 0,
  };
  for (const e of calls) {
    if (e.status === 'error') usage.errors += 1;
    usage.inputTokens += e.inputTokens;
    usage.outputTokens += e.outputTokens;
    usage.cachedInputTokens += e.cachedInputTokens;
    usage.reasoningTokens += e.reasoningTokens;
    usage.costUsd += e.costUsd;
  }
  return usage;
}
