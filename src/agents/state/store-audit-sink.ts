/**
 * The store-backed {@link ToolAuditSink}: tool calls are audited in the agent store, kept with the
 * run's history and shown on the dashboard. `record` is synchronous and never throws; records are
 * buffered and appended in batches, off the tool call's path.
 * @module
 */
import { BatchWriter } from '../../gateway/batch-writer.js';
import type { ToolAuditRecord, ToolAuditSink } from '../../tools/audit.js';
import type { AgentAuditRecord, AgentStore } from './port.js';

/** Options of a {@link StoreToolAuditSink}. */
export interface StoreToolAuditSinkOptions {
  /** How long a record waits for others before its batch is appended. @defaultValue 250 */
  intervalMs?: number;
  /** Largest batch; this many waiting records are appended at once. @defaultValue 200 */
  maxBatch?: number;
  /**
   * Most records kept while appends fail: beyond it the oldest are dropped and counted in
   * {@link StoreToolAuditSink.dropped}, so a store that is down cannot grow memory without bound.
   * @defaultValue 10000
   */
  maxBuffered?: number;
  /**
   * Told of every failed append (the batch stays buffered and is retried with the next one), whether
   * the append ran on the timer or from {@link StoreToolAuditSink.flush}. Log it; it must not throw.
   */
  onError?: (error: unknown) => void;
}

/** A tool call as its audit row: the tool is the subject, everything else but the scope goes in `data`. */
export function toolAuditRow(entry: ToolAuditRecord): AgentAuditRecord {
  const { at, runId, stepId, tenant, tool, outcome, ...data } = entry;
  return {
    at,
    type: 'tool',
    ...(tenant === undefined ? {} : { tenant }),
    ...(runId === undefined ? {} : { runId }),
    ...(stepId === undefined ? {} : { stepId }),
    subject: tool,
    outcome,
    // Drops keys set to undefined, as the JSON column would.
    data: Object.fromEntries(Object.entries(data).filter(([, v]) => v !== undefined)),
  };
}

/**
 * Audits tool calls in an {@link AgentStore}.
 * @example
 * const audit = new StoreToolAuditSink(store, { onError: (e) => log.warn('tool audit append failed', e) });
 * // ... hand `audit` to the tool runtime; on shutdown:
 * await audit.close();
 */
export class StoreToolAuditSink implements ToolAuditSink {
  readonly #writer: BatchWriter<ToolAuditRecord>;
  #closed = false;
  /** Set when the last append of `close` failed: what is left is counted, not written. */
  #discarding = false;
  #discarded = 0;

  constructor(store: Pick<AgentStore, 'appendAudit'>, options: StoreToolAuditSinkOptions = {}) {
    const onError = options.onError;
    this.#writer = new BatchWriter(
      async (batch: ToolAuditRecord[]) => {
        if (this.#discarding) {
          this.#discarded += batch.length;
          return;
        }
        try {
          await store.appendAudit(batch.map(toolAuditRow));
        } catch (error) {
          try {
            onError?.(error);
          } catch {
            // A throwing callback must not turn into a lost batch: the writer puts it back on our throw.
          }
          throw error;
        }
      },
      {
        intervalMs: options.intervalMs ?? 250,
        maxBatch: options.maxBatch ?? 200,
        maxBuffered: options.maxBuffered ?? 10_000,
      },
    );
  }

  /**
   * Records not appended: dropped while appends failed beyond `maxBuffered`, left when the last append
   * of {@link close} failed, or recorded after `close`.
   */
  get dropped(): number {
    return this.#writer.dropped + this.#discarded;
  }

  /** Buffers the record; it is appended within `intervalMs`. Never throws. */
  record(entry: ToolAuditRecord): void {
    if (this.#closed) {
      this.#discarded += 1;
      return;
    }
    try {
      this.#writer.add(entry);
    } catch {
      // The writer does not throw today; the contract of `record` holds even if it ever does.
    }
  }

  /**
   * Appends everything buffered now.
   * @throws the store's error when an append fails; the records stay buffered for the next flush
   */
  async flush(): Promise<void> {
    await this.#writer.flush();
  }

  /**
   * Stops the timer and appends what is left. Safe twice.
   * @throws the store's error when the last append fails: the records left are then counted in
   * {@link dropped} (call {@link flush} first to retry while the store may still recover)
   */
  async close(): Promise<void> {
    this.#closed = true;
    try {
      await this.#writer.close();
    } catch (error) {
      // The writer put the batch back and armed its timer again: drain the buffer into the count and
      // stop the timer, so that nothing runs after close.
      this.#discarding = true;
      await this.#writer.close();
      throw error;
    }
  }
}
