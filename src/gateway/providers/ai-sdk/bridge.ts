/**
 * Translation between Baton's OpenAI-shaped wire types and the Vercel AI SDK's provider interface
 * (`LanguageModelV3`): a {@link ChatRequest} becomes call options for `doGenerate`/`doStream`, and a
 * generate result becomes a {@link ChatResponse}. Streams are translated in `stream.ts`.
 * @module
 */
import type {
  LanguageModelV3CallOptions,
  LanguageModelV3FilePart,
  LanguageModelV3FinishReason,
  LanguageModelV3FunctionTool,
  LanguageModelV3GenerateResult,
  LanguageModelV3Message,
  LanguageModelV3TextPart,
  LanguageModelV3ToolCallPart,
  LanguageModelV3ToolChoice,
  LanguageModelV3ToolResultPart,
  LanguageModelV3Usage,
} from '@ai-sdk/provider';
import { ProviderError } from '../../errors.js';
import type {
  ChatMessage,
  ChatRequest,
  ChatResponse,
  ContentPart,
  FinishReason,
  ToolCall,
  Usage,
} from '../../types.js';
import { usageToWire } from '../../types.js';

/** What the request translation needs besides the request. */
export interface CallOptionsContext {
  /** `provider/model`, for error messages. */
  target: string;
  /** Aborts the upstream call. */
  signal: AbortSignal;
  /** Used when the request sets neither `max_completion_tokens` nor `max_tokens`. */
  defaultMaxOutputTokens?: number;
}

/**
 * Translates an OpenAI-shaped chat request to AI SDK call options. System and developer messages
 * become system messages at the head of the prompt; tool messages become tool results named after
 * the assistant tool call they answer.
 * @throws {ProviderError} `PROVIDER_REJECTED` when the request cannot be expressed (a tool message
 * answering no earlier tool call, an unsupported content part).
 */
export function toCallOptions(request: ChatRequest, context: CallOptionsContext): LanguageModelV3CallOptions {
  const maxOutputTokens =
    request.max_completion_tokens ?? request.max_tokens ?? context.defaultMaxOutputTokens;
  const options: LanguageModelV3CallOptions = {
    prompt: toPrompt(request.messages, context.target),
    abortSignal: context.signal,
  };
  if (maxOutputTokens !== undefined) options.maxOutputTokens = maxOutputTokens;
  if (typeof request.temperature === 'number') options.temperature = request.temperature;
  if (typeof request.top_p === 'number') options.topP = request.top_p;
  if (typeof request.seed === 'number') options.seed = request.seed;
  if (typeof request.frequency_penalty === 'number') options.frequencyPenalty = request.frequency_penalty;
  if (typeof request.presence_penalty === 'number') options.presencePenalty = request.presence_penalty;
  if (request.stop !== undefined && request.stop !== null) {
    options.stopSequences = Array.isArray(request.stop) ? request.stop : [request.stop];
  }
  if (request.tools && request.tools.length > 0) {
    options.tools = request.tools.map(
      (tool): LanguageModelV3FunctionTool => ({
        type: 'function',
        name: tool.function.name,
        ...(tool.function.description === undefined ? {} : { description: tool.function.description }),
        inputSchema: (tool.function.parameters ?? {
          type: 'object',
          properties: {},
        }) as LanguageModelV3FunctionTool['inputSchema'],
        ...(tool.function.strict === undefined ? {} : { strict: tool.function.strict }),
      }),
    );
  }
  const toolChoice = toToolChoice(request.tool_choice);
  if (toolChoice) options.toolChoice = toolChoice;
  const format = request.response_format;
  if (format?.type === 'json_object') options.responseFormat = { type: 'json' };
  else if (format?.type === 'json_schema') {
    options.responseFormat = {
      type: 'json',
      name: format.json_schema.name,
      ...(format.json_schema.schema === undefined ? {} : { schema: format.json_schema.schema }),
    };
  } else if (format?.type === 'text') options.responseFormat = { type: 'text' };
  return options;
}

