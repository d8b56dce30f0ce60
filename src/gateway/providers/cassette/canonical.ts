/**
 * Canonical JSON for cassettes: sorted keys at every level, so that the same request always has the
 * same key and a re-recorded cassette diffs only where answers changed.
 * @module
 */
import { createHash } from 'node:crypto';
import type { ChatRequest, EmbeddingRequest } from '../../types.js';

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
 * JSON with object keys sorted at every level; `undefined` members are dropped as `JSON.stringify`
 * does. `indent` pretty-prints.
 */
export function stableStringify(value: unknown, indent?: number): string {
  return JSON.stringify(sortKeys(value), null, indent);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
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
