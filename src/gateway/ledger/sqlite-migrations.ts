/**
 * Numbered, append-only migrations of the SQLite ledger; position + 1 is the version recorded in
 * `gateway_migrations`. Never edit a released migration: add the next one.
 * @module
 */

/** 0001: keys, spend buckets and the request log. */
const m0001 = /* sql */ `
CREATE TABLE gateway_keys (
  id TEXT PRIMARY KEY,
  tenant TEXT NOT NULL,
  name TEXT NOT NULL,
  secret_hash TEXT NOT NULL,
  allowed_models TEXT NOT NULL,
  budgets TEXT NOT NULL,
  rate_limits TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER,
  expires_at INTEGER
);
CREATE INDEX gateway_keys_tenant ON gateway_keys (tenant, created_at, id);

CREATE TABLE gateway_spend (
  scope TEXT NOT NULL,
  scope_id TEXT NOT NULL,
  day INTEGER NOT NULL,
  usd REAL NOT NULL,
  PRIMARY KEY (scope, scope_id, day)
) WITHOUT ROWID;

CREATE TABLE gateway_requests (
  id TEXT PRIMARY KEY,
  at INTEGER NOT NULL,
  tenant TEXT NOT NULL,
  key_id TEXT,
  run_id TEXT,
  route TEXT NOT NULL,
  target TEXT,
  endpoint TEXT NOT NULL,
  stream INTEGER NOT NULL,
  status TEXT NOT NULL,
  error_code TEXT,
  input_tokens INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL,
  cached_input_tokens INTEGER NOT NULL,
  reasoning_tokens INTEGER NOT NULL,
  cost_usd REAL NOT NULL,
  latency_ms REAL NOT NULL,
  ttft_ms REAL,
  cache_hit INTEGER NOT NULL,
  retries INTEGER NOT NULL,
  fallbacks INTEGER NOT NULL,
  request TEXT,
  response TEXT
);
CREATE INDEX gateway_requests_at ON gateway_requests (at, id);
CREATE INDEX gateway_requests_tenant ON gateway_requests (tenant, at, id);
CREATE INDEX gateway_requests_key ON gateway_requests (key_id, at, id);
CREATE INDEX gateway_requests_run ON gateway_requests (run_id, at, id);
`;

/** 0002: the step that made a call, for the cost model's per-step figures. */
const m0002 = /* sql */ `
ALTER TABLE gateway_requests ADD COLUMN step_id TEXT;
`;

/** The SQLite ledger's migrations, in order. */
export const SQLITE_MIGRATIONS: readonly string[] = [m0001, m0002];
