/**
 * The Postgres agent store: the conformance suite (each test on a fresh database, which already holds
 * the engine's tables, so the two share it as in production), plus what only Postgres shows: its
 * migrations, the embedding bytes, many processes migrating at once, a schema of its own, a pool the
 * caller owns.
 */
import pg from 'pg';
import { expect, it } from 'vitest';
import { agentStoreConformance } from '../../src/agents/state/conformance.js';
import type { AgentStore } from '../../src/agents/state/port.js';
import {
  openPostgresAgentStore,
  type PostgresAgentStoreOptions,
} from '../../src/agents/state/postgres-agent-store.js';
import { openPostgresLedger } from '../../src/gateway/ledger/postgres-ledger.js';
import {
  connectionTo,
  describePostgres,
  type FreshPostgres,
  requirePostgres,
  sql,
  usePostgresDatabases,
} from '../postgres.js';

describePostgres('postgres', () => {
  agentStoreConformance('postgres', async () => {
    const db = await requirePostgres();
    return {
      // A new pool per open: a second store reads what the first wrote through other connections.
      open: (options) => openPostgresAgentStore({ ...options, ...connectionTo(db), poolSize: 2 }),
      cleanup: db.drop,
    };
  });
});

describePostgres('Postgres agent store', () => {
  const { database, defer } = usePostgresDatabases();

  async function agentStore(
    db: FreshPostgres,
    options: Partial<Extract<PostgresAgentStoreOptions, { connectionString: string }>> = {},
  ): Promise<AgentStore> {
    const s = await openPostgresAgentStore({
      connectionString: db.connectionString,
      poolSize: 2,
      ...options,
    });
    defer(() => s.close());
    return s;
  }

  it('migrates once, in agent_migrations, beside the ledger', async () => {
    const db = await database();
    const ledger = await openPostgresLedger({ connectionString: db.connectionString, poolSize: 1 });
    defer(() => ledger.close());
    await (await agentStore(db)).close();
    const store = await agentStore(db);
    expect(await sql(db, 'SELECT version FROM agent_migrations')).toEqual([{ version: 1 }]);
    await store.writeRunMemory('run_1', { k: 1 });
    expect(await store.readRunMemory('run_1')).toEqual({ k: 1 });
    expect(await ledger.listKeys()).toEqual([]);
  });

  it('stores embeddings as float32 little-endian bytea', async () => {
    const db = await database();
    const store = await agentStore(db);
    await store.remember({ tenant: 'acme', agent: 'bot', text: 'x', embedding: [1.5, -2, 0.25] });
    const [row] = await sql<{ embedding: Buffer; dims: number }>(
      db,
      'SELECT embedding, dims FROM agent_memories',
    );
    // 1.5, -2 and 0.25 as float32, little-endian.
    const expected = Buffer.from('0000c03f000000c00000803e', 'hex');
    expect(row?.dims).toBe(3);
    expect(row?.embedding.equals(expected)).toBe(true);
  });

  it('five processes opening at once migrate once', async (ctx) => {
    const db = await database();
    ctx.skip(
      db.kind !== 'server',
      'PGlite serves every connection from one session, so the migrations cannot race there',
    );
    const stores = await Promise.all(Array.from({ length: 5 }, () => agentStore(db, { schema: 'agents' })));
    expect(await sql(db, 'SELECT version FROM agents.agent_migrations')).toEqual([{ version: 1 }]);
    await Promise.all(stores.map((s, i) => s.writeRunMemory('run_1', { [`k${i}`]: i })));
    expect(Object.keys(await (stores[0] as AgentStore).readRunMemory('run_1'))).toHaveLength(5);
  });

  it('keeps its tables in its schema, apart from the default one', async () => {
    const db = await database();
    const inSchema = await agentStore(db, { schema: 'agents one' });
    const inDefault = await agentStore(db);
    await inSchema.remember({ tenant: 'acme', agent: 'bot', text: 'x', embedding: [1] });
    expect(await inDefault.listMemories({ tenant: 'acme' })).toEqual([]);
    expect(await inSchema.listMemories({ tenant: 'acme' })).toHaveLength(1);
    const tables = await sql<{ table_schema: string }>(
      db,
      "SELECT table_schema FROM information_schema.tables WHERE table_name = 'agent_memories' ORDER BY 1",
    );
    expect(tables.map((t) => t.table_schema)).toEqual(['agents one', 'public']);
  });

  it('uses a pool the caller owns, and leaves it open on close', async () => {
    const db = await database();
    const pool = new pg.Pool({ connectionString: db.connectionString, max: 2 });
    defer(() => pool.end());
    // A bare pool: bigint columns come back as strings, and the store still answers numbers.
    const store = await openPostgresAgentStore({ pool, schema: 'shared' });
    const entry = await store.appendJournal({ runId: 'r', stepId: 's' }, { seq: 0, type: 'model', data: 1 });
    expect(typeof entry.at).toBe('number');
    expect(await store.readJournal({ runId: 'r', stepId: 's' })).toEqual([entry]);
    await store.close();
    expect((await pool.query('SELECT count(*)::int AS n FROM shared.agent_journal')).rows).toEqual([
      { n: 1 },
    ]);
  });

  it('refuses a schema newer than the code, saying what to do', async () => {
    const db = await database();
    await (await agentStore(db)).close();
    await sql(db, 'INSERT INTO agent_migrations (version, migrated_at) VALUES (99, 0)');
    await expect(openPostgresAgentStore({ connectionString: db.connectionString })).rejects.toMatchObject({
      code: 'STORE_SCHEMA_TOO_NEW',
      hint: expect.stringContaining('Upgrade'),
    });
  });
});
