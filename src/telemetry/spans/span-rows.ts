/**
 * What the span store adapters share: the row shape, the checks on what callers pass, the mapping
 * from rows to {@link StoredSpan}.
 * @module
 */
import { BatonError } from '../../core/errors.js';
import type { SpanQuery, StoredSpan, StoredSpanKind } from './port.js';

/** A span row, as both adapters read it (Postgres bigints as strings or numbers). */
export interface SpanRow {
  trace_id: string;
  span_id: string;
  parent_span_id: string | null;
  name: string;
  kind: string;
  start_time: number | string;
  end_time: number | string;
  status_code: string;
  status_message: string | null;
  attributes: string;
  run_id: string | null;
  step_id: string | null;
}

/** The columns of a span row, in insert order. */
export const SPAN_COLUMNS =
  'trace_id, span_id, parent_span_id, name, kind, start_time, end_time, status_code, status_message, attributes, run_id, step_id';

const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;
const KINDS: ReadonlySet<string> = new Set(['internal', 'server', 'client', 'producer', 'consumer']);

/** Where the attributes are in {@link spanValues} and {@link spanTuple}. */
export const ATTRIBUTES_INDEX = 9;

/** The values of one row, in {@link SPAN_COLUMNS} order. @throws BatonError `INVALID_ARGUMENT` */
export function spanValues(span: StoredSpan): unknown[] {
  const values = spanTuple(span);
  values[ATTRIBUTES_INDEX] = JSON.stringify(span.attributes ?? {});
  return values;
}

/**
 * The values of one row as {@link spanValues}, but the attributes left as they are (a JSON value), for
 * a writer that serializes the whole batch at once. @throws BatonError `INVALID_ARGUMENT`
 */
export function spanTuple(span: StoredSpan): unknown[] {
  if (!HEX32.test(span.traceId) || !HEX16.test(span.spanId)) {
    throw invalid(
      `span ${span.spanId} of trace ${span.traceId}: ids must be lowercase hex (32 and 16 chars)`,
    );
  }
  if (span.parentSpanId !== undefined && !HEX16.test(span.parentSpanId)) {
    throw invalid(`span ${span.spanId}: parentSpanId must be 16 lowercase hex chars`);
  }
  if (!KINDS.has(span.kind)) throw invalid(`span ${span.spanId}: unknown kind ${span.kind}`);
  if (!Number.isFinite(span.startTime) || !Number.isFinite(span.endTime)) {
    throw invalid(`span ${span.spanId}: startTime and endTime must be finite numbers`);
  }
  return [
    span.traceId,
    span.spanId,
    span.parentSpanId ?? null,
    span.name,
    span.kind,
    span.startTime,
    span.endTime,
    span.status.code,
    span.status.message ?? null,
    span.attributes ?? {},
    span.runId ?? null,
    span.stepId ?? null,
  ];
}

/** A row as a {@link StoredSpan}. */
export function toStoredSpan(row: SpanRow): StoredSpan {
  return {
    traceId: row.trace_id,
    spanId: row.span_id,
    ...(row.parent_span_id === null ? {} : { parentSpanId: row.parent_span_id }),
    name: row.name,
    kind: row.kind as StoredSpanKind,
    startTime: Number(row.start_time),
    endTime: Number(row.end_time),
    status: {
      code: row.status_code as StoredSpan['status']['code'],
      ...(row.status_message === null ? {} : { message: row.status_message }),
    },
    attributes: JSON.parse(row.attributes) as Record<string, unknown>,
    ...(row.run_id === null ? {} : { runId: row.run_id }),
    ...(row.step_id === null ? {} : { stepId: row.step_id }),
  };
}

/** The column and value a query filters on. @throws BatonError `INVALID_ARGUMENT` */
export function queryFilter(query: SpanQuery): { column: 'trace_id' | 'run_id'; value: string } {
  if ('traceId' in query && typeof query.traceId === 'string' && query.traceId !== '') {
    return { column: 'trace_id', value: query.traceId };
  }
  if ('runId' in query && typeof query.runId === 'string' && query.runId !== '') {
    return { column: 'run_id', value: query.runId };
  }
  throw invalid('listSpans needs a non-empty traceId or runId');
}

/** The error of a closed span store. */
export function spanStoreClosed(): BatonError {
  return new BatonError('STORE_UNAVAILABLE', 'the span store is closed', {
    hint: 'Open a new span store; spans are written by the tracing until it shuts down',
  });
}

function invalid(message: string): BatonError {
  return new BatonError('INVALID_ARGUMENT', message, { hint: 'Pass spans as the tracing records them' });
}
