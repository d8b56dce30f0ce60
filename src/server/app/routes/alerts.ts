/**
 * `GET /v1/alerts`: the alert rules, with the caller's tenant's alerts under each (their current
 * state and example runs) and the tenant's recent history of changes.
 * @module
 */
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { ServerContext } from '../../context.js';
import { allow } from '../access.js';
import type { ApiEnv } from '../env.js';
import { ERROR_RESPONSES, jsonContent, Limit } from '../schemas.js';

const AlertStateSchema = z
  .object({
    key: z.string(),
    ruleId: z.string(),
    subject: z.string().openapi({ description: 'The workflow, or the model alias of an error-rate alert' }),
    status: z.enum(['firing', 'resolved']),
    since: z.number(),
    value: z.number(),
    threshold: z.number(),
    exampleRuns: z.array(z.string()),
  })
  .openapi('AlertState');

const AlertRuleSchema = z
  .object({
    id: z.string(),
    kind: z.string(),
    window: z.string(),
    workflow: z.string().optional(),
    settings: z.record(z.string(), z.unknown()),
    alerts: z.array(AlertStateSchema),
  })
  .openapi('AlertRule');

const list = createRoute({
  operationId: 'alerts.list',
  method: 'get',
  path: '/v1/alerts',
  tags: ['Alerts'],
  summary: 'Alert rules with the state of their alerts, and recent changes',
  middleware: [allow('alerts.list')] as const,
  request: {
    query: z.strictObject({ limit: Limit.openapi({ description: 'History entries (default 50)' }) }),
  },
  responses: {
    200: jsonContent(
      z.object({
        data: z.array(AlertRuleSchema),
        history: z.array(AlertStateSchema.extend({ seq: z.number() })),
      }),
      'The rules, firing alerts first within each',
    ),
    ...ERROR_RESPONSES,
  },
});

/** Adds the alerts route. */
export function alertRoutes(app: OpenAPIHono<ApiEnv>, ctx: ServerContext): void {
  app.openapi(list, async (c) => {
    const alerts = ctx.alerts;
    if (!alerts) return c.json({ data: [], history: [] }, 200);
    const tenant = c.get('caller').tenant;
    const limit = c.req.valid('query').limit || 50;
    // The tenant is the caller's own: it is left out of the answer, like every tenant-scoped route.
    const strip = <T extends { tenant: string }>({ tenant: _, ...rest }: T) => rest;
    const states = (await alerts.state.listStates({ tenant })).map(strip);
    const data = alerts.rules.map(({ id, kind, window, workflow, disabled: _, ...settings }) => ({
      id,
      kind,
      window,
      ...(workflow === undefined ? {} : { workflow }),
      settings,
      alerts: states
        .filter((s) => s.ruleId === id)
        .sort((a, b) =>
          a.status === b.status ? a.key.localeCompare(b.key) : a.status === 'firing' ? -1 : 1,
        ),
    }));
    const history = (await alerts.state.listEvents({ tenant, limit })).map(strip);
    return c.json({ data, history }, 200);
  });
}
