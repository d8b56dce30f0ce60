/**
 * The plan of one call, made before anything is sent: the request as the provider will see it
 * (PII masked), its token estimate, its cache key, its retry and timeout settings, and the
 * admission step that takes rate limits and reserves budget. It also shapes the call's request
 * log entry, masked and truncated.
 * @module
 */
import {
  budgetClaims,
  type CallContext,
  type Principal,
  type ResolvedRoute,
  worstCaseCost,
} from './admission.js';
import type { GatewayConfig } from './config.js';
import { estimateChatTokens, estimateEmbeddingTokens, type PriceBook, type TokenEstimate } from './cost.js';
import type { RequestLogEntry } from './ledger/port.js';
import { createMasker, type Detector, type MaskingSession } from './pii/index.js';
import type { BudgetClaim, Budgets } from './policies/budgets.js';
import type { LimitScope, RateLimits } from './policies/rate-limits.js';
import { cacheable, cacheKey } from './policies/response-cache.js';
import { truncatedJson } from './request-log.js';
import type { RetrySettings } from './routing/route-runner.js';
import type { Target } from './routing/target.js';
import type { ChatRequest, EmbeddingRequest, Usage } from './types.js';

/** What the plan needs. */
export interface PlanInput {
  request: ChatRequest | EmbeddingRequest;
  endpoint: 'chat' | 'embeddings';
  stream: boolean;
  principal: Principal;
  route: ResolvedRoute;
  context: CallContext;
  config: GatewayConfig;
  prices: PriceBook;
  detectors: readonly Detector[];
  id: string;
  started: number;
  scopes: LimitScope[];
}

/** Rate limits taken and budget reserved for a call, until it settles. */
export interface Admitted {
  /** Settles once with the actual cost and usage (0 and undefined when nothing was billed). */
  settle(costUsd: number, usage: Usage | undefined): void;
}

/** Outcome facts for the request log. */
export interface LogFacts {
  status: RequestLogEntry['status'];
  errorCode?: string;
  target?: string;
  usage?: Usage | undefined;
  costUsd?: number;
  latencyMs: number;
  ttftMs?: number;
  cacheHit?: boolean;
  retries?: number;
  fallbacks?: number;
  response?: string | undefined;
}

/** The plan of one call. */
export interface CallPlan {
  readonly id: string;
  readonly route: ResolvedRoute;
  readonly principal: Principal;
  /** The chat request as sent to providers (masked on `mask` routes). */
  readonly sent: ChatRequest;
  /** The embeddings request as sent to providers. */
  readonly sentEmbedding: EmbeddingRequest;
  readonly masking: MaskingSession | undefined;
  readonly estimate: TokenEstimate;
  readonly cacheKey: string | undefined;
  readonly cacheTtl: number | undefined;
  readonly retry: RetrySettings;
  /** Ordered by the route's strategy; set by the gateway. */
  targets: Target[];
  timeoutMs(target: Target): number;
  /** Usage assumed when a provider reports none. */
  estimatedUsage(): Usage;
  /** Takes rate limits and reserves budget. @throws GatewayError `RATE_LIMITED` or `BUDGET_EXCEEDED` */
  admit(budgets: Budgets, limits: RateLimits): Promise<Admitted>;
  /** Takes request rate limits for an answer served from the cache (no tokens, no budget). */
  admitCached(limits: RateLimits): Promise<void>;
  /** Restores placeholders in an answer on `mask` routes. */
  restore<T>(value: T): T;
  /** The request as logged: masked, whatever the route's PII mode. */
  maskForLog(value: unknown): unknown;
  /** An answer as logged: masked too, since the model may write PII the request never had. */
  maskResponseForLog(value: unknown): unknown;
  logEntry(facts: LogFacts, log: GatewayConfig['requestLog']): RequestLogEntry;
}

