/**
 * The price table Baton ships: USD per million tokens, as the vendors publish them (checked
 * 2026-11; prices change, so every entry can be overridden under `gateway.prices` in config).
 * Keys are upstream model names; a config entry may also be keyed `provider/model`. `reasoning`
 * defaults to the output price and `cachedInput` to the input price. No network fetch: an
 * air-gapped install prices calls the same way.
 * @module
 */
import type { ModelPrice } from './config.js';

/** The shipped price table. Data only. */
export const DEFAULT_PRICES: Readonly<Record<string, ModelPrice>> = {
  'gpt-5': { input: 1.25, output: 10, cachedInput: 0.125, contextWindow: 400_000 },
  'gpt-5-mini': { input: 0.25, output: 2, cachedInput: 0.025, contextWindow: 400_000 },
  'gpt-5-nano': { input: 0.05, output: 0.4, cachedInput: 0.005, contextWindow: 400_000 },
  'gpt-4.1': { input: 2, output: 8, cachedInput: 0.5, contextWindow: 1_047_576 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6, cachedInput: 0.1, contextWindow: 1_047_576 },
  'gpt-4.1-nano': { input: 0.1, output: 0.4, cachedInput: 0.025, contextWindow: 1_047_576 },
  'gpt-4o': { input: 2.5, output: 10, cachedInput: 1.25, contextWindow: 128_000 },
  'gpt-4o-mini': { input: 0.15, output: 0.6, cachedInput: 0.075, contextWindow: 128_000 },
  o3: { input: 2, output: 8, cachedInput: 0.5, contextWindow: 200_000 },
  'o4-mini': { input: 1.1, output: 4.4, cachedInput: 0.275, contextWindow: 200_000 },
  'text-embedding-3-small': { input: 0.02, output: 0, contextWindow: 8_191 },
  'text-embedding-3-large': { input: 0.13, output: 0, contextWindow: 8_191 },
  'claude-opus-4-1': { input: 15, output: 75, cachedInput: 1.5, contextWindow: 200_000 },
  'claude-sonnet-4-5': { input: 3, output: 15, cachedInput: 0.3, contextWindow: 200_000 },
  'claude-haiku-4-5': { input: 1, output: 5, cachedInput: 0.1, contextWindow: 200_000 },
  'claude-3-5-haiku-latest': { input: 0.8, output: 4, cachedInput: 0.08, contextWindow: 200_000 },
  'gemini-2.5-pro': { input: 1.25, output: 10, cachedInput: 0.31, contextWindow: 1_048_576 },
  'gemini-2.5-flash': { input: 0.3, output: 2.5, cachedInput: 0.075, contextWindow: 1_048_576 },
  'gemini-2.5-flash-lite': { input: 0.1, output: 0.4, cachedInput: 0.025, contextWindow: 1_048_576 },
  'gemini-embedding-001': { input: 0.15, output: 0, contextWindow: 2_048 },
};
