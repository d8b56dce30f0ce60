/**
 * SQLite files for tests: each in a temp directory of its own, removed after the test.
 * @module
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { type Defer, useCleanups } from './cleanups.js';
import { tempDir } from './temp-dir.js';

/** What {@link useSqliteFiles} gives the tests of a suite. */
export interface SqliteTestFiles {
  /** The path of a database file not yet created, in a fresh temp directory removed after the test. */
  file(): string;
  /** Runs `cleanup` after the test, before the files it uses are removed. */
  defer: Defer;
}

/**
 * Fresh database files, and whatever the tests open on them, released after each test of the suite.
 * @param prefix of the temp directories' names
 * @param name the file's path inside its directory
 */
export function useSqliteFiles(prefix: string, name = 'baton.db'): SqliteTestFiles {
  const defer = useCleanups();
  return {
    file() {
      const { dir, cleanup } = tempDir(prefix);
      defer(cleanup);
      return join(dir, name);
    },
    defer,
  };
}

/** The rows of `sql`, read on a read-only connection of its own to the file at `path`. */
export function readSqlite<R>(path: string, sql: string): R[] {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare(sql).all() as R[];
  } finally {
    db.close();
  }
}
