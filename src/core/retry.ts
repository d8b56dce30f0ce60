import type { RetryPolicy } from './types.js';

/** The retry policy a step gets when it names none. */
export const DEFAULT_RETRY: RetryPolicy = {
  maxAttempts: 3,
  initialDelayMs: 1000,
  backoff: 2,
  maxDelayMs: 60_000,
  jitter: 0.5,
};

/** Compensations must eventually run: they retry longer than steps by default. */
export const COMPENSATION_RETRY: RetryPolicy = {
  maxAttempts: 8,
  initialDelayMs: 1000,
  backoff: 2,
  maxDelayMs: 60_000,
  jitter: 0.5,
};

/**
 * Delay before attempt `nextAttempt` (2 for the first retry): exponential backoff, capped, with
 * jitter taken from `random` (a number in [0, 1)), and never earlier than `retryAfterMs` when the
 * failure asked for it.
 */
export function retryDelayMs(
  policy: RetryPolicy,
  nextAttempt: number,
  random: number,
  retryAfterMs?: number,
): number {
  const exponent = Math.max(0, nextAttempt - 2);
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.backoff ** exponent);
  const jittered = base * (1 - policy.jitter) + base * policy.jitter * random;
  // Whole milliseconds: stores keep times as integers.
  return Math.max(Math.round(jittered), Math.ceil(retryAfterMs ?? 0));
}
