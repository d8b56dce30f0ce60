/** Migration 1: the engine's tables. Append-only: never edit a released migration, add the next one. */
export const sql = /* sql */ `
CREATE TABLE workflow_versions (
  id TEXT PRIMARY KEY,
  workflow TEXT NOT NULL,
  number INTEGER NOT NULL,
  label TEXT NOT NULL,
  hash TEXT NOT NULL,
  source TEXT NOT NULL,
  graph TEXT NOT NULL,
  definition TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  UNIQUE (workflow, number),
  UNIQUE (workflow, hash)
);

CREATE TABLE runs (
  id TEXT PRIMARY KEY,
  workflow TEXT NOT NULL,
  version_id TEXT NOT NULL REFERENCES workflow_versions (id),
  status TEXT NOT NULL,
  phase TEXT NOT NULL,
  input TEXT NOT NULL,
  output TEXT,
  error TEXT,
  priority INTEGER NOT NULL DEFAULT 0,
  tenant TEXT NOT NULL DEFAULT 'default',
  idempotency_key TEXT,
  parent_run_id TEXT,
  parent_step_id TEXT,
  depth INTEGER NOT NULL DEFAULT 0,
  trace_id TEXT NOT NULL,
  tags TEXT NOT NULL DEFAULT '[]',
  created_at INTEGER NOT NULL,
  started_at INTEGER,
  finished_at INTEGER,
  deadline_at INTEGER
);
CREATE UNIQUE INDEX runs_idempotency ON runs (tenant, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX runs_status ON runs (status, id);
CREATE INDEX runs_workflow ON runs (workflow, id);
CREATE INDEX runs_finished ON runs (finished_at) WHERE finished_at IS NOT NULL;
CREATE INDEX runs_parent ON runs (parent_run_id) WHERE parent_run_id IS NOT NULL;

CREATE TABLE steps (
  run_id TEXT NOT NULL,
  step_id TEXT NOT NULL,
  status TEXT NOT NULL,
  attempt INTEGER NOT NULL DEFAULT 0,
  output TEXT,
  error TEXT,
  started_at INTEGER,
  finished_at INTEGER,
  seq INTEGER,
  wait TEXT,
  map TEXT,
  compensation TEXT,
  compensation_attempt INTEGER,
  PRIMARY KEY (run_id, step_id)
) WITHOUT ROWID;

-- Attempts that ended (succeeded, failed, lost to an expired lease, cancelled with their run); an
-- attempt in progress is its leased task. Written once, when the attempt ends.
CREATE TABLE attempts (
  id INTEGER PRIMARY KEY,
  run_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  step_id TEXT NOT NULL,
  item INTEGER NOT NULL,
  attempt INTEGER NOT NULL,
  worker_id TEXT NOT NULL,
  status TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  finished_at INTEGER NOT NULL,
  error TEXT
);
CREATE INDEX attempts_run ON attempts (run_id);

-- History is appended at the end of one b-tree (fewest pages touched per commit); the global id
-- orders each run's events.
CREATE TABLE history (
  seq INTEGER PRIMARY KEY,
  run_id TEXT NOT NULL,
  at INTEGER NOT NULL,
  type TEXT NOT NULL,
  step_id TEXT,
  item INTEGER,
  attempt INTEGER,
  data TEXT
);
CREATE INDEX history_run ON history (run_id, seq);

CREATE TABLE tasks (
  id INTEGER PRIMARY KEY,
  run_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  step_id TEXT NOT NULL,
  item INTEGER NOT NULL,
  attempt INTEGER NOT NULL,
  priority INTEGER NOT NULL,
  -- When the task may be claimed; while leased, when the lease expires.
  visible_at INTEGER NOT NULL,
  lease_owner TEXT,
  -- When the current lease began: the start of the attempt in progress.
  started_at INTEGER,
  -- Times this attempt's lease expired; bounded so a step that kills its worker cannot loop forever.
  takeovers INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX tasks_ready ON tasks (priority DESC, visible_at) WHERE lease_owner IS NULL;
CREATE INDEX tasks_leased ON tasks (visible_at) WHERE lease_owner IS NOT NULL;
CREATE INDEX tasks_run ON tasks (run_id, step_id);

CREATE TABLE timers (
  id INTEGER PRIMARY KEY,
  run_id TEXT NOT NULL,
  step_id TEXT,
  kind TEXT NOT NULL,
  fire_at INTEGER NOT NULL
);
CREATE INDEX timers_due ON timers (fire_at);
CREATE INDEX timers_run ON timers (run_id);

CREATE TABLE waits (
  run_id TEXT NOT NULL,
  step_id TEXT NOT NULL,
  key TEXT NOT NULL,
  since INTEGER NOT NULL,
  PRIMARY KEY (run_id, step_id)
) WITHOUT ROWID;
CREATE INDEX waits_key ON waits (key);

CREATE TABLE events (
  id INTEGER PRIMARY KEY,
  key TEXT NOT NULL,
  payload TEXT NOT NULL,
  at INTEGER NOT NULL
);
CREATE INDEX events_key ON events (key, at);

-- Which events a run has consumed, so a later wait on the same key needs a new event.
CREATE TABLE event_deliveries (
  run_id TEXT NOT NULL,
  event_id INTEGER NOT NULL,
  PRIMARY KEY (run_id, event_id)
) WITHOUT ROWID;

CREATE TABLE map_items (
  run_id TEXT NOT NULL,
  step_id TEXT NOT NULL,
  idx INTEGER NOT NULL,
  input TEXT NOT NULL,
  ok INTEGER,
  output TEXT,
  error TEXT,
  PRIMARY KEY (run_id, step_id, idx)
) WITHOUT ROWID;
`;
