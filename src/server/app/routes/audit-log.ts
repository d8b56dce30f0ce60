/**
 * `GET /v1/audit` (admin): the tenant's audit log, newest first, with filters and a cursor.
 * @module
 */
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { ServerContext } from '../../context.js';
import { allow } from '../access.js';
import type { ApiEnv } from '../env.js';
import { ERROR_RESPONSES, jsonContent, Limit, page } from '../schemas.js';
import { nextCursor } from '../scope.js';

const Text = z.string().min(1).max(500);

const AuditEntrySchema = z
  .object({
    id: z.string(),
    at: z.number(),
    tenant: z.string(),
    actor: z.string(),
    action: z.string(),
    target: z.string(),
    details: z.record(z.string(), z.unknown()),
  })
  .openapi('AuditEntry');

const list = createRoute({
  operationId: 'audit.list',
  method: 'get',
  path: '/v1/audit',
  tags: ['Audit'],
  summary: 'Audit entries of the tenant, newest first',
  middleware: [allow('audit.list')] as const,
  request: {
    query: z.strictObject({
      action: Text.optional().openapi({ example: 'approval.decide' }),
      actor: Text.optional().openapi({ description: 'A key id, or `system`' }),
      target: Text.optional(),
      cursor: Text.optional().openapi({ description: 'The `next_cursor` of the previous page' }),
      limit: Limit,
    }),
  },
  responses: { 200: jsonContent(page(AuditEntrySchema), 'A page of entries'), ...ERROR_RESPONSES },
});

/** Adds the audit route. */
export function auditRoutes(app: OpenAPIHono<ApiEnv>, ctx: ServerContext): void {
  app.openapi(list, async (c) => {
    const q = c.req.valid('query');
    const limit = q.limit || 50;
    const data = await ctx.control.listAudit({ tenant: c.get('caller').tenant, ...q, limit });
    return c.json({ data, next_cursor: nextCursor(data, limit) }, 200);
  });
}
