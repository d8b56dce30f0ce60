/**
 * Local TypeScript tools: a zod schema, a handler, and the flags the registry needs to call it
 * safely. The schema is both what the model is shown (as JSON Schema) and what the input is checked
 * against before the handler runs.
 * @module
 */
import { z } from 'zod';
import { BatonError } from '../core/errors.js';
import type { JsonSchema, Tool, ToolBreakerPolicy, ToolCallContext, ToolRetryPolicy } from './tool.js';
import { ToolError } from './tool-errors.js';

/** What {@link defineTool} takes. */
export interface ToolSpec<Schema extends z.ZodType> {
  /** 1–128 chars of `[A-Za-z0-9_.-]`; unique in a registry. */
  name: string;
  /** What the model reads to decide whether to call the tool. */
  description: string;
  /** The input: an object schema. Its `.describe()` texts reach the model. */
  input: Schema;
  /** Changes the outside world. @defaultValue false */
  effect?: boolean;
  /** Safe to call twice with the same input. @defaultValue !effect */
  idempotent?: boolean;
  /** Per attempt. @defaultValue the registry's (30 s) */
  timeoutMs?: number;
  /** @defaultValue the registry's */
  retry?: ToolRetryPolicy;
  /** @defaultValue the registry's */
  breaker?: ToolBreakerPolicy;
  /**
   * Does the work with the validated input. Must stop when `context.signal` aborts. An effect must
   * pass `context.idempotencyKey` on to the system it changes. Throw a `ToolError` for a failure the
   * model should read as is (`retryable: false` when retrying cannot help).
   */
  handler(input: z.output<Schema>, context: ToolCallContext): Promise<unknown> | unknown;
}

/** One problem with a tool's input, as the model is told about it. */
export interface ToolInputIssue {
  /** Where, as `items[0].name`; empty for the input as a whole. */
  path: string;
  message: string;
}

/**
 * Defines a local tool. The returned tool validates its input with `input` and, if that fails,
 * throws a `TOOL_INPUT_INVALID` {@link ToolError} listing the issues by path, without running the
 * handler; the registry returns it to the model.
 * @example
 * const lookup = defineTool({
 *   name: 'lookup_order',
 *   description: 'Finds an order by its number.',
 *   input: z.object({ orderId: z.string().describe('The order number, e.g. A-1042') }),
 *   handler: async ({ orderId }, { signal }) => orders.find(orderId, { signal }),
 * });
 */
export function defineTool<Schema extends z.ZodType>(spec: ToolSpec<Schema>): Tool {
  const inputSchema = toModelSchema(spec.name, spec.input);
  const effect = spec.effect ?? false;
  return {
    name: spec.name,
    description: spec.description,
    inputSchema,
    effect,
    idempotent: spec.idempotent ?? !effect,
    ...(spec.timeoutMs === undefined ? {} : { timeoutMs: spec.timeoutMs }),
    ...(spec.retry === undefined ? {} : { retry: spec.retry }),
    ...(spec.breaker === undefined ? {} : { breaker: spec.breaker }),
    async call(input, context) {
      const parsed = await spec.input.safeParseAsync(input);
      if (!parsed.success) {
        const issues = parsed.error.issues.map(toInputIssue);
        throw new ToolError(
          'TOOL_INPUT_INVALID',
          `invalid input for ${spec.name}: ${issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ')}`,
          {
            tool: spec.name,
            details: { issues },
            hint: 'Fix the arguments to match the schema and call again',
          },
        );
      }
      return spec.handler(parsed.data, context);
    },
  };
}

/**
 * The JSON Schema models are shown for a zod schema: draft-07 (what providers accept), describing
 * what the model must send (`io: 'input'`, so defaults are optional), without the `$schema` key.
 * Tool inputs and `llm` steps' structured outputs use it alike.
 */
export function modelJsonSchema(schema: z.ZodType): JsonSchema {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, {
    target: 'draft-07',
    io: 'input',
  }) as JsonSchema;
  return rest;
}

function toModelSchema(name: string, schema: z.ZodType): JsonSchema {
  let rest: JsonSchema;
  try {
    rest = modelJsonSchema(schema);
  } catch (err) {
    throw new BatonError('INVALID_ARGUMENT', `the input schema of tool ${name} has no JSON Schema form`, {
      cause: err,
      hint: 'Use JSON types only (no dates, maps, functions or transforms that change the type)',
    });
  }
  if (rest.type !== 'object') {
    throw new BatonError('INVALID_ARGUMENT', `the input schema of tool ${name} is not an object schema`, {
      hint: 'Models call tools with named arguments: wrap the input in z.object({ ... })',
    });
  }
  return rest;
}

function toInputIssue(issue: z.core.$ZodIssue): ToolInputIssue {
  let path = '';
  for (const key of issue.path) {
    if (typeof key === 'number') path += `[${key}]`;
    else path += path ? `.${String(key)}` : String(key);
  }
  return { path, message: issue.message };
}
