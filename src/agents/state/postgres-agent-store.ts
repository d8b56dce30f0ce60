/**
 * The Postgres adapter of the {@link AgentStore} port, on `pg`. It can share a database and schema
 * with the engine's store and the gateway's ledger: its tables are prefixed `agent_`, its migrations
 * are tracked in `agent_migrations` and applied under an advisory lock of their own.
 *
 * Tables are named with their schema in every statement (not through `search_path`), so a pool the
 * caller passes in works whatever its connections' settings. Every write is one statement (batches go
 * through `unnest` arrays, related writes through CTEs), hence one transaction.
 * @module
 */
import { BatonError } from '../../core/errors.js';
import { type PgPoolSource, PgQueries, quoteIdent } from '../../store/postgres/pg-queries.js';
import {
  type AgentStoreOptions,
  AUDIT_COLUMNS,
  type AuditRow,
  auditValues,
  auditWhere,
  checkAudit,
  checkJournalEntry,
  checkRunIds,
  checkRunMemory,
  checkScope,
  type JournalRow,
  storeClosed,
  toAuditRecord,
  toJournalEntry,
  toRunMemory,
} from './agent-rows.js';
import {
  checkForget,
  checkListMemories,
  checkNewMemory,
  checkRecall,
  MEMORY_COLUMNS,
  MEMORY_INSERT_COLUMNS,
  type MemoryRow,
  memoryValues,
  rankMemories,
  toMemoryRecord,
} from './memory-rows.js';
import type {
  AgentAuditRecord,
  AgentStore,
  AuditFilter,
  JournalEntry,
  JournalScope,
  MemoryRecord,
  NewMemory,
  RecalledMemory,
  RecallQuery,
} from './port.js';
import { type AgentPgPool, openAgentPool, unreachable } from './postgres-connection.js';

export type { AgentPgPool, AgentPgQueryable } from './postgres-connection.js';

/** Options of the Postgres agent store: a connection string (the store owns its pool) or a pool. */
export type PostgresAgentStoreOptions = AgentStoreOptions & {
  /** The schema of the store's tables, created when missing. @defaultValue the connections' `search_path` */
  schema?: string;
} & PgPoolSource;

const JOURNAL_COLUMNS = 'seq, type, data, at';

/**
 * Opens (migrating when needed) a Postgres agent store. Many processes may open one at once: one
 * migrates, the others wait for its lock and find nothing left to do.
 * @example
 * const store = await openPostgresAgentStore({ connectionString: process.env.BATON_DATABASE_URL! });
 */
export async function openPostgresAgentStore(options: PostgresAgentStoreOptions): Promise<AgentStore> {
  const { pool, owned } = await openAgentPool(options, options.schema);
  return new PostgresAgentStore(pool, owned, options.schema, options.now ?? Date.now);
}

/** The Postgres agent store. */
class PostgresAgentStore implements AgentStore {
  private closed = false;
  private readonly journal: string;
  private readonly runMemory: string;
  private readonly memories: string;
  private readonly audit: string;
  /** Statements on the pool: `query` is retried on a lost connection, `once` is not. */
  private readonly sql: PgQueries;

  constructor(
    private readonly pool: AgentPgPool,
    private readonly ownsPool: boolean,
    schema: string | undefined,
    private readonly now: () => number,
  ) {
    this.sql = new PgQueries(pool, { isClosed: () => this.closed, closed: storeClosed, unreachable });
    const table = (name: string) => (schema === undefined ? name : `${quoteIdent(schema)}.${name}`);
    this.journal = table('agent_journal');
    this.runMemory = table('agent_run_memory');
    this.memories = table('agent_memories');
    this.audit = table('agent_audit');
  }

