/**
 * The request log writer: entries are appended to the ledger in batches, off the call's path, so
 * logging costs a call microseconds, not a database round trip.
 * @module
 */
import { BatchWriter } from './batch-writer.js';
import type { GatewayLedger, RequestLogEntry } from './ledger/port.js';

/** An entry, or a function building it when its batch is written (off the call's path). */
export type PendingEntry = RequestLogEntry | (() => RequestLogEntry);

/** The request log's writer: entries built and appended in batches every 20 ms (at most 500). */
export class RequestLogWriter extends BatchWriter<PendingEntry, RequestLogEntry> {
  constructor(
    ledger: Pick<GatewayLedger, 'appendRequests'>,
    options: { maxBatch?: number; intervalMs?: number; maxBuffered?: number } = {},
  ) {
    super((batch) => ledger.appendRequests(batch), {
      intervalMs: options.intervalMs ?? 20,
      maxBatch: options.maxBatch ?? 500,
      maxBuffered: options.maxBuffered ?? 50_000,
      prepare: (entry) => (typeof entry === 'function' ? entry() : entry),
    });
  }
}

/** JSON text of a payload for the log, cut to `max` characters with a marker. */
export function truncatedJson(value: unknown, max: number): string | undefined {
  if (max <= 0) return undefined;
  const text = JSON.stringify(value);
  if (text === undefined) return undefined;
  return text.length <= max ? text : `${text.slice(0, max)}…[truncated ${text.length - max} chars]`;
}
