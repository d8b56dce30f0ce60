/**
 * A run's spans, from Baton's own span store: the run's `invoke_workflow` span and everything under
 * it (steps, agents, model and tool calls, child runs), so that a dashboard needs no trace backend.
 * @module
 */
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { StoredSpan } from '../../../telemetry/spans/port.js';
import { readRunTrace } from '../../../telemetry/tracing/engine-spans.js';
import { runSpanId } from '../../../telemetry/tracing/ids.js';
import type { ServerContext } from '../../context.js';
import { allow } from '../access.js';
import type { ApiEnv } from '../env.js';
import { ERROR_RESPONSES, Id, jsonContent } from '../schemas.js';
import { runOfTenant } from '../scope.js';

const SpanSchema = z
  .object({
    traceId: z.string(),
    spanId: z.string(),
    parentSpanId: z.string().optional(),
    name: z.string(),
    kind: z.string(),
    startTime: z.number(),
    endTime: z.number(),
    status: z.object({ code: z.string(), message: z.string().optional() }),
    attributes: z.record(z.string(), z.unknown()),
    runId: z.string().optional(),
    stepId: z.string().optional(),
  })
  .openapi('Span');

const spans = createRoute({
  operationId: 'runs.spans',
  method: 'get',
  path: '/v1/runs/{id}/spans',
  tags: ['Runs'],
  summary:
    "A run's spans: its workflow span and everything under it, child runs included. Run and step attempt spans are always there (derived from the run's attempts); model, tool and agent spans when tracing is on",
  middleware: [allow('runs.spans')] as const,
  request: { params: z.object({ id: Id.openapi({ param: { name: 'id', in: 'path' } }) }) },
  responses: {
    200: jsonContent(z.object({ data: z.array(SpanSchema) }), 'The spans, by start time'),
    ...ERROR_RESPONSES,
  },
});

/** Adds `GET /v1/runs/{id}/spans`. */
export function spanRoutes(app: OpenAPIHono<ApiEnv>, ctx: ServerContext): void {
  app.openapi(spans, async (c) => {
    const caller = c.get('caller');
    const run = await runOfTenant(ctx, caller, c.req.valid('param').id);
    const trace = await readRunTrace(
      { store: ctx.baton.store, ...(ctx.spans ? { spans: ctx.spans } : {}) },
      run,
    );
    return c.json({ data: subtree(trace, runSpanId(run.id), caller.tenant) }, 200);
  });
}

/**
 * The spans under `root` (and `root` itself). A trace id can be chosen by any caller (`traceparent`),
 * so spans are kept only below the run's own span, and a span of another tenant is cut with its
 * subtree.
 */
function subtree(trace: readonly StoredSpan[], root: string, tenant: string): StoredSpan[] {
  const children = new Map<string, StoredSpan[]>();
  for (const span of trace) {
    if (!span.parentSpanId) continue;
    const list = children.get(span.parentSpanId) ?? [];
    list.push(span);
    children.set(span.parentSpanId, list);
  }
  const kept: StoredSpan[] = [];
  const self = trace.find((s) => s.spanId === root);
  const stack = self ? [self] : [...(children.get(root) ?? [])];
  while (stack.length > 0) {
    const span = stack.pop() as StoredSpan;
    const owner = span.attributes['baton.tenant'];
    if (owner !== undefined && owner !== tenant) continue;
    kept.push(span);
    stack.push(...(children.get(span.spanId) ?? []));
  }
  return kept.sort((a, b) => a.startTime - b.startTime || a.spanId.localeCompare(b.spanId));
}
