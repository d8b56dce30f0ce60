/**
 * The gateway: one governed point of access to every model. In-process callers (workflow steps)
 * and the HTTP surface call the same methods, so every policy applies to every path alike.
 *
 * A call goes: admission (key, route, allowed models, PII, cache, rate limits, budget) → the
 * route's targets in strategy order (timeout, retries, breakers, fallback) → settlement (cost from
 * usage, budget settled, tokens corrected, answer restored, cached, logged). Refused calls are
 * logged too, once the caller is known.
 * @module
 */
import { LRUCache } from 'lru-cache';
import { BatonError } from '../core/errors.js';
import { traceChatStream, traceModelCall } from '../telemetry/tracing/call-spans.js';
import type { Tracing } from '../telemetry/tracing/tracing.js';
import {
  type CallContext,
  checkAllowed,
  KeyAuthenticator,
  limitScopes,
  type Principal,
  type ResolvedRoute,
  resolveRoute,
} from './admission.js';
import { type Admitted, type CallPlan, planCall, requestLogEntry } from './call-plan.js';
import { type GatewayConfig, parseGatewayConfig } from './config.js';
import { PriceBook } from './cost.js';
import { withDefaultRoutes } from './defaults.js';
import { ProviderError } from './errors.js';
import {
  batonField,
  type CallMeta,
  cachedStream,
  committedStream,
  type GatewayStream,
} from './gateway-stream.js';
import { DAY_MS } from './ledger/periods.js';
import type { GatewayLedger, RequestLogEntry } from './ledger/port.js';
import { compileDetectors, type Detector } from './pii/index.js';
import { Budgets } from './policies/budgets.js';
import { RateLimits } from './policies/rate-limits.js';
import { type CachedAnswer, ResponseCache } from './policies/response-cache.js';
import type { Provider, ProviderCall } from './providers/provider.js';
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
import { holdUntilContent } from './routing/stream-hold.js';
import { type BreakerState, Target, type TargetFailure } from './routing/target.js';
import type { ChatRequest, ChatResponse, EmbeddingRequest, EmbeddingResponse, Usage } from './types.js';
import { usageFromWire } from './types.js';

export type { CallContext } from './admission.js';
export type { CallMeta, GatewayStream } from './gateway-stream.js';

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
  /** `chat {model}` and `embeddings {model}` spans for calls made inside traced steps. @defaultValue off */
  tracing?: Tracing;
}

/** How often the gateway prunes its request log (it also does once at open). */
const PRUNE_INTERVAL_MS = 60 * 60 * 1000;

/** The gateway bound to one run: see {@link Gateway.forRun}. */
export interface RunModels {
  chat(body: ChatRequest): Promise<{ response: ChatResponse; meta: CallMeta }>;
  chatStream(body: ChatRequest): Promise<GatewayStream>;
  embed(body: EmbeddingRequest): Promise<{ response: EmbeddingResponse; meta: CallMeta }>;
}

/** A target's health, as operators see it. */
export interface TargetStatus {
  target: string;
  breaker: BreakerState;
  latencyMs: number | undefined;
  /** When the breaker last changed state (ms since the epoch); absent while it never has. */
  breakerSince?: number;
  /** Retryable failures in a row since the last success. */
  consecutiveFailures: number;
  /** The last failure that counted against the breaker. */
  lastFailure?: TargetFailure;
  /** While open: when a trial call will be let through. */
  retryAt?: number;
}

/** The governed gateway. */
export class Gateway {
  readonly config: GatewayConfig;
  readonly ledger: GatewayLedger;
  readonly prices: PriceBook;
  readonly #providers: Map<string, Provider>;
  readonly #providerNames: Set<string>;
  // Bounded: a client may name any `provider/<model>`, and each name gets a breaker.
  readonly #targets = new LRUCache<string, Target>({ max: 1_000 });
  readonly #keys: KeyAuthenticator;
  readonly #limits = new RateLimits();
  readonly #budgets: Budgets;
  readonly #cache = new ResponseCache();
  readonly #log: RequestLogWriter;
  readonly #detectors: readonly Detector[];
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #pruneTimer: NodeJS.Timeout;
  readonly #tracing: Tracing | undefined;
  #pruning: Promise<void> | undefined;

