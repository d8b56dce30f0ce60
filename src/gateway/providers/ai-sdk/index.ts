/**
 * Providers built on the Vercel AI SDK's provider packages: Anthropic and Gemini.
 * @module
 */
export {
  ANTHROPIC_DEFAULT_MAX_TOKENS,
  type AnthropicProviderOptions,
  createAnthropicProvider,
} from './anthropic.js';
export { createGeminiProvider, type GeminiProviderOptions } from './gemini.js';
