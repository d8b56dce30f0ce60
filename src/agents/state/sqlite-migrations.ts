/**
 * Numbered, append-only migrations of the SQLite agent store; position + 1 is the version recorded in
 * `agent_migrations`. Never edit a released migration: add the next one.
 * @module
 */

/**
 * 0001: journals, run memory, long-term memory and the audit trail. Embeddings are float32
 * little-endian BLOBs (4 bytes a dimension), with their dimension beside them so recall reads only
 * comparable ones.
 */
const m0001 = /* sql */ `
CREATE TABLE agent_journal (
  run_id TEXT NOT NULL,
  step_id TEXT NOT NULL,
  item INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  type TEXT NOT NULL,
  data TEXT NOT NULL,
  at INTEGER NOT NULL,
  PRIMARY KEY (run_id, step_id, item, seq)
) WITHOUT ROWID;

CREATE TABLE agent_run_memory (
  run_id TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (run_id, key)
) WITHOUT ROWID;

CREATE TABLE agent_memories (
  id TEXT PRIMARY KEY,
  tenant TEXT NOT NULL,
  agent TEXT NOT NULL,
  text TEXT NOT NULL,
  embedding BLOB NOT NULL,
  dims INTEGER NOT NULL,
  metadata TEXT NOT NULL,
  run_id TEXT,
  created_at INTEGER NOT NULL
);
CREATE INDEX agent_memories_agent ON agent_memories (tenant, agent, dims);
CREATE INDEX agent_memories_tenant ON agent_memories (tenant, created_at, id);

CREATE TABLE agent_audit (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  type TEXT NOT NULL,
  tenant TEXT,
  run_id TEXT,
  step_id TEXT,
  subject TEXT NOT NULL,
  outcome TEXT NOT NULL,
  data TEXT NOT NULL
);
CREATE INDEX agent_audit_at ON agent_audit (at, id);
CREATE INDEX agent_audit_tenant ON agent_audit (tenant, at, id);
CREATE INDEX agent_audit_run ON agent_audit (run_id);
`;

/** The SQLite agent store's migrations, in order. */
export const SQLITE_MIGRATIONS: readonly string[] = [m0001];
