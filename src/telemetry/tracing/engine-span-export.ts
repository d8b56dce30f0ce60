/**
 * Run and attempt spans for exporters other than the span store (OTLP, tests): built by Baton from
 * the engine's data (engine-spans.ts), with no SDK span behind them, and handed to the exporters'
 * batching processors as SDK `ReadableSpan`s.
 * @module
 */
import { type HrTime, type SpanContext, SpanKind, SpanStatusCode, TraceFlags } from '@opentelemetry/api';
import { millisToHrTime } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { StoredSpan } from '../spans/port.js';

const SCOPE = { name: 'baton' };

/** Hands engine spans to span processors. */
export class EngineSpanExport {
  readonly #processors: readonly SpanProcessor[];
  readonly #resource: Resource;

  constructor(processors: readonly SpanProcessor[], resource: Resource) {
    this.#processors = processors;
    this.#resource = resource;
  }

  /** Exports a finished span. */
  export(span: StoredSpan): void {
    const readable = toReadableSpan(span, this.#resource);
    for (const p of this.#processors) p.onEnd(readable);
  }
}

const KINDS = {
  internal: SpanKind.INTERNAL,
  server: SpanKind.SERVER,
  client: SpanKind.CLIENT,
  producer: SpanKind.PRODUCER,
  consumer: SpanKind.CONSUMER,
} as const;

/** A stored span as the SDK's `ReadableSpan`, for exporters. */
export function toReadableSpan(span: StoredSpan, resource: Resource): ReadableSpan {
  const context: SpanContext = { traceId: span.traceId, spanId: span.spanId, traceFlags: TraceFlags.SAMPLED };
  const startTime = millisToHrTime(span.startTime);
  const endTime = millisToHrTime(span.endTime);
  return {
    name: span.name,
    kind: KINDS[span.kind],
    spanContext: () => context,
    ...(span.parentSpanId
      ? {
          parentSpanContext: {
            traceId: span.traceId,
            spanId: span.parentSpanId,
            traceFlags: TraceFlags.SAMPLED,
            isRemote: true,
          },
        }
      : {}),
    startTime,
    endTime,
    duration: hrDuration(startTime, endTime),
    status: {
      code:
        span.status.code === 'error'
          ? SpanStatusCode.ERROR
          : span.status.code === 'ok'
            ? SpanStatusCode.OK
            : SpanStatusCode.UNSET,
      ...(span.status.message ? { message: span.status.message } : {}),
    },
    attributes: span.attributes as ReadableSpan['attributes'],
    links: [],
    events: [],
    ended: true,
    resource,
    instrumentationScope: SCOPE,
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}

function hrDuration(start: HrTime, end: HrTime): HrTime {
  let seconds = end[0] - start[0];
  let nanos = end[1] - start[1];
  if (nanos < 0) {
    seconds -= 1;
    nanos += 1e9;
  }
  return [seconds, nanos];
}
