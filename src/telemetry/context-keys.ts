/**
 * What a step attempt puts in the OpenTelemetry context for the code it calls (gateway, tools,
 * agents, HTTP clients): the tracing that records its spans and the logger carrying its ids.
 * @module
 */
import { context, createContextKey, trace } from '@opentelemetry/api';
import type { Logger } from 'pino';

/** The context key of the active {@link Tracing}. @internal */
export const TRACING_KEY = createContextKey('baton.tracing');
/** The context key of the active step logger. @internal */
export const LOGGER_KEY = createContextKey('baton.logger');

/** The step logger of the current context, if a worker with logs runs this code. */
export function activeLogger(): Logger | undefined {
  return context.active().getValue(LOGGER_KEY) as Logger | undefined;
}

/**
 * The W3C `traceparent` of the current span, or undefined outside a traced step (no span, or no
 * context manager installed: then this is one map lookup).
 */
export function currentTraceparent(): string | undefined {
  const span = trace.getSpan(context.active());
  if (!span) return undefined;
  const { traceId, spanId, traceFlags } = span.spanContext();
  return `00-${traceId}-${spanId}-${(traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

/** `headers` with the current `traceparent` added, or `headers` itself outside a traced step. */
export function withTraceparent<H extends Record<string, string>>(headers: H): H {
  const traceparent = currentTraceparent();
  return traceparent === undefined ? headers : { ...headers, traceparent };
}
