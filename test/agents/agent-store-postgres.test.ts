/**
 * The Postgres agent store: the conformance suite and the basics of every Postgres adapter (see
 * `test/postgres-adapter.ts`), plus what only it shows: its migrations beside the ledger, the
 * embedding bytes.
 */
import { expect, it } from 'vitest';
import { agentStoreConformance } from '../../src/agents/state/conformance.js';
import type { AgentStore } from '../../src/agents/state/port.js';
import { openPostgresAgentStore } from '../../src/agents/state/postgres-agent-store.js';
import { openPostgresLedger } from '../../src/gateway/ledger/postgres-ledger.js';
import { describePostgres, sql, usePostgresDatabases } from '../postgres.js';
import { adapterOpener, postgresAdapterBasics, postgresConformance } from '../postgres-adapter.js';

postgresConformance(agentStoreConformance, openPostgresAgentStore);

describePostgres('Postgres agent store', () => {
  const databases = usePostgresDatabases();
  const { database, defer } = databases;
  const agentStore = adapterOpener(databases, openPostgresAgentStore);

  postgresAdapterBasics(databases, {
    open: openPostgresAgentStore,
    migrations: 'agent_migrations',
    table: 'agent_journal',
    async shareTables(stores) {
      await Promise.all(stores.map((s, i) => s.writeRunMemory('run_1', { [`k${i}`]: i })));
      expect(Object.keys(await (stores[0] as AgentStore).readRunMemory('run_1'))).toHaveLength(5);
    },
    async keepApart(inSchema, inDefault) {
      const scope = { runId: 'r', stepId: 's' };
      await inSchema.appendJournal(scope, { seq: 0, type: 'model', data: 1 });
      expect(await inDefault.readJournal(scope)).toEqual([]);
      expect(await inSchema.readJournal(scope)).toHaveLength(1);
    },
    async useBarePool(store) {
      const entry = await store.appendJournal(
        { runId: 'r', stepId: 's' },
        { seq: 0, type: 'model', data: 1 },
      );
      expect(typeof entry.at).toBe('number');
      expect(await store.readJournal({ runId: 'r', stepId: 's' })).toEqual([entry]);
    },
  });

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
});
