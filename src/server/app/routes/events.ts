/**
 * `POST /v1/events`: publish an external event. It wakes the caller's tenant's runs waiting on the key
 * and fires the tenant's event triggers.
 *
 * Event keys are global in the engine, so the API scopes them by tenant: a key `k` published by
 * tenant `t` is published to the engine as `t:k` ({@link tenantEventKey}). A workflow whose runs wait
 * for API events waits on `$run.tenant & ":" & <key>`; no tenant can wake another's runs. Triggers
 * are already per tenant and match the unscoped key.
 * @module
 */
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { ServerContext } from '../../context.js';
import { allow } from '../access.js';
import type { ApiEnv } from '../env.js';
import { ERROR_RESPONSES, JsonValue, jsonBody, jsonContent } from '../schemas.js';
import { audit } from '../scope.js';

/** The engine key an API event of `tenant` is published on. */
export function tenantEventKey(tenant: string, key: string): string {
  return `${tenant}:${key}`;
}

const publish = createRoute({
  operationId: 'events.publish',
  method: 'post',
  path: '/v1/events',
  tags: ['Events'],
  summary: 'Publish an event: wakes runs waiting on its key and fires event triggers',
  description:
    'The key is scoped to the caller’s tenant: runs wait on it as `$run.tenant & ":" & key`. ' +
    'Event triggers fire when their `eventType` is a prefix of the key.',
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
      'How many waiting runs woke, and the runs triggers started',
    ),
    ...ERROR_RESPONSES,
  },
});

/** Adds the event route. */
export function eventRoutes(app: OpenAPIHono<ApiEnv>, ctx: ServerContext): void {
  app.openapi(publish, async (c) => {
    const caller = c.get('caller');
    const { key, payload } = c.req.valid('json');
    const { woken } = await ctx.baton.sendEvent(tenantEventKey(caller.tenant, key), payload ?? null);
    const eventId = c.req.valid('header')['idempotency-key'];
    const triggered = await ctx.triggers.fire(key, payload ?? null, caller.tenant, eventId);
    await audit(ctx, caller, 'event.publish', key, { woken, triggered });
    return c.json({ woken, triggered }, 200);
  });
}