  async readJournal(scope: JournalScope): Promise<JournalEntry[]> {
    if (this.closed) throw storeClosed();
    const { runId, stepId, item } = checkScope(scope);
    const rows = await this.sql.query<JournalRow>(
      `SELECT ${JOURNAL_COLUMNS} FROM ${this.journal} WHERE run_id = $1 AND step_id = $2 AND item = $3 ORDER BY seq`,
      [runId, stepId, item],
    );
    return rows.map(toJournalEntry);
  }

  async appendJournal(
    scope: JournalScope,
    entry: { seq: number; type: string; data: unknown },
  ): Promise<JournalEntry> {
    if (this.closed) throw storeClosed();
    const { runId, stepId, item } = checkScope(scope);
    const e = checkJournalEntry(entry);
    // Retried safely: a retry after a lost acknowledgement finds its own entry and returns it.
    const [inserted] = await this.sql.query<JournalRow>(
      `INSERT INTO ${this.journal} (run_id, step_id, item, seq, type, data, at) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT DO NOTHING RETURNING ${JOURNAL_COLUMNS}`,
      [runId, stepId, item, e.seq, e.type, e.data, this.now()],
    );
    if (inserted) return toJournalEntry(inserted);
    // A separate statement: its snapshot sees the winner, which committed after the INSERT's began.
    const [existing] = await this.sql.query<JournalRow>(
      `SELECT ${JOURNAL_COLUMNS} FROM ${this.journal} WHERE run_id = $1 AND step_id = $2 AND item = $3 AND seq = $4`,
      [runId, stepId, item, e.seq],
    );
    if (!existing) {
      throw new BatonError(
        'INTERNAL',
        `journal entry ${e.seq} of run ${runId} step ${stepId} item ${item} was deleted while it was appended`,
        { hint: 'The run was pruned while an agent step still ran: do not prune runs that are not finished' },
      );
    }
    return toJournalEntry(existing);
  }

  async readRunMemory(runId: string): Promise<Record<string, unknown>> {
    if (this.closed) throw storeClosed();
    const { runId: id } = checkRunMemory(runId, {});
    const rows = await this.sql.query<{ key: string; value: string }>(
      `SELECT key, value FROM ${this.runMemory} WHERE run_id = $1 ORDER BY key`,
      [id],
    );
    return toRunMemory(rows);
  }

