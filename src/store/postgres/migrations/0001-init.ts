/**
 * Migration 1 of the Postgres adapter: the engine's tables. Append-only: never edit a released
 * migration, add the next one. JSON stays `text`, as in SQLite: the engine writes and reads it verbatim,
 * and step outputs are never re-serialized on the way through.
 */
export const sql = /* sql */ `
CREATE TABLE workflow_versions (
  id text PRIMARY KEY,
  workflow text NOT NULL,
  number integer NOT NULL,
  label text NOT NULL,
  hash text NOT NULL,
  source text NOT NULL,
  graph text NOT NULL,
  definition text NOT NULL,
  created_at bigint NOT NULL,
  UNIQUE (workflow, number),
  UNIQUE (workflow, hash)
);

CREATE TABLE runs (
  id text PRIMARY KEY,
  workflow text NOT NULL,
  version_id text NOT NULL REFERENCES workflow_versions (id),
  status text NOT NULL,
  phase text NOT NULL,
  input text NOT NULL,
  output text,
  error text,
  priority integer NOT NULL DEFAULT 0,
  tenant text NOT NULL DEFAULT 'default',
  idempotency_key text,
  parent_run_id text,
  parent_step_id text,
  depth integer NOT NULL DEFAULT 0,
  trace_id text NOT NULL,
  tags text NOT NULL DEFAULT '[]',
  created_at bigint NOT NULL,
  started_at bigint,
  finished_at bigint,
  deadline_at bigint,
  concurrency_key text,
  concurrency_limit integer,
  -- Bumped by every write to the run or its steps: a process's cached steps are valid while it matches.
  rev integer NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX runs_idempotency ON runs (tenant, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX runs_status ON runs (status, id);
CREATE INDEX runs_workflow ON runs (workflow, id);
CREATE INDEX runs_finished ON runs (finished_at) WHERE finished_at IS NOT NULL;
CREATE INDEX runs_parent ON runs (parent_run_id) WHERE parent_run_id IS NOT NULL;

CREATE TABLE steps (
  run_id text NOT NULL,
  step_id text NOT NULL,
  status text NOT NULL,
  attempt integer NOT NULL DEFAULT 0,
  output text,
  error text,
  started_at bigint,
  finished_at bigint,
  seq integer,
  wait text,
  map text,
  compensation text,
  compensation_attempt integer,
  PRIMARY KEY (run_id, step_id)
);

-- Attempts that ended; an attempt in progress is its leased task. Written once, when the attempt ends.
CREATE TABLE attempts (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  run_id text NOT NULL,
  kind text NOT NULL,
  step_id text NOT NULL,
  item integer NOT NULL,
  attempt integer NOT NULL,
  worker_id text NOT NULL,
  status text NOT NULL,
  started_at bigint NOT NULL,
  finished_at bigint NOT NULL,
  error text
);
CREATE INDEX attempts_run ON attempts (run_id);

-- Every write to a run's history holds the run's row lock, so a run's events commit in seq order.
CREATE TABLE history (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  run_id text NOT NULL,
  at bigint NOT NULL,
  type text NOT NULL,
  step_id text,
  item integer,
  attempt integer,
  data text
);
CREATE INDEX history_run ON history (run_id, seq);

CREATE TABLE tasks (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  run_id text NOT NULL,
  kind text NOT NULL,
  step_id text NOT NULL,
  item integer NOT NULL,
  attempt integer NOT NULL,
  priority integer NOT NULL,
  tenant text NOT NULL,
  concurrency_key text,
  concurrency_limit integer,
  -- When the task may be claimed; while leased, when the lease expires.
  visible_at bigint NOT NULL,
  lease_owner text,
  started_at bigint,
  -- Times this attempt's lease expired; bounded so a step that kills its worker cannot loop forever.
  takeovers integer NOT NULL DEFAULT 0
);
CREATE INDEX tasks_ready ON tasks (priority DESC, visible_at) WHERE lease_owner IS NULL;
-- Fair claims walk the tenants with ready tasks, then each tenant's best tasks.
CREATE INDEX tasks_ready_tenant ON tasks (tenant, priority DESC, visible_at) WHERE lease_owner IS NULL;
CREATE INDEX tasks_leased ON tasks (visible_at) WHERE lease_owner IS NOT NULL;
CREATE INDEX tasks_leased_owner ON tasks (lease_owner) WHERE lease_owner IS NOT NULL;
CREATE INDEX tasks_run ON tasks (run_id, step_id);

CREATE TABLE timers (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  run_id text NOT NULL,
  step_id text,
  kind text NOT NULL,
  fire_at bigint NOT NULL
);
CREATE INDEX timers_due ON timers (fire_at);
CREATE INDEX timers_run ON timers (run_id);

CREATE TABLE waits (
  run_id text NOT NULL,
  step_id text NOT NULL,
  key text NOT NULL,
  since bigint NOT NULL,
  PRIMARY KEY (run_id, step_id)
);
CREATE INDEX waits_key ON waits (key);

CREATE TABLE events (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  key text NOT NULL,
  payload text NOT NULL,
  at bigint NOT NULL
);
CREATE INDEX events_key ON events (key, at);

CREATE TABLE event_deliveries (
  run_id text NOT NULL,
  event_id bigint NOT NULL,
  PRIMARY KEY (run_id, event_id)
);

CREATE TABLE map_items (
  run_id text NOT NULL,
  step_id text NOT NULL,
  idx integer NOT NULL,
  input text NOT NULL,
  ok boolean,
  output text,
  error text,
  PRIMARY KEY (run_id, step_id, idx)
);
`;
