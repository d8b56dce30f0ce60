/**
 * Postgres for tests. Each {@link freshPostgres} call gets its own migrated database: on a real server
 * a clone of the run's template database, without one a PGlite instance loaded from a migrated copy.
 * Where the tests run (server, PGlite or skip) is decided once per run by `postgres-global-setup.ts`;
 * see that file for the env vars.
 * @example
 * describePostgres('PostgresStore', () => {
 *   let db: FreshPostgres;
 *   beforeAll(async () => {
 *     db = (await freshPostgres())!;
 *   });
 *   afterAll(() => db.drop());
 *   it('works', async () => {
 *     const store = new PostgresStore({ connectionString: db.connectionString, schema: db.schema });
 *   });
 * });
 * @module
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { describe, inject } from 'vitest';
import { type Defer, useCleanups } from './cleanups.js';
import { databaseUrl, dropDatabase, ident, type PostgresTestTarget, withAdmin } from './postgres-admin.js';
import { servePglite } from './postgres-pglite.js';

export type { PostgresTestTarget };

/** A fresh, migrated Postgres database owned by one test file or test. */
export interface FreshPostgres {
  /**
   * A database on a real server, or a PGlite instance: one session shared by all its connections, so
   * no statement timeout and no lock waits (transactions run one after another).
   */
  kind: 'server' | 'pglite';
  connectionString: string;
  /**
   * The schema to pass to `PostgresStore`. Unset today: a server gives each test a database, PGlite an
   * instance. Pass it through anyway, so a schema-isolated target can come later without edits.
   */
  schema?: string;
  /** Drops the database (terminating leftover connections) or stops the PGlite instance. Safe twice. */
  drop: () => Promise<void>;
}

/** Where this run's Postgres tests go, as the globalSetup decided. */
export function postgresTarget(): PostgresTestTarget {
  // Undefined when the config that ran this file has no globalSetup for Postgres.
  return (
    (inject('batonPostgres') as PostgresTestTarget | undefined) ?? {
      kind: 'skip',
      reason: 'test/postgres-global-setup.ts is not in the vitest globalSetup',
    }
  );
}

/** Why the Postgres tests skip in this run, or undefined when they run. */
export function postgresSkipReason(): string | undefined {
  const target = postgresTarget();
  return target.kind === 'skip' ? target.reason : undefined;
}

/**
 * `describe` for a Postgres suite: skipped, with the reason in its name, when this run has no Postgres.
 */
export function describePostgres(name: string, fn: () => void): void {
  const reason = postgresSkipReason();
  if (reason === undefined) describe(name, fn);
  else describe.skip(`${name} (skipped: ${reason})`, fn);
}

/**
 * A fresh, migrated database for one test file (or one test): a clone of the run's template database
 * on a real server (about 50 ms), otherwise a PGlite instance served on its own loopback port (0.5-1 s,
 * about 250 MB while open: drop it when done). Undefined when the Postgres tests skip in this run.
 */
export async function freshPostgres(): Promise<FreshPostgres | undefined> {
  const target = postgresTarget();
  switch (target.kind) {
    case 'skip':
      return undefined;
    case 'server': {
      const { adminUrl, template, prefix } = target;
      // Random, not a counter: test files run in forks whose pids repeat within one run.
      const name = `${prefix}_${randomBytes(5).toString('hex')}`;
      await withAdmin(adminUrl, (admin) =>
        admin.query(`create database ${ident(name)} template ${ident(template)}`),
      );
      return {
        kind: 'server',
        connectionString: databaseUrl(adminUrl, name),
        drop: () => withAdmin(adminUrl, (admin) => dropDatabase(admin, name)),
      };
    }
    case 'pglite': {
      pgliteArchive ??= new Blob([readFileSync(target.dataDirFile)]);
      const pglite = await servePglite(pgliteArchive);
      let stopped: Promise<void> | undefined;
      return { kind: 'pglite', connectionString: pglite.url, drop: () => (stopped ??= pglite.stop()) };
    }
  }
}

/** {@link freshPostgres} where Postgres is known to be there: in a suite that `describePostgres` runs. */
export async function requirePostgres(): Promise<FreshPostgres> {
  const db = await freshPostgres();
  if (!db) throw new Error('no Postgres in this test run: guard the suite with describePostgres');
  return db;
}

/** How an adapter connects to `db`: its connection string, and its schema when it has one. */
export function connectionTo(db: FreshPostgres): { connectionString: string; schema?: string } {
  return { connectionString: db.connectionString, ...(db.schema === undefined ? {} : { schema: db.schema }) };
}

/** What {@link usePostgresDatabases} gives the tests of a suite. */
export interface PostgresTestDatabases {
  /** A fresh, migrated database, dropped after the test. */
  database(): Promise<FreshPostgres>;
  /** Runs `cleanup` after the test, before the databases it uses are dropped. */
  defer: Defer;
}

/**
 * Fresh databases, and whatever the tests open on them, released after each test of the suite (or
 * file) that calls it.
 * @example
 * describePostgres('my adapter', () => {
 *   const { database, defer } = usePostgresDatabases();
 *   it('works', async () => {
 *     const db = await database();
 *     const pool = new pg.Pool({ connectionString: db.connectionString });
 *     defer(() => pool.end());
 *   });
 * });
 */
export function usePostgresDatabases(): PostgresTestDatabases {
  const defer = useCleanups();
  return {
    async database() {
      const db = await requirePostgres();
      defer(db.drop);
      return db;
    },
    defer,
  };
}

/** Runs one statement on a connection of its own to `db` and returns its rows. */
export async function sql<R>(db: FreshPostgres, text: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: db.connectionString });
  await client.connect();
  try {
    return (await client.query(text, values)).rows as R[];
  } finally {
    await client.end();
  }
}

/** The migrated PGlite data directory, read once per test file. */
let pgliteArchive: Blob | undefined;
