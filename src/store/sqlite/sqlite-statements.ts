import type { SqliteDatabase, SqliteStatement } from './sqlite-driver.js';

/** The statements the command applier runs on every transition, prepared once per connection. */
export function prepareStatements(db: SqliteDatabase) {
  const p = (sql: string): SqliteStatement => db.prepare(sql);
  return {
    run: p('SELECT * FROM runs WHERE id = ?'),
    steps: p('SELECT * FROM steps WHERE run_id = ?'),
    stepOutputs: p('SELECT step_id, status, output FROM steps WHERE run_id = ?'),
    updateRun: p(
      `UPDATE runs SET status = ?, phase = ?, error = ?, output = COALESCE(?, output), started_at = COALESCE(?, started_at),
           finished_at = COALESCE(?, finished_at) WHERE id = ?`,
    ),
    upsertStep: p(
      `INSERT INTO steps (run_id, step_id, status, attempt, output, error, started_at, finished_at, seq, wait, map, compensation, compensation_attempt)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (run_id, step_id) DO UPDATE SET status = excluded.status, attempt = excluded.attempt, output = excluded.output,
           error = excluded.error, started_at = excluded.started_at, finished_at = excluded.finished_at, seq = excluded.seq,
           wait = excluded.wait, map = excluded.map, compensation = excluded.compensation, compensation_attempt = excluded.compensation_attempt`,
    ),
    upsertApproval: p(
      `INSERT INTO approvals (run_id, step_id, tenant, workflow, version_id, since, assignee, role, escalation_due_at, request)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (run_id, step_id) DO UPDATE SET assignee = excluded.assignee, role = excluded.role,
           escalation_due_at = excluded.escalation_due_at, request = excluded.request`,
    ),
    deleteApproval: p('DELETE FROM approvals WHERE run_id = ? AND step_id = ?'),
    markRunning: p(
      'UPDATE steps SET status = ?, attempt = ?, started_at = COALESCE(started_at, ?) WHERE run_id = ? AND step_id = ?',
    ),
    insertTask: p(
      `INSERT INTO tasks (run_id, kind, step_id, item, attempt, priority, visible_at, lease_owner, started_at, tenant, concurrency_key, concurrency_limit)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    deleteRunTasks: p('DELETE FROM tasks WHERE run_id = ?'),
    cancelRunAttempts: p(
      `INSERT INTO attempts (run_id, kind, step_id, item, attempt, worker_id, status, started_at, finished_at)
         SELECT run_id, kind, step_id, item, attempt, lease_owner, 'cancelled', started_at, ? FROM tasks
         WHERE run_id = ? AND lease_owner IS NOT NULL`,
    ),
    deleteStepTasks: p('DELETE FROM tasks WHERE run_id = ? AND step_id = ?'),
    insertTimer: p('INSERT INTO timers (run_id, step_id, kind, fire_at) VALUES (?, ?, ?, ?)'),
    deleteRunTimers: p('DELETE FROM timers WHERE run_id = ?'),
    deleteStepTimers: p('DELETE FROM timers WHERE run_id = ? AND step_id = ?'),
    insertWait: p(
      'INSERT OR REPLACE INTO waits (run_id, step_id, key, since, tenant) VALUES (?, ?, ?, ?, ?)',
    ),
    deleteRunWaits: p('DELETE FROM waits WHERE run_id = ?'),
    deleteStepWaits: p('DELETE FROM waits WHERE run_id = ? AND step_id = ?'),
    eventSince: p(
      `SELECT id, payload FROM events e WHERE key = ? AND at >= ? AND (tenant IS NULL OR tenant = ?)
         AND NOT EXISTS (SELECT 1 FROM event_deliveries d WHERE d.run_id = ? AND d.event_id = e.id) ORDER BY id LIMIT 1`,
    ),
    dataVersion: p('PRAGMA data_version'),
    requeueStep: p(
      `UPDATE steps SET status = 'scheduled' WHERE run_id = ? AND step_id = ? AND status = 'running'`,
    ),
    deliver: p('INSERT OR IGNORE INTO event_deliveries (run_id, event_id) VALUES (?, ?)'),
    insertItem: p('INSERT INTO map_items (run_id, step_id, idx, input) VALUES (?, ?, ?, ?)'),
    itemResult: p(
      'UPDATE map_items SET ok = ?, output = ?, error = ? WHERE run_id = ? AND step_id = ? AND idx = ?',
    ),
    itemOutputs: p('SELECT ok, output, error FROM map_items WHERE run_id = ? AND step_id = ? ORDER BY idx'),
    itemInput: p('SELECT input FROM map_items WHERE run_id = ? AND step_id = ? AND idx = ?'),
    setStepOutput: p('UPDATE steps SET output = ? WHERE run_id = ? AND step_id = ?'),
    insertEvent: p(
      'INSERT INTO history (run_id, at, type, step_id, item, attempt, data) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    cancelStepAttempts: p(
      `INSERT INTO attempts (run_id, kind, step_id, item, attempt, worker_id, status, started_at, finished_at)
         SELECT run_id, kind, step_id, item, attempt, lease_owner, 'cancelled', started_at, ? FROM tasks
         WHERE run_id = ? AND step_id = ? AND lease_owner IS NOT NULL`,
    ),
    insertAttempt: p(
      `INSERT INTO attempts (run_id, kind, step_id, item, attempt, worker_id, status, started_at, finished_at, error)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    insertRun: p(
      `INSERT INTO runs (id, workflow, version_id, status, phase, input, priority, tenant, idempotency_key, parent_run_id, parent_step_id,
           depth, trace_id, tags, created_at, deadline_at, concurrency_key, concurrency_limit)
         VALUES (?, ?, ?, 'queued', 'steps', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
  };
}
