/**
 * The offline model's token estimate: a quarter of the characters, rounded up, which is close
 * enough to real tokenizers on English text for budgets and cost reports to show sensible numbers.
 * @module
 */
import type { ChatRequest, ToolCall, WireUsage } from '../../types.js';
import { usageToWire } from '../../types.js';
import { messageText } from './answer.js';

/** `ceil(characters / 4)`. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** The estimated prompt tokens: the messages' text and tool calls, and the tool definitions. */
export function estimatePromptTokens(request: ChatRequest): number {
  let text = '';
  for (const message of request.messages) {
    text += messageText(message);
    for (const call of message.tool_calls ?? []) text += call.function.name + call.function.arguments;
  }
  if (request.tools?.length) text += JSON.stringify(request.tools);
  return estimateTokens(text);
}

/** The usage of an answer: estimates, unless the rule gives counts. */
export function offlineUsage(
  request: ChatRequest,
  content: string | null,
  toolCalls: readonly ToolCall[],
  override: { prompt_tokens?: number; completion_tokens?: number } | undefined,
): WireUsage {
  const answer = (content ?? '') + toolCalls.map((c) => c.function.name + c.function.arguments).join('');
  return usageToWire({
    inputTokens: override?.prompt_tokens ?? estimatePromptTokens(request),
    cachedInputTokens: 0,
    outputTokens: override?.completion_tokens ?? estimateTokens(answer),
    reasoningTokens: 0,
  });
}
