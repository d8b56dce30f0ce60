/**
 * The provider port: what the router needs from a vendor adapter. A provider translates Baton's
 * wire types ({@link ChatRequest}, OpenAI-shaped) to its vendor's protocol and back, and throws
 * {@link ProviderError}s typed by cause. It knows nothing of routes, retries, budgets or PII: the
 * gateway applies those around it, the same way for every provider.
 * @module
 */
import type { ChatChunk, ChatRequest, ChatResponse, EmbeddingRequest, EmbeddingResponse } from '../types.js';

/** What a provider is given for one call besides the request. */
export interface ProviderCall {
  /** The model name at the provider (the part after `provider/`). It replaces `request.model`. */
  model: string;
  /** Aborted on timeout or when the client goes away; the provider must stop at once. */
  signal: AbortSignal;
  /** The target's name, `provider/model`, for error messages. */
  target: string;
}

/**
 * One vendor protocol. Implementations:
 * - throw {@link ProviderError} (from `../errors.js`) for every failure, typed by cause;
 * - for streams, yield OpenAI-shaped chunks and end with one chunk carrying `usage` when the vendor
 *   reports it; a failure mid-stream throws from the iterator (never a silent end);
 * - put `request.model` = `call.model` on the wire, never the route alias.
 */
export interface Provider {
  /** The provider's name in config (`openai`, `anthropic`, `local`); the `provider` of `provider/model`. */
  readonly name: string;
  /** True for the offline provider: its answers are labelled as offline everywhere they appear. */
  readonly offline?: boolean;
  chat(request: ChatRequest, call: ProviderCall): Promise<ChatResponse>;
  chatStream(request: ChatRequest, call: ProviderCall): AsyncIterable<ChatChunk>;
  /** Absent when the vendor has no embeddings (Anthropic). */
  embed?(request: EmbeddingRequest, call: ProviderCall): Promise<EmbeddingResponse>;
  /** Releases connections. */
  close?(): Promise<void>;
}
