/**
 * Pricing: actual cost from usage, and the estimate reserved against budgets before a call.
 * Estimates err high on purpose (a budget is a ceiling): input is taken as one token per three
 * bytes of the request's messages and tools (real tokenizers give about four characters per token
 * in English), and output as the request's `max_tokens` or the configured default.
 * @module
 */
import type { ModelPrice } from './config.js';
import { DEFAULT_PRICES } from './prices.js';
import type { ChatRequest, Usage } from './types.js';

/** Looks prices up by `provider/model` in config, then by model name in config, then in the shipped table. */
export class PriceBook {
  readonly #overrides: Readonly<Record<string, ModelPrice>>;

  constructor(overrides: Readonly<Record<string, ModelPrice>> = {}) {
    this.#overrides = overrides;
  }

  /** The price of a target (`provider/model`); undefined when unknown (its calls cost 0 and are flagged). */
  priceOf(target: string): ModelPrice | undefined {
    const model = target.slice(target.indexOf('/') + 1);
    return (
      this.#overrides[target] ??
      this.#overrides[model] ??
      DEFAULT_PRICES[model] ??
      (target.startsWith('offline/') ? OFFLINE_PRICE : undefined)
    );
  }

  /** The cost of a call in USD; 0 for unknown models. */
  costOf(target: string, usage: Usage): number {
    const price = this.priceOf(target);
    return price ? costFromPrice(price, usage) : 0;
  }
}

const OFFLINE_PRICE: ModelPrice = { input: 0, output: 0, contextWindow: 1_000_000 };

/** USD for `usage` at `price`: cached input and reasoning priced apart from the rest. */
export function costFromPrice(price: ModelPrice, usage: Usage): number {
  const cached = Math.min(usage.cachedInputTokens, usage.inputTokens);
  const reasoning = Math.min(usage.reasoningTokens, usage.outputTokens);
  const micro =
    (usage.inputTokens - cached) * price.input +
    cached * (price.cachedInput ?? price.input) +
    (usage.outputTokens - reasoning) * price.output +
    reasoning * (price.reasoning ?? price.output);
  return micro / 1_000_000;
}

/** Upper-leaning token counts of a request before it is sent. */
export interface TokenEstimate {
  input: number;
  output: number;
}

/** Estimates a chat request's tokens from its size (see the module note). */
export function estimateChatTokens(
  request: ChatRequest,
  defaultOutputTokens: number,
  bodyBytes?: number,
): TokenEstimate {
  const bytes =
    bodyBytes ??
    Buffer.byteLength(JSON.stringify(request.messages)) +
      (request.tools ? Buffer.byteLength(JSON.stringify(request.tools)) : 0);
  const output = request.max_completion_tokens ?? request.max_tokens ?? defaultOutputTokens;
  return { input: Math.ceil(bytes / 3), output };
}

/** Estimates an embedding request's tokens. */
export function estimateEmbeddingTokens(input: unknown): TokenEstimate {
  return { input: Math.ceil(Buffer.byteLength(JSON.stringify(input)) / 3), output: 0 };
}

/** Tokens of a text produced so far, for streams cut before the provider reported usage. */
export function estimateTextTokens(text: string): number {
  return Math.ceil(text.length / 4);
}
