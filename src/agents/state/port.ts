/**
 * The `AgentStore` port: what agents keep durably, as domain operations. No connection, transaction or
 * row type crosses it; each adapter owns its connections.
 *
 * Glossary:
 * - **Journal**: the append-only record of an agent step's model calls, tool calls and delegations,
 *   scoped to one step (and one `map` item) of one run, each entry at a number the caller picks. A worker that takes a step
 *   over replays the journal instead of calling again: nothing recorded is repeated.
 * - **Run memory**: scratch values an agent keeps for the rest of its run (key → JSON value).
 * - **Long-term memory**: facts with their embedding, scoped to a tenant and an agent, recalled by
 *   cosine similarity. Lives in Baton's own database: no vector service.
 * - **Audit**: one row per tool call (allowed, failed or refused) and per memory write or deletion.
 *
 * Adapters: `sqlite-agent-store.ts` and `postgres-agent-store.ts`, both behind the conformance suite in
 * `conformance.ts`. Tables are prefixed `agent_` and migrations tracked in `agent_migrations`, so the
 * agent store shares a database (and schema) with the engine's store and the gateway's ledger.
 * @module
 */

/** Which step (and `map` item) a journal belongs to. */
export interface JournalScope {
  runId: string;
  stepId: string;
  /** The `map` item index; -1 for a step that is not fanned out. @defaultValue -1 */
  item?: number;
}

/** One journal entry. */
export interface JournalEntry {
  /**
   * The entry's number within its scope, chosen by the caller (0 or more). Numbers may have gaps:
   * the agent loop reserves a number for every possible entry of a turn (an effect's start marker
   * is written only for effects), so a replay finds each entry at a number it can compute.
   */
  seq: number;
  /** What was recorded: `model`, `tool-started`, `tool`, `delegation-started`, `delegation`, ... */
  type: string;
  /** The recorded data (JSON). */
  data: unknown;
  /** Epoch milliseconds, set by the store. */
  at: number;
}

/** A fact to keep in long-term memory. */
export interface NewMemory {
  tenant: string;
  /** The agent the memory belongs to (memories are never shared across agents). */
  agent: string;
  /** What to remember, as the model will read it back. */
  text: string;
  /** Its embedding (any dimension; recall compares embeddings of the same dimension only). */
  embedding: number[];
  /** Free JSON kept with the memory (a customer id, a source). */
  metadata?: Record<string, unknown>;
  /** Where it was written from, for the audit trail. */
  runId?: string;
  stepId?: string;
}

/** A fact in long-term memory (its embedding is not returned). */
export interface MemoryRecord {
  /** Store-assigned, unique. */
  id: string;
  tenant: string;
  agent: string;
  text: string;
  metadata: Record<string, unknown>;
  createdAt: number;
  runId?: string;
}

/** A recall request: the `limit` memories of `tenant` and `agent` closest to `embedding`. */
export interface RecallQuery {
  tenant: string;
  agent: string;
  embedding: number[];
  /** @defaultValue 5 */
  limit?: number;
  /** Cosine similarity below which a memory is not returned. @defaultValue -1 (none filtered) */
  minScore?: number;
  /** Only memories whose metadata has these exact top-level values. */
  metadata?: Record<string, unknown>;
}

/** One recalled memory with its cosine similarity to the query, from -1 to 1. */
export interface RecalledMemory {
  memory: MemoryRecord;
  score: number;
}

/** One audit row. */
export interface AgentAuditRecord {
  /** Epoch milliseconds. */
  at: number;
  /** `tool` (a tool call), `memory.write`, `memory.delete`. */
  type: 'tool' | 'memory.write' | 'memory.delete';
  tenant?: string;
  runId?: string;
  stepId?: string;
  /** The tool name or the memory id. */
  subject: string;
  /** `ok`, `error`, `refused` for tools; `ok` for memory. */
  outcome: string;
  /** The rest of the record (masked arguments, error code, duration, sizes...). */
  data: Record<string, unknown>;
}

/** Filters for {@link AgentStore.listAudit}. */
export interface AuditFilter {
  tenant?: string;
  runId?: string;
  type?: AgentAuditRecord['type'];
  /** @defaultValue 100 */
  limit?: number;
}

/** The agents' storage port. */
export interface AgentStore {
  /** The journal of a scope, in `seq` order. */
  readJournal(scope: JournalScope): Promise<JournalEntry[]>;
  /**
   * Appends the entry with number `seq`. When that number is already taken (a worker that lost its
   * lease raced the one that took over) nothing is written and the entry already there is returned:
   * the first writer wins, and the caller must continue from what it returns.
   */
  appendJournal(
    scope: JournalScope,
    entry: { seq: number; type: string; data: unknown },
  ): Promise<JournalEntry>;

  /** The run memory of a run: every key with its value. */
  readRunMemory(runId: string): Promise<Record<string, unknown>>;
  /** Sets (or, with `undefined`, deletes) keys of a run's memory, all in one transaction. */
  writeRunMemory(runId: string, values: Record<string, unknown>): Promise<void>;

  /** Stores a fact and audits the write (`memory.write`). */
  remember(memory: NewMemory): Promise<MemoryRecord>;
  /** The memories closest to the query, best first. */
  recall(query: RecallQuery): Promise<RecalledMemory[]>;
  /** Memories of a tenant (and agent), newest first. */
  listMemories(filter: { tenant: string; agent?: string; limit?: number }): Promise<MemoryRecord[]>;
  /** Deletes a memory of the tenant and audits it (`memory.delete`); false when there was none. */
  forget(tenant: string, id: string, by?: { runId?: string; stepId?: string }): Promise<boolean>;

  /** Appends audit rows in one transaction. */
  appendAudit(records: AgentAuditRecord[]): Promise<void>;
  /** Audit rows, newest first. */
  listAudit(filter?: AuditFilter): Promise<AgentAuditRecord[]>;

  /** Deletes journals, run memory and audit rows of these (finished, pruned) runs. */
  pruneRuns(runIds: string[]): Promise<void>;
  /** Releases connections. Safe twice. */
  close(): Promise<void>;
}
