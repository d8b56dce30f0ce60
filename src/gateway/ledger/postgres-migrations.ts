/**
 * Numbered, append-only migrations of the Postgres ledger; position + 1 is the version recorded in
 * `gateway_migrations`. They run with `search_path` set to the ledger's schema. Never edit a released
 * migration: add the next one.
 * @module
 */

/**
 * 0001: keys, spend buckets and the request log. Request ids sort bytewise (`COLLATE "C"`), as in
 * SQLite, so both adapters page the log in the same order whatever the database's collation.
 */
const m0001 = /* sql */ `
CREATE TABLE gateway_keys (
  id text PRIMARY KEY,
  tenant text NOT NULL,
  name text NOT NULL,
  secret_hash text NOT NULL,
  allowed_models text NOT NULL,
  budgets text NOT NULL,
  rate_limits text NOT NULL,
  created_at bigint NOT NULL,
  revoked_at bigint,
  expires_at bigint
);
CREATE INDEX gateway_keys_tenant ON gateway_keys (tenant, created_at, id);

CREATE TABLE gateway_spend (
  scope text NOT NULL,
  scope_id text NOT NULL,
  day integer NOT NULL,
  usd double precision NOT NULL,
  PRIMARY KEY (scope, scope_id, day)
);

CREATE TABLE gateway_requests (
  id text COLLATE "C" PRIMARY KEY,
  at bigint NOT NULL,
  tenant text NOT NULL,
  key_id text,
  run_id text,
  route text NOT NULL,
  target text,
  endpoint text NOT NULL,
  stream boolean NOT NULL,
  status text NOT NULL,
  error_code text,
  input_tokens integer NOT NULL,
  output_tokens integer NOT NULL,
  cached_input_tokens integer NOT NULL,
  reasoning_tokens integer NOT NULL,
  cost_usd double precision NOT NULL,
  latency_ms double precision NOT NULL,
  ttft_ms double precision,
  cache_hit boolean NOT NULL,
  retries integer NOT NULL,
  fallbacks integer NOT NULL,
  request text,
  response text
);
CREATE INDEX gateway_requests_at ON gateway_requests (at, id);
CREATE INDEX gateway_requests_tenant ON gateway_requests (tenant, at, id);
CREATE INDEX gateway_requests_key ON gateway_requests (key_id, at, id) WHERE key_id IS NOT NULL;
CREATE INDEX gateway_requests_run ON gateway_requests (run_id, at, id) WHERE run_id IS NOT NULL;
`;

/** 0002: the step that made a call, for the cost model's per-step figures. */
const m0002 = /* sql */ `
ALTER TABLE gateway_requests ADD COLUMN step_id text;
`;

/** The Postgres ledger's migrations, in order. */
export const POSTGRES_MIGRATIONS: readonly string[] = [m0001, m0002];
