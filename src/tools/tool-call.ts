/**
 * Running one tool call: a timeout on every attempt (the tool gets an `AbortSignal`), the tool's
 * circuit breaker around each attempt, and retries with exponential backoff and jitter on retryable
 * failures only. Every failure comes back as a {@link ToolError}; nothing here throws.
 * @module
 */
import {
  BrokenCircuitError,
  type CircuitBreakerPolicy,
  DelegateBackoff,
  handleWhen,
  IsolatedCircuitError,
  retry,
  TaskCancelledError,
} from 'cockatiel';
import type { Tool, ToolCallContext, ToolRetryPolicy } from './tool.js';
import { isToolError, ToolError, toToolError } from './tool-errors.js';

/** How one call is run. */
export interface ToolCallSettings {
  timeoutMs: number;
  /** Already reduced to zero retries for a non-idempotent effect. */
  retry: ToolRetryPolicy;
  breaker: CircuitBreakerPolicy;
  /** The caller going away (the run cancelled) stops the call and any retry. */
  signal?: AbortSignal;
  /** A number in [0, 1) for backoff jitter. */
  random: () => number;
}

/** What happened: the tool's value, or the typed failure; and how many times the tool was invoked. */
export type ToolCallResult =
  | { ok: true; value: unknown; attempts: number }
  | { ok: false; error: ToolError; attempts: number };

/** Runs `tool` with `input` under the timeout, breaker and retry policy of `settings`. */
export async function runToolCall(
  tool: Tool,
  input: unknown,
  context: Omit<ToolCallContext, 'signal'>,
  settings: ToolCallSettings,
): Promise<ToolCallResult> {
  let attempts = 0;
  const { attempts: retries, baseMs, maxMs } = settings.retry;
  const policy = retry(
    handleWhen((err) => isToolError(err) && err.retryable),
    {
      maxAttempts: retries,
      backoff: new DelegateBackoff((backoff) => {
        const ceiling = Math.min(maxMs, baseMs * 2 ** (backoff.attempt - 1));
        return ceiling / 2 + settings.random() * (ceiling / 2);
      }),
    },
  );
  try {
    const value = await policy.execute(async () => {
      try {
        return await settings.breaker.execute(() => {
          // Counted inside the breaker: a call refused by an open breaker never reached the tool.
          attempts += 1;
          return attempt(tool, input, context, settings);
        });
      } catch (err) {
        throw typed(err, tool.name, settings.signal);
      }
    }, settings.signal);
    return { ok: true, value, attempts };
  } catch (err) {
    return { ok: false, error: typed(err, tool.name, settings.signal), attempts };
  }
}

/**
 * One attempt. The tool's promise is raced against the timer and the caller's signal, so a tool
 * that ignores its signal still cannot hold the call past its timeout.
 */
async function attempt(
  tool: Tool,
  input: unknown,
  context: Omit<ToolCallContext, 'signal'>,
  settings: ToolCallSettings,
): Promise<unknown> {
  const controller = new AbortController();
  let stop: (reason: ToolError) => void = () => undefined;
  const stopped = new Promise<never>((_resolve, reject) => {
    stop = (reason) => {
      controller.abort(reason);
      reject(reason);
    };
  });
  const timer = setTimeout(() => {
    stop(
      new ToolError('TOOL_TIMEOUT', `${tool.name} did not finish within ${settings.timeoutMs} ms`, {
        tool: tool.name,
        hint: 'Try a smaller request, or try again later',
      }),
    );
  }, settings.timeoutMs);
  const onCancel = (): void => stop(cancelled(tool.name));
  if (settings.signal?.aborted) onCancel();
  else settings.signal?.addEventListener('abort', onCancel, { once: true });
  try {
    // A tool that throws synchronously is still a failed attempt, not a crash of the caller.
    const running = Promise.resolve().then(() => tool.call(input, { ...context, signal: controller.signal }));
    return await Promise.race([running, stopped]);
  } catch (err) {
    throw toToolError(err, tool.name);
  } finally {
    clearTimeout(timer);
    settings.signal?.removeEventListener('abort', onCancel);
  }
}

function typed(err: unknown, tool: string, signal: AbortSignal | undefined): ToolError {
  if (err instanceof BrokenCircuitError || err instanceof IsolatedCircuitError) {
    return new ToolError(
      'TOOL_CIRCUIT_OPEN',
      `${tool} is not called: its circuit breaker is open after repeated failures`,
      { tool, cause: err, retryable: false, hint: 'Do without it for now, or try again later' },
    );
  }
  if (err instanceof TaskCancelledError || (signal?.aborted && !isToolError(err))) return cancelled(tool);
  return toToolError(err, tool);
}

function cancelled(tool: string): ToolError {
  return new ToolError('TOOL_CANCELLED', `the call to ${tool} was cancelled by its caller`, {
    tool,
    retryable: false,
  });
}
