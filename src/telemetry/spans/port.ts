/**
 * The span store port: where Baton keeps the spans of its traces, so the dashboard and the API show
 * them with no external tracing backend. Adapters: SQLite (`sqlite-span-store.ts`) and Postgres
 * (`postgres-span-store.ts`), sharing the engine's database with `telemetry_` tables.
 *
 * Glossary:
 * - trace: every span of one run and of its child runs; its id is the root run's `traceId`.
 * - span: one timed operation (a run, a step attempt, a model call, a tool call), with its parent.
 * @module
 */

/** How a span ended. */
export interface SpanStatus {
  code: 'unset' | 'ok' | 'error';
  message?: string;
}

/** The kind of a span, as OpenTelemetry names them. */
export type StoredSpanKind = 'internal' | 'server' | 'client' | 'producer' | 'consumer';

/** A span as stored. Times are ms since the epoch (fractional allowed). */
export interface StoredSpan {
  /** 32 lowercase hex characters. */
  traceId: string;
  /** 16 lowercase hex characters. */
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: StoredSpanKind;
  startTime: number;
  endTime: number;
  status: SpanStatus;
  /** Attributes, as JSON values. */
  attributes: Record<string, unknown>;
  /** The run the span belongs to (`baton.run_id`), for queries by run. */
  runId?: string;
  /** The step the span belongs to (`baton.step_id`). */
  stepId?: string;
}

/** Which spans {@link SpanStore.listSpans} returns: a whole trace, or the spans of one run. */
export type SpanQuery = { traceId: string } | { runId: string };

/** Where spans are kept. */
export interface SpanStore {
  /**
   * Appends spans. A span already stored (same trace and span id) is replaced: a retried export, or
   * a span recorded twice by two workers, leaves one row.
   */
  appendSpans(spans: readonly StoredSpan[]): Promise<void>;
  /** The spans of a trace or of a run, by start time. */
  listSpans(query: SpanQuery): Promise<StoredSpan[]>;
  /** Deletes spans that ended before `before` (ms since epoch); returns how many. */
  pruneBefore(before: number): Promise<number>;
  close(): Promise<void>;
}

/** Options every span store takes. */
export interface SpanStoreOptions {
  /** @defaultValue Date.now (unused by the adapters today; kept for the conformance harness) */
  now?: () => number;
}
