/**
 * The request log writer: entries are buffered and appended to the ledger in batches, off the
 * call's path, so logging costs a call microseconds, not a database round trip. A failed batch
 * is kept and retried with the next one; `close` writes what is left.
 * @module
 */
import type { GatewayLedger, RequestLogEntry } from './ledger/port.js';

/** An entry, or a function building it when its batch is written (off the call's path). */
export type PendingEntry = RequestLogEntry | (() => RequestLogEntry);

/** Buffers request log entries and writes them in batches. */
export class RequestLogWriter {
  readonly #ledger: Pick<GatewayLedger, 'appendRequests'>;
  readonly #maxBatch: number;
  readonly #maxBuffered: number;
  readonly #intervalMs: number;
  #buffer: PendingEntry[] = [];
  #writing: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #dropped = 0;

  constructor(
    ledger: Pick<GatewayLedger, 'appendRequests'>,
    options: { maxBatch?: number; intervalMs?: number; maxBuffered?: number } = {},
  ) {
    this.#ledger = ledger;
    this.#maxBatch = options.maxBatch ?? 500;
    this.#intervalMs = options.intervalMs ?? 20;
    this.#maxBuffered = options.maxBuffered ?? 50_000;
  }

  /** Entries dropped because the ledger could not keep up (counted, never silent). */
  get dropped(): number {
    return this.#dropped;
  }

  append(entry: PendingEntry): void {
    // A ledger that is down must not grow the gateway's memory without bound: the oldest go first.
    if (this.#buffer.length >= this.#maxBuffered) {
      this.#buffer.shift();
      this.#dropped += 1;
    }
    this.#buffer.push(entry);
    if (this.#buffer.length >= this.#maxBatch) void this.flush().catch(() => undefined);
    else if (!this.#timer) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        void this.flush().catch(() => undefined);
      }, this.#intervalMs);
      this.#timer.unref();
    }
  }

  /** Writes everything buffered now. */
  async flush(): Promise<void> {
    while (this.#writing) await this.#writing;
    while (this.#buffer.length > 0) {
      const batch = this.#buffer
        .splice(0, this.#maxBatch)
        .map((entry) => (typeof entry === 'function' ? entry() : entry));
      this.#writing = this.#ledger.appendRequests(batch).catch((err: unknown) => {
        this.#buffer = (batch as PendingEntry[]).concat(this.#buffer);
        throw err;
      });
      try {
        await this.#writing;
      } finally {
        this.#writing = undefined;
      }
    }
  }

  async close(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.flush();
  }
}

/** JSON text of a payload for the log, cut to `max` characters with a marker. */
export function truncatedJson(value: unknown, max: number): string | undefined {
  if (max <= 0) return undefined;
  const text = JSON.stringify(value);
  if (text === undefined) return undefined;
  return text.length <= max ? text : `${text.slice(0, max)}…[truncated ${text.length - max} chars]`;
}
