/**
 * JSON logs (pino): one line per event on stderr, carrying the ids that join a line to its trace
 * and its run (`trace_id`, `span_id`, `run_id`, `step_id`). Model and tool payloads are logged at
 * debug level only, masked and cut (see `tracing/call-spans.ts`).
 * @module
 */
import { type DestinationStream, type Logger, type LoggerOptions as PinoOptions, pino } from 'pino';
import type { ClaimedTask } from '../core/types.js';

export type { Logger } from 'pino';

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** `trace`, `debug`, `info`, `warn`, `error`, `fatal` or `silent`. @defaultValue `BATON_LOG_LEVEL`, else 'info' */
  level?: string;
  /** Where lines go. @defaultValue stderr */
  destination?: DestinationStream;
  /** Fields on every line. @defaultValue `{ service: 'baton' }` */
  base?: Record<string, unknown>;
  /** @defaultValue process.env */
  env?: NodeJS.ProcessEnv;
}

/**
 * A JSON-lines logger.
 * @example
 * const baton = await Baton.open({ logger: createLogger() });
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const settings: PinoOptions = {
    level: options.level ?? (options.env ?? process.env).BATON_LOG_LEVEL ?? 'info',
    base: options.base ?? { service: 'baton' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  return pino(settings, options.destination ?? pino.destination({ fd: 2, sync: false }));
}

/** The logger of one step attempt: `logger` with the attempt's ids on every line. */
export function attemptLogger(
  logger: Logger,
  task: ClaimedTask,
  span?: { traceId: string; spanId: string },
): Logger {
  return logger.child({
    ...(span ? { trace_id: span.traceId, span_id: span.spanId } : {}),
    run_id: task.runId,
    ...(task.stepId === '' ? {} : { step_id: task.stepId }),
    attempt: task.attempt,
    ...(task.item >= 0 ? { item: task.item } : {}),
  });
}
