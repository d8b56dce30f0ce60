/**
 * The SQLite adapter of the {@link SpanStore} port. It shares the engine's file (`.baton/baton.db`):
 * its tables are prefixed `telemetry_`, its migrations tracked in `telemetry_migrations`. Commits are
 * not fsynced one by one (`synchronous = NORMAL`): a span lost to a power cut costs a line of a
 * trace, never a run.
 * @module
 */
import { openSqliteFile, type SqliteFile } from '../../store/sqlite/open-sqlite-file.js';
import type { SqliteDatabase } from '../../store/sqlite/sqlite-driver.js';
import { SQLITE_SPAN_MIGRATIONS } from './migrations.js';
import type { SpanQuery, SpanStore, SpanStoreOptions, StoredSpan } from './port.js';
import {
  queryFilter,
  SPAN_COLUMNS,
  type SpanRow,
  spanStoreClosed,
  spanValues,
  toStoredSpan,
} from './span-rows.js';
import { openThreadedSqliteSpanStore } from './threaded-sqlite-span-store.js';

/** Options of the SQLite span store. */
export type SqliteSpanStoreOptions = SpanStoreOptions &
  SqliteFile & {
    /**
     * Write on a worker thread, off the event loop (see `openThreadedSqliteSpanStore`); reads stay on
     * the calling thread. Not for `:memory:`.
     * @defaultValue false
     */
    thread?: boolean;
  };

/**
 * Opens (creating and migrating when needed) a SQLite span store.
 * @example
 * const spans = await openSqliteSpanStore({ path: '.baton/telemetry.db', thread: true });
 */
export async function openSqliteSpanStore(options: SqliteSpanStoreOptions): Promise<SpanStore> {
  if (options.thread) return openThreadedSqliteSpanStore(options);
  const db = openSqliteFile(options, {
    synchronous: 'NORMAL',
    table: 'telemetry_migrations',
    migrations: SQLITE_SPAN_MIGRATIONS,
    name: 'the span store',
  });
  return new SqliteSpanStore(db);
}

class SqliteSpanStore implements SpanStore {
  private closed = false;
  private readonly insert;

  constructor(private readonly db: SqliteDatabase) {
    this.insert = db.prepare(
      `INSERT OR REPLACE INTO telemetry_spans (${SPAN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
  }

  async appendSpans(spans: readonly StoredSpan[]): Promise<void> {
    if (this.closed) throw spanStoreClosed();
    if (spans.length === 0) return;
    const rows = spans.map(spanValues);
    this.db.transaction(() => {
      for (const values of rows) this.insert.run(...values);
    })();
  }

  async listSpans(query: SpanQuery): Promise<StoredSpan[]> {
    if (this.closed) throw spanStoreClosed();
    const { column, value } = queryFilter(query);
    const rows = this.db
      .prepare(`SELECT ${SPAN_COLUMNS} FROM telemetry_spans WHERE ${column} = ? ORDER BY start_time, span_id`)
      .all(value) as SpanRow[];
    return rows.map(toStoredSpan);
  }

  async pruneBefore(before: number): Promise<number> {
    if (this.closed) throw spanStoreClosed();
    return Number(this.db.prepare('DELETE FROM telemetry_spans WHERE end_time < ?').run(before).changes);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }
}
