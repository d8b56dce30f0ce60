/**
 * What the server's LLM gateway looks like to an API key of a tenant: `GET /v1/gateway/routes` (every
 * route with its targets, their circuit breakers and the tenant's recent error rate),
 * `GET /v1/gateway/keys` (the tenant's virtual keys with their budgets and this period's spend, never a
 * secret) and `GET /v1/gateway/requests` (the tenant's request log, newest first, with a cursor).
 *
 * Routes and breakers are the server's, shared by every tenant: a breaker opened by one tenant's calls
 * protects the others too, so its state is shown as it is. Counts, spend and requests are the
 * caller's tenant's only. A server without a gateway answers 404 `GATEWAY_NOT_CONFIGURED`.
 * @module
 */
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { BatonError } from '../../../core/errors.js';
import type { Gateway } from '../../../gateway/gateway.js';
import { type BudgetLimit, periodStart, type VirtualKey } from '../../../gateway/ledger/index.js';
import { parseDuration } from '../../../telemetry/run-window.js';
import type { ServerContext } from '../../context.js';
import { allow } from '../access.js';
import type { ApiEnv } from '../env.js';
import { ERROR_RESPONSES, Id, jsonContent, Limit, page, RequestLogEntryFields } from '../schemas.js';

const BreakerSchema = z
  .object({
    state: z.enum(['closed', 'open', 'half-open', 'isolated']),
    since: z.number().optional().openapi({ description: 'When it entered this state (epoch ms)' }),
    consecutiveFailures: z.number().openapi({ description: 'Retryable failures in a row' }),
    threshold: z.number().openapi({ description: 'Failures in a row that open it' }),
    lastFailure: z.object({ at: z.number(), code: z.string() }).optional(),
    retryAt: z.number().optional().openapi({ description: 'While open: when a trial call is let through' }),
  })
  .openapi('GatewayBreaker');

const TargetSchema = z
  .object({
    model: z.string().openapi({ description: '`provider/model`', example: 'openai/gpt-4o-mini' }),
    provider: z.string(),
    providerKind: z.string().optional(),
    offline: z.boolean().openapi({ description: 'Answered by the offline model, not a real LLM' }),
    weight: z.number(),
    timeoutMs: z.number(),
    price: z
      .object({ input: z.number(), output: z.number() })
      .optional()
      .openapi({ description: 'USD per million tokens' }),
    breaker: BreakerSchema,
    latencyMs: z.number().optional().openapi({ description: 'Smoothed latency of recent successes' }),
  })
  .openapi('GatewayTarget');

const RouteSchema = z
  .object({
    alias: z.string(),
    strategy: z.enum(['fallback', 'weighted', 'latency', 'cheapest']),
    description: z.string().optional(),
    targets: z.array(TargetSchema),
    when: z.array(z.object({ metadata: z.record(z.string(), z.string()), route: z.string() })).optional(),
    cacheTtlSeconds: z.number().optional(),
    recent: z
      .object({ calls: z.number(), errors: z.number(), errorRate: z.number().nullable() })
      .openapi({ description: "The tenant's calls to this alias within the window" }),
  })
  .openapi('GatewayRoute');

const BudgetUseSchema = z
  .object({
    period: z.enum(['day', 'week', 'month', 'total']),
    limitUsd: z.number(),
    spentUsd: z.number(),
    periodStart: z.number(),
  })
  .openapi('GatewayBudgetUse');

const RateLimitsSchema = z.object({
  requestsPerMinute: z.number().optional(),
  tokensPerMinute: z.number().optional(),
});

const VirtualKeySchema = z
  .object({
    id: z.string(),
    prefix: z.string().openapi({ description: '`bvk_<id>`: the visible start of the secret' }),
    name: z.string(),
    status: z.enum(['active', 'revoked', 'expired']),
    allowedModels: z.array(z.string()).openapi({ description: 'Empty: every model' }),
    budgets: z.array(BudgetUseSchema),
    spend: z.object({ dayUsd: z.number(), monthUsd: z.number() }),
    rateLimits: RateLimitsSchema,
    createdAt: z.number(),
    revokedAt: z.number().optional(),
    expiresAt: z.number().optional(),
  })
  .openapi('GatewayKey');

