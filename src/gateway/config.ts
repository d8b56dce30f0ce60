/**
 * The gateway's configuration: providers, routes, limits, prices and policies, validated with zod.
 * Secrets are referenced (`env:OPENAI_API_KEY`), never required inline, so a config file can be
 * committed. {@link parseGatewayConfig} gives typed errors with the offending path.
 * @module
 */
import { z } from 'zod';
import { BatonError } from '../core/errors.js';

const positive = z.number().positive();
const count = z.number().int().nonnegative();

const providerSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.enum(['openai', 'openai-compatible', 'azure-openai']),
    baseUrl: z.string().url().optional(),
    apiKey: z.string().optional(),
    headers: z.record(z.string(), z.string()).optional(),
    apiVersion: z.string().optional(),
    connections: z.number().int().positive().optional(),
  }),
  z.strictObject({
    kind: z.enum(['anthropic', 'gemini']),
    baseUrl: z.string().url().optional(),
    apiKey: z.string().optional(),
    headers: z.record(z.string(), z.string()).optional(),
  }),
  z.strictObject({ kind: z.literal('offline'), rulesFile: z.string().optional() }),
]);

const targetSchema = z.strictObject({
  /** `provider/model`, the provider being a key of `providers`. */
  model: z.string().regex(/^[^/]+\/.+$/, 'a target is "provider/model"'),
  weight: positive.optional(),
  timeoutMs: z.number().int().positive().optional(),
});

const piiModeSchema = z.enum(['mask', 'block', 'off']);

const routeSchema = z.strictObject({
  strategy: z.enum(['fallback', 'weighted', 'latency', 'cheapest']).default('fallback'),
  targets: z.array(targetSchema).min(1),
  /** Conditional routing: the first rule whose metadata all match sends the request to another route. */
  when: z.array(z.strictObject({ metadata: z.record(z.string(), z.string()), route: z.string() })).optional(),
  cache: z
    .strictObject({ ttlSeconds: z.number().int().positive(), allowSampling: z.boolean().default(false) })
    .optional(),
  pii: piiModeSchema.optional(),
  retries: z
    .strictObject({ attempts: count.max(10), baseMs: count, maxMs: count, maxRetryAfterMs: count })
    .partial()
    .optional(),
  description: z.string().optional(),
});

const rateLimitsSchema = z.strictObject({
  requestsPerMinute: z.number().int().positive().optional(),
  tokensPerMinute: z.number().int().positive().optional(),
});
const budgetSchema = z.strictObject({ period: z.enum(['day', 'week', 'month', 'total']), usd: positive });

const priceSchema = z.strictObject({
  input: z.number().nonnegative(),
  output: z.number().nonnegative(),
  cachedInput: z.number().nonnegative().optional(),
  reasoning: z.number().nonnegative().optional(),
  contextWindow: z.number().int().positive().optional(),
});

