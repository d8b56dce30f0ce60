/**
 * The GenAI semantic-convention attributes of model calls (`chat {model}`, `embeddings {model}`),
 * read defensively from the request the caller sent and the gateway's answer.
 * @module
 */
import type { Attributes } from '@opentelemetry/api';
import type { CallMeta } from '../../gateway/gateway-stream.js';

interface RequestShape {
  model?: unknown;
  max_tokens?: unknown;
  max_completion_tokens?: unknown;
  temperature?: unknown;
  top_p?: unknown;
  stream?: unknown;
  metadata?: unknown;
  messages?: unknown;
}

/** The model a request names, for the span name. */
export function requestModel(body: unknown): string {
  const model = (body as RequestShape | null)?.model;
  return typeof model === 'string' ? model : 'unknown';
}

/** Attributes known before the call: operation, request model and parameters, prompt. */
export function requestAttributes(operation: 'chat' | 'embeddings', body: unknown): Attributes {
  const b = (typeof body === 'object' && body !== null ? body : {}) as RequestShape;
  const attributes: Attributes = {
    'gen_ai.operation.name': operation,
    'gen_ai.request.model': requestModel(body),
  };
  const maxTokens = b.max_completion_tokens ?? b.max_tokens;
  if (typeof maxTokens === 'number') attributes['gen_ai.request.max_tokens'] = maxTokens;
  if (typeof b.temperature === 'number') attributes['gen_ai.request.temperature'] = b.temperature;
  if (typeof b.top_p === 'number') attributes['gen_ai.request.top_p'] = b.top_p;
  if (b.stream === true) attributes['gen_ai.request.stream'] = true;
  const metadata = (typeof b.metadata === 'object' && b.metadata !== null ? b.metadata : {}) as Record<
    string,
    unknown
  >;
  const prompt = metadata['baton.prompt'];
  if (typeof prompt === 'string') {
    // `name@version`, as the agent step sets it: the name may itself hold an `@`.
    const at = prompt.lastIndexOf('@');
    attributes['baton.prompt.name'] = at > 0 ? prompt.slice(0, at) : prompt;
    if (at > 0) attributes['baton.prompt.version'] = prompt.slice(at + 1);
  }
  if (typeof metadata['baton.agent'] === 'string') attributes['gen_ai.agent.name'] = metadata['baton.agent'];
  return attributes;
}

/** Attributes known after the call: provider, response model, usage, cost, timings. */
export function metaAttributes(meta: CallMeta): Attributes {
  const target = meta.target ?? meta.route;
  const slash = target.indexOf('/');
  const attributes: Attributes = {
    'gen_ai.provider.name': slash > 0 ? target.slice(0, slash) : target,
    'gen_ai.response.id': meta.id,
    'gen_ai.usage.cost': meta.costUsd,
    'baton.cost_usd': meta.costUsd,
    'baton.gateway.route': meta.route,
    'baton.gateway.cache_hit': meta.cacheHit,
    'baton.gateway.retries': meta.retries,
    'baton.gateway.fallbacks': meta.fallbacks,
    'baton.latency_ms': meta.latencyMs,
  };
  if (meta.target) attributes['baton.gateway.target'] = meta.target;
  if (meta.ttftMs !== undefined) attributes['gen_ai.response.time_to_first_chunk'] = meta.ttftMs / 1000;
  const usage = meta.usage;
  if (usage) {
    attributes['gen_ai.usage.input_tokens'] = usage.inputTokens;
    attributes['gen_ai.usage.output_tokens'] = usage.outputTokens;
    attributes['gen_ai.usage.cache_read.input_tokens'] = usage.cachedInputTokens;
    attributes['gen_ai.usage.reasoning.output_tokens'] = usage.reasoningTokens;
  }
  return attributes;
}

/** Attributes of a chat answer: the model that answered and why each choice ended. */
export function responseAttributes(response: unknown): Attributes {
  const r = (response ?? {}) as { model?: unknown; choices?: { finish_reason?: unknown }[] };
  const attributes: Attributes = {};
  if (typeof r.model === 'string') attributes['gen_ai.response.model'] = r.model;
  if (Array.isArray(r.choices)) {
    const reasons = r.choices.map((c) => c?.finish_reason).filter((x): x is string => typeof x === 'string');
    if (reasons.length > 0) attributes['gen_ai.response.finish_reasons'] = reasons;
  }
  return attributes;
}

/** The `error.type` of a failure: Baton's error code, else the error's class name. */
export function errorType(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  return (error as Error | null)?.name ?? 'Error';
}