  async writeRunMemory(runId: string, values: Record<string, unknown>): Promise<void> {
    if (this.closed) throw storeClosed();
    const plan = checkRunMemory(runId, values);
    if (plan.set.length + plan.remove.length === 0) return;
    // ORDER BY key: concurrent writers lock shared keys in the same order, so they cannot deadlock.
    await this.sql.query(
      `WITH removed AS (DELETE FROM ${this.runMemory} WHERE run_id = $1 AND key = ANY($2::text[]))
       INSERT INTO ${this.runMemory} AS m (run_id, key, value, updated_at)
       SELECT $1, k, v, $5::bigint FROM unnest($3::text[], $4::text[]) AS t(k, v) ORDER BY k
       ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
      [plan.runId, plan.remove, plan.set.map(([k]) => k), plan.set.map(([, v]) => v), this.now()],
    );
  }

  async remember(memory: NewMemory): Promise<MemoryRecord> {
    if (this.closed) throw storeClosed();
    const m = checkNewMemory(memory, this.now());
    // The memory and its audit row in one statement. Retried safely: the id is chosen here, so a retry
    // after a lost acknowledgement conflicts with the first write and adds nothing.
    await this.sql.query(
      `WITH m AS (
         INSERT INTO ${this.memories} (${MEMORY_INSERT_COLUMNS})
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING RETURNING id
       )
       INSERT INTO ${this.audit} (${AUDIT_COLUMNS})
       SELECT $10::bigint, $11, $12, $13, $14, $15, $16, $17 FROM m`,
      [...memoryValues(m), ...auditValues(m.audit)],
    );
    return m.record;
  }

  async recall(query: RecallQuery): Promise<RecalledMemory[]> {
    if (this.closed) throw storeClosed();
    const plan = checkRecall(query);
    const rows = await this.sql.query<MemoryRow & { embedding: Buffer }>(
      `SELECT ${MEMORY_COLUMNS}, embedding FROM ${this.memories} WHERE tenant = $1 AND agent = $2 AND dims = $3`,
      [plan.tenant, plan.agent, plan.embedding.length],
    );
    return rankMemories(plan, rows);
  }

  async listMemories(filter: { tenant: string; agent?: string; limit?: number }): Promise<MemoryRecord[]> {
    if (this.closed) throw storeClosed();
    const f = checkListMemories(filter);
    const rows = await this.sql.query<MemoryRow>(
      `SELECT ${MEMORY_COLUMNS} FROM ${this.memories} WHERE tenant = $1 AND ($2::text IS NULL OR agent = $2)
       ORDER BY created_at DESC, id DESC LIMIT $3`,
      [f.tenant, f.agent, f.limit],
    );
    return rows.map(toMemoryRecord);
  }

  async forget(tenant: string, id: string, by?: { runId?: string; stepId?: string }): Promise<boolean> {
    if (this.closed) throw storeClosed();
    checkForget(tenant, id, by);
    // Not retried: after a lost acknowledgement a retry would find nothing and answer false.
    const rows = await this.sql.once<{ agent: string }>(
      `WITH gone AS (DELETE FROM ${this.memories} WHERE tenant = $1 AND id = $2 RETURNING agent),
       audited AS (
         INSERT INTO ${this.audit} (${AUDIT_COLUMNS})
         SELECT $3::bigint, 'memory.delete', $1, $4::text, $5::text, $2, 'ok', json_build_object('agent', agent)::text FROM gone
       )
       SELECT agent FROM gone`,
      [tenant, id, this.now(), by?.runId ?? null, by?.stepId ?? null],
      `Memory ${id} may or may not have been deleted: forget it again to be sure`,
    );
    return rows.length > 0;
  }

  async appendAudit(records: AgentAuditRecord[]): Promise<void> {
    if (this.closed) throw storeClosed();
    const rows = checkAudit(records);
    if (rows.length === 0) return;
    const column = (i: number) => rows.map((r) => r[i]);
    // ORDER BY n: rows get their ids in the order given, which orders rows of the same millisecond.
    // Not retried: audit rows have no natural key, so a retry after a lost acknowledgement would double them.
    await this.sql.once(
      `INSERT INTO ${this.audit} (${AUDIT_COLUMNS})
       SELECT at, type, tenant, run_id, step_id, subject, outcome, data
       FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
         WITH ORDINALITY AS t(at, type, tenant, run_id, step_id, subject, outcome, data, n)
       ORDER BY n`,
      [0, 1, 2, 3, 4, 5, 6, 7].map(column),
      'The audit rows may or may not have been written',
    );
  }

  async listAudit(filter: AuditFilter = {}): Promise<AgentAuditRecord[]> {
    if (this.closed) throw storeClosed();
    const { where, values, limit } = auditWhere(filter, (n) => `$${n}`);
    const rows = await this.sql.query<AuditRow>(
      `SELECT ${AUDIT_COLUMNS} FROM ${this.audit} ${where} ORDER BY at DESC, id DESC LIMIT $${values.length + 1}`,
      [...values, limit],
    );
    return rows.map(toAuditRecord);
  }

  async pruneRuns(runIds: string[]): Promise<void> {
    if (this.closed) throw storeClosed();
    const ids = checkRunIds(runIds);
    if (ids.length === 0) return;
    await this.sql.query(
      `WITH j AS (DELETE FROM ${this.journal} WHERE run_id = ANY($1::text[])),
       m AS (DELETE FROM ${this.runMemory} WHERE run_id = ANY($1::text[]))
       DELETE FROM ${this.audit} WHERE run_id = ANY($1::text[])`,
      [ids],
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ownsPool) await this.pool.end();
  }
}
