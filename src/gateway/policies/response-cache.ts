/**
 * The exact-match response cache, opt-in per route. The key is a hash of the tenant, the route
 * and the whole request as sent to the provider (after PII masking), tools and parameters
 * included; only `stream`, `stream_options`, `metadata` and `user` are left out, as they do not
 * change the answer (metadata in the key is what collapses other gateways' hit rates). Errors are
 * never cached. Requests sampling at a temperature above 0 are not cached unless the route allows.
 * @module
 */
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { stableStringify } from '../stable-json.js';
import type { ChatRequest, ChatResponse } from '../types.js';

/** One cached answer and who paid for it. */
export interface CachedAnswer {
  response: ChatResponse;
  target: string;
  storedAt: number;
}

/** Whether a request may be answered from (and stored in) the cache of a route. */
export function cacheable(request: ChatRequest, allowSampling: boolean): boolean {
  if (allowSampling) return true;
  // OpenAI's default temperature is 1: an unset temperature samples too.
  return request.temperature === 0;
}

/** The cache key of a request on a route for a tenant. */
export function cacheKey(tenant: string, route: string, request: ChatRequest): string {
  const { stream: _s, stream_options: _o, metadata: _m, user: _u, ...rest } = request;
  return createHash('sha256')
    .update(tenant)
    .update('\u0000')
    .update(route)
    .update('\u0000')
    .update(stableStringify(rest))
    .digest('base64url');
}

/** A bounded in-memory cache with a TTL per entry. */
export class ResponseCache {
  readonly #entries: LRUCache<string, CachedAnswer>;
  #hits = 0;
  #misses = 0;

  constructor(options: { maxEntries?: number; maxBytes?: number } = {}) {
    this.#entries = new LRUCache<string, CachedAnswer>({
      max: options.maxEntries ?? 10_000,
      maxSize: options.maxBytes ?? 64 * 1024 * 1024,
      sizeCalculation: (answer) => JSON.stringify(answer.response).length + 64,
      ttlAutopurge: false,
    });
  }

  get(key: string): CachedAnswer | undefined {
    const answer = this.#entries.get(key);
    if (answer) this.#hits += 1;
    else this.#misses += 1;
    return answer;
  }

  set(key: string, answer: CachedAnswer, ttlSeconds: number): void {
    this.#entries.set(key, answer, { ttl: ttlSeconds * 1000 });
  }

  /** Hits, misses and entries, for metrics. */
  stats(): { hits: number; misses: number; entries: number } {
    return { hits: this.#hits, misses: this.#misses, entries: this.#entries.size };
  }
}
