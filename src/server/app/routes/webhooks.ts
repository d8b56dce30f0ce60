/**
 * Webhook routes: the tenant's subscriptions (the signing secret only in the create response), their
 * delivery log, one delivery with its attempts, and manual redelivery.
 * @module
 */
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { BatonError } from '../../../core/errors.js';
import type { ServerContext } from '../../context.js';
import type { Delivery, WebhookEvent, WebhookSubscription } from '../../control/port.js';
import { allow } from '../access.js';
import type { ApiEnv } from '../env.js';
import { ERROR_RESPONSES, Id, jsonBody, jsonContent, Limit } from '../schemas.js';
import { audit } from '../scope.js';

const EVENTS = [
  'run.succeeded',
  'run.failed',
  'run.waiting',
  'approval.requested',
  'approval.decided',
] as const satisfies readonly WebhookEvent[];

/** Deliveries scanned to find one by id (the control store has no lookup by id yet). */
const DELIVERY_SCAN = 10_000;

const WebhookSchema = z
  .object({
    id: z.string(),
    tenant: z.string(),
    url: z.string(),
    events: z.array(z.enum(EVENTS)),
    description: z.string().optional(),
    createdAt: z.number(),
  })
  .openapi('Webhook');

const AttemptSchema = z.object({
  at: z.number(),
  status: z.number().optional(),
  error: z.string().optional(),
  durationMs: z.number(),
});

const DeliverySchema = z
  .object({
    id: z.string(),
    subscriptionId: z.string(),
    tenant: z.string(),
    event: z.enum(EVENTS),
    eventKey: z.string(),
    payload: z.unknown(),
    status: z.enum(['pending', 'succeeded', 'failed']),
    attempts: z.number(),
    nextAttemptAt: z.number().optional(),
    createdAt: z.number(),
    lastAttempt: AttemptSchema.optional(),
  })
  .openapi('Delivery');

const HttpUrl = z
  .string()
  .max(2000)
  .refine((s) => {
    try {
      return ['http:', 'https:'].includes(new URL(s).protocol);
    } catch {
      return false;
    }
  }, 'expected an http(s) URL');

const Params = z.object({ id: Id.openapi({ param: { name: 'id', in: 'path' } }) });

const list = createRoute({
  operationId: 'webhooks.list',
  method: 'get',
  path: '/v1/webhooks',
  tags: ['Webhooks'],
  summary: "The tenant's webhook subscriptions (without their secrets)",
  middleware: [allow('webhooks.list')] as const,
  responses: {
    200: jsonContent(z.object({ data: z.array(WebhookSchema) }), 'The webhooks'),
    ...ERROR_RESPONSES,
  },
});

const get = createRoute({
  operationId: 'webhooks.get',
  method: 'get',
  path: '/v1/webhooks/{id}',
  tags: ['Webhooks'],
  summary: 'One subscription (without its secret)',
  middleware: [allow('webhooks.get')] as const,
  request: { params: Params },
  responses: { 200: jsonContent(WebhookSchema, 'The webhook'), ...ERROR_RESPONSES },
});

const create = createRoute({
  operationId: 'webhooks.create',
  method: 'post',
  path: '/v1/webhooks',
  tags: ['Webhooks'],
  summary: 'Subscribe a URL to events; the response holds the signing secret, shown only here',
  middleware: [allow('webhooks.create')] as const,
  request: {
    body: jsonBody(
      z
        .strictObject({
          url: HttpUrl,
          events: z.array(z.enum(EVENTS)).min(1).max(EVENTS.length),
          description: z.string().max(500).optional(),
        })
        .openapi('NewWebhook'),
    ),
  },
  responses: {
    201: jsonContent(WebhookSchema.extend({ secret: z.string() }), 'The webhook, with its secret'),
    ...ERROR_RESPONSES,
  },
});

const remove = createRoute({
  operationId: 'webhooks.delete',
  method: 'delete',
  path: '/v1/webhooks/{id}',
  tags: ['Webhooks'],
  summary: 'Delete a subscription (its delivery log stays)',
  middleware: [allow('webhooks.delete')] as const,
  request: { params: Params },
  responses: { 204: { description: 'Deleted' }, ...ERROR_RESPONSES },
});

const deliveries = createRoute({
  operationId: 'webhooks.deliveries',
  method: 'get',
  path: '/v1/webhooks/{id}/deliveries',
  tags: ['Webhooks'],
  summary: 'The delivery log of a subscription, newest first',
  middleware: [allow('webhooks.deliveries')] as const,
  request: {
    params: Params,
    query: z.strictObject({ status: z.enum(['pending', 'succeeded', 'failed']).optional(), limit: Limit }),
  },
  responses: {
    200: jsonContent(z.object({ data: z.array(DeliverySchema) }), 'The deliveries'),
    ...ERROR_RESPONSES,
  },
});

