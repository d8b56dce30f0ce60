/**
 * Leases on Postgres: fair claims (tenants take turns within a priority, under the tenant and
 * concurrency-key limits), takeover of expired leases, and giving tasks back. Claims and takeovers lock
 * with `FOR UPDATE OF r, t SKIP LOCKED`, run first: they never wait on a run another transaction writes.
 * @module
 */
import type { ClaimedTask, Graph } from '../../core/types.js';
import {
  type ClaimCandidate,
  claimedTask,
  fairOrder,
  lostTooOften,
  MAX_TAKEOVERS,
  pickWithinLimits,
  settledSteps,
  stepsVisibleTo,
  tenantLimit,
} from '../claims.js';
import type { StoreOptions } from '../port.js';
import type { RunRow } from '../rows.js';
import { attemptStartedRow, jsonOrNull } from '../transition-plan.js';
import type { PgRunTransaction, TaskRow } from './postgres-commands.js';
import type { PgQueryable } from './postgres-driver.js';
import { type HistoryRow, Statement } from './postgres-statement.js';

/** Lease up to `limit` ready tasks to a worker, taking over expired leases first (see `Store.claimTasks`). */
export async function claim(
  t: PgRunTransaction,
  request: { workerId: string; limit: number; leaseMs: number },
  tenantConcurrency: StoreOptions['tenantConcurrency'],
): Promise<ClaimedTask[]> {
  const first = await candidates(t.db, t.now, request.limit);
  let ready = first.ready;
  if (first.expired) {
    await takeOverExpired(t);
    ready = (await candidates(t.db, t.now, request.limit)).ready;
  }
  if (ready.length === 0) return [];
  const chosen = await fairPick(t, ready, request.limit, tenantConcurrency);
  if (chosen.length === 0) return [];
  return lease(t, chosen, request.workerId, request.leaseMs);
}

/** A task row as the state machine names it. */
function asTask(r: TaskRow) {
  return { kind: r.kind as ClaimedTask['kind'], stepId: r.step_id, item: r.item, attempt: r.attempt };
}

/** A history row about a task. */
function taskEvent(r: TaskRow, now: number, type: string, data: unknown): HistoryRow {
  return [r.run_id, now, type, r.step_id || null, r.item >= 0 ? r.item : null, r.attempt, jsonOrNull(data)];
}

/** Attempts of the leased tasks matching `where` end as `lost`. */
function lostAttempts(now: number, where: string): string {
  return `INSERT INTO attempts (run_id, kind, step_id, item, attempt, worker_id, status, started_at, finished_at)
    SELECT run_id, kind, step_id, item, attempt, lease_owner, 'lost', COALESCE(started_at, ${now}), ${now} FROM tasks WHERE ${where}`;
}

/** Whether leases expired, and each tenant's best ready tasks (walking tenants on an index), in one statement. */
async function candidates(
  db: PgQueryable,
  now: number,
  limit: number,
): Promise<{ expired: boolean; ready: ClaimCandidate[] }> {
  const { rows } = await db.query<{ expired: boolean } & ({ id: null } | ClaimCandidate)>(
    `WITH RECURSIVE ten AS (
       (SELECT tenant FROM tasks WHERE lease_owner IS NULL ORDER BY tenant LIMIT 1)
       UNION ALL
       SELECT (SELECT tenant FROM tasks WHERE lease_owner IS NULL AND tenant > ten.tenant ORDER BY tenant LIMIT 1)
         FROM ten WHERE ten.tenant IS NOT NULL
     )
     SELECT e.expired, c.* FROM (SELECT EXISTS (SELECT 1 FROM tasks WHERE lease_owner IS NOT NULL AND visible_at <= $1) AS expired) e
     LEFT JOIN LATERAL (
       SELECT x.* FROM ten CROSS JOIN LATERAL (
         SELECT id, tenant, priority, visible_at, concurrency_key, concurrency_limit FROM tasks
         WHERE lease_owner IS NULL AND visible_at <= $1 AND tenant = ten.tenant ORDER BY priority DESC, visible_at LIMIT $2
       ) x WHERE ten.tenant IS NOT NULL
     ) c ON true`,
    [now, limit],
  );
  return {
    expired: rows[0]?.expired === true,
    ready: rows.filter((r): r is { expired: boolean } & ClaimCandidate => r.id !== null),
  };
}

