import { z } from 'zod';
import type { ChildConfig } from '../../core/definition.js';
import { expressionField, WORKFLOW_NAME } from '../fields.js';
import { addSpecIssue } from '../issues.js';
import { defineSpecKind } from '../kind.js';

const workflowFields = z
  .object({
    /** Name of the child workflow. */
    workflow: z
      .string()
      .regex(WORKFLOW_NAME, { error: 'expected a workflow name such as "invoice-processing"' }),
    /** Pins a version id (`child@2`); the latest version when omitted. */
    version: z
      .string()
      .regex(/^.+@[1-9]\d*$/, { error: 'expected a version id such as "child@2"' })
      .optional(),
    /** JSONata expression giving the child's input; the run input when omitted. */
    input: expressionField().optional(),
    /** @defaultValue 5 */
    maxDepth: z.int().min(1).optional(),
  })
  .superRefine((step, ctx) => {
    if (step.version !== undefined && !step.version.startsWith(`${step.workflow}@`)) {
      addSpecIssue(
        ctx,
        'INVALID_FIELD',
        `version "${step.version}" is not a version of workflow "${step.workflow}"; expected "${step.workflow}@<number>"`,
        ['version'],
      );
    }
  });

/**
 * `workflow`: runs another workflow as a child run and takes its output.
 * @example
 * - id: ship
 *   kind: workflow
 *   workflow: shipping
 *   version: shipping@3
 *   input: '{ "order": $steps.order }'
 */
export const workflowKind = defineSpecKind({
  kind: 'workflow',
  description: 'runs another workflow as a child run',
  fields: workflowFields,
  compile(step, env): ChildConfig {
    const input = step.input === undefined ? undefined : env.expression(step.input, 'input');
    return {
      workflow: step.workflow,
      ...(step.version === undefined ? {} : { version: step.version }),
      input: async (ctx) => (input ? input.evaluate(ctx) : ctx.input),
      maxDepth: step.maxDepth ?? 5,
    };
  },
});
