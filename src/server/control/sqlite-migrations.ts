/**
 * Numbered, append-only migrations of the SQLite control store; position + 1 is the version recorded
 * in `control_migrations`. Never edit a released migration: add the next one.
 * @module
 */

/**
 * 0001: API keys, the audit log, webhook subscriptions, deliveries and their attempts, triggers and
 * cursors. Ids are time-ordered text, so newest first is `ORDER BY id DESC`. A delivery is unique per
 * (subscription, event key): enqueueing an event twice is a no-op.
 */
const m0001 = /* sql */ `
CREATE TABLE control_keys (
  id TEXT PRIMARY KEY,
  tenant TEXT NOT NULL,
  name TEXT NOT NULL,
  secret_hash TEXT NOT NULL,
  roles TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER,
  revoked_at INTEGER,
  last_used_at INTEGER
);
CREATE INDEX control_keys_tenant ON control_keys (tenant, created_at, id);

CREATE TABLE control_audit (
  id TEXT PRIMARY KEY,
  at INTEGER NOT NULL,
  tenant TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  details TEXT NOT NULL
);
CREATE INDEX control_audit_tenant ON control_audit (tenant, id);

CREATE TABLE control_webhooks (
  id TEXT PRIMARY KEY,
  tenant TEXT NOT NULL,
  url TEXT NOT NULL,
  events TEXT NOT NULL,
  secret TEXT NOT NULL,
  description TEXT,
  created_at INTEGER NOT NULL,
  deleted_at INTEGER
);
CREATE INDEX control_webhooks_tenant ON control_webhooks (tenant, created_at, id);

CREATE TABLE control_deliveries (
  id TEXT PRIMARY KEY,
  subscription_id TEXT NOT NULL,
  tenant TEXT NOT NULL,
  event TEXT NOT NULL,
  event_key TEXT NOT NULL,
  payload TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  next_attempt_at INTEGER,
  created_at INTEGER NOT NULL,
  last_attempt TEXT,
  UNIQUE (subscription_id, event_key)
);
CREATE INDEX control_deliveries_due ON control_deliveries (next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX control_deliveries_tenant ON control_deliveries (tenant, id);

CREATE TABLE control_delivery_attempts (
  delivery_id TEXT NOT NULL,
  n INTEGER NOT NULL,
  at INTEGER NOT NULL,
  status INTEGER,
  error TEXT,
  duration_ms REAL NOT NULL,
  PRIMARY KEY (delivery_id, n)
) WITHOUT ROWID;

CREATE TABLE control_triggers (
  id TEXT PRIMARY KEY,
  tenant TEXT NOT NULL,
  workflow TEXT NOT NULL,
  type TEXT NOT NULL,
  schedule TEXT,
  timezone TEXT,
  event_type TEXT,
  input TEXT NOT NULL,
  enabled INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  next_fire_at INTEGER,
  last_fired_at INTEGER
);
CREATE INDEX control_triggers_tenant ON control_triggers (tenant, created_at, id);
CREATE INDEX control_triggers_due ON control_triggers (next_fire_at) WHERE type = 'cron' AND enabled = 1;

CREATE TABLE control_cursors (
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
`;

/** The SQLite control store's migrations, in order. */
export const SQLITE_MIGRATIONS: readonly string[] = [m0001];
