/**
 * API key routes (admin): list, create and revoke the keys of the admin's tenant. The secret is in the
 * create response only; the store keeps its hash.
 * @module
 */
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { BatonError } from '../../../core/errors.js';
import type { ServerContext } from '../../context.js';
import { ROLES } from '../../control/port.js';
import { allow } from '../access.js';
import type { ApiEnv } from '../env.js';
import { ERROR_RESPONSES, Id, jsonBody, jsonContent } from '../schemas.js';
import { audit } from '../scope.js';

const RoleSchema = z.enum(ROLES as ['admin', 'developer', 'operator', 'approver', 'viewer']);

const KeySchema = z
  .object({
    id: z.string(),
    prefix: z.string(),
    tenant: z.string(),
    name: z.string(),
    roles: z.array(RoleSchema),
    createdAt: z.number(),
    revokedAt: z.number().optional(),
    expiresAt: z.number().optional(),
    lastUsedAt: z.number().optional(),
  })
  .openapi('ApiKey');

const list = createRoute({
  operationId: 'keys.list',
  method: 'get',
  path: '/v1/keys',
  tags: ['Keys'],
  summary: "The tenant's API keys (never their secrets)",
  middleware: [allow('keys.list')] as const,
  responses: { 200: jsonContent(z.object({ data: z.array(KeySchema) }), 'The keys'), ...ERROR_RESPONSES },
});

const create = createRoute({
  operationId: 'keys.create',
  method: 'post',
  path: '/v1/keys',
  tags: ['Keys'],
  summary: 'Create a key in the tenant; the secret is in this response only',
  middleware: [allow('keys.create')] as const,
  request: {
    body: jsonBody(
      z
        .strictObject({
          name: z.string().min(1).max(200),
          roles: z.array(RoleSchema).min(1).max(ROLES.length),
          expiresAt: z.number().int().positive().max(8.64e15).optional().openapi({ description: 'Epoch ms' }),
        })
        .openapi('NewApiKey'),
    ),
  },
  responses: {
    201: jsonContent(z.object({ key: KeySchema, secret: z.string() }), 'The key and its secret'),
    ...ERROR_RESPONSES,
  },
});

const revoke = createRoute({
  operationId: 'keys.revoke',
  method: 'delete',
  path: '/v1/keys/{id}',
  tags: ['Keys'],
  summary: 'Revoke a key for good',
  middleware: [allow('keys.revoke')] as const,
  request: { params: z.object({ id: Id.openapi({ param: { name: 'id', in: 'path' } }) }) },
  responses: { 200: jsonContent(z.object({ key: KeySchema }), 'The revoked key'), ...ERROR_RESPONSES },
});

/** Adds the key routes. */
export function keyRoutes(app: OpenAPIHono<ApiEnv>, ctx: ServerContext): void {
  app.openapi(list, async (c) => {
    return c.json({ data: await ctx.control.listKeys({ tenant: c.get('caller').tenant }) }, 200);
  });

  app.openapi(create, async (c) => {
    const caller = c.get('caller');
    const body = c.req.valid('json');
    if (body.expiresAt !== undefined && body.expiresAt <= ctx.now()) {
      throw new BatonError('INVALID_ARGUMENT', 'expiresAt is in the past', {
        details: { issues: [{ path: 'expiresAt', message: 'must be in the future (epoch ms)' }] },
      });
    }
    const { key, secret } = await ctx.control.createKey({
      tenant: caller.tenant,
      name: body.name,
      roles: [...new Set(body.roles)],
      ...(body.expiresAt === undefined ? {} : { expiresAt: body.expiresAt }),
    });
    await audit(ctx, caller, 'key.create', key.id, { name: key.name, roles: key.roles });
    return c.json({ key, secret }, 201);
  });

  app.openapi(revoke, async (c) => {
    const caller = c.get('caller');
    const { id } = c.req.valid('param');
    const key = await ctx.control.revokeKey(caller.tenant, id);
    if (!key) {
      throw new BatonError('KEY_NOT_FOUND', `key ${id} does not exist`, {
        hint: 'List the keys of your tenant with GET /v1/keys',
        details: { id },
      });
    }
    await audit(ctx, caller, 'key.revoke', id, { name: key.name });
    return c.json({ key }, 200);
  });
}
