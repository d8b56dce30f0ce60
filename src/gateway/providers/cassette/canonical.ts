/**
 * Canonical JSON for cassettes: sorted keys at every level, so that the same request always has the
 * same key and a re-recorded cassette diffs only where answers changed.
 * @module
 */
import { createHash } from 'node:crypto';
import { stableStringify } from '../../stable-json.js';
import type { ChatRequest, EmbeddingRequest } from '../../types.js';

export { stableStringify };

/** What identifies a recorded exchange. */
export interface CanonicalRequest {
  /** Which provider method answered. */
  kind: 'chat' | 'stream' | 'embed';
  /** The provider's name. */
  provider: string;
  /** The model at the provider (`call.model`). */
  model: string;
  /** The request as the provider saw it, with `model` = `call.model` and `stream` set by `kind`. */
  request: ChatRequest | EmbeddingRequest;
}

/**
 * The canonical form of a call. `stream` is normalised from `kind` (a chat call's `stream: false`
 * and a missing `stream` are the same request; a stream's answer has another shape).
 */
export function canonicalRequest(
  kind: CanonicalRequest['kind'],
  provider: string,
  model: string,
  request: ChatRequest | EmbeddingRequest,
): CanonicalRequest {
  const { stream: _stream, ...rest } = request;
  const normalised = kind === 'stream' ? { ...rest, model, stream: true } : { ...rest, model };
  return { kind, provider, model, request: normalised as ChatRequest | EmbeddingRequest };
}

/** The key of an exchange: the SHA-256 of the canonical request's stable JSON, in hex. */
export function cassetteKey(canonical: CanonicalRequest): string {
  return createHash('sha256').update(stableStringify(canonical)).digest('hex');
}
