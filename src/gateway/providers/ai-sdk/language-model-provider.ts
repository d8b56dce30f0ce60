/**
 * A {@link Provider} over any AI SDK `LanguageModelV3`: the vendor files (anthropic.ts, gemini.ts)
 * only say how to build the model for an upstream model name.
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { LanguageModelV3 } from '@ai-sdk/provider';
import type { ChatChunk, ChatRequest, ChatResponse } from '../../types.js';
import type { Provider, ProviderCall } from '../provider.js';
import { toCallOptions, toChatResponse } from './bridge.js';
import { toProviderError } from './error-mapping.js';
import { toChatChunks } from './stream.js';

/** How to build a {@link Provider} over AI SDK language models. */
export interface LanguageModelProviderOptions {
  /** The provider's name in config. */
  name: string;
  /** The AI SDK model for an upstream model name. */
  languageModel(modelId: string): LanguageModelV3;
  /** `maxOutputTokens` when the request sets none (Anthropic requires one). @defaultValue the vendor's default */
  defaultMaxOutputTokens?: number;
  /** Clock for `created`. @defaultValue Date.now */
  now?: () => number;
}

/** Builds a {@link Provider} whose chat calls go through `doGenerate` and `doStream` of AI SDK models. */
export function createLanguageModelProvider(options: LanguageModelProviderOptions): Provider {
  const now = options.now ?? Date.now;
  const callOptions = (request: ChatRequest, call: ProviderCall) =>
    toCallOptions(request, {
      target: call.target,
      signal: call.signal,
      ...(options.defaultMaxOutputTokens === undefined
        ? {}
        : { defaultMaxOutputTokens: options.defaultMaxOutputTokens }),
    });

  return {
    name: options.name,

    async chat(request: ChatRequest, call: ProviderCall): Promise<ChatResponse> {
      const failure = { target: call.target, signal: call.signal };
      try {
        const result = await options.languageModel(call.model).doGenerate(callOptions(request, call));
        return toChatResponse(result, { model: call.model, now: now(), fallbackId: newId() });
      } catch (err) {
        throw toProviderError(err, failure);
      }
    },

    async *chatStream(request: ChatRequest, call: ProviderCall): AsyncIterable<ChatChunk> {
      let stream: Awaited<ReturnType<LanguageModelV3['doStream']>>['stream'];
      try {
        ({ stream } = await options.languageModel(call.model).doStream(callOptions(request, call)));
      } catch (err) {
        throw toProviderError(err, { target: call.target, signal: call.signal });
      }
      yield* toChatChunks(stream, {
        model: call.model,
        now: now(),
        fallbackId: newId(),
        target: call.target,
        signal: call.signal,
      });
    },
  };
}

function newId(): string {
  return `chatcmpl-${randomUUID().replaceAll('-', '')}`;
}
