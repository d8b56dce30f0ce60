/**
 * The SQLite span store with its writes on a worker thread. better-sqlite3 runs every statement on
 * the calling thread: in the in-thread adapter, a busy worker's span inserts (thousands a second) run
 * on the engine's event loop. Here the main thread only checks a batch and serializes it to one JSON
 * string; the writer thread (`span-writer-thread.ts`) owns the write connection and commits the batch
 * in one transaction. Reads stay on the main thread, on a connection of their own that WAL lets
 * read while the thread writes.
 *
 * Same file, tables and migrations as the in-thread adapter (`sqlite-span-store.ts`): the two can
 * open the same file, one after the other or at once.
 * @module
 */
import { Worker } from 'node:worker_threads';
import { BatonError } from '../../core/errors.js';
import { openSqliteFile } from '../../store/sqlite/open-sqlite-file.js';
import type { SqliteDatabase } from '../../store/sqlite/sqlite-driver.js';
import { threadEntry } from '../thread-entry.js';
import { SQLITE_SPAN_MIGRATIONS } from './migrations.js';
import type { SpanQuery, SpanStore, StoredSpan } from './port.js';
import {
  queryFilter,
  SPAN_COLUMNS,
  type SpanRow,
  spanStoreClosed,
  spanTuple,
  toStoredSpan,
} from './span-rows.js';
import {
  fromWireError,
  type SpanWriterReply,
  type SpanWriterRequest,
  type SpanWriterSetup,
} from './span-writer-protocol.js';
import type { SqliteSpanStoreOptions } from './sqlite-span-store.js';

/** Options of {@link openThreadedSqliteSpanStore}. */
export interface ThreadedSqliteSpanStoreOptions extends SqliteSpanStoreOptions {
  /**
   * Called once if the writer thread dies (it should not: errors of a batch only reject that batch);
   * every append pending then and after fails with `STORE_UNAVAILABLE`.
   * @defaultValue emits a process warning
   */
  onWriterExit?: (error: BatonError) => void;
}

/**
 * Opens (creating and migrating when needed) a SQLite span store whose writes run on a worker
 * thread. `appendSpans` resolves once the thread has committed the batch. Not for `:memory:`, which
 * a second connection cannot see: use `openSqliteSpanStore` there.
 * @throws BatonError `INVALID_ARGUMENT` for `:memory:`; `STORE_SCHEMA_TOO_NEW` as every adapter
 * @example
 * const spans = await openThreadedSqliteSpanStore({ path: '.baton/telemetry.db' });
 */
export async function openThreadedSqliteSpanStore(
  options: ThreadedSqliteSpanStoreOptions,
): Promise<SpanStore> {
  if (options.path === ':memory:' || options.path === '') {
    throw new BatonError(
      'INVALID_ARGUMENT',
      'a threaded span store needs a file, not an in-memory database',
      {
        hint: 'Pass a file path, or open the span store without a writer thread',
      },
    );
  }
  const reader = openSqliteFile(options, {
    synchronous: 'NORMAL',
    table: 'telemetry_migrations',
    migrations: SQLITE_SPAN_MIGRATIONS,
    name: 'the span store',
  });
  // This connection only reads: every write goes through the thread, in order.
  reader.pragma('query_only = ON');
  // Not waiting for the thread to start (a quarter of a second from the sources): requests posted
  // meanwhile queue up, and the file is already opened and migrated here.
  try {
    return new ThreadedSqliteSpanStore(
      reader,
      options.path,
      { path: options.path, busyTimeoutMs: options.busyTimeoutMs },
      options.onWriterExit ??
        ((error) => process.emitWarning(error.message, { code: 'BATON_SPAN_WRITER_EXIT' })),
    );
  } catch (error) {
    reader.close();
    throw error;
  }
}

type WithoutId<R> = R extends unknown ? Omit<R, 'id'> : never;

interface Pending {
  resolve(value: number): void;
  reject(error: Error): void;
}

