/**
 * Approval routes: the inbox, one approval with its context, decide (approve, reject, or edit the
 * data and approve) and reassign. Every decision and reassignment is audited with the deciding key.
 * @module
 */
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { BatonError } from '../../../core/errors.js';
import type { PendingApproval } from '../../../store/port.js';
import type { ServerContext } from '../../context.js';
import { allow } from '../access.js';
import type { ApiEnv } from '../env.js';
import {
  ERROR_RESPONSES,
  Id,
  JsonValue,
  jsonBody,
  jsonContent,
  Limit,
  queryInt,
  RunSchema,
} from '../schemas.js';
import { audit, runOfTenant } from '../scope.js';
import { decider } from './runs.js';

const Pending = z
  .object({
    runId: z.string(),
    stepId: z.string(),
    workflow: z.string(),
    versionId: z.string(),
    tenant: z.string(),
    request: z.unknown(),
    since: z.number(),
    ageMs: z.number(),
  })
  .openapi('PendingApproval');

const Params = z.object({
  runId: Id.openapi({ param: { name: 'runId', in: 'path' } }),
  stepId: Id.openapi({ param: { name: 'stepId', in: 'path' } }),
});

const Name = z.string().min(1).max(200);

const list = createRoute({
  operationId: 'approvals.list',
  method: 'get',
  path: '/v1/approvals',
  tags: ['Approvals'],
  summary: 'The inbox: approvals waiting for a decision, oldest first',
  middleware: [allow('approvals.list')] as const,
  request: {
    query: z.strictObject({
      assignee: Name.optional(),
      role: Name.optional(),
      workflow: Id.optional(),
      minAgeMs: queryInt(10 * 365 * 86_400_000)
        .optional()
        .openapi({ description: 'Only approvals waiting for at least this long' }),
      cursor: z
        .string()
        .max(500)
        .optional()
        .openapi({ description: 'The `next_cursor` of the previous page' }),
      limit: Limit,
    }),
  },
  responses: {
    200: jsonContent(z.object({ data: z.array(Pending), next_cursor: z.string().nullable() }), 'The inbox'),
    ...ERROR_RESPONSES,
  },
});

const get = createRoute({
  operationId: 'approvals.get',
  method: 'get',
  path: '/v1/approvals/{runId}/{stepId}',
  tags: ['Approvals'],
  summary: 'One waiting approval with its context: the run, its completed steps, the data, the options',
  middleware: [allow('approvals.get')] as const,
  request: { params: Params },
  responses: {
    200: jsonContent(
      z.object({
        runId: z.string(),
        stepId: z.string(),
        request: z.unknown(),
        since: z.number().optional(),
        run: RunSchema,
        completed: z.record(z.string(), z.unknown()),
        options: z.array(z.enum(['approve', 'reject', 'edit'])),
      }),
      'The approval',
    ),
    ...ERROR_RESPONSES,
  },
});

const decide = createRoute({
  operationId: 'approvals.decide',
  method: 'post',
  path: '/v1/approvals/{runId}/{stepId}/decide',
  tags: ['Approvals'],
  summary: 'Approve or reject; `data` with `approve` replaces the proposed data (edit and approve)',
  middleware: [allow('approvals.decide')] as const,
  request: {
    params: Params,
    body: jsonBody(
      z
        .strictObject({
          decision: z.enum(['approve', 'reject']),
          comment: z.string().max(10_000).optional(),
          data: JsonValue.optional(),
        })
        .openapi('Decision'),
    ),
  },
  responses: {
    200: jsonContent(
      z.object({
        runId: z.string(),
        stepId: z.string(),
        decision: z.string(),
        by: z.string(),
        at: z.number(),
      }),
      'The decision, recorded',
    ),
    ...ERROR_RESPONSES,
    409: jsonContent(z.unknown(), 'RUN_NOT_WAITING: the step is not waiting for a decision'),
  },
});

const reassign = createRoute({
  operationId: 'approvals.reassign',
  method: 'post',
  path: '/v1/approvals/{runId}/{stepId}/reassign',
  tags: ['Approvals'],
  summary: 'Change who decides: an assignee and/or a role',
  middleware: [allow('approvals.reassign')] as const,
  request: {
    params: Params,
    body: jsonBody(
      z
        .strictObject({
          assignee: Name.optional(),
          role: Name.optional(),
          comment: z.string().max(10_000).optional(),
        })
        .refine((b) => b.assignee !== undefined || b.role !== undefined, 'give an assignee, a role, or both'),
    ),
  },
  responses: {
    200: jsonContent(z.object({ runId: z.string(), stepId: z.string() }), 'Reassigned'),
    ...ERROR_RESPONSES,
    409: jsonContent(z.unknown(), 'RUN_NOT_WAITING'),
  },
});

