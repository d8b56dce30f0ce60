/**
 * Write-behind in batches, for what the gateway records on every call (spend, the request log):
 * items are buffered and written together after `intervalMs` (or at once when `maxBatch` are
 * waiting), off the call's path. A batch whose write fails is put back and retried with the next
 * one; `close` writes what is left.
 * @module
 */

/** Options of a {@link BatchWriter}. */
export interface BatchWriterOptions<T, W extends T> {
  /** How long an item waits for others before its batch is written. */
  intervalMs: number;
  /** Largest batch; this many waiting items are written at once. @defaultValue no limit */
  maxBatch?: number;
  /**
   * Most items kept while writes fail: beyond it the oldest are dropped, and counted, so a store
   * that is down cannot grow memory without bound. @defaultValue no limit
   */
  maxBuffered?: number;
  /** Turns an item into what is written, when its batch is written (off the call's path). */
  prepare?: (item: T) => W;
}

/** Buffers items and writes them in batches. */
export class BatchWriter<T, W extends T = T> {
  readonly #write: (batch: W[]) => Promise<void>;
  readonly #intervalMs: number;
  readonly #maxBatch: number;
  readonly #maxBuffered: number;
  readonly #prepare: (item: T) => W;
  #buffer: T[] = [];
  #writing: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #dropped = 0;

  constructor(write: (batch: W[]) => Promise<void>, options: BatchWriterOptions<T, W>) {
    this.#write = write;
    this.#intervalMs = options.intervalMs;
    this.#maxBatch = options.maxBatch ?? Number.POSITIVE_INFINITY;
    this.#maxBuffered = options.maxBuffered ?? Number.POSITIVE_INFINITY;
    this.#prepare = options.prepare ?? ((item) => item as W);
  }

  /** Items dropped because writes could not keep up (counted, never silent). */
  get dropped(): number {
    return this.#dropped;
  }

  add(item: T): void {
    if (this.#buffer.length >= this.#maxBuffered) {
      this.#buffer.shift();
      this.#dropped += 1;
    }
    this.#buffer.push(item);
    if (this.#buffer.length >= this.#maxBatch) void this.flush().catch(() => undefined);
    else this.#schedule();
  }

  /** Writes everything buffered now. */
  async flush(): Promise<void> {
    while (this.#writing) await this.#writing;
    try {
      while (this.#buffer.length > 0) {
        const batch = this.#buffer.splice(0, this.#maxBatch).map(this.#prepare);
        this.#writing = this.#write(batch).catch((err: unknown) => {
          this.#buffer = (batch as T[]).concat(this.#buffer);
          throw err;
        });
        try {
          await this.#writing;
        } finally {
          this.#writing = undefined;
        }
      }
    } finally {
      if (this.#buffer.length > 0) this.#schedule();
    }
  }

  /** Stops the timer and writes what is left. */
  async close(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.flush();
  }

  #schedule(): void {
    if (this.#timer || this.#writing) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.flush().catch(() => undefined);
    }, this.#intervalMs);
    this.#timer.unref();
  }
}
