/**
 * The Anthropic provider: the Messages API through `@ai-sdk/anthropic`. No embeddings (Anthropic
 * has none).
 * @module
 */
import { createAnthropic } from '@ai-sdk/anthropic';
import type { Provider } from '../provider.js';
import { withVersionPath } from './base-url.js';
import { createLanguageModelProvider } from './language-model-provider.js';

/** Options of {@link createAnthropicProvider}. */
export interface AnthropicProviderOptions {
  /** The provider's name in config, e.g. `anthropic`. */
  name: string;
  /**
   * The API's base URL; `/v1` is appended when the URL has no path.
   * @defaultValue `https://api.anthropic.com/v1`
   */
  baseUrl?: string;
  /** Sent as `x-api-key`. */
  apiKey: string;
  /** Extra headers for every request (e.g. `anthropic-beta`). */
  headers?: Record<string, string>;
  /** Clock for `created`. @defaultValue Date.now */
  now?: () => number;
}

/**
 * `max_tokens` when the request sets none: Anthropic requires one, and the SDK's fallback is the
 * model's maximum (up to 128k), which would let one request reserve a huge budget.
 */
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 4096;

/**
 * Creates the Anthropic provider.
 * @example
 * const anthropic = createAnthropicProvider({ name: 'anthropic', apiKey: process.env.ANTHROPIC_API_KEY! });
 * await anthropic.chat(request, { model: 'claude-sonnet-4-5', signal, target: 'anthropic/claude-sonnet-4-5' });
 */
export function createAnthropicProvider(options: AnthropicProviderOptions): Provider {
  const baseURL = withVersionPath(options.baseUrl, '/v1');
  const sdk = createAnthropic({
    apiKey: options.apiKey,
    ...(baseURL === undefined ? {} : { baseURL }),
    ...(options.headers === undefined ? {} : { headers: options.headers }),
  });
  return createLanguageModelProvider({
    name: options.name,
    languageModel: (modelId) => sdk.languageModel(modelId),
    defaultMaxOutputTokens: ANTHROPIC_DEFAULT_MAX_TOKENS,
    ...(options.now === undefined ? {} : { now: options.now }),
  });
}