/** Order candidates fairly and keep what the tenant and concurrency-key limits allow. */
async function fairPick(
  t: PgRunTransaction,
  candidates: ClaimCandidate[],
  limit: number,
  tenantConcurrency: StoreOptions['tenantConcurrency'],
): Promise<number[]> {
  const ordered = fairOrder(candidates);
  const limitOf = (tenant: string) => tenantLimit(tenantConcurrency, tenant);
  const tenants = [...new Set(ordered.map((c) => c.tenant))].filter((x) => limitOf(x) !== undefined);
  const keys = [
    ...new Set(ordered.filter((c) => c.concurrency_limit !== null).map((c) => c.concurrency_key as string)),
  ];
  if (tenants.length === 0 && keys.length === 0) return ordered.slice(0, limit).map((c) => c.id);
  // Limits count leases across all workers: limited claims take turns, so two cannot both see a free slot.
  await t.query('SELECT pg_advisory_xact_lock(hashtext($1))', ['baton.claim-limits']);
  const counts = await t.query<{ scope: string; name: string; n: number }>(
    `SELECT 't' AS scope, tenant AS name, count(*)::int AS n FROM tasks WHERE lease_owner IS NOT NULL AND tenant = ANY($1::text[]) GROUP BY tenant
     UNION ALL
     SELECT 'k', concurrency_key, count(*)::int FROM tasks WHERE lease_owner IS NOT NULL AND concurrency_key = ANY($2::text[]) GROUP BY concurrency_key`,
    [tenants, keys],
  );
  const byTenant = new Map<string, number>();
  const byKey = new Map<string, number>();
  for (const c of counts.rows) (c.scope === 't' ? byTenant : byKey).set(c.name, c.n);
  return pickWithinLimits(ordered, limit, limitOf, byTenant, byKey);
}