/** Plans a call. @throws PiiBlockedError on `block` routes when the request holds PII */
export function planCall(input: PlanInput): CallPlan {
  const { config, route, request } = input;
  const mode = route.config.pii ?? config.pii.mode;
  const masking =
    mode === 'off' ? undefined : createMasker({ mode, detectors: input.detectors, route: route.name });
  const sent = (masking ? masking.maskJson(request) : request) as ChatRequest & EmbeddingRequest;
  const estimate =
    input.endpoint === 'chat'
      ? estimateChatTokens(sent as ChatRequest, config.defaultOutputTokens)
      : estimateEmbeddingTokens((sent as EmbeddingRequest).input);
  const cache = route.config.cache;
  const key =
    input.endpoint === 'chat' && cache && cacheable(sent as ChatRequest, cache.allowSampling)
      ? cacheKey(input.principal.tenant, route.name, sent as ChatRequest)
      : undefined;
  const retry: RetrySettings = { ...config.retries, ...route.config.retries };
  const timeouts = new Map(route.config.targets.map((t) => [t.model, t.timeoutMs ?? config.timeoutMs]));
  const claims: BudgetClaim[] = budgetClaims(config, input.principal, input.context.run);
  let logMasker: MaskingSession | undefined;

  const plan: CallPlan = {
    id: input.id,
    route,
    principal: input.principal,
    sent,
    sentEmbedding: sent,
    masking,
    estimate,
    cacheKey: key,
    cacheTtl: key ? cache?.ttlSeconds : undefined,
    retry,
    targets: [],
    timeoutMs: (target) => timeouts.get(target.name) ?? config.timeoutMs,
    estimatedUsage: () => ({
      inputTokens: estimate.input,
      cachedInputTokens: 0,
      outputTokens: estimate.output,
      reasoningTokens: 0,
    }),
    async admit(budgets, limits) {
      const ticket = await limits.take(input.scopes, estimate.input + estimate.output);
      let reservation: Awaited<ReturnType<Budgets['reserve']>>;
      try {
        reservation = await budgets.reserve(
          claims,
          worstCaseCost(
            input.prices,
            plan.targets.map((t) => t.name),
            estimate.input,
            estimate.output,
          ),
        );
      } catch (err) {
        ticket.refund();
        throw err;
      }
      let settled = false;
      return {
        settle(costUsd, usage) {
          if (settled) return;
          settled = true;
          reservation.settle(costUsd);
          ticket.settle(usage ? usage.inputTokens + usage.outputTokens : 0);
        },
      };
    },
    async admitCached(limits) {
      await limits.take(input.scopes, 0);
    },
    restore: (value) => (masking && masking.mode === 'mask' ? masking.restoreJson(value) : value),
    maskForLog(value) {
      if (masking?.mode === 'mask' || masking?.mode === 'block') return value;
      logMasker ??= createMasker({ mode: 'mask', detectors: input.detectors });
      return logMasker.maskJson(value);
    },
    maskResponseForLog(value) {
      // The answer as the provider sent it: placeholders of the request stay, new PII is masked.
      logMasker ??= createMasker({ mode: 'mask', detectors: input.detectors });
      return logMasker.maskJson(value);
    },
    logEntry(facts, log) {
      return {
        ...requestLogEntry(
          {
            id: input.id,
            started: input.started,
            principal: input.principal,
            context: input.context,
            route: route.requested,
            endpoint: input.endpoint,
            stream: input.stream,
          },
          facts,
        ),
        ...(log.bodies ? { request: truncatedJson(plan.maskForLog(sent), log.maxBodyChars) } : {}),
        ...stepOf(request),
      };
    },
  };
  return plan;
}

/** The step a workflow's call names in its metadata (`baton.step`), for the request log. */
function stepOf(request: unknown): { stepId?: string } {
  const step = (request as { metadata?: Record<string, unknown> }).metadata?.['baton.step'];
  return typeof step === 'string' && step !== '' ? { stepId: step } : {};
}

/** Which call a request log entry is about. */
export interface LoggedCall {
  id: string;
  started: number;
  principal: Principal;
  context: CallContext;
  /** The model the caller asked for. */
  route: string;
  endpoint: RequestLogEntry['endpoint'];
  stream: boolean;
}

/** A request log entry without the request body: also for calls refused before they had a plan. */
export function requestLogEntry(call: LoggedCall, facts: LogFacts): RequestLogEntry {
  const usage = facts.usage;
  return {
    id: call.id,
    at: call.started,
    tenant: call.principal.tenant,
    ...(call.principal.key ? { keyId: call.principal.key.id } : {}),
    ...(call.context.run ? { runId: call.context.run.id } : {}),
    route: call.route,
    ...(facts.target ? { target: facts.target } : {}),
    endpoint: call.endpoint,
    stream: call.stream,
    status: facts.status,
    ...(facts.errorCode ? { errorCode: facts.errorCode } : {}),
    inputTokens: usage?.inputTokens ?? 0,
    outputTokens: usage?.outputTokens ?? 0,
    cachedInputTokens: usage?.cachedInputTokens ?? 0,
    reasoningTokens: usage?.reasoningTokens ?? 0,
    costUsd: facts.costUsd ?? 0,
    latencyMs: facts.latencyMs,
    ...(facts.ttftMs === undefined ? {} : { ttftMs: facts.ttftMs }),
    cacheHit: facts.cacheHit ?? false,
    retries: facts.retries ?? 0,
    fallbacks: facts.fallbacks ?? 0,
    ...(facts.response === undefined ? {} : { response: facts.response }),
  };
}
