/**
 * Zod schemas shared by the routes. The same schemas validate requests and describe responses in the
 * OpenAPI document. Request bodies are strict: an unknown field is a 400, not silently ignored.
 * @module
 */
import { z } from '@hono/zod-openapi';

/**
 * Deepest nesting of arrays and objects in a JSON value of a request. Deeper values would overflow
 * the stack of the code that stores them (`JSON.stringify` is recursive): a 500 instead of a 400.
 */
export const MAX_JSON_DEPTH = 64;

/** True when `value` nests no more than `max` arrays and objects; iterative, so any depth is safe. */
function nestsAtMost(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const [item, depth] = next;
    if (item === null || typeof item !== 'object') continue;
    if (depth >= max) return false;
    for (const child of Object.values(item)) stack.push([child, depth + 1]);
  }
  return true;
}

/** Any JSON value (inputs, outputs, payloads), nested at most {@link MAX_JSON_DEPTH} deep. */
export const JsonValue = z
  .unknown()
  .refine((value) => nestsAtMost(value, MAX_JSON_DEPTH), `nested deeper than ${MAX_JSON_DEPTH} levels`)
  .openapi({ description: `Any JSON value, nested at most ${MAX_JSON_DEPTH} deep` });

/** `{ "error": { "code", "message", "details" } }`. */
export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'RUN_NOT_FOUND' }),
      message: z.string(),
      details: z.unknown().optional(),
    }),
  })
  .openapi('Error');

const errorContent = { content: { 'application/json': { schema: ErrorSchema } } };

/** The error responses every authenticated route may give. */
export const ERROR_RESPONSES = {
  400: { description: 'Invalid request', ...errorContent },
  401: { description: 'Missing or invalid API key', ...errorContent },
  403: { description: 'The key lacks a role for this operation', ...errorContent },
  404: { description: 'Not found (in the caller’s tenant)', ...errorContent },
  413: { description: 'Request body too large', ...errorContent },
  429: { description: 'Rate limited (see Retry-After)', ...errorContent },
} as const;

/** A JSON response with a description. */
export function jsonContent<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { 'application/json': { schema } } };
}

/** A required JSON request body. */
export function jsonBody<T extends z.ZodType>(schema: T) {
  return { required: true, content: { 'application/json': { schema } } };
}

/** A bounded, non-empty identifier from a path or a body. */
export const Id = z.string().min(1).max(200);

/** A non-negative integer in a query string (`?limit=20`). */
export function queryInt(max: number) {
  return z
    .string()
    .regex(/^\d{1,15}$/, 'expected a non-negative integer')
    .transform(Number)
    .pipe(z.number().int().min(0).max(max));
}

/** An instant in a query string: epoch milliseconds or an ISO 8601 date. */
export const QueryInstant = z
  .string()
  .max(64)
  .transform((value, ctx) => {
    const ms = /^\d{1,15}$/.test(value) ? Number(value) : Date.parse(value);
    if (!Number.isFinite(ms)) {
      ctx.addIssue({ code: 'custom', message: 'expected epoch milliseconds or an ISO 8601 date' });
      return z.NEVER;
    }
    return ms;
  })
  .openapi({ description: 'Epoch milliseconds or an ISO 8601 date', example: '2026-11-21T00:00:00Z' });

/** Page size of list routes. */
export const Limit = queryInt(500).optional().openapi({ description: 'Page size (default 50, at most 500)' });

const ErrorInfoSchema = z.object({
  code: z.string(),
  message: z.string(),
  retryable: z.boolean().optional(),
  details: z.unknown().optional(),
});

const RunStatusSchema = z.enum(['queued', 'running', 'waiting', 'succeeded', 'failed', 'cancelled']);

/** A run. */
export const RunSchema = z
  .object({
    id: z.string(),
    workflow: z.string(),
    versionId: z.string(),
    status: RunStatusSchema,
    input: z.unknown(),
    output: z.unknown().optional(),
    error: ErrorInfoSchema.optional(),
    priority: z.number(),
    tenant: z.string(),
    idempotencyKey: z.string().optional(),
    parentRunId: z.string().optional(),
    parentStepId: z.string().optional(),
    depth: z.number(),
    traceId: z.string(),
    tags: z.array(z.string()),
    createdAt: z.number(),
    startedAt: z.number().optional(),
    finishedAt: z.number().optional(),
    deadlineAt: z.number().optional(),
    phase: z.enum(['steps', 'compensating', 'finalizing', 'done']),
    costUsd: z.number().optional().openapi({
      description: "Dollars its model calls cost so far, from the gateway's ledger (lists only)",
    }),
  })
  .openapi('Run');

/** One history event of a run. */
export const HistoryEventSchema = z
  .object({
    runId: z.string(),
    seq: z.number(),
    at: z.number(),
    type: z.string(),
    stepId: z.string().optional(),
    item: z.number().optional(),
    attempt: z.number().optional(),
    data: z.unknown().optional(),
  })
  .openapi('HistoryEvent');

/** A step's state within a run. */
export const StepStateSchema = z
  .object({
    stepId: z.string(),
    status: z.string(),
    attempt: z.number(),
    output: z.unknown().optional(),
    error: ErrorInfoSchema.optional(),
    startedAt: z.number().optional(),
    finishedAt: z.number().optional(),
  })
  .openapi('StepState');

/** A registered workflow version. */
export const VersionSchema = z
  .object({
    id: z.string(),
    workflow: z.string(),
    number: z.number(),
    label: z.string(),
    hash: z.string(),
    source: z.enum(['code', 'spec']),
    graph: z.unknown(),
    definition: z.unknown(),
    createdAt: z.number(),
  })
  .openapi('WorkflowVersion');

/** A page of a list, with the cursor of the next page (`null` on the last). */
export function page<T extends z.ZodType>(item: T) {
  return z.object({ data: z.array(item), next_cursor: z.string().nullable() });
}

/** The fields of one gateway request-log entry that every route showing one answers. */
export const RequestLogEntryFields = z.object({
  id: z.string(),
  at: z.number(),
  route: z.string().openapi({ description: 'The model alias asked for' }),
  target: z.string().optional().openapi({ description: 'The `provider/model` that answered' }),
  endpoint: z.enum(['chat', 'embeddings']),
  stream: z.boolean(),
  status: z.enum(['ok', 'error', 'cancelled']),
  errorCode: z.string().optional(),
  inputTokens: z.number(),
  outputTokens: z.number(),
  cachedInputTokens: z.number(),
  reasoningTokens: z.number(),
  costUsd: z.number(),
  latencyMs: z.number(),
  ttftMs: z.number().optional(),
  cacheHit: z.boolean(),
  retries: z.number(),
  fallbacks: z.number(),
});
