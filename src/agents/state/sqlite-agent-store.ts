/**
 * The embedded SQLite adapter of the {@link AgentStore} port, on better-sqlite3 in WAL mode with
 * `synchronous = FULL`. It can share a file (`.baton/baton.db`) with the engine's store and the
 * gateway's ledger: its tables are prefixed `agent_` and its migrations are tracked in
 * `agent_migrations`, not in `user_version` (which the engine's store owns).
 * @module
 */
import { openSqliteFile, type SqliteFile } from '../../store/sqlite/open-sqlite-file.js';
import type { SqliteDatabase } from '../../store/sqlite/sqlite-driver.js';
import {
  type AgentStoreOptions,
  AUDIT_COLUMNS,
  type AuditRow,
  type AuditValues,
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
  forgetAudit,
  MEMORY_COLUMNS,
  MEMORY_INSERT_COLUMNS,
  type MemoryInsert,
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
import { SQLITE_MIGRATIONS } from './sqlite-migrations.js';

/** Options of the SQLite agent store. */
export type SqliteAgentStoreOptions = AgentStoreOptions & SqliteFile;

/**
 * Opens (creating and migrating when needed) a SQLite agent store. Every commit is fsynced
 * (`synchronous = FULL`): a journal entry whose append returned survives the worker being killed, and
 * the machine losing power, right after.
 * @example
 * const store = await openSqliteAgentStore({ path: '.baton/baton.db' });
 * await store.appendJournal({ runId, stepId: 'triage' }, { seq: 0, type: 'model', data: reply });
 */
export async function openSqliteAgentStore(options: SqliteAgentStoreOptions): Promise<AgentStore> {
  const db = openSqliteFile(options, {
    synchronous: 'FULL',
    table: 'agent_migrations',
    migrations: SQLITE_MIGRATIONS,
    name: 'the agent store',
  });
  return new SqliteAgentStore(db, options.now ?? Date.now);
}

const JOURNAL_COLUMNS = 'seq, type, data, at';

/** The SQLite agent store. Statements are prepared once; every write is one transaction. */
class SqliteAgentStore implements AgentStore {
  private closed = false;
  private readonly journal;
  private readonly insertJournal;
  private readonly journalEntry;
  private readonly runMemory;
  private readonly writeMemoryTx;
  private readonly rememberTx;
  private readonly forgetTx;
  private readonly appendAuditTx;
  private readonly pruneTx;
  private readonly candidates;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly now: () => number,
  ) {
    this.journal = db.prepare(
      `SELECT ${JOURNAL_COLUMNS} FROM agent_journal WHERE run_id = ? AND step_id = ? AND item = ? ORDER BY seq`,
    );
    this.insertJournal = db.prepare(
      `INSERT INTO agent_journal (run_id, step_id, item, seq, type, data, at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT DO NOTHING`,
    );
    this.journalEntry = db.prepare(
      `SELECT ${JOURNAL_COLUMNS} FROM agent_journal WHERE run_id = ? AND step_id = ? AND item = ? AND seq = ?`,
    );
    this.runMemory = db.prepare('SELECT key, value FROM agent_run_memory WHERE run_id = ? ORDER BY key');
    const setKey = db.prepare(
      `INSERT INTO agent_run_memory (run_id, key, value, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
    );
    const deleteKey = db.prepare('DELETE FROM agent_run_memory WHERE run_id = ? AND key = ?');
    this.writeMemoryTx = db.transaction((plan: ReturnType<typeof checkRunMemory>, at: number) => {
      for (const [key, value] of plan.set) setKey.run(plan.runId, key, value, at);
      for (const key of plan.remove) deleteKey.run(plan.runId, key);
    });
    const insertAudit = db.prepare(
      `INSERT INTO agent_audit (${AUDIT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const insertMemory = db.prepare(
      `INSERT INTO agent_memories (${MEMORY_INSERT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.rememberTx = db.transaction((m: MemoryInsert) => {
      insertMemory.run(...memoryValues(m));
      insertAudit.run(...auditValues(m.audit));
    });
    const deleteMemory = db.prepare('DELETE FROM agent_memories WHERE tenant = ? AND id = ? RETURNING agent');
    this.forgetTx = db.transaction(
      (tenant: string, id: string, by: { runId?: string; stepId?: string } | undefined): boolean => {
        const row = deleteMemory.get(tenant, id) as { agent: string } | undefined;
        if (!row) return false;
        insertAudit.run(...auditValues(forgetAudit(tenant, id, row.agent, by, this.now())));
        return true;
      },
    );
    this.appendAuditTx = db.transaction((rows: AuditValues[]) => {
      for (const values of rows) insertAudit.run(...values);
    });
    const pruneJournal = db.prepare('DELETE FROM agent_journal WHERE run_id = ?');
    const pruneMemory = db.prepare('DELETE FROM agent_run_memory WHERE run_id = ?');
    const pruneAudit = db.prepare('DELETE FROM agent_audit WHERE run_id = ?');
    this.pruneTx = db.transaction((runIds: string[]) => {
      for (const id of runIds) {
        pruneJournal.run(id);
        pruneMemory.run(id);
        pruneAudit.run(id);
      }
    });
    this.candidates = db.prepare(
      `SELECT ${MEMORY_COLUMNS}, embedding FROM agent_memories WHERE tenant = ? AND agent = ? AND dims = ?`,
    );
  }

  private open(): SqliteDatabase {
    if (this.closed) throw storeClosed();
    return this.db;
  }

  async readJournal(scope: JournalScope): Promise<JournalEntry[]> {
    this.open();
    const { runId, stepId, item } = checkScope(scope);
    return (this.journal.all(runId, stepId, item) as JournalRow[]).map(toJournalEntry);
  }

  async appendJournal(
    scope: JournalScope,
    entry: { seq: number; type: string; data: unknown },
  ): Promise<JournalEntry> {
    this.open();
    const { runId, stepId, item } = checkScope(scope);
    const e = checkJournalEntry(entry);
    // One autocommit statement: fsynced (synchronous = FULL) before it returns. A taken seq writes nothing.
    this.insertJournal.run(runId, stepId, item, e.seq, e.type, e.data, this.now());
    return toJournalEntry(this.journalEntry.get(runId, stepId, item, e.seq) as JournalRow);
  }

  async readRunMemory(runId: string): Promise<Record<string, unknown>> {
    this.open();
    const { runId: id } = checkRunMemory(runId, {});
    return toRunMemory(this.runMemory.all(id) as { key: string; value: string }[]);
  }

  async writeRunMemory(runId: string, values: Record<string, unknown>): Promise<void> {
    this.open();
    const plan = checkRunMemory(runId, values);
    if (plan.set.length + plan.remove.length > 0) this.writeMemoryTx.immediate(plan, this.now());
  }

  async remember(memory: NewMemory): Promise<MemoryRecord> {
    this.open();
    const insert = checkNewMemory(memory, this.now());
    this.rememberTx.immediate(insert);
    return insert.record;
  }

  async recall(query: RecallQuery): Promise<RecalledMemory[]> {
    this.open();
    const plan = checkRecall(query);
    const rows = this.candidates.all(plan.tenant, plan.agent, plan.embedding.length) as (MemoryRow & {
      embedding: Buffer;
    })[];
    return rankMemories(plan, rows);
  }

  async listMemories(filter: { tenant: string; agent?: string; limit?: number }): Promise<MemoryRecord[]> {
    const db = this.open();
    const f = checkListMemories(filter);
    const rows =
      f.agent === null
        ? db
            .prepare(
              `SELECT ${MEMORY_COLUMNS} FROM agent_memories WHERE tenant = ? ORDER BY created_at DESC, id DESC LIMIT ?`,
            )
            .all(f.tenant, f.limit)
        : db
            .prepare(
              `SELECT ${MEMORY_COLUMNS} FROM agent_memories WHERE tenant = ? AND agent = ?
               ORDER BY created_at DESC, id DESC LIMIT ?`,
            )
            .all(f.tenant, f.agent, f.limit);
    return (rows as MemoryRow[]).map(toMemoryRecord);
  }

  async forget(tenant: string, id: string, by?: { runId?: string; stepId?: string }): Promise<boolean> {
    this.open();
    checkForget(tenant, id, by);
    return this.forgetTx.immediate(tenant, id, by);
  }

  async appendAudit(records: AgentAuditRecord[]): Promise<void> {
    this.open();
    const rows = checkAudit(records);
    if (rows.length > 0) this.appendAuditTx.immediate(rows);
  }

  async listAudit(filter: AuditFilter = {}): Promise<AgentAuditRecord[]> {
    const db = this.open();
    const { where, values, limit } = auditWhere(filter, () => '?');
    const rows = db
      .prepare(`SELECT ${AUDIT_COLUMNS} FROM agent_audit ${where} ORDER BY at DESC, id DESC LIMIT ?`)
      .all(...values, limit) as AuditRow[];
    return rows.map(toAuditRecord);
  }

  async pruneRuns(runIds: string[]): Promise<void> {
    this.open();
    const ids = checkRunIds(runIds);
    if (ids.length > 0) this.pruneTx.immediate(ids);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }
}