/** Adds the approval routes. */
export function approvalRoutes(app: OpenAPIHono<ApiEnv>, ctx: ServerContext): void {
  app.openapi(list, async (c) => {
    const q = c.req.valid('query');
    const limit = q.limit || 50;
    const now = ctx.now();
    const pending = await ctx.baton.store.listApprovals({
      tenant: c.get('caller').tenant,
      limit,
      ...(q.assignee === undefined ? {} : { assignee: q.assignee }),
      ...(q.role === undefined ? {} : { role: q.role }),
      ...(q.workflow === undefined ? {} : { workflow: q.workflow }),
      ...(q.minAgeMs === undefined ? {} : { waitingBefore: now - q.minAgeMs }),
      ...(q.cursor === undefined ? {} : { cursor: q.cursor }),
    });
    const data = pending.map((a) => ({ ...a, ageMs: Math.max(0, now - a.since) }));
    const last = pending[pending.length - 1];
    return c.json({ data, next_cursor: last && pending.length >= limit ? approvalId(last) : null }, 200);
  });

  app.openapi(get, async (c) => {
    const { runId, stepId } = c.req.valid('param');
    const run = await runOfTenant(ctx, c.get('caller'), runId);
    const steps = await ctx.baton.store.getSteps(run.id);
    const step = steps.find((s) => s.stepId === stepId);
    const request = step?.status === 'waiting' ? step.wait?.approval : undefined;
    if (!request) throw approvalNotFound(runId, stepId);
    const completed = Object.fromEntries(
      steps.filter((s) => s.status === 'succeeded').map((s) => [s.stepId, s.output]),
    );
    return c.json(
      {
        runId,
        stepId,
        request,
        ...(step?.startedAt === undefined ? {} : { since: step.startedAt }),
        run,
        completed,
        options: ['approve', 'reject', 'edit'] as ('approve' | 'reject' | 'edit')[],
      },
      200,
    );
  });

  app.openapi(decide, async (c) => {
    const caller = c.get('caller');
    const { runId, stepId } = c.req.valid('param');
    const body = c.req.valid('json');
    if (body.decision === 'reject' && body.data !== undefined) {
      throw new BatonError('INVALID_ARGUMENT', 'a rejection carries no data; `data` edits an approval', {
        details: { issues: [{ path: 'data', message: 'only with decision "approve"' }] },
      });
    }
    await runOfTenant(ctx, caller, runId);
    const by = decider(caller);
    await ctx.baton.decide(runId, stepId, {
      approved: body.decision === 'approve',
      by,
      ...(body.comment === undefined ? {} : { comment: body.comment }),
      ...(body.data === undefined ? {} : { data: body.data }),
    });
    await audit(ctx, caller, 'approval.decide', `${runId}/${stepId}`, {
      decision: body.decision,
      edited: body.data !== undefined,
      ...(body.comment === undefined ? {} : { comment: body.comment }),
    });
    return c.json({ runId, stepId, decision: body.decision, by, at: ctx.now() }, 200);
  });

  app.openapi(reassign, async (c) => {
    const caller = c.get('caller');
    const { runId, stepId } = c.req.valid('param');
    const body = c.req.valid('json');
    await runOfTenant(ctx, caller, runId);
    await ctx.baton.store.reassignApproval(runId, stepId, { ...body, by: caller.keyId });
    await audit(ctx, caller, 'approval.reassign', `${runId}/${stepId}`, { ...body });
    return c.json({ runId, stepId }, 200);
  });
}

function approvalId(a: PendingApproval): string {
  return `${a.runId}/${a.stepId}`;
}

function approvalNotFound(runId: string, stepId: string): BatonError {
  return new BatonError(
    'APPROVAL_NOT_FOUND',
    `step "${stepId}" of run ${runId} is not waiting for a decision`,
    {
      hint: 'See the waiting approvals with GET /v1/approvals',
      details: { runId, stepId },
    },
  );
}
