/**
 * Running one call over a route's targets: a timeout on every attempt, retries with exponential
 * backoff and jitter (honouring `Retry-After`) on retryable failures only, the target's circuit
 * breaker around each attempt, and the next target when one gives up. When every target fails,
 * the first target's error is thrown: it is the one the route was meant to use.
 * @module
 */
import { BrokenCircuitError, DelegateBackoff, handleWhen, retry, TaskCancelledError } from 'cockatiel';
import { ProviderError, providerErrorFromException } from '../errors.js';
import type { Target } from './target.js';

/** Retry settings of a route. */
export interface RetrySettings {
  /** Retries after the first attempt, per target. */
  attempts: number;
  baseMs: number;
  maxMs: number;
  /** A `Retry-After` longer than this moves on to the next target instead of waiting. */
  maxRetryAfterMs: number;
}

/** One attempt on one target, as the request log records it. */
export interface AttemptRecord {
  target: string;
  ms: number;
  /** The error code, when the attempt failed. */
  error?: string;
}

/** A call that succeeded on some target. */
export interface RouteOutcome<T> {
  value: T;
  target: Target;
  /** Attempts after the first on the same target, summed over targets. */
  retries: number;
  /** Targets given up on before this one. */
  fallbacks: number;
  attempts: AttemptRecord[];
}

/** A call that failed on every target: the first target's error, and every attempt. */
export class RouteFailure extends Error {
  readonly error: ProviderError;
  readonly attempts: AttemptRecord[];
  readonly retries: number;
  constructor(error: ProviderError, attempts: AttemptRecord[], retries: number) {
    super(error.message, { cause: error });
    this.error = error;
    this.attempts = attempts;
    this.retries = retries;
  }
}

/** What the runner needs besides the targets. */
export interface RunOptions {
  retry: RetrySettings;
  /** Per-attempt timeout for a target. */
  timeoutMs: (target: Target) => number;
  /** The caller going away (a client disconnect) cancels everything. */
  signal?: AbortSignal;
  random?: () => number;
  now?: () => number;
}

/**
 * The control of one attempt: its signal fires on timeout (with a `PROVIDER_TIMEOUT` reason), when
 * the caller's signal aborts, or on `abort`. A non-streamed attempt is released when it settles; a
 * held stream keeps its control and releases it when the stream ends.
 */
export interface AttemptControl {
  readonly signal: AbortSignal;
  /** Stops the attempt's timeout (a stream whose first content arrived switches to an idle timeout). */
  clearTimer(): void;
  /** Aborts the attempt with a typed reason. */
  abort(reason: ProviderError): void;
  /** Stops listening to the caller's signal; call once the attempt's work is over. */
  release(): void;
}

/**
 * Tries `attempt` on each target in order until one succeeds. A non-streamed `attempt` should call
 * `control.clearTimer()` and `control.release()` when done; a failed one is released here.
 */
export async function runOnTargets<T>(
  targets: readonly Target[],
  options: RunOptions,
  attempt: (target: Target, control: AttemptControl) => Promise<T>,
): Promise<RouteOutcome<T>> {
  const random = options.random ?? Math.random;
  const now = options.now ?? performance.now.bind(performance);
  const attempts: AttemptRecord[] = [];
  let retries = 0;
  let first: ProviderError | undefined;
  const policy = retry(
    handleWhen(
      (err) =>
        err instanceof ProviderError &&
        err.retryable &&
        (err.retryAfterMs ?? 0) <= options.retry.maxRetryAfterMs,
    ),
    {
      maxAttempts: options.retry.attempts,
      backoff: new DelegateBackoff((context) => {
        const failure = 'error' in context.result ? context.result.error : undefined;
        const after = failure instanceof ProviderError ? failure.retryAfterMs : undefined;
        if (after !== undefined) return after;
        const ceiling = Math.min(options.retry.maxMs, options.retry.baseMs * 2 ** (context.attempt - 1));
        return ceiling / 2 + random() * (ceiling / 2);
      }),
    },
  );
  policy.onRetry(() => {
    retries += 1;
  });

  for (let index = 0; index < targets.length; index += 1) {
    const target = targets[index] as Target;
    try {
      const value = await policy.execute(async () => {
        const started = now();
        try {
          const result = await target.breaker.execute(() => timed(target, options, attempt));
          const ms = now() - started;
          target.observe(ms);
          attempts.push({ target: target.name, ms });
          return result;
        } catch (err) {
          const typed = typedFailure(err, target);
          attempts.push({ target: target.name, ms: now() - started, error: typed.code });
          throw typed;
        }
      }, options.signal);
      return { value, target, retries, fallbacks: index, attempts };
    } catch (err) {
      const typed = typedFailure(err, target);
      if (options.signal?.aborted) throw new RouteFailure(cancelled(target), attempts, retries);
      first ??= typed;
      if (!typed.fallback) throw new RouteFailure(index === 0 ? typed : first, attempts, retries);
    }
  }
  throw new RouteFailure(
    first ?? new ProviderError('PROVIDER_UNAVAILABLE', 'the route has no targets'),
    attempts,
    retries,
  );
}

async function timed<T>(
  target: Target,
  options: RunOptions,
  attempt: (target: Target, control: AttemptControl) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const timeoutMs = options.timeoutMs(target);
  const timer = setTimeout(() => {
    controller.abort(
      new ProviderError('PROVIDER_TIMEOUT', `${target.name} did not answer within ${timeoutMs} ms`, {
        target: target.name,
        hint: "Raise the route's or target's timeoutMs, or route to a faster model",
      }),
    );
  }, timeoutMs);
  const onAbort = (): void => controller.abort(cancelled(target));
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });
  const control: AttemptControl = {
    signal: controller.signal,
    clearTimer: () => clearTimeout(timer),
    abort: (reason) => controller.abort(reason),
    release: () => options.signal?.removeEventListener('abort', onAbort),
  };
  try {
    return await attempt(target, control);
  } catch (err) {
    control.clearTimer();
    control.release();
    if (controller.signal.aborted && controller.signal.reason instanceof ProviderError)
      throw controller.signal.reason;
    throw err;
  }
}

function typedFailure(err: unknown, target: Target): ProviderError {
  if (err instanceof ProviderError) return err;
  if (err instanceof BrokenCircuitError) {
    return new ProviderError(
      'CIRCUIT_OPEN',
      `${target.name} is skipped: its circuit breaker is open after repeated failures`,
      { target: target.name, cause: err, hint: 'It is tried again after the half-open delay' },
    );
  }
  if (err instanceof TaskCancelledError) return cancelled(target);
  return providerErrorFromException(err, target.name);
}

/** The abort reason when the caller goes away: typed, and neither retried nor held against the target. */
function cancelled(target: Target): ProviderError {
  return new ProviderError('REQUEST_CANCELLED', `the caller cancelled the call to ${target.name}`, {
    target: target.name,
  });
}