/** The gateway section of Baton's config. */
export const gatewayConfigSchema = z.strictObject({
  providers: z.record(z.string().regex(/^[a-z0-9][a-z0-9_.-]*$/i), providerSchema).default({}),
  routes: z.record(z.string(), routeSchema).default({}),
  /** Prices in USD per million tokens, keyed by `provider/model` or by the model name alone. */
  prices: z.record(z.string(), priceSchema).default({}),
  limits: z
    .strictObject({
      tenants: z
        .record(z.string(), rateLimitsSchema.extend({ budgets: z.array(budgetSchema).optional() }))
        .default({}),
      models: z.record(z.string(), rateLimitsSchema).default({}),
    })
    .default({ tenants: {}, models: {} }),
  pii: z
    .strictObject({
      mode: piiModeSchema.default('mask'),
      custom: z
        .array(z.strictObject({ name: z.string(), pattern: z.string(), flags: z.string().optional() }))
        .default([]),
    })
    .default({ mode: 'mask', custom: [] }),
  breaker: z
    .strictObject({
      consecutiveFailures: z.number().int().positive().default(5),
      halfOpenAfterMs: z.number().int().positive().default(30_000),
    })
    .default({ consecutiveFailures: 5, halfOpenAfterMs: 30_000 }),
  retries: z
    .strictObject({
      attempts: count.max(10).default(2),
      baseMs: count.default(250),
      maxMs: count.default(8_000),
      maxRetryAfterMs: count.default(30_000),
    })
    .default({ attempts: 2, baseMs: 250, maxMs: 8_000, maxRetryAfterMs: 30_000 }),
  /** Per-call timeout; for streams, the time allowed until the first content and between chunks. */
  timeoutMs: z.number().int().positive().default(60_000),
  /** Output tokens assumed when a request sets no `max_tokens`, to reserve budget. */
  defaultOutputTokens: z.number().int().positive().default(4_096),
  maxRequestBytes: z
    .number()
    .int()
    .positive()
    .default(4 * 1024 * 1024),
  /** Budget spend recorded by other processes is re-read this often. */
  spendRefreshMs: z.number().int().positive().default(5_000),
  requestLog: z
    .strictObject({
      bodies: z.boolean().default(true),
      maxBodyChars: z.number().int().nonnegative().default(4_000),
      /** Entries older than this many days are pruned (at open, then hourly). Spend is never pruned. */
      retentionDays: z.number().int().positive().default(30),
    })
    .default({ bodies: true, maxBodyChars: 4_000, retentionDays: 30 }),
});

/** A validated gateway config. */
export type GatewayConfig = z.output<typeof gatewayConfigSchema>;
/** A gateway config as written. */
export type GatewayConfigInput = z.input<typeof gatewayConfigSchema>;
/** One route. */
export type RouteConfig = z.output<typeof routeSchema>;
/** One target of a route. */
export type TargetConfig = z.output<typeof targetSchema>;
/** One provider. */
export type ProviderConfig = z.output<typeof providerSchema>;
/** Prices of one model, USD per million tokens. */
export type ModelPrice = z.output<typeof priceSchema>;
/** One budget limit. */
export type BudgetLimitConfig = z.output<typeof budgetSchema>;
/** Requests and tokens per minute. */
export type RateLimitsConfig = z.output<typeof rateLimitsSchema>;

/** Validates a gateway config; throws `CONFIG_INVALID` naming every offending path. */
export function parseGatewayConfig(input: unknown, source = 'gateway config'): GatewayConfig {
  const parsed = gatewayConfigSchema.safeParse(input ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => ({
      path: issue.path.join('.'),
      message: issue.message,
    }));
    throw new BatonError(
      'CONFIG_INVALID',
      `${source} is invalid: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`,
      {
        hint: 'Fix the listed fields; see docs/gateway.md for the format',
        details: { issues },
      },
    );
  }
  const config = parsed.data;
  for (const [name, route] of Object.entries(config.routes)) {
    for (const target of route.targets) {
      const provider = target.model.slice(0, target.model.indexOf('/'));
      if (!(provider in config.providers) && provider !== 'offline') {
        throw new BatonError(
          'CONFIG_INVALID',
          `${source}: route ${name} targets ${target.model}, but no provider ${provider} is configured`,
          {
            hint: `Add providers.${provider}, or fix the target name`,
            details: { route: name, target: target.model },
          },
        );
      }
    }
    for (const rule of route.when ?? []) {
      if (!(rule.route in config.routes)) {
        throw new BatonError(
          'CONFIG_INVALID',
          `${source}: route ${name} sends matching requests to route ${rule.route}, which does not exist`,
          { details: { route: name } },
        );
      }
    }
  }
  return config;
}

/** Resolves `env:NAME` references against the environment; other values pass through. */
export function resolveSecret(
  value: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  if (value === undefined || !value.startsWith('env:')) return value;
  return env[value.slice(4)] || undefined;
}
