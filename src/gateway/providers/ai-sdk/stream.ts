/**
 * Translation of an AI SDK stream (`LanguageModelV3StreamPart`s) to OpenAI-shaped chunks.
 *
 * The sequence is OpenAI's: a chunk with `role` (sent just before the first output, so that a
 * failure before any output can still be retried), content and tool-call deltas, a chunk with the
 * `finish_reason`, and a last chunk with `usage` and no choices. Every failure throws a
 * {@link ProviderError} from the iterator; a stream that ends without its `finish` part throws
 * `STREAM_INTERRUPTED` (or `PROVIDER_CONNECTION` if it yielded nothing), never ends quietly.
 * @module
 */
import type { LanguageModelV3StreamPart } from '@ai-sdk/provider';
import { ProviderError } from '../../errors.js';
import type { ChatChunk, ToolCallDelta } from '../../types.js';
import { usageToWire } from '../../types.js';
import { toFinishReason, toUsage } from './bridge.js';
import { type FailureContext, toProviderError } from './error-mapping.js';

/** What the chunks are labelled with. */
export interface ChunkContext {
  /** The upstream model name, reported as `model`. */
  model: string;
  /** Milliseconds since the epoch, for `created`. */
  now: number;
  /** The chunk id when the vendor reports none before the first output. */
  fallbackId: string;
  /** `provider/model`, for errors. */
  target: string;
  /** The call's signal; its reason types an abort. */
  signal: AbortSignal;
}

type Delta = ChatChunk['choices'][number]['delta'];

/**
 * Yields OpenAI-shaped chunks for an AI SDK stream, and cancels the stream when the consumer stops
 * early.
 * @throws {ProviderError} on a streamed `error` part, a read failure, or a missing `finish` part.
 */
export async function* toChatChunks(
  stream: ReadableStream<LanguageModelV3StreamPart>,
  context: ChunkContext,
): AsyncGenerator<ChatChunk> {
  const reader = stream.getReader();
  const failure: FailureContext = { target: context.target, signal: context.signal, streamed: false };
  let id = context.fallbackId;
  const created = Math.floor(context.now / 1000);
  const chunk = (
    delta: Delta,
    finishReason: ChatChunk['choices'][number]['finish_reason'] = null,
  ): ChatChunk => ({
    id,
    object: 'chat.completion.chunk',
    created,
    model: context.model,
    choices: [{ index: 0, delta, finish_reason: finishReason }],
  });
  // Tool calls by the SDK's id: their OpenAI index, and whether their input streamed as deltas.
  const tools = new Map<string, { index: number; streamedInput: boolean }>();
  let finished = false;
  try {
    for (;;) {
      let next: Awaited<ReturnType<typeof reader.read>>;
      try {
        next = await reader.read();
      } catch (err) {
        throw toProviderError(err, failure);
      }
      if (next.done) break;
      const part = next.value;
      const deltas: Delta[] = [];
      switch (part.type) {
        case 'response-metadata':
          if (part.id && !failure.streamed) id = part.id;
          break;
        case 'text-delta':
          if (part.delta !== '') deltas.push({ content: part.delta });
          break;
        case 'tool-input-start': {
          if (part.providerExecuted) break;
          const index = tools.size;
          tools.set(part.id, { index, streamedInput: false });
          deltas.push({
            tool_calls: [
              { index, id: part.id, type: 'function', function: { name: part.toolName, arguments: '' } },
            ],
          });
          break;
        }
        case 'tool-input-delta': {
          const tool = tools.get(part.id);
          if (!tool || part.delta === '') break;
          tool.streamedInput = true;
          deltas.push({ tool_calls: [{ index: tool.index, function: { arguments: part.delta } }] });
          break;
        }
        case 'tool-call': {
          if (part.providerExecuted) break;
          const tool = tools.get(part.toolCallId);
          // The full call repeats what the input deltas sent; only a call that did not stream is new.
          if (tool?.streamedInput) break;
          const call: ToolCallDelta = tool
            ? { index: tool.index, function: { arguments: part.input } }
            : {
                index: tools.size,
                id: part.toolCallId,
                type: 'function',
                function: { name: part.toolName, arguments: part.input },
              };
          if (!tool) tools.set(part.toolCallId, { index: call.index, streamedInput: true });
          deltas.push({ tool_calls: [call] });
          break;
        }
        case 'error':
          throw toProviderError(part.error, failure);
        case 'finish': {
          if (!failure.streamed) yield chunk({ role: 'assistant', content: '' });
          failure.streamed = true;
          yield chunk({}, toFinishReason(part.finishReason, tools.size > 0));
          yield { ...chunk({}), choices: [], usage: usageToWire(toUsage(part.usage)) };
          finished = true;
          break;
        }
        default:
          // Reasoning, sources, files, raw and stream-start parts have no place in the OpenAI shape.
          break;
      }
      for (const delta of deltas) {
        if (!failure.streamed) {
          failure.streamed = true;
          yield chunk({ role: 'assistant', content: '' });
        }
        yield chunk(delta);
      }
    }
    if (!finished) {
      if (context.signal.aborted) throw toProviderError(context.signal.reason, failure);
      throw failure.streamed
        ? new ProviderError(
            'STREAM_INTERRUPTED',
            `${context.target} ended the stream before it finished the answer`,
            {
              target: context.target,
              hint: 'Ask again; the partial answer is incomplete',
            },
          )
        : new ProviderError(
            'PROVIDER_CONNECTION',
            `${context.target} ended the stream before sending anything`,
            {
              target: context.target,
              hint: "Check the target's base URL and that the server is up",
            },
          );
    }
  } finally {
    // Stops the upstream request when the consumer breaks out early or a part was an error.
    await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}
