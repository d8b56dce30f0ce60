/**
 * Conversions between a whole answer and a stream of chunks: a cached answer replayed to a
 * streaming client, and a finished stream assembled into an answer for the cache.
 * @module
 */
import type { StreamEnd } from './stream-pump.js';
import type { ChatChunk, ChatResponse, FinishReason, ToolCall, WireUsage } from './types.js';

/** The chunks a streaming client receives for a whole answer. */
export function chunksOf(response: ChatResponse): ChatChunk[] {
  const base = {
    id: response.id,
    object: 'chat.completion.chunk' as const,
    created: response.created,
    model: response.model,
  };
  const chunks: ChatChunk[] = [];
  for (const choice of response.choices) {
    chunks.push({
      ...base,
      choices: [{ index: choice.index, delta: { role: 'assistant', content: '' }, finish_reason: null }],
    });
    if (choice.message.content)
      chunks.push({
        ...base,
        choices: [{ index: choice.index, delta: { content: choice.message.content }, finish_reason: null }],
      });
    const calls = choice.message.tool_calls ?? [];
    if (calls.length > 0) {
      chunks.push({
        ...base,
        choices: [
          {
            index: choice.index,
            delta: {
              tool_calls: calls.map((call, index) => ({
                index,
                id: call.id,
                type: 'function' as const,
                function: { name: call.function.name, arguments: call.function.arguments },
              })),
            },
            finish_reason: null,
          },
        ],
      });
    }
    chunks.push({
      ...base,
      choices: [{ index: choice.index, delta: {}, finish_reason: choice.finish_reason }],
    });
  }
  chunks.push({ ...base, choices: [], usage: response.usage ?? null });
  return chunks;
}

/** The answer a finished stream amounts to (placeholders as the provider sent them). */
export function responseOf(
  end: StreamEnd,
  meta: { id: string; created: number; model: string; usage: WireUsage | undefined },
): ChatResponse {
  const toolCalls: ToolCall[] = [...end.toolCalls.entries()]
    .sort(([a], [b]) => a - b)
    .map(([index, call]) => ({
      id: call.id ?? `call_${index}`,
      type: 'function',
      function: { name: call.name ?? '', arguments: call.arguments },
    }));
  return {
    id: meta.id,
    object: 'chat.completion',
    created: meta.created,
    model: meta.model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: end.text === '' && toolCalls.length > 0 ? null : end.text,
          ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
        },
        finish_reason: (end.finishReason ?? 'stop') as FinishReason,
      },
    ],
    ...(meta.usage ? { usage: meta.usage } : {}),
  };
}
