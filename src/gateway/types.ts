/**
 * The gateway's wire types. Baton speaks the OpenAI chat-completions shape inside the gateway as
 * well as at its edge: it is what clients send, what the pass-through hot path forwards untouched,
 * and what the Anthropic and Gemini adapters translate to and from. Fields a type does not name are
 * kept and forwarded (the index signatures), so a client's newer parameters are not lost.
 *
 * Glossary:
 * - **route**: a model alias clients ask for (`fast`, `smart`), mapped to targets with a strategy.
 * - **target**: one provider and one upstream model (`openai/gpt-4o-mini`), with its own breaker.
 * - **provider**: the adapter that speaks one vendor's protocol.
 * @module
 */

/** A text or image part of a message's content. */
export type ContentPart =
  | { type: 'text'; text: string }
  | { type: 'image_url'; image_url: { url: string; detail?: 'auto' | 'low' | 'high' } }
  | { type: string; [field: string]: unknown };

/** A tool call the model made, with its arguments as a JSON string (as OpenAI sends them). */
export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** One message of a conversation. */
export interface ChatMessage {
  role: 'system' | 'developer' | 'user' | 'assistant' | 'tool';
  content?: string | ContentPart[] | null;
  name?: string;
  tool_calls?: ToolCall[];
  /** On `tool` messages: the call this message answers. */
  tool_call_id?: string;
  [field: string]: unknown;
}

/** A function tool the model may call; `parameters` is JSON Schema. */
export interface ToolDefinition {
  type: 'function';
  function: { name: string; description?: string; parameters?: Record<string, unknown>; strict?: boolean };
}

/** `response_format`: free text, any JSON object, or JSON matching a schema. */
export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | {
      type: 'json_schema';
      json_schema: { name: string; schema?: Record<string, unknown>; strict?: boolean };
    };

/** A chat-completions request. `model` is a route alias or a `provider/model` target. */
export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  tools?: ToolDefinition[];
  tool_choice?: 'none' | 'auto' | 'required' | { type: 'function'; function: { name: string } };
  response_format?: ResponseFormat;
  temperature?: number;
  top_p?: number;
  max_tokens?: number;
  max_completion_tokens?: number;
  stop?: string | string[];
  seed?: number;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  /** Free-form request metadata; conditional routes match on it. */
  metadata?: Record<string, string>;
  [field: string]: unknown;
}

/** Token counts as OpenAI reports them: cached tokens are part of `prompt_tokens`, reasoning of `completion_tokens`. */
export interface WireUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details?: { cached_tokens?: number; [field: string]: unknown };
  completion_tokens_details?: { reasoning_tokens?: number; [field: string]: unknown };
  [field: string]: unknown;
}

/** Why the model stopped. */
export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'function_call' | null;

/** The assistant message of a non-streamed answer. */
export interface AssistantMessage {
  role: 'assistant';
  content: string | null;
  tool_calls?: ToolCall[];
  refusal?: string | null;
  [field: string]: unknown;
}

/** A non-streamed answer. */
export interface ChatResponse {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: Array<{
    index: number;
    message: AssistantMessage;
    finish_reason: FinishReason;
    [field: string]: unknown;
  }>;
  usage?: WireUsage;
  [field: string]: unknown;
}

/** A tool call fragment in a streamed delta; `index` ties fragments of one call together. */
export interface ToolCallDelta {
  index: number;
  id?: string;
  type?: 'function';
  function?: { name?: string; arguments?: string };
}

/** One streamed chunk. The last one carries `usage` (the gateway always asks for it). */
export interface ChatChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: Array<{
    index: number;
    delta: {
      role?: 'assistant';
      content?: string | null;
      tool_calls?: ToolCallDelta[];
      refusal?: string | null;
    };
    finish_reason: FinishReason;
    [field: string]: unknown;
  }>;
  usage?: WireUsage | null;
  [field: string]: unknown;
}

/** An embeddings request. */
export interface EmbeddingRequest {
  model: string;
  input: string | string[] | number[] | number[][];
  encoding_format?: 'float' | 'base64';
  dimensions?: number;
  [field: string]: unknown;
}

/** An embeddings answer. */
export interface EmbeddingResponse {
  object: 'list';
  data: Array<{ object: 'embedding'; index: number; embedding: number[] | string }>;
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
}

/** Token counts in Baton's terms, as recorded in the request log and priced. */
export interface Usage {
  /** Every prompt token, cached ones included. */
  inputTokens: number;
  /** Prompt tokens read from the provider's cache (billed at the cached price). */
  cachedInputTokens: number;
  /** Every output token, reasoning included. */
  outputTokens: number;
  /** Hidden reasoning tokens (billed at the reasoning price). */
  reasoningTokens: number;
}

/** Converts OpenAI's usage to {@link Usage}. */
export function usageFromWire(wire: WireUsage | null | undefined): Usage | undefined {
  if (!wire) return undefined;
  return {
    inputTokens: wire.prompt_tokens ?? 0,
    cachedInputTokens: wire.prompt_tokens_details?.cached_tokens ?? 0,
    outputTokens: wire.completion_tokens ?? 0,
    reasoningTokens: wire.completion_tokens_details?.reasoning_tokens ?? 0,
  };
}

/** Converts {@link Usage} to OpenAI's usage. */
export function usageToWire(usage: Usage): WireUsage {
  return {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.inputTokens + usage.outputTokens,
    prompt_tokens_details: { cached_tokens: usage.cachedInputTokens },
    completion_tokens_details: { reasoning_tokens: usage.reasoningTokens },
  };
}

/**
 * An embeddings answer in OpenAI's shape. `base64` is what OpenAI sends for it: the little-endian
 * float32s of each vector (the official client asks for it by default and decodes it).
 */
export function embeddingResponse(
  vectors: readonly number[][],
  facts: { model: string; tokens: number; encoding?: EmbeddingRequest['encoding_format'] },
): EmbeddingResponse {
  return {
    object: 'list',
    data: vectors.map((vector, index) => ({
      object: 'embedding' as const,
      index,
      embedding:
        facts.encoding === 'base64'
          ? Buffer.from(new Float32Array(vector).buffer).toString('base64')
          : vector,
    })),
    model: facts.model,
    usage: { prompt_tokens: facts.tokens, total_tokens: facts.tokens },
  };
}
