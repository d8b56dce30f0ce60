/**
 * The Gemini provider: the Gemini API (`generateContent`, `streamGenerateContent`, and
 * `embedContent` / `batchEmbedContents` for embeddings) through `@ai-sdk/google`.
 * @module
 */
import { createGoogleGenerativeAI } from '@ai-sdk/google';
import type { Provider } from '../provider.js';
import { withVersionPath } from './base-url.js';
import { createEmbed } from './embedding-model.js';
import { createLanguageModelProvider } from './language-model-provider.js';

/** Options of {@link createGeminiProvider}. */
export interface GeminiProviderOptions {
  /** The provider's name in config, e.g. `gemini`. */
  name: string;
  /**
   * The API's base URL; `/v1beta` is appended when the URL has no path.
   * @defaultValue `https://generativelanguage.googleapis.com/v1beta`
   */
  baseUrl?: string;
  /** Sent as `x-goog-api-key`. */
  apiKey: string;
  /** Extra headers for every request. */
  headers?: Record<string, string>;
  /** Clock for `created`. @defaultValue Date.now */
  now?: () => number;
}

/**
 * Creates the Gemini provider.
 * @example
 * const gemini = createGeminiProvider({ name: 'gemini', apiKey: process.env.GEMINI_API_KEY! });
 * await gemini.chat(request, { model: 'gemini-2.5-flash', signal, target: 'gemini/gemini-2.5-flash' });
 * await gemini.embed?.(
 *   { model: 'embed', input: ['a', 'b'], dimensions: 768 },
 *   { model: 'gemini-embedding-001', signal, target: 'gemini/gemini-embedding-001' },
 * );
 */
export function createGeminiProvider(options: GeminiProviderOptions): Provider {
  const baseURL = withVersionPath(options.baseUrl, '/v1beta');
  const sdk = createGoogleGenerativeAI({
    apiKey: options.apiKey,
    ...(baseURL === undefined ? {} : { baseURL }),
    ...(options.headers === undefined ? {} : { headers: options.headers }),
  });
  return {
    ...createLanguageModelProvider({
      name: options.name,
      languageModel: (modelId) => sdk.languageModel(modelId),
      ...(options.now === undefined ? {} : { now: options.now }),
    }),
    embed: createEmbed({
      embeddingModel: (modelId) => sdk.embeddingModel(modelId),
      dimensionsOptions: (dimensions) => ({ google: { outputDimensionality: dimensions } }),
    }),
  };
}