function toToolChoice(choice: ChatRequest['tool_choice']): LanguageModelV3ToolChoice | undefined {
  if (choice === undefined) return undefined;
  if (choice === 'none' || choice === 'auto' || choice === 'required') return { type: choice };
  return { type: 'tool', toolName: choice.function.name };
}

function toPrompt(messages: ChatMessage[], target: string): LanguageModelV3Message[] {
  // Anthropic and Gemini take one system prompt before the conversation, and both SDK providers
  // refuse a system message after a user message, which OpenAI allows: hoist them all, in order.
  const system: LanguageModelV3Message[] = [];
  const conversation: LanguageModelV3Message[] = [];
  const toolNames = new Map<string, string>();
  for (const message of messages) {
    switch (message.role) {
      case 'system':
      case 'developer': {
        const text = textOf(message.content);
        if (text !== '') system.push({ role: 'system', content: text });
        break;
      }
      case 'user':
        conversation.push({ role: 'user', content: userParts(message.content, target) });
        break;
      case 'assistant': {
        const content: Array<LanguageModelV3TextPart | LanguageModelV3ToolCallPart> = [];
        const text = textOf(message.content);
        if (text !== '') content.push({ type: 'text', text });
        for (const call of message.tool_calls ?? []) {
          toolNames.set(call.id, call.function.name);
          content.push({
            type: 'tool-call',
            toolCallId: call.id,
            toolName: call.function.name,
            input: parseArguments(call.function.arguments),
          });
        }
        // Both vendors reject an assistant turn with no content at all.
        if (content.length > 0) conversation.push({ role: 'assistant', content });
        break;
      }
      case 'tool': {
        const id = message.tool_call_id ?? '';
        const toolName = toolNames.get(id);
        if (toolName === undefined) {
          throw new ProviderError(
            'PROVIDER_REJECTED',
            `${target}: the tool message for tool_call_id '${id}' answers no tool call of an earlier assistant message`,
            {
              target,
              hint: 'Send the assistant message with its tool_calls before the tool messages that answer them',
            },
          );
        }
        const result: LanguageModelV3ToolResultPart = {
          type: 'tool-result',
          toolCallId: id,
          toolName,
          output: { type: 'text', value: textOf(message.content) },
        };
        // Consecutive tool messages answer one assistant turn: keep them in one tool message.
        const last = conversation.at(-1);
        if (last?.role === 'tool') last.content.push(result);
        else conversation.push({ role: 'tool', content: [result] });
        break;
      }
      default:
        throw new ProviderError(
          'PROVIDER_REJECTED',
          `${target}: unknown message role '${String(message.role)}'`,
          {
            target,
            hint: 'Use the roles system, developer, user, assistant or tool',
          },
        );
    }
  }
  return [...system, ...conversation];
}

/** Arguments are a JSON string on the wire; a malformed one is passed as is for the vendor to judge. */
function parseArguments(text: string): unknown {
  try {
    return JSON.parse(text === '' ? '{}' : text);
  } catch {
    return text;
  }
}

function textOf(content: ChatMessage['content']): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part) => (part.type === 'text' && typeof part.text === 'string' ? part.text : ''))
    .join('');
}

function userParts(
  content: ChatMessage['content'],
  target: string,
): Array<LanguageModelV3TextPart | LanguageModelV3FilePart> {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  if (!Array.isArray(content)) return [{ type: 'text', text: '' }];
  return content.map((part: ContentPart) => {
    if (part.type === 'text' && typeof part.text === 'string') return { type: 'text', text: part.text };
    if (part.type === 'image_url') {
      const url = (part.image_url as { url?: unknown } | undefined)?.url;
      if (typeof url === 'string') return imagePart(url, target);
    }
    throw new ProviderError(
      'PROVIDER_REJECTED',
      `${target}: content part of type '${part.type}' is not supported`,
      {
        target,
        hint: 'Send text and image_url parts to this provider',
      },
    );
  });
}