  private constructor(options: GatewayOptions, config: GatewayConfig) {
    this.config = config;
    this.ledger = options.ledger;
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.#tracing = options.tracing;
    this.prices = new PriceBook(config.prices);
    this.#providers =
      options.providers ??
      createProviders(config.providers, {
        ...(options.env ? { env: options.env } : {}),
        ...(options.cassettes ? { cassettes: options.cassettes } : {}),
      });
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
    // Not awaited: opening must not wait on a large backlog. Unref'd: retention never keeps a process up.
    this.#pruneRequestLog();
    this.#pruneTimer = setInterval(() => this.#pruneRequestLog(), PRUNE_INTERVAL_MS).unref();
  }

  /** Validates the config and builds the providers. @throws BatonError `CONFIG_INVALID` */
  static open(options: GatewayOptions): Gateway {
    return new Gateway(options, withDefaultRoutes(parseGatewayConfig(options.config ?? {}), options.env));
  }

  /** A non-streamed chat completion. @throws BatonError typed: see `errors.ts` */
  chat(body: unknown, context: CallContext = {}): Promise<{ response: ChatResponse; meta: CallMeta }> {
    const tracing = this.#tracing;
    if (tracing) return traceModelCall(tracing, 'chat', body, () => this.#chat(body, context));
    return this.#chat(body, context);
  }

  async #chat(body: unknown, context: CallContext): Promise<{ response: ChatResponse; meta: CallMeta }> {
    const started = this.#now();
    const request = parseChatRequest(body);
    const plan = await this.#plan(request, context, 'chat', started, false);
    const cached = this.#cached(plan);
    if (cached) {
      const meta = await this.#serveCached(plan, cached, started);
      return { response: this.#decorate(plan.restore(structuredClone(cached.response)), meta), meta };
    }
    const admitted = await this.#admit(plan, started);
    try {
      const outcome = await runOnTargets(
        plan.targets,
        this.#runOptions(plan, context),
        settledAttempt((target, call) => target.provider.chat(plan.sent, call)),
      );
      const usage = usageFromWire(outcome.value.usage) ?? plan.estimatedUsage();
      const meta = this.#settle(plan, admitted, outcome, usage, started);
      this.#store(plan, outcome.value, outcome.target.name);
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
   * error. Stopping the iteration early, or never starting it, cancels the upstream call and
   * records it as cancelled.
   */
  chatStream(body: unknown, context: CallContext = {}): Promise<GatewayStream> {
    const tracing = this.#tracing;
    if (tracing) return traceChatStream(tracing, body, () => this.#chatStream(body, context));
    return this.#chatStream(body, context);
  }

  async #chatStream(body: unknown, context: CallContext): Promise<GatewayStream> {
    const started = this.#now();
    const request = parseChatRequest(body);
    const plan = await this.#plan(request, context, 'chat', started, true);
    const forwardUsage = request.stream_options?.include_usage === true;
    const cached = this.#cached(plan);
    if (cached) {
      const meta = await this.#serveCached(plan, cached, started);
      return cachedStream(plan, plan.restore(structuredClone(cached.response)), meta, forwardUsage);
    }
    const admitted = await this.#admit(plan, started);
    let outcome: RouteOutcome<{
      held: Awaited<ReturnType<typeof holdUntilContent>>;
      control: AttemptControl;
    }>;
    try {
      outcome = await runOnTargets(plan.targets, this.#runOptions(plan, context), async (target, control) => {
        const held = await holdUntilContent(target.provider.chatStream(plan.sent, callOf(target, control)));
        control.clearTimer();
        return { held, control };
      });
    } catch (err) {
      admitted.settle(0, undefined);
      throw this.#failed(plan, err, started);
    }
    const target = outcome.target;
    return committedStream(
      plan,
      target,
      outcome.value,
      {
        started,
        ttftMs: this.#now() - started,
        forwardUsage,
        cancelled: () => context.signal?.aborted === true,
      },
      {
        settle: (usage, ttftMs) => this.#settle(plan, admitted, outcome, usage, started, ttftMs),
        store: (answer) => this.#store(plan, answer, target.name),
        record: (meta, end, answer) =>
          this.#record(
            plan,
            meta,
            { status: end.status, ...(end.error ? { errorCode: end.error.code } : {}) },
            answer,
          ),
        costOf: (usage) => this.prices.costOf(target.name, usage),
      },
    );
  }

  /**
   * The gateway as a workflow step uses it: every call is made for the step's run, so its spend is
   * charged to the run (and its tenant), logged with the run id, limited by `budgetUsd` when given,
   * and cancelled with the step's signal.
   * @example
   * .step('summarize', { run: async (ctx) => {
   *   const { response } = await gateway.forRun(ctx.run, { signal: ctx.signal }).chat({ model: 'fast', messages });
   *   return response.choices[0]?.message.content;
   * } })
   */
  forRun(
    run: { id: string; tenant: string; budgetUsd?: number },
    options: { signal?: AbortSignal } = {},
  ): RunModels {
    const context: CallContext = {
      tenant: run.tenant,
      run: { id: run.id, ...(run.budgetUsd === undefined ? {} : { budgetUsd: run.budgetUsd }) },
      ...(options.signal ? { signal: options.signal } : {}),
    };
    return {
      chat: (body) => this.chat(body, context),
      chatStream: (body) => this.chatStream(body, context),
      embed: (body) => this.embed(body, context),
    };
  }

  /** Embeddings, under the same policies as chat. */
  embed(body: unknown, context: CallContext = {}): Promise<{ response: EmbeddingResponse; meta: CallMeta }> {
    const tracing = this.#tracing;
    if (tracing) return traceModelCall(tracing, 'embeddings', body, () => this.#embed(body, context));
    return this.#embed(body, context);
  }

  async #embed(
    body: unknown,
    context: CallContext,
  ): Promise<{ response: EmbeddingResponse; meta: CallMeta }> {
    const started = this.#now();
    const request = parseEmbeddingRequest(body);
    const plan = await this.#plan(request, context, 'embeddings', started, false);
    const admitted = await this.#admit(plan, started);
    try {
      const outcome = await runOnTargets(
        plan.targets,
        this.#runOptions(plan, context),
        settledAttempt((target, call) => {
          if (!target.provider.embed) {
            throw new ProviderError('PROVIDER_NOT_FOUND', `${target.name} has no embeddings`, {
              target: target.name,
              hint: 'Route embeddings to an OpenAI, OpenAI-compatible, Gemini or offline target',
            });
          }
          return target.provider.embed(plan.sentEmbedding, call);
        }),
      );
      // Gemini reports no tokens for embeddings (0): the estimate is charged instead, or such calls
      // would be free against every budget.
      const reported = outcome.value.usage?.prompt_tokens;
      const tokens = reported !== undefined && reported > 0 ? reported : plan.estimate.input;
      const usage: Usage = { inputTokens: tokens, cachedInputTokens: 0, outputTokens: 0, reasoningTokens: 0 };
      const meta = this.#settle(plan, admitted, outcome, usage, started);
      this.#record(
        plan,
        meta,
        { status: 'ok' },
        { object: 'list', model: outcome.value.model, vectors: outcome.value.data.length },
      );
      return { response: { ...outcome.value, baton: batonField(meta) } as EmbeddingResponse, meta };
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

  /** Every target called so far, with its breaker state and latency (a target never called has none). */
  targets(): TargetStatus[] {
    return [...this.#targets.values()].map((t) => ({
      target: t.name,
      breaker: t.state,
      latencyMs: t.latencyMs,
      consecutiveFailures: t.consecutiveFailures,
      ...(t.changedAt === undefined ? {} : { breakerSince: t.changedAt }),
      ...(t.lastFailure === undefined ? {} : { lastFailure: t.lastFailure }),
      ...(t.retryAt === undefined ? {} : { retryAt: t.retryAt }),
    }));
  }

