/**
 * Admission: everything the gateway decides before a request may reach a provider, the same for
 * every endpoint (no side door): who is calling (a virtual key over HTTP, a trusted tenant
 * in-process), which route the model names (and where conditional rules send it), whether the key
 * may use it, PII (mask or block), rate limits and budget reservation.
 * @module
 */
import { LRUCache } from 'lru-cache';
import type { GatewayConfig, RouteConfig } from './config.js';
import type { PriceBook } from './cost.js';
import { GatewayError } from './errors.js';
import type { GatewayLedger, VirtualKey } from './ledger/port.js';
import type { BudgetClaim } from './policies/budgets.js';
import type { LimitScope } from './policies/rate-limits.js';

/** Who a call is made for. */
export interface CallContext {
  /** A virtual key's secret, as an HTTP client sends it; authenticated against the ledger. */
  apiKey?: string;
  /** The tenant of a trusted in-process caller (a workflow step); ignored when `apiKey` is given. */
  tenant?: string;
  /** The run a workflow step calls for: its spend is charged to the run, within `budgetUsd`. */
  run?: { id: string; budgetUsd?: number };
  /** Aborts the call (a client that went away). */
  signal?: AbortSignal;
}

/** The authenticated caller. */
export interface Principal {
  tenant: string;
  key: VirtualKey | undefined;
}

/** A route resolved for one request. */
export interface ResolvedRoute {
  /** The alias the caller asked for. */
  requested: string;
  /** The route that serves it (differs when a conditional rule matched). */
  name: string;
  config: RouteConfig;
}

const KEY_CACHE_MS = 5_000;

/** Authenticates keys, with a short in-memory cache so the hot path does not query the ledger. */
export class KeyAuthenticator {
  readonly #ledger: Pick<GatewayLedger, 'findKeyBySecret'>;
  readonly #now: () => number;
  readonly #cache = new LRUCache<string, { key: VirtualKey | undefined; until: number }>({ max: 10_000 });

  constructor(ledger: Pick<GatewayLedger, 'findKeyBySecret'>, now: () => number) {
    this.#ledger = ledger;
    this.#now = now;
  }

  /** @throws GatewayError `KEY_INVALID` */
  async principal(context: CallContext): Promise<Principal> {
    if (context.apiKey === undefined) {
      if (context.tenant === undefined) {
        throw new GatewayError(
          'KEY_INVALID',
          'no API key: send a virtual key as `Authorization: Bearer bvk_...`',
          { hint: 'Create one with `baton gateway keys create --tenant <name>`' },
        );
      }
      return { tenant: context.tenant, key: undefined };
    }
    const now = this.#now();
    let cached = this.#cache.get(context.apiKey);
    if (!cached || cached.until <= now) {
      cached = { key: await this.#ledger.findKeyBySecret(context.apiKey), until: now + KEY_CACHE_MS };
      this.#cache.set(context.apiKey, cached);
    }
    const key = cached.key;
    if (!key || (key.expiresAt !== undefined && key.expiresAt <= now)) {
      throw new GatewayError('KEY_INVALID', 'the API key is unknown, revoked or expired', {
        hint: 'Check the key, or create a new one with `baton gateway keys create`',
      });
    }
    return { tenant: key.tenant, key };
  }

  /** Forgets cached keys (after a revocation in this process). */
  forget(): void {
    this.#cache.clear();
  }
}

/**
 * Resolves the model a request names: a configured alias (following its first matching
 * conditional rule), or a `provider/model` target of a configured provider.
 * @throws GatewayError `ROUTE_NOT_FOUND`
 */
export function resolveRoute(
  config: GatewayConfig,
  providers: ReadonlySet<string>,
  model: string,
  metadata: Readonly<Record<string, string>> | undefined,
): ResolvedRoute {
  const route = config.routes[model];
  if (route) {
    for (const rule of route.when ?? []) {
      if (Object.entries(rule.metadata).every(([k, v]) => metadata?.[k] === v)) {
        const next = config.routes[rule.route];
        if (next) return { requested: model, name: rule.route, config: next };
      }
    }
    return { requested: model, name: model, config: route };
  }
  const slash = model.indexOf('/');
  if (slash > 0 && providers.has(model.slice(0, slash))) {
    return { requested: model, name: model, config: { strategy: 'fallback', targets: [{ model }] } };
  }
  throw new GatewayError('ROUTE_NOT_FOUND', `model ${model} is neither a route nor a provider/model target`, {
    hint: `Use one of: ${[...Object.keys(config.routes), ...[...providers].map((p) => `${p}/<model>`)].join(', ')}`,
    details: { model },
  });
}

/** @throws GatewayError `MODEL_NOT_ALLOWED` when the key is restricted to other models */
export function checkAllowed(principal: Principal, model: string): void {
  const allowed = principal.key?.allowedModels;
  if (!allowed || allowed.length === 0 || allowed.includes(model)) return;
  throw new GatewayError('MODEL_NOT_ALLOWED', `key ${principal.key?.prefix} may not call ${model}`, {
    hint: `It may call: ${allowed.join(', ')}`,
    details: { key: principal.key?.id, model, allowed },
  });
}

/** The rate-limit scopes of a call. */
export function limitScopes(config: GatewayConfig, principal: Principal, model: string): LimitScope[] {
  const scopes: LimitScope[] = [];
  if (principal.key) scopes.push({ id: `key:${principal.key.id}`, limits: principal.key.rateLimits });
  const tenant = config.limits.tenants[principal.tenant];
  if (tenant) scopes.push({ id: `tenant:${principal.tenant}`, limits: tenant });
  const modelLimits = config.limits.models[model];
  if (modelLimits) scopes.push({ id: `model:${model}`, limits: modelLimits });
  return scopes;
}

/** The budgets a call is charged against. */
export function budgetClaims(
  config: GatewayConfig,
  principal: Principal,
  run: CallContext['run'],
): BudgetClaim[] {
  // Spend is recorded for the key and the tenant even without a budget: it is their cost report.
  const claims: BudgetClaim[] = [];
  if (principal.key) claims.push({ scope: 'key', id: principal.key.id, limits: principal.key.budgets });
  claims.push({
    scope: 'tenant',
    id: principal.tenant,
    limits: config.limits.tenants[principal.tenant]?.budgets ?? [],
  });
  if (run)
    claims.push({
      scope: 'run',
      id: run.id,
      limits: run.budgetUsd === undefined ? [] : [{ period: 'total', usd: run.budgetUsd }],
    });
  return claims;
}

/** The most a call can cost on any of its targets: what budgets reserve. */
export function worstCaseCost(
  prices: PriceBook,
  targets: readonly string[],
  inputTokens: number,
  outputTokens: number,
): number {
  let worst = 0;
  for (const target of targets) {
    const price = prices.priceOf(target);
    if (price) worst = Math.max(worst, (inputTokens * price.input + outputTokens * price.output) / 1_000_000);
  }
  return worst;
}
