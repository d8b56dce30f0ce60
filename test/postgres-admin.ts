/**
 * Database administration for the Postgres test infrastructure: shared by the vitest globalSetup
 * (`postgres-global-setup.ts`, runner process) and `postgres.ts` (test files). Imports no vitest
 * runtime, so both sides can load it.
 * @module
 */
import pg from 'pg';

/** Where the Postgres tests of this run go; decided once by the globalSetup. */
export type PostgresTestTarget =
  /** A real server: each `freshPostgres()` clones `template` (already migrated) into a database. */
  | { kind: 'server'; adminUrl: string; template: string; prefix: string; serverVersion: string }
  /**
   * No server: each test database is its own in-process PGlite instance (see `postgres-pglite.ts`),
   * loaded from `dataDirFile`, an archive of an instance the globalSetup migrated once.
   */
  | { kind: 'pglite'; dataDirFile: string }
  /** No Postgres: the Postgres tests skip, stating `reason`. */
  | { kind: 'skip'; reason: string };

declare module 'vitest' {
  export interface ProvidedContext {
    batonPostgres: PostgresTestTarget;
  }
}

/** The URL the tests use when `BATON_TEST_POSTGRES_URL` is not set. */
export const DEFAULT_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/** Quotes an SQL identifier. */
export function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** `url` pointing at database `name` instead. */
export function databaseUrl(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(name)}`;
  return u.toString();
}

/** Opens an administration connection; fails within `timeoutMs` when nothing answers. */
export async function connectAdmin(url: string, timeoutMs = 5_000): Promise<pg.Client> {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: timeoutMs,
    application_name: 'baton-test-admin',
  });
  // A client with no error listener crashes the process when the server goes away while idle.
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => {});
    throw err;
  }
  return client;
}

/** Runs `fn` on a fresh administration connection and closes it. */
export async function withAdmin<T>(url: string, fn: (admin: pg.Client) => Promise<T>): Promise<T> {
  const admin = await connectAdmin(url);
  try {
    return await fn(admin);
  } finally {
    await admin.end();
  }
}

/**
 * Drops database `name` if it exists, even while a leaked pool is still connected or reconnecting:
 * new connections are refused first, the leftovers terminated, then `DROP ... WITH (FORCE)` (PG >= 13)
 * catches whatever raced in between.
 */
export async function dropDatabase(admin: pg.Client, name: string): Promise<void> {
  const exists = await admin.query('select 1 from pg_database where datname = $1', [name]);
  if (exists.rowCount === 0) return;
  const version = Number((await admin.query('show server_version_num')).rows[0].server_version_num);
  await admin.query(`alter database ${ident(name)} with allow_connections false`);
  await admin.query(
    'select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
    [name],
  );
  await admin.query(`drop database if exists ${ident(name)}${version >= 130_000 ? ' with (force)' : ''}`);
}
