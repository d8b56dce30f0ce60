import { z } from 'zod';
import type { ApprovalConfig, ApprovalPlan } from '../../core/definition.js';
import { durationField, expressionField } from '../fields.js';
import { defineSpecKind } from '../kind.js';

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
    };
    return {
      request: async (ctx) => (data ? { ...fixed, data: await data.evaluate(ctx) } : { ...fixed }),
    };
  },
});
