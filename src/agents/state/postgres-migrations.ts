/**
 * Numbered, append-only migrations of the Postgres agent store; position + 1 is the version recorded
 * in `agent_migrations`. They run with `search_path` set to the store's schema. Never edit a released
 * migration: add the next one.
 * @module
 */

/**
 * 0001: journals, run memory, long-term memory and the audit trail. JSON is kept as text, not jsonb:
 * jsonb refuses `\u0000` in strings and reorders keys, and the store only ever reads it whole.
 * Embeddings are float32 little-endian `bytea`, the same bytes as in SQLite. Memory ids sort bytewise
 * (`COLLATE "C"`), as in SQLite. Audit rows are numbered in insertion order (`id`), which breaks ties
 * between rows of the same millisecond.
 */
const m0001 = /* sql */ `
CREATE TABLE agent_journal (
  run_id text NOT NULL,
  step_id text NOT NULL,
  item integer NOT NULL,
  seq integer NOT NULL,
  type text NOT NULL,
  data text NOT NULL,
  at bigint NOT NULL,
  PRIMARY KEY (run_id, step_id, item, seq)
);

CREATE TABLE agent_run_memory (
  run_id text NOT NULL,
  key text NOT NULL,
  value text NOT NULL,
  updated_at bigint NOT NULL,
  PRIMARY KEY (run_id, key)
);

CREATE TABLE agent_memories (
  id text COLLATE "C" PRIMARY KEY,
  tenant text NOT NULL,
  agent text NOT NULL,
  text text NOT NULL,
  embedding bytea NOT NULL,
  dims integer NOT NULL,
  metadata text NOT NULL,
  run_id text,
  created_at bigint NOT NULL
);
CREATE INDEX agent_memories_agent ON agent_memories (tenant, agent, dims);
CREATE INDEX agent_memories_tenant ON agent_memories (tenant, created_at, id);

CREATE TABLE agent_audit (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at bigint NOT NULL,
  type text NOT NULL,
  tenant text,
  run_id text,
  step_id text,
  subject text NOT NULL,
  outcome text NOT NULL,
  data text NOT NULL
);
CREATE INDEX agent_audit_at ON agent_audit (at, id);
CREATE INDEX agent_audit_tenant ON agent_audit (tenant, at, id) WHERE tenant IS NOT NULL;
CREATE INDEX agent_audit_run ON agent_audit (run_id) WHERE run_id IS NOT NULL;
`;

/** The Postgres agent store's migrations, in order. */
export const POSTGRES_MIGRATIONS: readonly string[] = [m0001];