class ThreadedSqliteSpanStore implements SpanStore {
  readonly #reader: SqliteDatabase;
  readonly #path: string;
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  readonly #exited: Promise<void>;
  #nextId = 1;
  #closed = false;
  /** Set once the thread has ended: why later calls fail. */
  #ended: BatonError | undefined;
  /** Why the thread failed: its uncaught error, or the one that kept it from opening the file. */
  #crash: Error | undefined;

  constructor(
    reader: SqliteDatabase,
    path: string,
    setup: SpanWriterSetup,
    onWriterExit: (error: BatonError) => void,
  ) {
    this.#reader = reader;
    this.#path = path;
    const { entry, eval: evaluate } = threadEntry(import.meta.url, 'span-writer-thread');
    this.#worker = new Worker(entry, { workerData: setup, eval: evaluate });
    this.#worker.unref();
    this.#worker.on('message', (reply: SpanWriterReply) => this.#settle(reply));
    this.#worker.on('error', (error) => {
      this.#crash = error;
    });
    this.#exited = new Promise((resolve) => {
      this.#worker.once('exit', (code) => {
        resolve();
        if (this.#closed && this.#pending.size === 0) return;
        const error = this.#exitError(code);
        this.#ended = error;
        const pending = [...this.#pending.values()];
        this.#pending.clear();
        for (const p of pending) p.reject(error);
        if (!this.#closed) onWriterExit(error);
      });
    });
  }

  async appendSpans(spans: readonly StoredSpan[]): Promise<void> {
    this.#usable();
    if (spans.length === 0) return;
    await this.#request({ op: 'append', rows: JSON.stringify(spans.map(spanTuple)) });
  }

  async listSpans(query: SpanQuery): Promise<StoredSpan[]> {
    if (this.#closed) throw spanStoreClosed();
    const { column, value } = queryFilter(query);
    const rows = this.#reader
      .prepare(`SELECT ${SPAN_COLUMNS} FROM telemetry_spans WHERE ${column} = ? ORDER BY start_time, span_id`)
      .all(value) as SpanRow[];
    return rows.map(toStoredSpan);
  }

  async pruneBefore(before: number): Promise<number> {
    this.#usable();
    return this.#request({ op: 'prune', before });
  }

  /** Waits for the appends already made to be committed, then ends the thread. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.#ended) {
      // Requests are answered in order: the thread closes after the batches posted before.
      await this.#request({ op: 'close' }).catch(() => undefined);
    }
    await this.#exited;
    this.#reader.close();
  }

  #exitError(code: number): BatonError {
    const crash = this.#crash;
    if (crash instanceof BatonError) return crash;
    return new BatonError(
      'STORE_UNAVAILABLE',
      `the span store's writer thread for ${this.#path} ended (exit code ${code})${crash ? `: ${crash.message}` : ''}`,
      {
        hint: 'Spans are no longer written: restart the process, and report it if it happens again',
        ...(crash ? { cause: crash } : {}),
      },
    );
  }

  #usable(): void {
    if (this.#closed) throw spanStoreClosed();
    if (this.#ended) throw this.#ended;
  }

  #request(request: WithoutId<SpanWriterRequest>): Promise<number> {
    const id = this.#nextId++;
    const answer = new Promise<number>((resolve, reject) => this.#pending.set(id, { resolve, reject }));
    // The thread holds the process open only while it has work: like a connection, not a server.
    if (this.#pending.size === 1) this.#worker.ref();
    this.#worker.postMessage({ ...request, id });
    return answer;
  }

  #settle(reply: SpanWriterReply): void {
    if (reply.id === 0) {
      // The thread's start: on failure it ends next, and its exit fails what is pending.
      if ('error' in reply) this.#crash = fromWireError(reply.error, this.#path);
      return;
    }
    const pending = this.#pending.get(reply.id);
    if (!pending) return;
    this.#pending.delete(reply.id);
    // Closing, the thread holds the process open until it has ended.
    if (this.#pending.size === 0 && !this.#closed) this.#worker.unref();
    if ('error' in reply) pending.reject(fromWireError(reply.error, this.#path));
    else pending.resolve(reply.value);
  }
}
