/**
 * Zod building blocks for spec fields. Step kinds declare their fields with these so that expressions,
 * durations and schemas are checked the same way, with the right {@link SpecIssueCode}.
 * @module
 */
import { z } from 'zod';
import { parseDuration } from '../core/duration.js';
import { expressionSyntaxError } from './expression.js';
import { addSpecIssue, describeValue, isRecord, unknownFields } from './issues.js';
import type { JsonSchema } from './json-schema.js';
import { jsonSchemaProblems } from './json-schema.js';
import type { CompensateSpec, DurationSpec, RetrySpec } from './types.js';

/** Step ids: referenced from `needs`, branch targets and `$steps.<id>` in expressions. */
export const STEP_ID = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** Workflow names. */
export const WORKFLOW_NAME = /^[a-z][a-z0-9-_.]*$/i;

/** A JSONata expression, syntax-checked (`INVALID_EXPRESSION` with JSONata's message and position). */
export function expressionField(): z.ZodType<string> {
  return z.custom<string>().superRefine((value, ctx) => {
    if (typeof value !== 'string' || value.trim() === '') {
      addSpecIssue(ctx, 'INVALID_FIELD', `expected a JSONata expression, got ${describeValue(value)}`);
      return;
    }
    const problem = expressionSyntaxError(value);
    if (problem) addSpecIssue(ctx, 'INVALID_EXPRESSION', problem);
  });
}

/** A duration (`'5s'`, `'1h30m'`, `'PT5M'`, or milliseconds), checked with {@link parseDuration} (`INVALID_DURATION`). */
export function durationField(): z.ZodType<DurationSpec> {
  return z.custom<DurationSpec>().superRefine((value, ctx) => {
    if (typeof value !== 'string' && typeof value !== 'number') {
      addSpecIssue(
        ctx,
        'INVALID_DURATION',
        `expected a duration such as "30s", "5m" or "PT1H", or a number of milliseconds, got ${describeValue(value)}`,
      );
      return;
    }
    try {
      parseDuration(value);
    } catch (err) {
      addSpecIssue(ctx, 'INVALID_DURATION', err instanceof Error ? err.message : String(err));
    }
  });
}

/** A JSON Schema that `z.fromJSONSchema` accepts (`INVALID_SCHEMA`, with the path inside the schema). */
export function jsonSchemaField(): z.ZodType<JsonSchema> {
  return z.custom<JsonSchema>().superRefine((value, ctx) => {
    for (const problem of jsonSchemaProblems(value)) {
      addSpecIssue(ctx, 'INVALID_SCHEMA', problem.message, problem.path);
    }
  });
}

/** The name of a registered function. Whether it exists is checked separately (`UNKNOWN_FUNCTION`). */
export function functionNameField(): z.ZodString {
  return z.string().min(1);
}

/** A list of step ids, each well-formed and listed once. */
export function stepIdListField(): z.ZodType<string[]> {
  return z.array(stepIdField()).superRefine((ids, ctx) => {
    ids.forEach((id, i) => {
      if (ids.indexOf(id) !== i) addSpecIssue(ctx, 'INVALID_FIELD', `"${id}" is listed twice`, [i]);
    });
  });
}

/** A step id. */
export function stepIdField(): z.ZodString {
  return z.string().regex(STEP_ID, {
    error: 'a step id must start with a letter or "_" and contain only letters, digits, "_" and "-"',
  });
}

/**
 * An object whose unknown keys are errors (`INVALID_FIELD`, with a did-you-mean), reported together with
 * the problems of its known fields.
 */
export function strictFields<Shape extends z.ZodRawShape>(shape: Shape, owner: string) {
  const known = Object.keys(shape);
  return z.looseObject(shape).superRefine(
    (value, ctx) => {
      if (!isRecord(value)) return;
      for (const { key, message } of unknownFields(value, known, owner)) {
        addSpecIssue(ctx, 'INVALID_FIELD', message, [key]);
      }
    },
    // Run even when a known field failed, so every problem is reported at once.
    { when: () => true },
  );
}

const retryFields = {
  maxAttempts: z.int().min(1).max(100).optional(),
  initialDelay: durationField().optional(),
  backoff: z.number().min(1).optional(),
  maxDelay: durationField().optional(),
  jitter: z.number().min(0).max(1).optional(),
};

const compensateFields = {
  fn: functionNameField(),
  input: expressionField().optional(),
};

/**
 * The fields every step accepts; a kind may redefine only `timeout`. The casts drop the index signature
 * of `strictFields`' loose output: unknown keys never get past validation.
 */
export const commonStepFields = {
  id: stepIdField(),
  kind: z.string(),
  needs: stepIdListField().optional(),
  when: expressionField().optional(),
  description: z.string().optional(),
  retry: (strictFields(retryFields, 'retry') as z.ZodType<RetrySpec>).optional(),
  timeout: durationField().optional(),
  effect: z.boolean().optional(),
  idempotent: z.boolean().optional(),
  compensate: (strictFields(compensateFields, 'compensate') as z.ZodType<CompensateSpec>).optional(),
};

/** Common fields a kind may not redefine. */
export const RESERVED_STEP_FIELDS: readonly string[] = Object.keys(commonStepFields).filter(
  (key) => key !== 'timeout',
);
