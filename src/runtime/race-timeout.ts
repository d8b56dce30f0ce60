/**
 * A step body raced against its time limit, for the worker's attempts and for replays alike.
 * @module
 */
import type { BatonError } from '../core/errors.js';

/** setTimeout cannot wait longer than 2^31-1 ms; longer bounds run unbounded here (a durable timer covers them). */
export const MAX_TIMER_MS = 2_147_483_647;

/**
 * Runs `body` with a signal that aborts when `outer` does or after `ms`; after `ms`, the signal aborts
 * with, and the call rejects with, `timedOut()`. With no `ms`, or one beyond {@link MAX_TIMER_MS},
 * `body` runs with `outer` as it is.
 */
export async function raceTimeout<T>(
  outer: AbortSignal,
  ms: number | undefined,
  timedOut: () => BatonError,
  body: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  if (ms === undefined || ms > MAX_TIMER_MS) return body(outer);
  const local = new AbortController();
  const onOuter = () => local.abort(outer.reason);
  if (outer.aborted) local.abort(outer.reason);
  else outer.addEventListener('abort', onOuter, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = timedOut();
      local.abort(error);
      reject(error);
    }, ms);
  });
  try {
    return await Promise.race([body(local.signal), timeout]);
  } finally {
    clearTimeout(timer);
    outer.removeEventListener('abort', onOuter);
  }
}
