/**
 * Opening a SQLite file for an adapter that shares it with the engine's store (the gateway ledger, the
 * agent store, the control store): WAL mode, a busy timeout, and numbered, append-only migrations recorded in a table of
 * the adapter's own, since `user_version` belongs to the engine's store.
 * @module
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { BatonError } from '../../core/errors.js';
import type { SqliteDatabase } from './sqlite-driver.js';

/** The file {@link openSqliteFile} opens; the options of each SQLite adapter extend it. */
export interface SqliteFile {
  /** Database file (created with its directory when missing), or `:memory:`. */
  path: string;
  /** How long a write waits for another connection's lock (the engine's store, another process). @defaultValue 5000 */
  busyTimeoutMs?: number | undefined;
}

/** How {@link openSqliteFile} sets up the file it opens. */
export interface SqliteFileSetup {
  /** `FULL` fsyncs every commit; `NORMAL` fsyncs at WAL checkpoints only. */
  synchronous: 'NORMAL' | 'FULL';
  /** The table recording the applied migrations. */
  table: string;
  migrations: readonly string[];
  /** The adapter as the error naming a newer schema calls it, e.g. `the agent store`. */
  name: string;
  /** Who the error naming a newer schema tells to open another database. @defaultValue 'Baton' */
  openedBy?: string;
}

/**
 * Opens `file.path` in WAL mode and applies the migrations not yet recorded in `setup.table`; the file
 * is closed again when that fails.
 * @throws BatonError `STORE_SCHEMA_TOO_NEW` when the table records more migrations than `setup.migrations`
 */
export function openSqliteFile(file: SqliteFile, setup: SqliteFileSetup): SqliteDatabase {
  if (file.path !== ':memory:') mkdirSync(dirname(file.path), { recursive: true });
  const db = new Database(file.path) as unknown as SqliteDatabase;
  try {
    db.pragma(`busy_timeout = ${file.busyTimeoutMs ?? 5000}`);
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${setup.synchronous}`);
    migrate(db, file.path, setup);
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

function migrate(db: SqliteDatabase, path: string, setup: SqliteFileSetup): void {
  const { table, migrations } = setup;
  // BEGIN IMMEDIATE takes the write lock at once: processes opening the file together migrate in turn.
  db.transaction(() => {
    db.exec(
      `CREATE TABLE IF NOT EXISTS ${table} (version INTEGER PRIMARY KEY, migrated_at INTEGER NOT NULL)`,
    );
    const row = db.prepare(`SELECT max(version) AS v FROM ${table}`).get() as { v: number | null };
    const current = row.v ?? 0;
    if (current > migrations.length) {
      throw new BatonError(
        'STORE_SCHEMA_TOO_NEW',
        `${setup.name} in ${path} has schema version ${current}, newer than this Baton (${migrations.length})`,
        {
          hint: `Upgrade Baton to the version that wrote it, or point ${setup.openedBy ?? 'Baton'} at another database`,
        },
      );
    }
    const record = db.prepare(`INSERT INTO ${table} (version, migrated_at) VALUES (?, ?)`);
    for (let v = current; v < migrations.length; v++) {
      db.exec(migrations[v] as string);
      record.run(v + 1, Date.now());
    }
  }).immediate();
}
