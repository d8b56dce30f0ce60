/**
 * The SQLite adapter of the {@link MetricsSource}: a second, read-only connection to the engine's
 * file, so a scrape never waits behind (or holds up) the engine's group commits. WAL mode lets it read
 * while the engine writes.
 * @module
 */
import Database from 'better-sqlite3';
import type { SqliteDatabase } from '../../store/sqlite/sqlite-driver.js';
import type { MetricsSource } from './source.js';
import { SqlMetricsSource } from './sql-source.js';

/**
 * Opens a read-only metrics source on the SQLite file at `path` (the engine's `baton.db`).
 * @throws when the file does not exist (`:memory:` databases cannot be shared)
 */
export function openSqliteMetricsSource(path: string): MetricsSource {
  const db = new Database(path, { readonly: true, fileMustExist: true }) as unknown as SqliteDatabase;
  db.pragma('busy_timeout = 5000');
  let closed = false;
  return new SqlMetricsSource({
    all: async (sql, params) => db.prepare(sql).all(...params) as Record<string, unknown>[],
    table: (name) => name,
    jsonText: (column, field) => `json_extract(${column}, '$.${field}')`,
    hasTable: async (name) =>
      db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(name) !== undefined,
    close: async () => {
      if (closed) return;
      closed = true;
      db.close();
    },
  });
}
