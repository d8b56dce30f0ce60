/**
 * The Gemini provider: the Gemini API (`generateContent`, `streamGenerateContent`) through
 * `@ai-sdk/google`. Embeddings are not wired yet: the fake upstream the tests run against has no
 * `embedContent` endpoint to prove them on.
 * @module
 */
import { createGoogleGenerativeAI } from '@ai-sdk/google';
import type { Provider } from '../provider.js';
import { withVersionPath } from './base-url.js';
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
 */
export function createGeminiProvider(options: GeminiProviderOptions): Provider {
  const baseURL = withVersionPath(options.baseUrl, '/v1beta');
  const sdk = createGoogleGenerativeAI({
    apiKey: options.apiKey,
    ...(baseURL === undefined ? {} : { baseURL }),
    ...(options.headers === undefined ? {} : { headers: options.headers }),
  });
  return createLanguageModelProvider({
    name: options.name,
    languageModel: (modelId) => sdk.languageModel(modelId),
    ...(options.now === undefined ? {} : { now: options.now }),
  });
}