const RequestSchema = RequestLogEntryFields.extend({
  keyId: z.string().optional(),
  runId: z.string().optional(),
  stepId: z.string().optional(),
}).openapi('GatewayRequest');

const Window = z
  .string()
  .regex(/^\d{1,6}(ms|s|m|h|d)$/, 'expected a duration such as 15m, 24h or 7d')
  .refine((w) => parseDuration(w) <= 31 * 86_400_000, 'at most 31d')
  .optional()
  .openapi({ description: 'How far back calls are counted (default 15m)', example: '15m' });

const routes = createRoute({
  operationId: 'gateway.routes',
  method: 'get',
  path: '/v1/gateway/routes',
  tags: ['Gateway'],
  summary: "The gateway's routes and targets, with circuit breakers and the tenant's recent error rate",
  middleware: [allow('gateway.routes')] as const,
  request: { query: z.strictObject({ window: Window }) },
  responses: {
    200: jsonContent(
      z.object({
        data: z.array(RouteSchema),
        since: z.number(),
        until: z.number(),
        breaker: z.object({ consecutiveFailures: z.number(), halfOpenAfterMs: z.number() }),
      }),
      'The routes, by alias',
    ),
    ...ERROR_RESPONSES,
  },
});

const keys = createRoute({
  operationId: 'gateway.keys',
  method: 'get',
  path: '/v1/gateway/keys',
  tags: ['Gateway'],
  summary: "The tenant's gateway keys with budgets, this period's spend and rate limits (never secrets)",
  middleware: [allow('gateway.keys')] as const,
  responses: {
    200: jsonContent(
      z.object({
        data: z.array(VirtualKeySchema),
        tenant: z.object({ budgets: z.array(BudgetUseSchema), rateLimits: RateLimitsSchema }),
      }),
      'The keys, oldest first, and the limits of the tenant as a whole',
    ),
    ...ERROR_RESPONSES,
  },
});

const requests = createRoute({
  operationId: 'gateway.requests',
  method: 'get',
  path: '/v1/gateway/requests',
  tags: ['Gateway'],
  summary: "The tenant's gateway request log, newest first",
  middleware: [allow('gateway.requests')] as const,
  request: {
    query: z.strictObject({
      limit: Limit,
      cursor: Id.optional().openapi({ description: 'The `next_cursor` of the previous page' }),
      model: Id.optional().openapi({ description: 'A model alias, or the `provider/model` that answered' }),
      status: z.enum(['ok', 'error', 'cancelled']).optional(),
      run: Id.optional().openapi({ description: 'Only calls made for this run' }),
    }),
  },
  responses: { 200: jsonContent(page(RequestSchema), 'A page of calls'), ...ERROR_RESPONSES },
});

function gatewayOf(ctx: ServerContext): Gateway {
  if (ctx.gateway) return ctx.gateway;
  throw new BatonError('GATEWAY_NOT_CONFIGURED', 'this server runs no LLM gateway', {
    hint: '`baton server` and `baton dev` mount one; an embedded API needs `gateway` in its ServerContext',
  });
}

/**
 * Writes the spend and log entries this process still buffers, so that a call made a moment ago shows.
 * A failed write stays buffered for the writer's next attempt; the page then shows what is stored.
 */
async function flushed(gateway: Gateway): Promise<Gateway> {
  await gateway.flush().catch(() => undefined);
  return gateway;
}

function keyStatus(key: VirtualKey, now: number): 'active' | 'revoked' | 'expired' {
  if (key.revokedAt !== undefined) return 'revoked';
  return key.expiresAt !== undefined && key.expiresAt <= now ? 'expired' : 'active';
}

