/**
 * Trigger routes: create, list, get, update (enable, disable, input) and delete the tenant's cron and
 * event triggers. A cron expression is checked with croner at creation, which also computes the first
 * `nextFireAt`.
 * @module
 */
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { BatonError } from '../../../core/errors.js';
import type { ServerContext } from '../../context.js';
import type { Trigger } from '../../control/port.js';
import { nextFireTime } from '../../services/triggers/cron-schedule.js';
import { allow } from '../access.js';
import type { ApiEnv } from '../env.js';
import { ERROR_RESPONSES, Id, JsonValue, jsonBody, jsonContent } from '../schemas.js';
import { audit } from '../scope.js';

const TriggerSchema = z
  .object({
    id: z.string(),
    tenant: z.string(),
    workflow: z.string(),
    type: z.enum(['cron', 'event']),
    schedule: z.string().optional(),
    timezone: z.string().optional(),
    eventType: z.string().optional(),
    input: z.unknown(),
    enabled: z.boolean(),
    createdAt: z.number(),
    nextFireAt: z.number().optional(),
    lastFiredAt: z.number().optional(),
  })
  .openapi('Trigger');

const common = { workflow: Id, input: JsonValue.optional(), enabled: z.boolean().optional() };
const NewTrigger = z
  .discriminatedUnion('type', [
    z.strictObject({
      type: z.literal('cron'),
      schedule: z.string().min(1).max(200).openapi({ example: '0 9 * * 1-5' }),
      timezone: z.string().min(1).max(100).optional().openapi({ example: 'Europe/Paris' }),
      ...common,
    }),
    z.strictObject({
      type: z.literal('event'),
      eventType: z.string().min(1).max(500).openapi({ example: 'invoice.received' }),
      ...common,
    }),
  ])
  .openapi('NewTrigger');

const Params = z.object({ id: Id.openapi({ param: { name: 'id', in: 'path' } }) });

const list = createRoute({
  operationId: 'triggers.list',
  method: 'get',
  path: '/v1/triggers',
  tags: ['Triggers'],
  summary: "The tenant's triggers",
  middleware: [allow('triggers.list')] as const,
  request: { query: z.strictObject({ type: z.enum(['cron', 'event']).optional() }) },
  responses: {
    200: jsonContent(z.object({ data: z.array(TriggerSchema) }), 'The triggers'),
    ...ERROR_RESPONSES,
  },
});

const get = createRoute({
  operationId: 'triggers.get',
  method: 'get',
  path: '/v1/triggers/{id}',
  tags: ['Triggers'],
  summary: 'One trigger',
  middleware: [allow('triggers.get')] as const,
  request: { params: Params },
  responses: { 200: jsonContent(TriggerSchema, 'The trigger'), ...ERROR_RESPONSES },
});

const create = createRoute({
  operationId: 'triggers.create',
  method: 'post',
  path: '/v1/triggers',
  tags: ['Triggers'],
  summary: 'Create a cron trigger (`schedule`) or an event trigger (`eventType`)',
  middleware: [allow('triggers.create')] as const,
  request: { body: jsonBody(NewTrigger) },
  responses: { 201: jsonContent(TriggerSchema, 'The trigger'), ...ERROR_RESPONSES },
});

const update = createRoute({
  operationId: 'triggers.update',
  method: 'patch',
  path: '/v1/triggers/{id}',
  tags: ['Triggers'],
  summary: 'Enable, disable, or change the input of a trigger',
  middleware: [allow('triggers.update')] as const,
  request: {
    params: Params,
    body: jsonBody(
      z
        .strictObject({ enabled: z.boolean().optional(), input: JsonValue.optional() })
        .refine((b) => b.enabled !== undefined || b.input !== undefined, 'give `enabled`, `input`, or both'),
    ),
  },
  responses: { 200: jsonContent(TriggerSchema, 'The trigger'), ...ERROR_RESPONSES },
});

const remove = createRoute({
  operationId: 'triggers.delete',
  method: 'delete',
  path: '/v1/triggers/{id}',
  tags: ['Triggers'],
  summary: 'Delete a trigger',
  middleware: [allow('triggers.delete')] as const,
  request: { params: Params },
  responses: { 204: { description: 'Deleted' }, ...ERROR_RESPONSES },
});

/** Adds the trigger routes. */
export function triggerRoutes(app: OpenAPIHono<ApiEnv>, ctx: ServerContext): void {
  app.openapi(list, async (c) => {
    const { type } = c.req.valid('query');
    const data = await ctx.control.listTriggers({
      tenant: c.get('caller').tenant,
      ...(type ? { type } : {}),
    });
    return c.json({ data }, 200);
  });

  app.openapi(get, async (c) => {
    const { id } = c.req.valid('param');
    return c.json(found(await ctx.control.getTrigger(c.get('caller').tenant, id), id), 200);
  });

  app.openapi(create, async (c) => {
    const caller = c.get('caller');
    const body = c.req.valid('json');
    await ctx.baton.versions(body.workflow);
    const base = {
      tenant: caller.tenant,
      workflow: body.workflow,
      input: body.input ?? {},
      enabled: body.enabled ?? true,
    };
    const trigger = await ctx.control.createTrigger(
      body.type === 'cron'
        ? {
            ...base,
            type: 'cron',
            schedule: body.schedule,
            timezone: body.timezone ?? 'UTC',
            ...nextFireAt(body.schedule, body.timezone ?? 'UTC', ctx.now()),
          }
        : { ...base, type: 'event', eventType: body.eventType },
    );
    await audit(ctx, caller, 'trigger.create', trigger.id, {
      type: trigger.type,
      workflow: trigger.workflow,
      ...(trigger.schedule === undefined ? {} : { schedule: trigger.schedule }),
      ...(trigger.eventType === undefined ? {} : { eventType: trigger.eventType }),
    });
    return c.json(trigger, 201);
  });

  app.openapi(update, async (c) => {
    const caller = c.get('caller');
    const { id } = c.req.valid('param');
    const body = c.req.valid('json');
    const trigger = found(await ctx.control.updateTrigger(caller.tenant, id, body), id);
    await audit(ctx, caller, 'trigger.update', id, {
      ...(body.enabled === undefined ? {} : { enabled: body.enabled }),
      inputChanged: body.input !== undefined,
    });
    return c.json(trigger, 200);
  });

  app.openapi(remove, async (c) => {
    const caller = c.get('caller');
    const { id } = c.req.valid('param');
    if (!(await ctx.control.deleteTrigger(caller.tenant, id))) throw notFound(id);
    await audit(ctx, caller, 'trigger.delete', id);
    return c.body(null, 204);
  });
}

/** The first fire time, computed as the cron service will; a bad schedule or zone is a 400 naming the field. */
function nextFireAt(schedule: string, timezone: string, now: number): { nextFireAt?: number } {
  try {
    const next = nextFireTime(schedule, timezone, now);
    return next === undefined ? {} : { nextFireAt: next };
  } catch (err) {
    if (!(err instanceof BatonError)) throw err;
    throw new BatonError('INVALID_ARGUMENT', err.message, {
      details: { issues: [{ path: 'schedule', message: err.message }] },
      cause: err,
    });
  }
}

function found(trigger: Trigger | undefined, id: string): Trigger {
  if (!trigger) throw notFound(id);
  return trigger;
}

function notFound(id: string): BatonError {
  return new BatonError('TRIGGER_NOT_FOUND', `trigger ${id} does not exist`, {
    hint: 'List the triggers of your tenant with GET /v1/triggers',
    details: { id },
  });
}