/** Lease the chosen tasks (skipping any another worker took meanwhile) and build what the worker receives. */
async function lease(
  t: PgRunTransaction,
  ids: number[],
  workerId: string,
  leaseMs: number,
): Promise<ClaimedTask[]> {
  const now = t.now;
  const expires = now + leaseMs;
  // The run rows are locked with the tasks, skipping runs another transaction is writing: their
  // tasks wait for the next claim, and nobody waits here.
  const { rows } = await t.query<TaskRow>(
    `WITH c AS (
       SELECT t.id FROM tasks t JOIN runs r ON r.id = t.run_id
       WHERE t.id = ANY($1::bigint[]) AND t.lease_owner IS NULL AND t.visible_at <= $4 FOR UPDATE OF r, t SKIP LOCKED
     )
     UPDATE tasks t SET lease_owner = $2, visible_at = $3, started_at = $4 FROM c WHERE t.id = c.id RETURNING t.*`,
    [ids, workerId, expires, now],
  );
  if (rows.length === 0) return [];
  const runIds = [...new Set(rows.map((r) => r.run_id))];
  await t.lock(runIds);
  const st = new Statement();
  const steps = rows.filter((r) => r.kind === 'step');
  t.bump(
    st,
    steps.map((r) => r.run_id),
  );
  for (const r of steps) {
    const rec = t.steps(r.run_id)?.get(r.step_id);
    if (rec)
      t.setStep(r.run_id, {
        ...rec,
        status: 'running',
        attempt: r.attempt,
        startedAt: rec.startedAt ?? now,
      });
  }
  if (steps.length > 0) {
    st.add(
      `UPDATE steps s SET status = 'running', attempt = x.attempt, started_at = COALESCE(s.started_at, ${st.p(now)})
       FROM unnest(${st.p(steps.map((r) => r.run_id))}::text[], ${st.p(steps.map((r) => r.step_id))}::text[], ${st.p(steps.map((r) => r.attempt))}::int[]) AS x(run_id, step_id, attempt)
       WHERE s.run_id = x.run_id AND s.step_id = x.step_id`,
    );
  }
  st.history(rows.map((r) => [r.run_id, ...attemptStartedRow(asTask(r), workerId, now)]));
  await t.exec(st);
  const items = rows.filter((r) => r.kind === 'item');
  const inputs = new Map<string, string>();
  if (items.length > 0) {
    const found = await t.query<{ run_id: string; step_id: string; idx: number; input: string }>(
      `SELECT m.run_id, m.step_id, m.idx, m.input FROM map_items m
         JOIN unnest($1::text[], $2::text[], $3::int[]) AS x(run_id, step_id, idx) ON m.run_id = x.run_id AND m.step_id = x.step_id AND m.idx = x.idx`,
      [items.map((r) => r.run_id), items.map((r) => r.step_id), items.map((r) => r.item)],
    );
    for (const r of found.rows) inputs.set(`${r.run_id}:${r.step_id}:${r.idx}`, r.input);
  }
  const graphs = new Map<string, Graph>();
  for (const id of new Set(rows.map((r) => (t.row(r.run_id) as RunRow).version_id))) {
    const version = await t.version(id);
    if (version) graphs.set(id, version.graph);
  }
  return rows.map((task) => {
    const row = t.row(task.run_id) as RunRow;
    const graph = graphs.get(row.version_id);
    const kind = task.kind as ClaimedTask['kind'];
    return claimedTask({
      id: String(task.id),
      kind: task.kind as ClaimedTask['kind'],
      runId: task.run_id,
      stepId: task.step_id,
      item: task.item,
      attempt: task.attempt,
      leaseExpiresAt: expires,
      startedAt: now,
      row,
      steps: settledSteps(t.steps(task.run_id) ?? [], graph && stepsVisibleTo(graph, kind, task.step_id)),
      itemInputJson: inputs.get(`${task.run_id}:${task.step_id}:${task.item}`),
      runErrorJson: row.error,
    });
  });
}

/** Return tasks whose lease expired to the queue, recording the takeover in each run's history. */
export async function takeOverExpired(t: PgRunTransaction): Promise<void> {
  const now = t.now;
  const { rows } = await t.query<TaskRow>(
    `SELECT t.* FROM tasks t JOIN runs r ON r.id = t.run_id
     WHERE t.lease_owner IS NOT NULL AND t.visible_at <= $1 LIMIT 1000 FOR UPDATE OF r, t SKIP LOCKED`,
    [now],
  );
  if (rows.length === 0) return;
  await t.lock(rows.map((r) => r.run_id));
  const requeue = rows.filter((r) => r.takeovers < MAX_TAKEOVERS);
  const exhausted = rows.filter((r) => r.takeovers >= MAX_TAKEOVERS);
  const st = new Statement();
  const all = st.p(rows.map((r) => r.id));
  st.add(lostAttempts(now, `id = ANY(${all}::bigint[])`));
  st.history(
    rows.map((r) =>
      taskEvent(r, now, 'lease-taken-over', {
        previousWorker: r.lease_owner,
        kind: r.kind,
        takeovers: r.takeovers + 1,
      }),
    ),
  );
  if (requeue.length > 0) {
    const ids = st.p(requeue.map((r) => r.id));
    st.add(
      `UPDATE tasks SET lease_owner = NULL, visible_at = ${now}, takeovers = takeovers + 1, started_at = NULL WHERE id = ANY(${ids}::bigint[])`,
    );
    requeueSteps(t, st, requeue);
    st.notifyWork('tasks');
  }
  if (exhausted.length > 0)
    st.add(`DELETE FROM tasks WHERE id = ANY(${st.p(exhausted.map((r) => r.id))}::bigint[])`);
  await t.exec(st);
  for (const r of exhausted) {
    await t.apply(r.run_id, {
      type: 'task-finished',
      task: { kind: r.kind as ClaimedTask['kind'], stepId: r.step_id, item: r.item, attempt: r.attempt },
      outcome: lostTooOften(r.attempt, r.takeovers + 1),
    });
  }
}

