/**
 * The Postgres control store: the conformance suite and the basics of every Postgres adapter (see
 * `test/postgres-adapter.ts`), plus what only it shows: its migrations beside the agent store, secrets
 * kept as hashes only, malformed secrets answered without a query.
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import { expect, it } from 'vitest';
import { openPostgresAgentStore } from '../../src/agents/state/postgres-agent-store.js';
import { controlStoreConformance } from '../../src/server/control/conformance.js';
import { openControlStore } from '../../src/server/control/index.js';
import type { ControlStore } from '../../src/server/control/port.js';
import { openPostgresControlStore } from '../../src/server/control/postgres-control-store.js';
import { describePostgres, sql, usePostgresDatabases } from '../postgres.js';
import { adapterOpener, postgresAdapterBasics, postgresConformance } from '../postgres-adapter.js';

postgresConformance(controlStoreConformance, openPostgresControlStore);

describePostgres('Postgres control store', () => {
  const databases = usePostgresDatabases();
  const { database, defer } = databases;
  const controlStore = adapterOpener(databases, openPostgresControlStore);

  postgresAdapterBasics(databases, {
    open: openPostgresControlStore,
    migrations: 'control_migrations',
    table: 'control_keys',
    async shareTables(stores) {
      await Promise.all(stores.map((s, i) => s.advanceCursor('feed', i)));
      expect(await (stores[0] as ControlStore).readCursor('feed')).toBe(4);
    },
    // openControlStore honours the schema too.
    async openInSchema(db, schema) {
      const store = await openControlStore({ databaseUrl: db.connectionString, databaseSchema: schema });
      defer(() => store.close());
      return store;
    },
    async keepApart(inSchema, inDefault) {
      await inSchema.createKey({ tenant: 'acme', name: 'ci', roles: ['admin'] });
      expect(await inDefault.hasNoKeys()).toBe(true);
      expect(await inSchema.hasNoKeys()).toBe(false);
    },
    async useBarePool(store) {
      await store.advanceCursor('feed', 2 ** 40);
      expect(await store.readCursor('feed')).toBe(2 ** 40);
      const { key } = await store.createKey({ tenant: 'acme', name: 'ci', roles: ['admin'] });
      expect(typeof key.createdAt).toBe('number');
      expect((await store.listKeys())[0]?.createdAt).toBe(key.createdAt);
    },
  });

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
});
