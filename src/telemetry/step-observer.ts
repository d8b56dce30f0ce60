/**
 * What a worker runs each step attempt through when telemetry is on: the attempt's span (with the
 * tracing and logger put in the context for the code the step calls) and its log lines.
 * @module
 */
import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import type { ClaimedTask, StepOutcome } from '../core/types.js';
import { LOGGER_KEY } from './context-keys.js';
import { attemptLogger, type Logger } from './logs.js';
import { installContextManager } from './tracing/context-manager.js';
import type { Tracing } from './tracing/tracing.js';

/** Runs one attempt's body under its span and logs. */
export type StepObserver = (task: ClaimedTask, body: () => Promise<StepOutcome>) => Promise<StepOutcome>;

/** The observer of a worker with `tracing` and/or `logger`; undefined when it has neither. */
export function stepObserver(options: {
  tracing?: Tracing;
  logger?: Logger;
  /** Named on the attempt spans exported to OTLP. */
  workerId?: string;
}): StepObserver | undefined {
  const { tracing, logger, workerId } = options;
  if (!tracing && !logger) return undefined;
  installContextManager();
  // Per-step lines are debug: at info, a busy worker would write two lines per step (tens of
  // thousands a second) and lose a third of its throughput to logging. Failures are warnings.
  const verbose = logger?.isLevelEnabled('debug') ?? false;
  return async (task, body) => {
    const started = tracing?.startAttempt(task);
    const log = logger && verbose ? attemptLogger(logger, task, started?.span.spanContext()) : undefined;
    const failureLog = () =>
      log ?? (logger ? attemptLogger(logger, task, started?.span.spanContext()) : undefined);
    let ctx = started?.ctx ?? ROOT_CONTEXT;
    if (log) ctx = ctx.setValue(LOGGER_KEY, log);
    log?.debug({ kind: task.kind, workflow: task.run.workflow }, 'step started');
    const t0 = performance.now();
    let outcome: StepOutcome;
    try {
      outcome = await context.with(ctx, body);
    } catch (error) {
      if (started) tracing?.endAttempt(started.span, undefined, error, workerId);
      failureLog()?.warn({ err: error, duration_ms: performance.now() - t0 }, 'step failed');
      throw error;
    }
    if (started) tracing?.endAttempt(started.span, outcome, undefined, workerId);
    if (outcome.type === 'failed') {
      failureLog()?.warn(
        { error_code: outcome.error.code, error: outcome.error.message, duration_ms: performance.now() - t0 },
        'step failed',
      );
    } else {
      log?.debug({ outcome: outcome.type, duration_ms: performance.now() - t0 }, 'step finished');
    }
    return outcome;
  };
}