/** Adds the gateway routes. */
export function gatewayRoutes(app: OpenAPIHono<ApiEnv>, ctx: ServerContext): void {
  app.openapi(routes, async (c) => {
    const gateway = await flushed(gatewayOf(ctx));
    const tenant = c.get('caller').tenant;
    const until = ctx.now();
    const since = until - parseDuration(c.req.valid('query').window ?? '15m');
    // The window's end is exclusive: a call logged in this very millisecond counts.
    const outcomes = new Map(
      (await gateway.ledger.routeOutcomes({ since, until: until + 1, tenant })).map((o) => [o.route, o]),
    );
    const live = new Map(gateway.targets().map((t) => [t.target, t]));
    const { config } = gateway;
    const data = Object.entries(config.routes).map(([alias, route]) => {
      const recent = outcomes.get(alias);
      const calls = recent?.calls ?? 0;
      const errors = recent?.errors ?? 0;
      return {
        alias,
        strategy: route.strategy,
        ...(route.description === undefined ? {} : { description: route.description }),
        ...(route.when === undefined ? {} : { when: route.when }),
        ...(route.cache === undefined ? {} : { cacheTtlSeconds: route.cache.ttlSeconds }),
        recent: { calls, errors, errorRate: calls === 0 ? null : errors / calls },
        targets: route.targets.map((t) => {
          const provider = t.model.slice(0, t.model.indexOf('/'));
          const kind = config.providers[provider]?.kind ?? (provider === 'offline' ? 'offline' : undefined);
          const status = live.get(t.model);
          const price = gateway.prices.priceOf(t.model);
          return {
            model: t.model,
            provider,
            ...(kind === undefined ? {} : { providerKind: kind }),
            offline: kind === 'offline',
            weight: t.weight ?? 1,
            timeoutMs: t.timeoutMs ?? config.timeoutMs,
            ...(price ? { price: { input: price.input, output: price.output } } : {}),
            // A target never called yet has no breaker: it is closed.
            breaker: {
              state: status?.breaker ?? 'closed',
              consecutiveFailures: status?.consecutiveFailures ?? 0,
              threshold: config.breaker.consecutiveFailures,
              ...(status?.breakerSince === undefined ? {} : { since: status.breakerSince }),
              ...(status?.lastFailure === undefined ? {} : { lastFailure: status.lastFailure }),
              ...(status?.retryAt === undefined ? {} : { retryAt: status.retryAt }),
            },
            ...(status?.latencyMs === undefined ? {} : { latencyMs: status.latencyMs }),
          };
        }),
      };
    });
    return c.json({ data, since, until, breaker: config.breaker }, 200);
  });

  app.openapi(keys, async (c) => {
    const gateway = await flushed(gatewayOf(ctx));
    const tenant = c.get('caller').tenant;
    const now = ctx.now();
    const ledger = gateway.ledger;
    const use = async (scope: 'key' | 'tenant', id: string, limits: readonly BudgetLimit[]) =>
      Promise.all(
        limits.map(async ({ period, usd }) => {
          const start = periodStart(period, now);
          return {
            period,
            limitUsd: usd,
            spentUsd: await ledger.spentSince(scope, id, start),
            periodStart: start,
          };
        }),
      );
    const data = await Promise.all(
      (await ledger.listKeys({ tenant })).map(async (key) => ({
        id: key.id,
        prefix: key.prefix,
        name: key.name,
        status: keyStatus(key, now),
        allowedModels: key.allowedModels,
        budgets: await use('key', key.id, key.budgets),
        spend: {
          dayUsd: await ledger.spentSince('key', key.id, periodStart('day', now)),
          monthUsd: await ledger.spentSince('key', key.id, periodStart('month', now)),
        },
        rateLimits: key.rateLimits,
        createdAt: key.createdAt,
        ...(key.revokedAt === undefined ? {} : { revokedAt: key.revokedAt }),
        ...(key.expiresAt === undefined ? {} : { expiresAt: key.expiresAt }),
      })),
    );
    const { budgets = [], ...rateLimits } = gateway.config.limits.tenants[tenant] ?? {};
    return c.json({ data, tenant: { budgets: await use('tenant', tenant, budgets), rateLimits } }, 200);
  });

  app.openapi(requests, async (c) => {
    const gateway = await flushed(gatewayOf(ctx));
    const q = c.req.valid('query');
    const found = await gateway.ledger.listRequests({
      tenant: c.get('caller').tenant,
      limit: q.limit || 50,
      ...(q.cursor === undefined ? {} : { before: q.cursor }),
      ...(q.model === undefined ? {} : { model: q.model }),
      ...(q.status === undefined ? {} : { status: q.status }),
      ...(q.run === undefined ? {} : { runId: q.run }),
    });
    // Bodies stay out of the list (they can be large); the tenant is the caller's own.
    const data = found.entries.map(({ tenant: _t, request: _q, response: _r, ...entry }) => entry);
    return c.json({ data, next_cursor: found.nextCursor ?? null }, 200);
  });
}
