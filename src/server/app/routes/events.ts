/**
 * `POST /v1/events`: publish an external event. It wakes the caller's tenant's runs waiting on the key
 * and fires the tenant's event triggers.
 *
 * The key is published as is, scoped to the caller's tenant (`sendEvent(key, payload, { tenant })`):
 * runs of other tenants waiting on the same key neither wake now nor consume the event later.
 * Triggers are per tenant too and match the same key.
 * @module
 */
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { ServerContext } from '../../context.js';
import { allow } from '../access.js';
import type { ApiEnv } from '../env.js';
import { ERROR_RESPONSES, JsonValue, jsonBody, jsonContent } from '../schemas.js';
import { audit } from '../scope.js';

const publish = createRoute({
  operationId: 'events.publish',
  method: 'post',
  path: '/v1/events',
  tags: ['Events'],
  summary: 'Publish an event: wakes the caller’s tenant’s runs waiting on its key, fires its triggers',
  description:
    'Only runs of the caller’s tenant waiting on the key wake (or, having begun before the event, ' +
    'consume it when they reach a wait on the key later); runs of other tenants never see it. ' +
    'The caller’s tenant’s event triggers fire when their `eventType` is a prefix of the key.',
  middleware: [allow('events.publish')] as const,
  request: {
    headers: z.object({
      'idempotency-key': z
        .string()
        .min(1)
        .max(200)
        .optional()
        .openapi({ description: 'Publishing again with the same key starts no new triggered runs' }),
    }),
    body: jsonBody(
      z
        .strictObject({ key: z.string().min(1).max(500), payload: JsonValue.optional() })
        .openapi('PublishEvent'),
    ),
  },
  responses: {
    200: jsonContent(
      z.object({ woken: z.number(), triggered: z.array(z.string()) }),
      'How many of the tenant’s waiting runs woke, and the runs triggers started',
    ),
    ...ERROR_RESPONSES,
  },
});

/** Adds the event route. */
export function eventRoutes(app: OpenAPIHono<ApiEnv>, ctx: ServerContext): void {
  app.openapi(publish, async (c) => {
    const caller = c.get('caller');
    const { key, payload } = c.req.valid('json');
    const { woken } = await ctx.baton.sendEvent(key, payload ?? null, { tenant: caller.tenant });
    const eventId = c.req.valid('header')['idempotency-key'];
    const triggered = await ctx.triggers.fire(key, payload ?? null, caller.tenant, eventId);
    await audit(ctx, caller, 'event.publish', key, { woken, triggered });
    return c.json({ woken, triggered }, 200);
  });
}
