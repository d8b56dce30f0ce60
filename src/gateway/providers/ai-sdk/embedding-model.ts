/**
 * OpenAI-shaped embeddings over any AI SDK `EmbeddingModelV3`: the vendor file (gemini.ts) only says
 * how to build the model and how the vendor takes a vector length.
 * @module
 */
import type { EmbeddingModelV3, SharedV3ProviderOptions } from '@ai-sdk/provider';
import { ProviderError } from '../../errors.js';
import { type EmbeddingRequest, type EmbeddingResponse, embeddingResponse } from '../../types.js';
import type { ProviderCall } from '../provider.js';
import { toProviderError } from './error-mapping.js';

/** How to embed through AI SDK embedding models. */
export interface EmbeddingModelOptions {
  /** The AI SDK model for an upstream model name. */
  embeddingModel(modelId: string): EmbeddingModelV3;
  /** The vendor's options asking for vectors of `dimensions` numbers (OpenAI's `dimensions`). */
  dimensionsOptions(dimensions: number): SharedV3ProviderOptions;
}

/**
 * Builds a `Provider.embed` from AI SDK embedding models. Inputs beyond the model's
 * `maxEmbeddingsPerCall` are sent in several calls, in order; `encoding_format: 'base64'` answers
 * little-endian float32s, as OpenAI does.
 * @throws {ProviderError} `PROVIDER_REJECTED` for token-id inputs (`number[]`, `number[][]`), which
 *   these vendors do not take; otherwise the SDK's failures typed by `toProviderError`.
 */
export function createEmbed(
  options: EmbeddingModelOptions,
): (request: EmbeddingRequest, call: ProviderCall) => Promise<EmbeddingResponse> {
  return async (request, call) => {
    const texts = textInputs(request, call.target);
    try {
      const model = options.embeddingModel(call.model);
      const size = Math.max(1, (await model.maxEmbeddingsPerCall) ?? texts.length);
      const providerOptions =
        request.dimensions === undefined ? undefined : options.dimensionsOptions(request.dimensions);
      const vectors: number[][] = [];
      let tokens = 0;
      // One call after another: a fan-out would spend the vendor's rate limit all at once.
      for (let start = 0; start < texts.length; start += size) {
        const result = await model.doEmbed({
          values: texts.slice(start, start + size),
          abortSignal: call.signal,
          ...(providerOptions === undefined ? {} : { providerOptions }),
        });
        vectors.push(...result.embeddings);
        tokens += result.usage?.tokens ?? 0;
      }
      return embeddingResponse(vectors, { model: call.model, tokens, encoding: request.encoding_format });
    } catch (err) {
      throw toProviderError(err, { target: call.target, signal: call.signal });
    }
  };
}

function textInputs(request: EmbeddingRequest, target: string): string[] {
  const { input } = request;
  if (typeof input === 'string') return [input];
  const texts = input.filter((item): item is string => typeof item === 'string');
  if (texts.length === input.length) return texts;
  throw new ProviderError('PROVIDER_REJECTED', `${target} embeds text only, not token ids`, {
    target,
    status: 400,
    hint: 'Send the input as a string or an array of strings, or route token-id inputs to an OpenAI target',
  });
}
