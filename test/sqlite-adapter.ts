/**
 * What the tests of Baton's SQLite adapters that share the engine's file (the agent store, the control
 * store, the gateway ledger) share: the conformance suite on a fresh temp file per test, an opener that
 * closes what it opens, and the basics every such adapter must show (migrations in a table of its own,
 * in WAL mode, leaving `user_version` to the engine's store; sharing the file with the engine's store
 * whichever opens it first; a schema newer than the code refused).
 * @example
 * sqliteConformance(agentStoreConformance, openSqliteAgentStore, 'baton-agents-');
 * describe('SQLite agent store', () => {
 *   const files = useSqliteFiles('baton-agents-');
 *   sqliteAdapterBasics(files, { open: openSqliteAgentStore, ... });
 * });
 * @module
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { expect, it } from 'vitest';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import type { AdapterConformance } from '../src/testing/adapter-conformance.js';
import { readSqlite, type SqliteTestFiles } from './sqlite.js';
import { tempDir } from './temp-dir.js';

/** A SQLite adapter's `open`. */
export type OpenSqliteAdapter<Adapter> = (options: { path: string }) => Promise<Adapter>;

/**
 * Runs `conformance` on SQLite, each test on a fresh file `name` in a temp directory named `prefix…`.
 */
export function sqliteConformance<Adapter>(
  conformance: AdapterConformance<Adapter>,
  open: (options: { path: string; now?: () => number }) => Promise<Adapter>,
  prefix: string,
  name = 'baton.db',
): void {
  conformance('sqlite', async () => {
    const { dir, cleanup } = tempDir(prefix);
    const path = join(dir, name);
    return { open: (options) => open({ ...options, path }), cleanup: async () => cleanup() };
  });
}

/** An opener of `open`'s adapters that {@link SqliteTestFiles.defer}s their closing. */
export function sqliteOpener<Adapter extends { close(): Promise<void> }>(
  { defer }: SqliteTestFiles,
  open: OpenSqliteAdapter<Adapter>,
): (path: string) => Promise<Adapter> {
  return async (path) => {
    const adapter = await open({ path });
    defer(() => adapter.close());
    return adapter;
  };
}

/** The adapter {@link sqliteAdapterBasics} tests, and what differs between adapters. */
export interface SqliteAdapterBasics<Adapter> {
  open: OpenSqliteAdapter<Adapter>;
  /** The prefix of its tables, e.g. `agent_`; its migrations are recorded in `<prefix>migrations`. */
  prefix: string;
  /** What else shares the file in production: opened on it before the adapter, closed after the test. */
  alongside?: (path: string) => Promise<{ close(): Promise<void> }>;
  /** Writes through the adapter and reads it back. */
  exercise: (adapter: Adapter) => Promise<void>;
}

/** The basics every SQLite adapter sharing the engine's file must show, as tests of the current suite. */
export function sqliteAdapterBasics<Adapter extends { close(): Promise<void> }>(
  files: SqliteTestFiles,
  basics: SqliteAdapterBasics<Adapter>,
): void {
  const { file, defer } = files;
  const { open, prefix } = basics;
  const migrations = `${prefix}migrations`;
  const opener = sqliteOpener(files, open);
  const userVersion = (path: string) =>
    readSqlite<{ user_version: number }>(path, 'PRAGMA user_version')[0]?.user_version;

  it(`migrates once, in ${migrations}, in WAL mode, leaving user_version alone`, async () => {
    const path = file();
    await (await opener(path)).close();
    await opener(path);
    // Once: every version recorded exactly once, numbered from 1 (an adapter may have several).
    const versions = readSqlite<{ version: number }>(
      path,
      `SELECT version FROM ${migrations} ORDER BY version`,
    );
    expect(versions.length).toBeGreaterThan(0);
    expect(versions).toEqual(versions.map((_, i) => ({ version: i + 1 })));
    expect(readSqlite<{ journal_mode: string }>(path, 'PRAGMA journal_mode')).toEqual([
      { journal_mode: 'wal' },
    ]);
    expect(userVersion(path)).toBe(0);
    const tables = readSqlite<{ name: string }>(path, "SELECT name FROM sqlite_schema WHERE type = 'table'");
    expect(tables.length).toBeGreaterThan(0);
    expect(tables.every((t) => t.name.startsWith(prefix))).toBe(true);
  });

  it('shares a file with the engine store, either opened first', async () => {
    const path = file();
    const engine = new SqliteStore({ path, durability: 'normal' });
    await engine.init();
    defer(() => engine.close());
    if (basics.alongside) {
      const other = await basics.alongside(path);
      defer(() => other.close());
    }
    await basics.exercise(await opener(path));
    const engineVersion = userVersion(path);
    expect(engineVersion).toBeGreaterThan(0);
    // And the other way round: the engine's store opened on a file the adapter created.
    const other = file();
    await opener(other);
    const second = new SqliteStore({ path: other, durability: 'normal' });
    await second.init();
    defer(() => second.close());
    expect(userVersion(other)).toBe(engineVersion);
  });

  it('refuses a schema newer than the code, saying what to do', async () => {
    const path = file();
    await (await opener(path)).close();
    const db = new Database(path);
    db.prepare(`INSERT INTO ${migrations} (version, migrated_at) VALUES (99, 0)`).run();
    db.close();
    await expect(open({ path })).rejects.toMatchObject({
      code: 'STORE_SCHEMA_TOO_NEW',
      hint: expect.stringContaining('Upgrade'),
    });
  });
}