  /** Forgets cached key lookups: call after revoking a key in this process. */
  forgetKeys(): void {
    this.#keys.forget();
  }

  /** Writes buffered spend and log entries, and closes the providers. The ledger stays open. */
  async close(): Promise<void> {
    clearInterval(this.#pruneTimer);
    // Every step runs even if one fails: spend and the log must not be lost to a provider's close.
    const results = await Promise.allSettled([
      // A prune under way finishes first, so the caller can close the ledger after this resolves.
      this.#pruning,
      this.#budgets.close(),
      this.#log.close(),
      ...[...this.#providers.values()].map((p) => p.close?.()),
    ]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** Writes buffered spend and request log entries now. */
  async flush(): Promise<void> {
    await this.#budgets.flush();
    await this.#log.flush();
  }

  /**
   * Deletes request-log entries older than `requestLog.retentionDays` (DESIGN.md rule 8). One pass at a
   * time; a failed pass (ledger down or closed) is dropped, and the next hourly pass catches up.
   */
  #pruneRequestLog(): void {
    if (this.#pruning) return;
    const before = this.#now() - this.config.requestLog.retentionDays * DAY_MS;
    this.#pruning = this.ledger
      .pruneRequests(before)
      .then(
        () => undefined,
        () => undefined,
      )
      .finally(() => {
        this.#pruning = undefined;
      });
  }

  async #plan(
    request: ChatRequest | EmbeddingRequest,
    context: CallContext,
    endpoint: 'chat' | 'embeddings',
    started: number,
    stream: boolean,
  ): Promise<CallPlan> {
    const principal: Principal = await this.#keys.principal(context);
    try {
      const metadata =
        'metadata' in request ? (request.metadata as Record<string, string> | undefined) : undefined;
      const route: ResolvedRoute = resolveRoute(this.config, this.#providerNames, request.model, metadata);
      checkAllowed(principal, request.model);
      const scopes = limitScopes(this.config, principal, request.model);
      if (route.name !== request.model)
        scopes.push(
          ...limitScopes(this.config, { tenant: principal.tenant, key: undefined }, route.name).filter((s) =>
            s.id.startsWith('model:'),
          ),
        );
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
        scopes,
      });
      const size = { inputTokens: plan.estimate.input, outputTokens: plan.estimate.output };
      const byName = new Map<string, Target>();
      const facts = route.config.targets.map((t) => {
        const target = this.#target(t.model);
        byName.set(t.model, target);
        return {
          name: t.model,
          weight: t.weight ?? 1,
          price: this.prices.priceOf(t.model),
          latencyMs: target.latencyMs,
          open: target.open,
        };
      });
      const ordered = orderTargets(route.config.strategy, facts, size, this.#random);
      if (ordered.length === 0) {
        throw new ProviderError(
          'CONTEXT_LENGTH_EXCEEDED',
          `no target of route ${route.name} has a context window for about ${size.inputTokens + size.outputTokens} tokens`,
          {
            hint: 'Shorten the request, lower max_tokens, or add a target with a larger window',
          },
        );
      }
      plan.targets = ordered.map((f) => byName.get(f.name) as Target);
      return plan;
    } catch (err) {
      this.#refused(principal, request, context, endpoint, stream, err, started);
      throw err;
    }
  }

  /** Takes rate limits and reserves budget; a refusal is logged like any failed call. */
  async #admit(plan: CallPlan, started: number): Promise<Admitted> {
    try {
      return await plan.admit(this.#budgets, this.#limits);
    } catch (err) {
      throw this.#failed(plan, err, started);
    }
  }

  #cached(plan: CallPlan): CachedAnswer | undefined {
    return plan.cacheKey ? this.#cache.get(plan.cacheKey) : undefined;
  }

  async #serveCached(plan: CallPlan, cached: CachedAnswer, started: number): Promise<CallMeta> {
    try {
      await plan.admitCached(this.#limits);
    } catch (err) {
      throw this.#failed(plan, err, started);
    }
    const meta = this.#meta(plan, {
      target: cached.target,
      usage: usageFromWire(cached.response.usage),
      costUsd: 0,
      cacheHit: true,
      started,
    });
    this.#record(plan, meta, { status: 'ok' }, cached.response);
    return meta;
  }

