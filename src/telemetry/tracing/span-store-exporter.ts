/**
 * The exporter that writes finished spans to Baton's {@link SpanStore}, behind the SDK's batching
 * processor: the hot path only queues a span; a batch is one transaction.
 * @module
 */
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { type ExportResult, ExportResultCode, hrTimeToMilliseconds } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { SpanStore, StoredSpan, StoredSpanKind } from '../spans/port.js';

const KINDS: Record<SpanKind, StoredSpanKind> = {
  [SpanKind.INTERNAL]: 'internal',
  [SpanKind.SERVER]: 'server',
  [SpanKind.CLIENT]: 'client',
  [SpanKind.PRODUCER]: 'producer',
  [SpanKind.CONSUMER]: 'consumer',
};

/** A finished SDK span as a {@link StoredSpan}. */
export function toStoredSpan(span: ReadableSpan): StoredSpan {
  const ctx = span.spanContext();
  const runId = span.attributes['baton.run_id'];
  const stepId = span.attributes['baton.step_id'];
  const code = span.status.code;
  return {
    traceId: ctx.traceId,
    spanId: ctx.spanId,
    ...(span.parentSpanContext ? { parentSpanId: span.parentSpanContext.spanId } : {}),
    name: span.name,
    kind: KINDS[span.kind],
    startTime: hrTimeToMilliseconds(span.startTime),
    endTime: hrTimeToMilliseconds(span.endTime),
    status: {
      code: code === SpanStatusCode.ERROR ? 'error' : code === SpanStatusCode.OK ? 'ok' : 'unset',
      ...(span.status.message ? { message: span.status.message } : {}),
    },
    attributes: { ...span.attributes },
    ...(typeof runId === 'string' ? { runId } : {}),
    ...(typeof stepId === 'string' ? { stepId } : {}),
  };
}

/** A {@link SpanExporter} into a {@link SpanStore}. */
export class SpanStoreExporter implements SpanExporter {
  readonly #store: SpanStore;
  readonly #pending = new Set<Promise<void>>();
  readonly #onError: (error: unknown) => void;

  constructor(store: SpanStore, onError: (error: unknown) => void = () => {}) {
    this.#store = store;
    this.#onError = onError;
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    const write = this.#store.appendSpans(spans.map(toStoredSpan)).then(
      () => resultCallback({ code: ExportResultCode.SUCCESS }),
      (error: unknown) => {
        this.#onError(error);
        resultCallback({ code: ExportResultCode.FAILED, error: error as Error });
      },
    );
    this.#pending.add(write);
    void write.finally(() => this.#pending.delete(write));
  }

  async forceFlush(): Promise<void> {
    await Promise.all(this.#pending);
  }

  async shutdown(): Promise<void> {
    await this.forceFlush();
  }
}
