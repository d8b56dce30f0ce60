/**
 * `GET /v1/session`: who the calling key is, and which operations its roles allow. The dashboard reads
 * it at sign-in to show only the actions the API would accept; the API still checks every request.
 * @module
 */
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { ServerContext } from '../../context.js';
import { allow, mayCall, OPERATION_IDS } from '../access.js';
import type { ApiEnv } from '../env.js';
import { ERROR_RESPONSES, jsonContent } from '../schemas.js';

const SessionSchema = z
  .object({
    key: z.object({ id: z.string(), prefix: z.string(), name: z.string() }),
    tenant: z.string(),
    roles: z.array(z.string()),
    operations: z.array(z.string()).openapi({ description: 'The operation ids this key may call' }),
  })
  .openapi('Session');

const get = createRoute({
  operationId: 'session.get',
  method: 'get',
  path: '/v1/session',
  tags: ['Keys'],
  summary: 'The calling key, its tenant and roles, and the operations they allow',
  middleware: [allow('session.get')] as const,
  responses: { 200: jsonContent(SessionSchema, 'The session'), ...ERROR_RESPONSES },
});

/** Adds the session route. */
export function sessionRoutes(app: OpenAPIHono<ApiEnv>, _ctx: ServerContext): void {
  app.openapi(get, (c) => {
    const caller = c.get('caller');
    return c.json(
      {
        key: { id: caller.keyId, prefix: caller.prefix, name: caller.name },
        tenant: caller.tenant,
        roles: caller.roles,
        operations: OPERATION_IDS.filter((op) => mayCall(caller, op)),
      },
      200,
    );
  });
}