const getDelivery = createRoute({
  operationId: 'deliveries.get',
  method: 'get',
  path: '/v1/deliveries/{id}',
  tags: ['Webhooks'],
  summary: 'One delivery with all its attempts',
  middleware: [allow('deliveries.get')] as const,
  request: { params: Params },
  responses: {
    200: jsonContent(DeliverySchema.extend({ attemptLog: z.array(AttemptSchema) }), 'The delivery'),
    ...ERROR_RESPONSES,
  },
});

const redeliver = createRoute({
  operationId: 'deliveries.redeliver',
  method: 'post',
  path: '/v1/deliveries/{id}/redeliver',
  tags: ['Webhooks'],
  summary: 'Make a delivery pending again, due now',
  middleware: [allow('deliveries.redeliver')] as const,
  request: { params: Params },
  responses: { 202: jsonContent(DeliverySchema, 'The delivery, pending'), ...ERROR_RESPONSES },
});

/** Adds the webhook and delivery routes. */
export function webhookRoutes(app: OpenAPIHono<ApiEnv>, ctx: ServerContext): void {
  app.openapi(list, async (c) => {
    const data = (await ctx.control.listWebhooks(c.get('caller').tenant)).map(withoutSecret);
    return c.json({ data }, 200);
  });

  app.openapi(get, async (c) => {
    const { id } = c.req.valid('param');
    return c.json(withoutSecret(await webhookOf(ctx, c.get('caller').tenant, id)), 200);
  });

  app.openapi(create, async (c) => {
    const caller = c.get('caller');
    const body = c.req.valid('json');
    const webhook = await ctx.control.createWebhook({
      tenant: caller.tenant,
      url: body.url,
      events: [...new Set(body.events)],
      ...(body.description === undefined ? {} : { description: body.description }),
    });
    await audit(ctx, caller, 'webhook.create', webhook.id, { url: webhook.url, events: webhook.events });
    return c.json({ ...withoutSecret(webhook), secret: webhook.secret }, 201);
  });

  app.openapi(remove, async (c) => {
    const caller = c.get('caller');
    const { id } = c.req.valid('param');
    if (!(await ctx.control.deleteWebhook(caller.tenant, id))) throw webhookNotFound(id);
    await audit(ctx, caller, 'webhook.delete', id);
    return c.body(null, 204);
  });

  app.openapi(deliveries, async (c) => {
    const tenant = c.get('caller').tenant;
    const { id } = c.req.valid('param');
    const { status, limit } = c.req.valid('query');
    await webhookOf(ctx, tenant, id);
    const data = await ctx.control.listDeliveries({
      tenant,
      subscriptionId: id,
      limit: limit || 50,
      ...(status ? { status } : {}),
    });
    return c.json({ data }, 200);
  });

  app.openapi(getDelivery, async (c) => {
    const tenant = c.get('caller').tenant;
    const { id } = c.req.valid('param');
    const delivery = await deliveryOf(ctx, tenant, id);
    const attemptLog = await ctx.control.deliveryAttempts(tenant, id);
    return c.json({ ...delivery, attemptLog }, 200);
  });

  app.openapi(redeliver, async (c) => {
    const caller = c.get('caller');
    const { id } = c.req.valid('param');
    const delivery = await ctx.control.redeliver(caller.tenant, id, ctx.now());
    if (!delivery) throw deliveryNotFound(id);
    await audit(ctx, caller, 'delivery.redeliver', id, { subscriptionId: delivery.subscriptionId });
    return c.json(delivery, 202);
  });
}

function withoutSecret(webhook: WebhookSubscription): Omit<WebhookSubscription, 'secret' | 'deletedAt'> {
  const { secret: _secret, deletedAt: _deleted, ...rest } = webhook;
  return rest;
}

async function webhookOf(ctx: ServerContext, tenant: string, id: string): Promise<WebhookSubscription> {
  const webhook = await ctx.control.getWebhook(tenant, id);
  if (!webhook || webhook.deletedAt !== undefined) throw webhookNotFound(id);
  return webhook;
}

async function deliveryOf(ctx: ServerContext, tenant: string, id: string): Promise<Delivery> {
  const all = await ctx.control.listDeliveries({ tenant, limit: DELIVERY_SCAN });
  const delivery = all.find((d) => d.id === id);
  if (!delivery) throw deliveryNotFound(id);
  return delivery;
}

function webhookNotFound(id: string): BatonError {
  return new BatonError('WEBHOOK_NOT_FOUND', `webhook ${id} does not exist`, {
    hint: 'List the webhooks of your tenant with GET /v1/webhooks',
    details: { id },
  });
}

function deliveryNotFound(id: string): BatonError {
  return new BatonError('DELIVERY_NOT_FOUND', `delivery ${id} does not exist`, {
    hint: "See a webhook's deliveries with GET /v1/webhooks/{id}/deliveries",
    details: { id },
  });
}