const DATA_URL = /^data:([^;,]*)((?:;[^;,]*)*?)(;base64)?,(.*)$/s;
const EXTENSION_TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
};

/**
 * An `image_url` as an AI SDK file part: a data URL becomes base64 data with its media type, any
 * other URL is passed as a URL for the vendor to fetch (the gateway itself never downloads).
 */
export function imagePart(url: string, target: string): LanguageModelV3FilePart {
  const data = DATA_URL.exec(url);
  if (data) {
    const mediaType = data[1] || 'image/*';
    const body = data[4] ?? '';
    const base64 = data[3] ? body : Buffer.from(decodeURIComponent(body), 'utf8').toString('base64');
    return { type: 'file', mediaType, data: base64 };
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new ProviderError('PROVIDER_REJECTED', `${target}: image_url '${url.slice(0, 100)}' is not a URL`, {
      target,
      cause,
      hint: 'Send an http(s) URL or a data: URL with base64 image data',
    });
  }
  const extension = /\.([a-z0-9]+)$/i.exec(parsed.pathname)?.[1]?.toLowerCase() ?? '';
  return { type: 'file', mediaType: EXTENSION_TYPES[extension] ?? 'image/*', data: parsed };
}

/** Facts about a response that the AI SDK result may not carry. */
export interface ResponseContext {
  /** The upstream model name, reported as `model`. */
  model: string;
  /** Milliseconds since the epoch, for `created`. */
  now: number;
  /** The id to use when the vendor sends none. */
  fallbackId: string;
}

/** Translates a `doGenerate` result to an OpenAI-shaped chat completion. */
export function toChatResponse(
  result: LanguageModelV3GenerateResult,
  context: ResponseContext,
): ChatResponse {
  let text = '';
  const toolCalls: ToolCall[] = [];
  for (const part of result.content) {
    if (part.type === 'text') text += part.text;
    else if (part.type === 'tool-call' && !part.providerExecuted) {
      toolCalls.push({
        id: part.toolCallId,
        type: 'function',
        function: { name: part.toolName, arguments: part.input },
      });
    }
  }
  return {
    id: result.response?.id ?? context.fallbackId,
    object: 'chat.completion',
    created: Math.floor(context.now / 1000),
    model: context.model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: text === '' && toolCalls.length > 0 ? null : text,
          ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
        },
        finish_reason: toFinishReason(result.finishReason, toolCalls.length > 0),
      },
    ],
    usage: usageToWire(toUsage(result.usage)),
  };
}

/**
 * Maps the AI SDK's unified finish reason to OpenAI's. A vendor may stop "normally" after tool
 * calls (Gemini sends `STOP`), and `other`/`error` have no OpenAI counterpart: those become
 * `tool_calls` when the model called tools, else `stop`.
 */
export function toFinishReason(reason: LanguageModelV3FinishReason, calledTools: boolean): FinishReason {
  switch (reason.unified) {
    case 'length':
      return 'length';
    case 'content-filter':
      return 'content_filter';
    case 'tool-calls':
      return 'tool_calls';
    default:
      return calledTools ? 'tool_calls' : 'stop';
  }
}

/**
 * Maps AI SDK usage to Baton's: input counts cached reads and cache writes (as OpenAI's
 * `prompt_tokens` does), output counts reasoning. Missing counts are zero.
 */
export function toUsage(usage: LanguageModelV3Usage): Usage {
  const input = usage.inputTokens;
  const output = usage.outputTokens;
  return {
    inputTokens: input.total ?? (input.noCache ?? 0) + (input.cacheRead ?? 0) + (input.cacheWrite ?? 0),
    cachedInputTokens: input.cacheRead ?? 0,
    outputTokens: output.total ?? (output.text ?? 0) + (output.reasoning ?? 0),
    reasoningTokens: output.reasoning ?? 0,
  };
}