  #store(plan: CallPlan, answer: ChatResponse, target: string): void {
    if (plan.cacheKey && plan.cacheTtl)
      this.#cache.set(plan.cacheKey, { response: answer, target, storedAt: this.#now() }, plan.cacheTtl);
  }

  /** Prices the usage, settles budget and limits, and builds the call's meta. */
  #settle(
    plan: CallPlan,
    admitted: Admitted,
    outcome: Pick<RouteOutcome<unknown>, 'target' | 'retries' | 'fallbacks'>,
    usage: Usage,
    started: number,
    ttftMs?: number,
  ): CallMeta {
    const costUsd = this.prices.costOf(outcome.target.name, usage);
    admitted.settle(costUsd, usage);
    return this.#meta(plan, {
      target: outcome.target.name,
      usage,
      costUsd,
      cacheHit: false,
      started,
      retries: outcome.retries,
      fallbacks: outcome.fallbacks,
      offline: outcome.target.provider.offline === true,
      ...(ttftMs === undefined ? {} : { ttftMs }),
    });
  }

  #target(name: string): Target {
    let target = this.#targets.get(name);
    if (!target) {
      const provider = this.#providers.get(name.slice(0, name.indexOf('/')));
      if (!provider) throw new BatonError('CONFIG_INVALID', `no provider for target ${name}`);
      target = new Target(name, provider, this.config.breaker, this.#now);
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
      offline:
        facts.offline ??
        this.#providers.get(facts.target.slice(0, facts.target.indexOf('/')))?.offline === true,
      latencyMs: this.#now() - facts.started,
      ...(facts.ttftMs === undefined ? {} : { ttftMs: facts.ttftMs }),
    };
  }

  #decorate(response: ChatResponse, meta: CallMeta): ChatResponse {
    return { ...response, baton: batonField(meta) };
  }

  /** Logs a call refused before it had a plan (unknown route, model not allowed, PII blocked). */
  #refused(
    principal: Principal,
    request: ChatRequest | EmbeddingRequest,
    context: CallContext,
    endpoint: 'chat' | 'embeddings',
    stream: boolean,
    err: unknown,
    started: number,
  ): void {
    this.#log.add(
      requestLogEntry(
        { id: newRequestId(started), started, principal, context, route: request.model, endpoint, stream },
        {
          status: 'error',
          errorCode: err instanceof BatonError ? err.code : 'INTERNAL',
          latencyMs: this.#now() - started,
        },
      ),
    );
  }

  #failed(plan: CallPlan, err: unknown, started: number): unknown {
    const failure = err instanceof RouteFailure ? err.error : err;
    const code = failure instanceof BatonError ? failure.code : 'INTERNAL';
    const attempts = err instanceof RouteFailure ? err.attempts : [];
    this.#log.add(
      plan.logEntry(
        {
          status: code === 'REQUEST_CANCELLED' ? 'cancelled' : 'error',
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
    this.#log.add(() =>
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
            ? truncatedJson(plan.maskResponseForLog(response), this.config.requestLog.maxBodyChars)
            : undefined,
        },
        this.config.requestLog,
      ),
    );
  }
}

/** A provider call for one attempt. */
function callOf(target: Target, control: AttemptControl): ProviderCall {
  return { model: target.model, signal: control.signal, target: target.name };
}

/** An attempt that ends with its call: its timeout and its link to the caller are released either way. */
function settledAttempt<T>(call: (target: Target, call: ProviderCall) => Promise<T>) {
  return async (target: Target, control: AttemptControl): Promise<T> => {
    try {
      return await call(target, callOf(target, control));
    } finally {
      control.clearTimer();
      control.release();
    }
  };
}
