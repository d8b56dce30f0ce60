import { z } from 'zod';
import type { ApprovalConfig, ApprovalPlan } from '../../core/definition.js';
import { durationField, expressionField, strictFields } from '../fields.js';
import { addSpecIssue } from '../issues.js';
import { defineSpecKind } from '../kind.js';

/** SLA: with no decision `after` this long, the approval moves to `role` and/or `assignee`, once. */
const escalateField = () =>
  strictFields(
    {
      after: durationField(),
      role: z.string().min(1).optional(),
      assignee: z.string().min(1).optional(),
    },
    'an approval escalation',
  ).superRefine(
    (value, ctx) => {
      if (value.role === undefined && value.assignee === undefined) {
        addSpecIssue(
          ctx,
          'INVALID_FIELD',
          'an approval escalation needs a "role" or an "assignee" to move to',
        );
      }
    },
    { when: () => true },
  );

const approvalFields = z.object({
  /** Shown to the person deciding; plain text. */
  prompt: z.string().min(1),
  /** JSONata expression giving what the decider judges (and may edit). */
  data: expressionField().optional(),
  assignee: z.string().min(1).optional(),
  role: z.string().min(1).optional(),
  /** Time to wait for a decision before `defaultAction` applies (replaces the common attempt timeout). */
  timeout: durationField().optional(),
  /** @defaultValue 'reject' */
  defaultAction: z.enum(['approve', 'reject']).optional(),
  /** @defaultValue 'fail' */
  onReject: z.enum(['fail', 'continue']).optional(),
  escalate: escalateField().optional(),
});

/**
 * `approval`: pauses the run for a human decision.
 * @example
 * - id: review
 *   kind: approval
 *   prompt: Approve this invoice?
 *   data: '$steps.extract'
 *   role: finance
 *   timeout: 3d
 *   escalate: { after: 1d, role: finance-lead }
 */
export const approvalKind = defineSpecKind({
  kind: 'approval',
  description: 'pauses the run for a human decision',
  fields: approvalFields,
  compile(step, env): ApprovalConfig {
    const data = step.data === undefined ? undefined : env.expression(step.data, 'data');
    const fixed: ApprovalPlan = {
      prompt: step.prompt,
      ...(step.assignee === undefined ? {} : { assignee: step.assignee }),
      ...(step.role === undefined ? {} : { role: step.role }),
      ...(step.timeout === undefined ? {} : { timeoutMs: env.duration(step.timeout) }),
      defaultAction: step.defaultAction ?? 'reject',
      onReject: step.onReject ?? 'fail',
      ...(step.escalate === undefined
        ? {}
        : {
            escalate: {
              afterMs: env.duration(step.escalate.after),
              ...(step.escalate.role === undefined ? {} : { role: step.escalate.role }),
              ...(step.escalate.assignee === undefined ? {} : { assignee: step.escalate.assignee }),
            },
          }),
    };
    return {
      request: async (ctx) => (data ? { ...fixed, data: await data.evaluate(ctx) } : { ...fixed }),
    };
  },
});
