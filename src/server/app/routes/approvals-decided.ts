/**
 * `GET /v1/approvals/decided`: the tenant's decided approvals, newest first, with who decided, when,
 * the decision and the comment. Read from the audit log (every decision through the API is audited),
 * so that a reader role sees the decisions without seeing the rest of the audit log.
 * @module
 */
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { ServerContext } from '../../context.js';
import { allow } from '../access.js';
import type { ApiEnv } from '../env.js';
import { ERROR_RESPONSES, jsonContent, Limit, page } from '../schemas.js';
import { nextCursor } from '../scope.js';

const DecidedApproval = z
  .object({
    id: z.string().openapi({ description: 'The audit entry id; pass the last one as `cursor`' }),
    runId: z.string(),
    stepId: z.string(),
    workflow: z.string().nullable().openapi({ description: 'Null when the run has been pruned' }),
    decision: z.enum(['approve', 'reject']),
    edited: z.boolean(),
    comment: z.string().nullable(),
    by: z.string().openapi({ description: 'The deciding key: `<prefix> (<name>)`, or its id if deleted' }),
    keyId: z.string(),
    at: z.number(),
  })
  .openapi('DecidedApproval');

const decided = createRoute({
  operationId: 'approvals.decided',
  method: 'get',
  path: '/v1/approvals/decided',
  tags: ['Approvals'],
  summary: 'Decided approvals, newest first: who decided, when, the decision and the comment',
  middleware: [allow('approvals.decided')] as const,
  request: {
    query: z.strictObject({
      cursor: z
        .string()
        .min(1)
        .max(500)
        .optional()
        .openapi({ description: 'The `next_cursor` of the previous page' }),
      limit: Limit,
    }),
  },
  responses: { 200: jsonContent(page(DecidedApproval), 'A page of decisions'), ...ERROR_RESPONSES },
});

/** Adds the decided-approvals route. */
export function decidedApprovalRoutes(app: OpenAPIHono<ApiEnv>, ctx: ServerContext): void {
  app.openapi(decided, async (c) => {
    const q = c.req.valid('query');
    const tenant = c.get('caller').tenant;
    const limit = q.limit || 50;
    const entries = await ctx.control.listAudit({
      tenant,
      action: 'approval.decide',
      limit,
      ...(q.cursor === undefined ? {} : { cursor: q.cursor }),
    });
    const keys = new Map((await ctx.control.listKeys({ tenant })).map((k) => [k.id, k]));
    const workflows = new Map<string, string | null>();
    const data = [];
    for (const e of entries) {
      const [runId = '', stepId = ''] = e.target.split('/');
      if (!workflows.has(runId)) {
        const run = await ctx.baton.store.getRun(runId);
        workflows.set(runId, run && run.tenant === tenant ? run.workflow : null);
      }
      const key = keys.get(e.actor);
      data.push({
        id: e.id,
        runId,
        stepId,
        workflow: workflows.get(runId) ?? null,
        decision: e.details.decision === 'reject' ? ('reject' as const) : ('approve' as const),
        edited: e.details.edited === true,
        comment: typeof e.details.comment === 'string' ? e.details.comment : null,
        by: key ? `${key.prefix} (${key.name})` : e.actor,
        keyId: e.actor,
        at: e.at,
      });
    }
    return c.json({ data, next_cursor: nextCursor(entries, limit) }, 200);
  });
}
