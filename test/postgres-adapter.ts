/**
 * What the tests of Baton's Postgres adapters that own their migrations (the agent store, the control
 * store, the gateway ledger) share: the conformance suite on a fresh database per test, an opener that
 * closes what it opens, and the basics every such adapter must show (many processes migrating at
 * once, a schema of its own, a pool the caller owns, a schema newer than the code refused).
 * @example
 * postgresConformance(agentStoreConformance, openPostgresAgentStore);
 * describePostgres('Postgres agent store', () => {
 *   const databases = usePostgresDatabases();
 *   postgresAdapterBasics(databases, { open: openPostgresAgentStore, ... });
 * });
 * @module
 */
import pg from 'pg';
import { expect, it } from 'vitest';
import type { PgPoolSource } from '../src/store/postgres/pg-queries.js';
import type { AdapterConformance } from '../src/testing/adapter-conformance.js';
import {
  connectionTo,
  describePostgres,
  type FreshPostgres,
  type PostgresTestDatabases,
  requirePostgres,
  sql,
} from './postgres.js';

/** What an adapter's `open` takes here: a connection string or a pool, and a schema. */
export type PostgresAdapterOptions = PgPoolSource & { schema?: string };

/** A Postgres adapter's `open`. */
export type OpenPostgresAdapter<Adapter> = (options: PostgresAdapterOptions) => Promise<Adapter>;

/**
 * Runs `conformance` on Postgres, each test on a fresh database (which already holds the engine's
 * tables, so the adapter shares it as in production).
 */
export function postgresConformance<Adapter>(
  conformance: AdapterConformance<Adapter>,
  open: (options: PostgresAdapterOptions & { poolSize: number; now?: () => number }) => Promise<Adapter>,
): void {
  describePostgres('postgres', () => {
    conformance('postgres', async () => {
      const db = await requirePostgres();
      return {
        // A new pool per open: a second adapter reads what the first wrote through other connections.
        open: (options) => open({ ...options, ...connectionTo(db), poolSize: 2 }),
        cleanup: db.drop,
      };
    });
  });
}

/** Opens an adapter on `db` with a pool of 2 (`options` override), closed after the test. */
export type PostgresAdapterOpener<Adapter> = (
  db: FreshPostgres,
  options?: Partial<Extract<PgPoolSource, { connectionString: string }>> & { schema?: string },
) => Promise<Adapter>;

/** An opener of `open`'s adapters that {@link PostgresTestDatabases.defer}s their closing. */
export function adapterOpener<Adapter extends { close(): Promise<void> }>(
  { defer }: PostgresTestDatabases,
  open: OpenPostgresAdapter<Adapter>,
): PostgresAdapterOpener<Adapter> {
  return async (db, options = {}) => {
    const adapter = await open({ connectionString: db.connectionString, poolSize: 2, ...options });
    defer(() => adapter.close());
    return adapter;
  };
}

/** The adapter {@link postgresAdapterBasics} tests, and what differs between adapters. */
export interface PostgresAdapterBasics<Adapter> {
  open: OpenPostgresAdapter<Adapter>;
  /** The table recording its migrations, e.g. `agent_migrations`. */
  migrations: string;
  /** One of its tables, e.g. `agent_journal`: the caller's-pool case writes one row of it. */
  table: string;
  /** Works through all of `adapters`, opened at once on one schema, and expects them to share its tables. */
  shareTables: (adapters: Adapter[]) => Promise<void>;
  /** Writes through `inSchema` and expects `inDefault` not to see it; the write adds a row to `table`. */
  keepApart: (inSchema: Adapter, inDefault: Adapter) => Promise<void>;
  /** Writes one row of `table` through an adapter on a bare pool (bigints as strings), checking its numbers. */
  useBarePool: (adapter: Adapter) => Promise<void>;
  /** Opens the adapter in `schema` for the schema case. @defaultValue the opener, with `schema` */
  openInSchema?: (db: FreshPostgres, schema: string) => Promise<Adapter>;
}

/**
 * The basics every Postgres adapter that owns its migrations must show, as tests of the current
 * suite, on `databases`.
 */
export function postgresAdapterBasics<Adapter extends { close(): Promise<void> }>(
  databases: PostgresTestDatabases,
  basics: PostgresAdapterBasics<Adapter>,
): void {
  const { database, defer } = databases;
  const { open, migrations, table } = basics;
  const opener = adapterOpener(databases, open);

  it('five processes opening at once migrate once', async (ctx) => {
    const db = await database();
    ctx.skip(
      db.kind !== 'server',
      'PGlite serves every connection from one session, so the migrations cannot race there',
    );
    const adapters = await Promise.all(Array.from({ length: 5 }, () => opener(db, { schema: 'racing' })));
    // Once: every version recorded exactly once, numbered from 1 (an adapter may have several).
    const versions = await sql<{ version: number }>(
      db,
      `SELECT version FROM racing.${migrations} ORDER BY version`,
    );
    expect(versions.length).toBeGreaterThan(0);
    expect(versions).toEqual(versions.map((_, i) => ({ version: i + 1 })));
    await basics.shareTables(adapters);
  });

  it('keeps its tables in its schema, apart from the default one', async () => {
    const db = await database();
    const inSchema = basics.openInSchema
      ? await basics.openInSchema(db, 'own schema')
      : await opener(db, { schema: 'own schema' });
    const inDefault = await opener(db);
    await basics.keepApart(inSchema, inDefault);
    const tables = await sql<{ table_schema: string }>(
      db,
      'SELECT table_schema FROM information_schema.tables WHERE table_name = $1 ORDER BY 1',
      [table],
    );
    expect(tables.map((t) => t.table_schema)).toEqual(['own schema', 'public']);
  });

  it('uses a pool the caller owns, and leaves it open on close', async () => {
    const db = await database();
    const pool = new pg.Pool({ connectionString: db.connectionString, max: 2 });
    defer(() => pool.end());
    const adapter = await open({ pool, schema: 'shared' });
    await basics.useBarePool(adapter);
    await adapter.close();
    expect((await pool.query(`SELECT count(*)::int AS n FROM shared.${table}`)).rows).toEqual([{ n: 1 }]);
  });

  it('refuses a schema newer than the code, saying what to do', async () => {
    const db = await database();
    await (await opener(db)).close();
    await sql(db, `INSERT INTO ${migrations} (version, migrated_at) VALUES (99, 0)`);
    await expect(open({ connectionString: db.connectionString })).rejects.toMatchObject({
      code: 'STORE_SCHEMA_TOO_NEW',
      hint: expect.stringContaining('Upgrade'),
    });
  });
}
