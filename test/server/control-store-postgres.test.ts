/**
 * The Postgres control store: the conformance suite (each test on a fresh database, which already
 * holds the engine's tables, so the two share it as in production), plus what only Postgres shows:
 * its migrations, secrets kept as hashes only, malformed secrets answered without a query, many
 * processes migrating at once, a schema of its own, a pool the caller owns.
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import { expect, it } from 'vitest';
import { openPostgresAgentStore } from '../../src/agents/state/postgres-agent-store.js';
import { controlStoreConformance } from '../../src/server/control/conformance.js';
import { openControlStore } from '../../src/server/control/index.js';
import type { ControlStore } from '../../src/server/control/port.js';
import {
  openPostgresControlStore,
  type PostgresControlStoreOptions,
} from '../../src/server/control/postgres-control-store.js';
import {
  connectionTo,
  describePostgres,
  type FreshPostgres,
  requirePostgres,
  sql,
  usePostgresDatabases,
} from '../postgres.js';

describePostgres('postgres', () => {
  controlStoreConformance('postgres', async () => {
    const db = await requirePostgres();
    return {
      // A new pool per open: a second store reads what the first wrote through other connections.
      open: (options) => openPostgresControlStore({ ...options, ...connectionTo(db), poolSize: 2 }),
      cleanup: db.drop,
    };
  });
});

describePostgres('Postgres control store', () => {
  const { database, defer } = usePostgresDatabases();

  async function controlStore(
    db: FreshPostgres,
    options: Partial<Extract<PostgresControlStoreOptions, { connectionString: string }>> = {},
  ): Promise<ControlStore> {
    const s = await openPostgresControlStore({
      connectionString: db.connectionString,
      poolSize: 2,
      ...options,
    });
    defer(() => s.close());
    return s;
  }

  it('migrates once, in control_migrations, beside the agent store', async () => {
    const db = await database();
    const agents = await openPostgresAgentStore({ connectionString: db.connectionString, poolSize: 1 });
    defer(() => agents.close());
    await (await controlStore(db)).close();
    const store = await controlStore(db);
    expect(await sql(db, 'SELECT version FROM control_migrations')).toEqual([{ version: 1 }]);
    await store.advanceCursor('feed', 5);
    expect(await store.readCursor('feed')).toBe(5);
    expect(await agents.readRunMemory('run_1')).toEqual({});
  });

  it('keeps the SHA-256 of a key secret, never the secret', async () => {
    const db = await database();
    const store = await controlStore(db);
    const { secret } = await store.createKey({ tenant: 'acme', name: 'ci', roles: ['admin'] });
    await store.findKeyBySecret(secret);
    const rows = await sql<Record<string, unknown>>(db, 'SELECT * FROM control_keys');
    expect(rows[0]?.secret_hash).toBe(createHash('sha256').update(secret).digest('hex'));
    expect(JSON.stringify(rows)).not.toContain(secret.slice(12));
  });

  it('answers a malformed secret without a query', async () => {
    const db = await database();
    const pool = new pg.Pool({ connectionString: db.connectionString, max: 1 });
    defer(() => pool.end());
    let queries = 0;
    const counting = {
      query: (text: string, values?: unknown[]) => {
        queries++;
        return pool.query(text, values);
      },
      connect: () => pool.connect(),
      end: () => pool.end(),
    };
    const store = await openPostgresControlStore({ pool: counting });
    defer(() => store.close());
    const { secret } = await store.createKey({ tenant: 'acme', name: 'ci', roles: ['viewer'] });
    const before = queries;
    for (const malformed of ['', 'bk_', `bvk_${secret.slice(3)}`, `${secret}!`, secret.slice(0, 30)]) {
      expect(await store.findKeyBySecret(malformed)).toBeUndefined();
    }
    expect(queries).toBe(before);
    expect(await store.findKeyBySecret(secret)).toBeDefined();
    expect(queries).toBeGreaterThan(before);
  });

  it('five processes opening at once migrate once', async (ctx) => {
    const db = await database();
    ctx.skip(
      db.kind !== 'server',
      'PGlite serves every connection from one session, so the migrations cannot race there',
    );
    const stores = await Promise.all(
      Array.from({ length: 5 }, () => controlStore(db, { schema: 'control' })),
    );
    expect(await sql(db, 'SELECT version FROM control.control_migrations')).toEqual([{ version: 1 }]);
    await Promise.all(stores.map((s, i) => s.advanceCursor('feed', i)));
    expect(await (stores[0] as ControlStore).readCursor('feed')).toBe(4);
  });

  it('keeps its tables in its schema, apart from the default one; openControlStore honours it', async () => {
    const db = await database();
    const inSchema = await openControlStore({
      databaseUrl: db.connectionString,
      databaseSchema: 'control one',
    });
    defer(() => inSchema.close());
    const inDefault = await controlStore(db);
    await inSchema.createKey({ tenant: 'acme', name: 'ci', roles: ['admin'] });
    expect(await inDefault.hasNoKeys()).toBe(true);
    expect(await inSchema.hasNoKeys()).toBe(false);
    const tables = await sql<{ table_schema: string }>(
      db,
      "SELECT table_schema FROM information_schema.tables WHERE table_name = 'control_keys' ORDER BY 1",
    );
    expect(tables.map((t) => t.table_schema)).toEqual(['control one', 'public']);
  });

  it('uses a pool the caller owns, and leaves it open on close', async () => {
    const db = await database();
    const pool = new pg.Pool({ connectionString: db.connectionString, max: 2 });
    defer(() => pool.end());
    // A bare pool: bigint columns come back as strings, and the store still answers numbers.
    const store = await openPostgresControlStore({ pool, schema: 'shared' });
    await store.advanceCursor('feed', 2 ** 40);
    expect(await store.readCursor('feed')).toBe(2 ** 40);
    const { key } = await store.createKey({ tenant: 'acme', name: 'ci', roles: ['admin'] });
    expect(typeof key.createdAt).toBe('number');
    expect((await store.listKeys())[0]?.createdAt).toBe(key.createdAt);
    await store.close();
    expect((await pool.query('SELECT count(*)::int AS n FROM shared.control_keys')).rows).toEqual([{ n: 1 }]);
  });

  it('refuses a schema newer than the code, saying what to do', async () => {
    const db = await database();
    await (await controlStore(db)).close();
    await sql(db, 'INSERT INTO control_migrations (version, migrated_at) VALUES (99, 0)');
    await expect(openPostgresControlStore({ connectionString: db.connectionString })).rejects.toMatchObject({
      code: 'STORE_SCHEMA_TOO_NEW',
      hint: expect.stringContaining('Upgrade'),
    });
  });
});
