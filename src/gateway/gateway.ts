/**
 * The gateway: one governed point of access to every model. In-process callers (workflow steps)
 * and the HTTP surface call the same methods, so every policy applies to every path alike.
 *
 * A call goes: admission (key, route, allowed models, PII, cache, rate limits, budget) → the
 * route's targets in strategy order (timeout, retries, breakers, fallback) → settlement (cost from
 * usage, budget settled, tokens corrected, answer restored, cached, logged).
 * @module
 */
import { BatonError } from '../core/errors.js';
import {
  type CallContext,
  checkAllowed,
  KeyAuthenticator,
  limitScopes,
  type Principal,
  type ResolvedRoute,
  resolveRoute,
} from './admission.js';
import { chunksOf, responseOf } from './cached-stream.js';
import { type CallPlan, planCall } from './call-plan.js';
import { type GatewayConfig, parseGatewayConfig } from './config.js';
import { PriceBook } from './cost.js';
import { withDefaultRoutes } from './defaults.js';
import { ProviderError } from './errors.js';
import type { GatewayLedger, RequestLogEntry } from './ledger/port.js';
import { compileDetectors, type Detector } from './pii/index.js';
import { Budgets } from './policies/budgets.js';
import { RateLimits } from './policies/rate-limits.js';
import { ResponseCache } from './policies/response-cache.js';
import type { Provider } from './providers/provider.js';
import { type CassetteSettings, createProviders } from './providers/registry.js';
import { newRequestId } from './request-id.js';
import { RequestLogWriter, truncatedJson } from './request-log.js';
import { parseChatRequest, parseEmbeddingRequest } from './request-schema.js';
import {
  type AttemptControl,
  RouteFailure,
  type RouteOutcome,
  runOnTargets,
} from './routing/route-runner.js';
import { orderTargets } from './routing/strategies.js';
import { type HeldStream, holdUntilContent } from './routing/stream-hold.js';
import { type BreakerState, Target } from './routing/target.js';
import { pumpStream, type StreamEnd } from './stream-pump.js';
import {
  type ChatChunk,
  type ChatResponse,
  type EmbeddingResponse,
  type Usage,
  usageFromWire,
  usageToWire,
} from './types.js';

export type { CallContext } from './admission.js';

/** Options of {@link Gateway.open}. */
export interface GatewayOptions {
  /** The `gateway` section of the config (validated here). */
  config?: unknown;
  /** Where keys, spend and the request log are kept. */
  ledger: GatewayLedger;
  /** Resolves `env:` secrets. @defaultValue process.env */
  env?: NodeJS.ProcessEnv;
  /** Record or replay provider exchanges. */
  cassettes?: CassetteSettings;
  /** Providers to use instead of building them from config (by name). */
  providers?: Map<string, Provider>;
  /** @defaultValue Date.now */
  now?: () => number;
  /** For weighted routing and jitter. @defaultValue Math.random */
  random?: () => number;
}

/** Facts about a finished call, returned with its answer and written to the request log. */
export interface CallMeta {
  id: string;
  /** The model the caller asked for. */
  model: string;
  /** The route that served it. */
  route: string;
  /** The target that answered, `provider/model`. */
  target?: string;
  usage?: Usage;
  costUsd: number;
  /** False when the target has no price: the call was counted at $0. */
  priced: boolean;
  cacheHit: boolean;
  retries: number;
  fallbacks: number;
  /** The answer came from the offline provider. */
  offline: boolean;
  latencyMs: number;
  ttftMs?: number;
}

/** A streamed answer: iterate it for chunks; `meta` settles once it has ended. */
export interface GatewayStream extends AsyncIterable<ChatChunk> {
  readonly route: string;
  readonly target: string;
  readonly offline: boolean;
  readonly cacheHit: boolean;
  readonly meta: Promise<CallMeta>;
}

/** A target's health, as operators see it. */
export interface TargetStatus {
  target: string;
  breaker: BreakerState;
  latencyMs: number | undefined;
}

/** The governed gateway. */
export class Gateway {
  readonly config: GatewayConfig;
  readonly ledger: GatewayLedger;
  readonly prices: PriceBook;
  readonly #providers: Map<string, Provider>;
  readonly #providerNames: Set<string>;
  readonly #targets = new Map<string, Target>();
  readonly #keys: KeyAuthenticator;
  readonly #limits = new RateLimits();
  readonly #budgets: Budgets;
  readonly #cache = new ResponseCache();
  readonly #log: RequestLogWriter;
  readonly #detectors: readonly Detector[];
  readonly #now: () => number;
  readonly #random: () => number;

