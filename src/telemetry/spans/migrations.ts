/**
 * Numbered, append-only migrations of the span store adapters; position + 1 is the version recorded
 * in `telemetry_migrations`. Never edit a released migration: add the next one.
 * @module
 */

/** 0001 (SQLite): spans, keyed by trace and span id, with the run they belong to for queries. */
const sqlite0001 = /* sql */ `
CREATE TABLE telemetry_spans (
  trace_id TEXT NOT NULL,
  span_id TEXT NOT NULL,
  parent_span_id TEXT,
  name TEXT NOT NULL,
  kind TEXT NOT NULL,
  start_time REAL NOT NULL,
  end_time REAL NOT NULL,
  status_code TEXT NOT NULL,
  status_message TEXT,
  attributes TEXT NOT NULL,
  run_id TEXT,
  step_id TEXT,
  PRIMARY KEY (trace_id, span_id)
) WITHOUT ROWID;
CREATE INDEX telemetry_spans_run ON telemetry_spans (run_id, start_time);
CREATE INDEX telemetry_spans_end ON telemetry_spans (end_time);
`;

/**
 * 0001 (Postgres): as in SQLite. Times are double precision (ms, fractional); attributes are text,
 * not jsonb, since the store only ever reads them whole.
 */
const postgres0001 = /* sql */ `
CREATE TABLE telemetry_spans (
  trace_id text NOT NULL,
  span_id text NOT NULL,
  parent_span_id text,
  name text NOT NULL,
  kind text NOT NULL,
  start_time double precision NOT NULL,
  end_time double precision NOT NULL,
  status_code text NOT NULL,
  status_message text,
  attributes text NOT NULL,
  run_id text,
  step_id text,
  PRIMARY KEY (trace_id, span_id)
);
CREATE INDEX telemetry_spans_run ON telemetry_spans (run_id, start_time) WHERE run_id IS NOT NULL;
CREATE INDEX telemetry_spans_end ON telemetry_spans (end_time);
`;

/** The SQLite span store's migrations, in order. */
export const SQLITE_SPAN_MIGRATIONS: readonly string[] = [sqlite0001];

/** The Postgres span store's migrations, in order (they run with `search_path` set to the schema). */
export const POSTGRES_SPAN_MIGRATIONS: readonly string[] = [postgres0001];