/** Steps of tasks going back to the queue without an outcome are scheduled again. */
function requeueSteps(t: PgRunTransaction, st: Statement, tasks: TaskRow[]): void {
  const steps = tasks.filter((r) => r.kind === 'step');
  if (steps.length === 0) return;
  t.bump(
    st,
    steps.map((r) => r.run_id),
  );
  for (const r of steps) markScheduled(t, r.run_id, r.step_id);
  st.add(
    `UPDATE steps s SET status = 'scheduled' FROM unnest(${st.p(steps.map((r) => r.run_id))}::text[], ${st.p(steps.map((r) => r.step_id))}::text[]) AS x(run_id, step_id)
     WHERE s.run_id = x.run_id AND s.step_id = x.step_id AND s.status = 'running'`,
  );
}

/** Keep a locked run's loaded snapshot in step with {@link requeueSteps}. */
function markScheduled(t: PgRunTransaction, runId: string, stepId: string): void {
  const rec = t.steps(runId)?.get(stepId);
  if (rec?.status === 'running') t.setStep(runId, { ...rec, status: 'scheduled' });
}

/** Give a task back without an outcome (see `Store.releaseTask`); false if the worker no longer holds it. */
export async function releaseTask(
  t: PgRunTransaction,
  request: { taskId: string; workerId: string; delayMs: number; reason: string },
): Promise<boolean> {
  const id = Number(request.taskId);
  if (!Number.isSafeInteger(id)) return false;
  const task = (
    await t.query<TaskRow>('SELECT * FROM tasks WHERE id = $1 AND lease_owner = $2', [id, request.workerId])
  ).rows[0];
  if (!task) return false;
  await t.lock([task.run_id]);
  // Read again under the run's lock: the lease may have been taken over meanwhile.
  const still = await t.query('SELECT 1 FROM tasks WHERE id = $1 AND lease_owner = $2', [
    id,
    request.workerId,
  ]);
  if (still.rows.length === 0) return false;
  const st = new Statement();
  st.add(
    `UPDATE tasks SET lease_owner = NULL, visible_at = ${st.p(t.now + request.delayMs)}, started_at = NULL
       WHERE id = ${st.p(id)} AND lease_owner = ${st.p(request.workerId)}`,
  );
  requeueSteps(t, st, [task]);
  st.history([
    taskEvent(task, t.now, 'task-released', {
      workerId: request.workerId,
      reason: request.reason,
      retryInMs: request.delayMs,
    }),
  ]);
  st.notifyWork('tasks', request.delayMs > 0 ? t.now + request.delayMs : undefined);
  await t.exec(st);
  return true;
}

/** Release every lease a worker holds (a clean stop); returns how many. */
export async function releaseLeases(t: PgRunTransaction, workerId: string): Promise<number> {
  const held = (await t.query<TaskRow>('SELECT * FROM tasks WHERE lease_owner = $1', [workerId])).rows;
  if (held.length === 0) return 0;
  await t.lock(held.map((r) => r.run_id));
  const st = new Statement();
  const now = t.now;
  const owner = st.p(workerId);
  st.add(lostAttempts(now, `lease_owner = ${owner}`));
  st.add(
    `UPDATE tasks SET lease_owner = NULL, visible_at = ${now}, started_at = NULL WHERE lease_owner = ${owner}`,
  );
  requeueSteps(t, st, held);
  st.notifyWork('tasks');
  await t.exec(st);
  return held.length;
}