  private constructor(options: GatewayOptions, config: GatewayConfig) {
    this.config = config;
    this.ledger = options.ledger;
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.prices = new PriceBook(config.prices);
    this.#providers =
      options.providers ??
      createProviders(config.providers, {
        ...(options.env ? { env: options.env } : {}),
        ...(options.cassettes ? { cassettes: options.cassettes } : {}),
      });
    if (!this.#providers.has('offline') && options.providers === undefined)
      throw new BatonError('INTERNAL', 'the offline provider is missing');
    this.#providerNames = new Set(this.#providers.keys());
    this.#keys = new KeyAuthenticator(options.ledger, this.#now);
    this.#budgets = new Budgets(options.ledger, { now: this.#now, refreshMs: config.spendRefreshMs });
    this.#log = new RequestLogWriter(options.ledger);
    this.#detectors = compileDetectors({
      customPatterns: config.pii.custom.map((c) => ({
        name: c.name,
        pattern: new RegExp(c.pattern, c.flags ?? 'g'),
      })),
    });
  }

  /** Validates the config and builds the providers. @throws BatonError `CONFIG_INVALID` */
  static open(options: GatewayOptions): Gateway {
    return new Gateway(options, withDefaultRoutes(parseGatewayConfig(options.config ?? {}), options.env));
  }

  /** A non-streamed chat completion. @throws BatonError typed: see `errors.ts` */
  async chat(body: unknown, context: CallContext = {}): Promise<{ response: ChatResponse; meta: CallMeta }> {
    const started = this.#now();
    const request = parseChatRequest(body);
    const plan = await this.#plan(request, context, 'chat', started);
    const cached = plan.cacheKey ? this.#cache.get(plan.cacheKey) : undefined;
    if (cached) {
      const meta = this.#meta(plan, {
        target: cached.target,
        usage: usageFromWire(cached.response.usage),
        costUsd: 0,
        cacheHit: true,
        started,
      });
      await plan.admitCached(this.#limits);
      this.#record(plan, meta, { status: 'ok' }, cached.response);
      return { response: this.#decorate(plan.restore(structuredClone(cached.response)), meta), meta };
    }
    const admitted = await plan.admit(this.#budgets, this.#limits);
    try {
      const outcome = await runOnTargets(
        plan.targets,
        this.#runOptions(plan, context),
        async (target, control) => {
          try {
            return await target.provider.chat(plan.sent, {
              model: target.model,
              signal: control.signal,
              target: target.name,
            });
          } finally {
            control.clearTimer();
            control.release();
          }
        },
      );
      const usage = usageFromWire(outcome.value.usage) ?? plan.estimatedUsage();
      const costUsd = this.prices.costOf(outcome.target.name, usage);
      admitted.settle(costUsd, usage);
      const meta = this.#meta(plan, {
        target: outcome.target.name,
        usage,
        costUsd,
        cacheHit: false,
        started,
        retries: outcome.retries,
        fallbacks: outcome.fallbacks,
        offline: outcome.target.provider.offline === true,
      });
      if (plan.cacheKey && plan.cacheTtl)
        this.#cache.set(
          plan.cacheKey,
          { response: outcome.value, target: outcome.target.name, storedAt: this.#now() },
          plan.cacheTtl,
        );
      this.#record(plan, meta, { status: 'ok' }, outcome.value);
      return { response: this.#decorate(plan.restore(outcome.value), meta), meta };
    } catch (err) {
      admitted.settle(0, undefined);
      throw this.#failed(plan, err, started);
    }
  }

  /**
   * A streamed chat completion. Resolves once the first content has arrived (failures before it
   * fall back or reject here); a failure after it ends the iteration with a `STREAM_INTERRUPTED`
   * error. Stopping the iteration early cancels the upstream call and records it as cancelled.
   */
  async chatStream(body: unknown, context: CallContext = {}): Promise<GatewayStream> {
    const started = this.#now();
    const request = parseChatRequest(body);
    const plan = await this.#plan(request, context, 'chat', started, true);
    const forwardUsage = request.stream_options?.include_usage === true;
    const cached = plan.cacheKey ? this.#cache.get(plan.cacheKey) : undefined;
    if (cached) {
      const meta = this.#meta(plan, {
        target: cached.target,
        usage: usageFromWire(cached.response.usage),
        costUsd: 0,
        cacheHit: true,
        started,
      });
      await plan.admitCached(this.#limits);
      this.#record(plan, meta, { status: 'ok' }, cached.response);
      const chunks = chunksOf(plan.restore(structuredClone(cached.response))).filter(
        (c) => forwardUsage || c.choices.length > 0,
      );
      return {
        route: plan.route.name,
        target: cached.target,
        offline: false,
        cacheHit: true,
        meta: Promise.resolve(meta),
        [Symbol.asyncIterator]: async function* () {
          yield* chunks;
        },
      };
    }
    const admitted = await plan.admit(this.#budgets, this.#limits);
    let outcome: RouteOutcome<{ held: HeldStream; control: AttemptControl }>;
    try {
      outcome = await runOnTargets(plan.targets, this.#runOptions(plan, context), async (target, control) => {
        const held = await holdUntilContent(
          target.provider.chatStream(plan.sent, {
            model: target.model,
            signal: control.signal,
            target: target.name,
          }),
        );
        control.clearTimer();
        return { held, control };
      });
    } catch (err) {
      admitted.settle(0, undefined);
      throw this.#failed(plan, err, started);
    }
    const ttftMs = this.#now() - started;
    const { held, control } = outcome.value;
    const target = outcome.target;
    let resolveMeta!: (meta: CallMeta) => void;
    const meta = new Promise<CallMeta>((resolve) => {
      resolveMeta = resolve;
    });
    const first = held.held[0];
    const onEnd = (end: StreamEnd): void => {
      const usage = end.usage ?? { ...plan.estimatedUsage(), outputTokens: end.estimatedOutputTokens };
      const costUsd = this.prices.costOf(target.name, usage);
      admitted.settle(costUsd, usage);
      const m = this.#meta(plan, {
        target: target.name,
        usage,
        costUsd,
        cacheHit: false,
        started,
        retries: outcome.retries,
        fallbacks: outcome.fallbacks,
        offline: target.provider.offline === true,
        ttftMs,
      });
      const response = responseOf(end, {
        id: first?.id ?? plan.id,
        created: first?.created ?? Math.floor(started / 1000),
        model: first?.model ?? target.model,
        usage: end.usage ? usageToWire(end.usage) : undefined,
      });
      if (end.status === 'ok' && plan.cacheKey && plan.cacheTtl)
        this.#cache.set(
          plan.cacheKey,
          { response, target: target.name, storedAt: this.#now() },
          plan.cacheTtl,
        );
      this.#record(
        plan,
        m,
        { status: end.status, ...(end.error ? { errorCode: end.error.code } : {}) },
        response,
      );
      resolveMeta(m);
    };
    const chunks = pumpStream(held, control, {
      target: target.name,
      idleTimeoutMs: plan.timeoutMs(target),
      masking: plan.masking,
      forwardUsage,
      cancelled: () => context.signal?.aborted === true,
      decorateUsage: (chunk, usage) => ({
        ...chunk,
        baton: batonField({
          id: plan.id,
          route: plan.route.name,
          target: target.name,
          costUsd: this.prices.costOf(target.name, usage),
          cacheHit: false,
          offline: target.provider.offline === true,
        }),
      }),
      onEnd,
    });
    return {
      route: plan.route.name,
      target: target.name,
      offline: target.provider.offline === true,
      cacheHit: false,
      meta,
      [Symbol.asyncIterator]: () => chunks,
    };
  }

  /** Embeddings, under the same policies as chat. */
  async embed(
    body: unknown,
    context: CallContext = {},
  ): Promise<{ response: EmbeddingResponse; meta: CallMeta }> {
    const started = this.#now();
    const request = parseEmbeddingRequest(body);
    const plan = await this.#plan(request, context, 'embeddings', started);
    const admitted = await plan.admit(this.#budgets, this.#limits);
    try {
      const outcome = await runOnTargets(
        plan.targets,
        this.#runOptions(plan, context),
        async (target, control) => {
          try {
            if (!target.provider.embed) {
              throw new ProviderError('PROVIDER_NOT_FOUND', `${target.name} has no embeddings`, {
                target: target.name,
                hint: 'Route embeddings to an OpenAI, OpenAI-compatible, Gemini or offline target',
              });
            }
            return await target.provider.embed(plan.sentEmbedding, {
              model: target.model,
              signal: control.signal,
              target: target.name,
            });
          } finally {
            control.clearTimer();
            control.release();
          }
        },
      );
      const tokens = outcome.value.usage?.prompt_tokens ?? plan.estimate.input;
      const usage: Usage = { inputTokens: tokens, cachedInputTokens: 0, outputTokens: 0, reasoningTokens: 0 };
      const costUsd = this.prices.costOf(outcome.target.name, usage);
      admitted.settle(costUsd, usage);
      const meta = this.#meta(plan, {
        target: outcome.target.name,
        usage,
        costUsd,
        cacheHit: false,
        started,
        retries: outcome.retries,
        fallbacks: outcome.fallbacks,
        offline: outcome.target.provider.offline === true,
      });
      this.#record(
        plan,
        meta,
        { status: 'ok' },
        { object: 'list', model: outcome.value.model, vectors: outcome.value.data.length },
      );
      return {
        response: {
          ...outcome.value,
          baton: batonField(meta),
        } as EmbeddingResponse,
        meta,
      };
    } catch (err) {
      admitted.settle(0, undefined);
      throw this.#failed(plan, err, started);
    }
  }

  /** The models a caller may use: routes, then configured `provider/model` targets. */
  async models(
    context: CallContext = {},
  ): Promise<
    Array<{ id: string; object: 'model'; created: number; owned_by: string; description?: string }>
  > {
    const principal = await this.#keys.principal(context);
    const allowed = principal.key?.allowedModels ?? [];
    const ids = new Map<string, { owned_by: string; description?: string }>();
    for (const [name, route] of Object.entries(this.config.routes))
      ids.set(name, { owned_by: 'baton', ...(route.description ? { description: route.description } : {}) });
    for (const route of Object.values(this.config.routes))
      for (const t of route.targets) ids.set(t.model, { owned_by: t.model.slice(0, t.model.indexOf('/')) });
    return [...ids]
      .filter(([id]) => allowed.length === 0 || allowed.includes(id))
      .map(([id, facts]) => ({ id, object: 'model' as const, created: 0, ...facts }));
  }

  /** Every target's breaker state and latency. */
  targets(): TargetStatus[] {
    return [...this.#targets.values()].map((t) => ({
      target: t.name,
      breaker: t.state,
      latencyMs: t.latencyMs,
    }));
  }

  /** Forgets cached key lookups: call after revoking a key in this process. */
  forgetKeys(): void {
    this.#keys.forget();
  }

  /** Writes buffered spend and log entries, and closes the providers. The ledger stays open. */
  async close(): Promise<void> {
    await this.#budgets.close();
    await this.#log.close();
    await Promise.all([...this.#providers.values()].map((p) => p.close?.()));
  }

  /** Writes buffered spend and request log entries now. */
  async flush(): Promise<void> {
    await this.#budgets.flush();
    await this.#log.flush();
  }

  async #plan(
    request: Parameters<typeof planCall>[0]['request'],
    context: CallContext,
    endpoint: 'chat' | 'embeddings',
    started: number,
    stream = false,
  ): Promise<CallPlan> {
    const principal: Principal = await this.#keys.principal(context);
    const route: ResolvedRoute = resolveRoute(
      this.config,
      this.#providerNames,
      request.model,
      'metadata' in request ? (request.metadata as Record<string, string> | undefined) : undefined,
    );
    checkAllowed(principal, request.model);
    const plan = planCall({
      request,
      endpoint,
      stream,
      principal,
      route,
      context,
      config: this.config,
      prices: this.prices,
      detectors: this.#detectors,
      id: newRequestId(started),
      started,
      scopes: limitScopes(this.config, principal, request.model),
    });
    const size = { inputTokens: plan.estimate.input, outputTokens: plan.estimate.output };
    const facts = route.config.targets.map((t) => {
      const target = this.#target(t.model);
      return Object.assign(target, { weight: t.weight ?? 1, price: this.prices.priceOf(t.model) });
    });
    const ordered = orderTargets(route.config.strategy, facts, size, this.#random);
    if (ordered.length === 0) {
      throw new ProviderError(
        'CONTEXT_LENGTH_EXCEEDED',
        `no target of route ${route.name} has a context window for about ${size.inputTokens + size.outputTokens} tokens`,
        { hint: 'Shorten the request, lower max_tokens, or add a target with a larger window' },
      );
    }
    plan.targets = ordered;
    return plan;
  }

  #target(name: string): Target {
    let target = this.#targets.get(name);
    if (!target) {
      const provider = this.#providers.get(name.slice(0, name.indexOf('/')));
      if (!provider) throw new BatonError('CONFIG_INVALID', `no provider for target ${name}`);
      target = new Target(name, provider, this.config.breaker);
      this.#targets.set(name, target);
    }
    return target;
  }

  #runOptions(plan: CallPlan, context: CallContext) {
    return {
      retry: plan.retry,
      timeoutMs: (t: Target) => plan.timeoutMs(t),
      random: this.#random,
      ...(context.signal ? { signal: context.signal } : {}),
    };
  }

  #meta(
    plan: CallPlan,
    facts: {
      target: string;
      usage: Usage | undefined;
      costUsd: number;
      cacheHit: boolean;
      started: number;
      retries?: number;
      fallbacks?: number;
      offline?: boolean;
      ttftMs?: number;
    },
  ): CallMeta {
    return {
      id: plan.id,
      model: plan.route.requested,
      route: plan.route.name,
      target: facts.target,
      ...(facts.usage ? { usage: facts.usage } : {}),
      costUsd: facts.costUsd,
      priced: this.prices.priceOf(facts.target) !== undefined,
      cacheHit: facts.cacheHit,
      retries: facts.retries ?? 0,
      fallbacks: facts.fallbacks ?? 0,
      offline: facts.offline ?? facts.target.startsWith('offline/'),
      latencyMs: this.#now() - facts.started,
      ...(facts.ttftMs === undefined ? {} : { ttftMs: facts.ttftMs }),
    };
  }

  #decorate(response: ChatResponse, meta: CallMeta): ChatResponse {
    return { ...response, baton: batonField(meta) };
  }

  #failed(plan: CallPlan, err: unknown, started: number): unknown {
    const failure = err instanceof RouteFailure ? err.error : err;
    const code = failure instanceof BatonError ? failure.code : 'INTERNAL';
    const attempts = err instanceof RouteFailure ? err.attempts : [];
    this.#log.append(
      plan.logEntry(
        {
          status: 'error',
          errorCode: code,
          latencyMs: this.#now() - started,
          retries: err instanceof RouteFailure ? err.retries : 0,
          fallbacks: Math.max(0, new Set(attempts.map((a) => a.target)).size - 1),
          ...(attempts.length > 0 ? { target: attempts[attempts.length - 1]?.target } : {}),
        },
        this.config.requestLog,
      ),
    );
    return failure;
  }

  #record(
    plan: CallPlan,
    meta: CallMeta,
    outcome: { status: RequestLogEntry['status']; errorCode?: string },
    response: unknown,
  ): void {
    // Built when the batch is written, not on the call's path: serializing bodies costs tens of µs.
    this.#log.append(() =>
      plan.logEntry(
        {
          ...outcome,
          ...(meta.target ? { target: meta.target } : {}),
          usage: meta.usage,
          costUsd: meta.costUsd,
          latencyMs: meta.latencyMs,
          ...(meta.ttftMs === undefined ? {} : { ttftMs: meta.ttftMs }),
          cacheHit: meta.cacheHit,
          retries: meta.retries,
          fallbacks: meta.fallbacks,
          response: this.config.requestLog.bodies
            ? truncatedJson(plan.maskForLog(response), this.config.requestLog.maxBodyChars)
            : undefined,
        },
        this.config.requestLog,
      ),
    );
  }
}

/** The `baton` field every answer carries: what served it and what it cost. */
function batonField(meta: Pick<CallMeta, 'id' | 'route' | 'target' | 'costUsd' | 'cacheHit' | 'offline'>) {
  return {
    request_id: meta.id,
    route: meta.route,
    target: meta.target ?? '',
    cost_usd: meta.costUsd,
    cache_hit: meta.cacheHit,
    offline: meta.offline,
  };
}
