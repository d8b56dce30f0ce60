/**
 * Numbered, append-only migrations of the Postgres control store; position + 1 is the version
 * recorded in `control_migrations`. They run with `search_path` set to the store's schema. Never edit
 * a released migration: add the next one.
 * @module
 */

/**
 * 0001: API keys, the audit log, webhook subscriptions, deliveries and their attempts, triggers and
 * cursors. JSON is kept as text, not jsonb (jsonb refuses `\u0000` and reorders keys; the store reads
 * it whole). Ids are time-ordered and sort bytewise (`COLLATE "C"`), as in SQLite, so newest first is
 * `ORDER BY id DESC` in both. A delivery is unique per (subscription, event key).
 */
const m0001 = /* sql */ `
CREATE TABLE control_keys (
  id text COLLATE "C" PRIMARY KEY,
  tenant text NOT NULL,
  name text NOT NULL,
  secret_hash text NOT NULL,
  roles text NOT NULL,
  created_at bigint NOT NULL,
  expires_at bigint,
  revoked_at bigint,
  last_used_at bigint
);
CREATE INDEX control_keys_tenant ON control_keys (tenant, created_at, id);

CREATE TABLE control_audit (
  id text COLLATE "C" PRIMARY KEY,
  at bigint NOT NULL,
  tenant text NOT NULL,
  actor text NOT NULL,
  action text NOT NULL,
  target text NOT NULL,
  details text NOT NULL
);
CREATE INDEX control_audit_tenant ON control_audit (tenant, id);

CREATE TABLE control_webhooks (
  id text COLLATE "C" PRIMARY KEY,
  tenant text NOT NULL,
  url text NOT NULL,
  events text NOT NULL,
  secret text NOT NULL,
  description text,
  created_at bigint NOT NULL,
  deleted_at bigint
);
CREATE INDEX control_webhooks_tenant ON control_webhooks (tenant, created_at, id);

CREATE TABLE control_deliveries (
  id text COLLATE "C" PRIMARY KEY,
  subscription_id text NOT NULL,
  tenant text NOT NULL,
  event text NOT NULL,
  event_key text NOT NULL,
  payload text NOT NULL,
  status text NOT NULL,
  attempts integer NOT NULL,
  next_attempt_at bigint,
  created_at bigint NOT NULL,
  last_attempt text,
  UNIQUE (subscription_id, event_key)
);
CREATE INDEX control_deliveries_due ON control_deliveries (next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX control_deliveries_tenant ON control_deliveries (tenant, id);

CREATE TABLE control_delivery_attempts (
  delivery_id text NOT NULL,
  n integer NOT NULL,
  at bigint NOT NULL,
  status integer,
  error text,
  duration_ms double precision NOT NULL,
  PRIMARY KEY (delivery_id, n)
);

CREATE TABLE control_triggers (
  id text COLLATE "C" PRIMARY KEY,
  tenant text NOT NULL,
  workflow text NOT NULL,
  type text NOT NULL,
  schedule text,
  timezone text,
  event_type text,
  input text NOT NULL,
  enabled boolean NOT NULL,
  created_at bigint NOT NULL,
  next_fire_at bigint,
  last_fired_at bigint
);
CREATE INDEX control_triggers_tenant ON control_triggers (tenant, created_at, id);
CREATE INDEX control_triggers_due ON control_triggers (next_fire_at) WHERE type = 'cron' AND enabled;

CREATE TABLE control_cursors (
  name text PRIMARY KEY,
  value bigint NOT NULL
);
`;

/** The Postgres control store's migrations, in order. */
export const POSTGRES_MIGRATIONS: readonly string[] = [m0001];
