/**
 * Requests and tokens per minute, per key, tenant and model. Token limits are taken against the
 * request's estimate before the call and corrected with the actual usage after it, so a long answer
 * counts in full and a short one gives back what it did not use.
 * @module
 */
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { RateLimitsConfig } from '../config.js';
import { GatewayError } from '../errors.js';

/** One limited scope of a call: `key:<id>`, `tenant:<name>` or `model:<name>`, with its limits. */
export interface LimitScope {
  id: string;
  limits: RateLimitsConfig | undefined;
}

/** What a call took, to be settled once its actual tokens are known. */
export interface RateTicket {
  /** Corrects the token counts with the actual total. */
  settle(actualTokens: number): void;
  /** Gives back everything taken: the call was refused later (by a budget) and sent nothing. */
  refund(): void;
}

const NO_TICKET: RateTicket = { settle() {}, refund() {} };

/** Per-minute request and token limits, in this process's memory. */
export class RateLimits {
  readonly #limiters = new Map<string, RateLimiterMemory>();

  #limiter(kind: 'requests' | 'tokens', points: number): RateLimiterMemory {
    const id = `${kind}:${points}`;
    let limiter = this.#limiters.get(id);
    if (!limiter) {
      limiter = new RateLimiterMemory({ points, duration: 60, keyPrefix: id });
      this.#limiters.set(id, limiter);
    }
    return limiter;
  }

  /**
   * Takes one request and `tokens` from every scope, or none at all: a refusal gives back what the
   * scopes before it took, so a refused call costs nothing.
   * @throws GatewayError `RATE_LIMITED` with `retryAfterMs`
   */
  async take(scopes: readonly LimitScope[], tokens: number): Promise<RateTicket> {
    const taken: Taken[] = [];
    for (const scope of scopes) {
      const limits = scope.limits;
      if (!limits) continue;
      const wanted: Array<[RateLimiterMemory, number, string]> = [];
      if (limits.requestsPerMinute !== undefined)
        wanted.push([this.#limiter('requests', limits.requestsPerMinute), 1, 'requests']);
      if (limits.tokensPerMinute !== undefined && tokens > 0) {
        if (tokens > limits.tokensPerMinute) {
          await giveBack(taken);
          // No retry can pass, so this is not a 429: the request itself must change.
          throw new GatewayError(
            'INVALID_REQUEST',
            `request of about ${tokens} tokens exceeds ${scope.id}'s limit of ${limits.tokensPerMinute} tokens per minute on its own`,
            {
              hint: 'Send a shorter request or lower max_tokens, or raise the limit',
              details: { scope: scope.id, tokensPerMinute: limits.tokensPerMinute, estimate: tokens },
            },
          );
        }
        wanted.push([this.#limiter('tokens', limits.tokensPerMinute), tokens, 'tokens']);
      }
      for (const [limiter, points, kind] of wanted) {
        try {
          await limiter.consume(scope.id, points);
          taken.push({ limiter, key: scope.id, points, tokens: kind === 'tokens' });
        } catch (err) {
          // consume() counts refused points too; give them back so a refusal does not extend the block.
          await limiter.reward(scope.id, points).catch(() => undefined);
          await giveBack(taken);
          if (!(err instanceof RateLimiterRes)) throw err;
          throw new GatewayError('RATE_LIMITED', `${scope.id} is over its ${kind} per minute limit`, {
            hint: `Retry after ${Math.ceil(err.msBeforeNext / 1000)} s, or raise the limit`,
            details: { scope: scope.id, kind, retryAfterMs: err.msBeforeNext },
            retryAfterMs: err.msBeforeNext,
          });
        }
      }
    }
    if (taken.length === 0) return NO_TICKET;
    return {
      settle(actualTokens: number): void {
        for (const entry of taken) {
          if (!entry.tokens) continue;
          const delta = actualTokens - entry.points;
          if (delta > 0) void entry.limiter.penalty(entry.key, delta).catch(() => undefined);
          else if (delta < 0) void entry.limiter.reward(entry.key, -delta).catch(() => undefined);
        }
      },
      refund(): void {
        void giveBack(taken);
      },
    };
  }
}

interface Taken {
  limiter: RateLimiterMemory;
  key: string;
  points: number;
  tokens: boolean;
}

async function giveBack(taken: readonly Taken[]): Promise<void> {
  await Promise.all(taken.map((t) => t.limiter.reward(t.key, t.points).catch(() => undefined)));
}
