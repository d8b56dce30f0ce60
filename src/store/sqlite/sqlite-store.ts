/**
 * The embedded SQLite adapter of the {@link Store} port, on better-sqlite3 in WAL mode.
 *
 * Writes of task completions are group-committed: completions that arrive within one turn of the event
 * loop share a transaction (each in its own savepoint), and none is acknowledged before that
 * transaction commits. With `durability: 'full'` (the default) every commit is fsynced.
 * @module
 */
import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { BatonError, toErrorInfo } from '../../core/errors.js';
import type {
  ApprovalDecision,
  ClaimedTask,
  HistoryEvent,
  HistoryEventType,
  Run,
  RunStatus,
  StepState,
  WorkflowVersion,
} from '../../core/types.js';
import {
  type ClaimCandidate,
  fairOrder,
  isLimited,
  lostTooOften,
  MAX_TAKEOVERS,
  pickWithinLimits,
  tenantLimit,
} from '../claims.js';
import type {
  ApprovalFilter,
  ApprovalReassignment,
  AttemptRecord,
  CompletionResult,
  FeedEvent,
  NewRun,
  NewVersion,
  PendingApproval,
  PruneResult,
  RunFilter,
  RunStats,
  RunStatsQuery,
  Store,
  StoreOptions,
  TaskCompletion,
} from '../port.js';
import {
  type RunRow,
  type StepRow,
  toAttempt,
  toHistoryEvent,
  toRun,
  toStepState,
  toVersion,
  type VersionRow,
} from '../rows.js';
import { boundedJson, checkIdempotentRun, versionToRun } from '../store-errors.js';
import { MIGRATIONS } from './migrations/index.js';
import { SqliteRunWriter, type TaskRow } from './sqlite-commands.js';
import type { SqliteDatabase } from './sqlite-driver.js';
import { listApprovals, readFeed } from './sqlite-inbox.js';
import { runStats } from './sqlite-stats.js';

/** Options of the SQLite adapter. */
export interface SqliteStoreOptions extends StoreOptions {
  /** Database file, or `:memory:`. */
  path: string;
  /**
   * `full` fsyncs every commit (survives power loss); `normal` fsyncs only at WAL checkpoints (survives a
   * process crash, may lose the last commits on power loss). @defaultValue 'full'
   */
  durability?: 'full' | 'normal';
  /** How long a writer waits for another process's lock. @defaultValue 5000 */
  busyTimeoutMs?: number;
  /** Largest number of completions in one group commit. @defaultValue 512 */
  maxBatch?: number;
}

/** A write waiting for the next group commit. */
interface PendingWrite {
  work: (now: number) => unknown;
  resolve: (value: never) => void;
  reject: (error: unknown) => void;
}

/** The SQLite store. */
export class SqliteStore implements Store {
  private readonly db: SqliteDatabase;
  private writer!: SqliteRunWriter;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly maxPayloadBytes: number;
  private readonly maxBatch: number;
  private readonly emitter = new EventEmitter();
  private readonly versions = new Map<string, WorkflowVersion>();
  private pending: PendingWrite[] = [];
  private flushScheduled = false;
  private closed = false;
  /** The database file (or `:memory:`), for readers that open their own connection (metrics). */
  readonly path: string;

  constructor(private readonly options: SqliteStoreOptions) {
    this.path = options.path;
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    this.db = new Database(options.path) as unknown as SqliteDatabase;
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.maxPayloadBytes = options.maxPayloadBytes ?? 1024 * 1024;
    this.maxBatch = options.maxBatch ?? 512;
    this.emitter.setMaxListeners(0);
  }

  async init(): Promise<void> {
    const db = this.db;
    db.pragma(`busy_timeout = ${this.options.busyTimeoutMs ?? 5000}`);
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${this.options.durability === 'normal' ? 'NORMAL' : 'FULL'}`);
    db.pragma('foreign_keys = OFF');
    // BEGIN IMMEDIATE takes the write lock at once, so two processes migrating at the same time serialize.
    db.transaction(() => {
      const current = db.pragma('user_version', { simple: true }) as number;
      if (current > MIGRATIONS.length) {
        throw new BatonError(
          'STORE_SCHEMA_TOO_NEW',
          `the database ${this.options.path} has schema version ${current}, newer than this Baton (${MIGRATIONS.length})`,
          { hint: 'Upgrade Baton, or point it at another database' },
        );
      }
      for (let v = current; v < MIGRATIONS.length; v++) db.exec(MIGRATIONS[v] as string);
      if (current < MIGRATIONS.length) db.pragma(`user_version = ${MIGRATIONS.length}`);
    }).immediate();
    this.writer = new SqliteRunWriter(db, {
      now: this.now,
      random: this.random,
      maxPayloadBytes: this.maxPayloadBytes,
      version: (id) => this.versionSync(id),
      latestVersion: (workflow) => this.latestSync(workflow),
      signalWork: (timers) => this.emitter.emit('work', timers),
      limited: (row) => isLimited(row, this.options.tenantConcurrency),
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.pending.length > 0) this.flush();
    this.closed = true;
    this.db.close();
  }

  private readonly statements = new Map<string, ReturnType<SqliteDatabase['prepare']>>();

  /** A prepared statement, cached: preparing costs more than running on the hot path. */
  private q(sql: string): ReturnType<SqliteDatabase['prepare']> {
    let stmt = this.statements.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      this.statements.set(sql, stmt);
    }
    return stmt;
  }

  private tx<T>(fn: () => T): T {
    if (this.closed) throw new BatonError('STORE_UNAVAILABLE', 'the store is closed');
    let result: T;
    try {
      result = this.db
        .transaction(() => {
          this.writer.beginTransaction();
          return fn();
        })
        .immediate();
    } catch (error) {
      this.writer.invalidate();
      this.writer.finished = [];
      throw error;
    }
    // Announced only after the commit: a listener never sees a run finish that could still roll back.
    const finished = this.writer.finished;
    this.writer.finished = [];
    try {
      for (const run of finished) this.emitter.emit('run-finished', run);
    } catch {
      // A listener's own failure is its business: the write committed.
    }
    return result;
  }

  private versionSync(id: string): WorkflowVersion | undefined {
    let v = this.versions.get(id);
    if (!v) {
      const row = this.q('SELECT * FROM workflow_versions WHERE id = ?').get(id) as VersionRow | undefined;
      if (!row) return undefined;
      v = toVersion(row);
      this.versions.set(id, v);
    }
    return v;
  }

  private latestSync(workflow: string): WorkflowVersion | undefined {
    const row = this.q(
      'SELECT id FROM workflow_versions WHERE workflow = ? ORDER BY number DESC LIMIT 1',
    ).get(workflow) as { id: string } | undefined;
    return row ? this.versionSync(row.id) : undefined;
  }

  async registerVersion(version: NewVersion): Promise<{ version: WorkflowVersion; created: boolean }> {
    return this.tx(() => {
      const existing = this.q('SELECT * FROM workflow_versions WHERE workflow = ? AND hash = ?').get(
        version.workflow,
        version.hash,
      ) as VersionRow | undefined;
      if (existing) return { version: toVersion(existing), created: false };
      const { n } = this.q(
        'SELECT COALESCE(MAX(number), 0) AS n FROM workflow_versions WHERE workflow = ?',
      ).get(version.workflow) as { n: number };
      const id = `${version.workflow}@${n + 1}`;
      this.q(
        'INSERT INTO workflow_versions (id, workflow, number, label, hash, source, graph, definition, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ).run(
        id,
        version.workflow,
        n + 1,
        version.label,
        version.hash,
        version.source,
        JSON.stringify(version.graph),
        JSON.stringify(version.definition ?? null),
        this.now(),
      );
      return { version: this.versionSync(id) as WorkflowVersion, created: true };
    });
  }

  async getVersion(id: string): Promise<WorkflowVersion | undefined> {
    return this.versionSync(id);
  }

  async getLatestVersion(workflow: string): Promise<WorkflowVersion | undefined> {
    return this.latestSync(workflow);
  }

  async listVersions(workflow: string): Promise<WorkflowVersion[]> {
    const rows = this.q('SELECT * FROM workflow_versions WHERE workflow = ? ORDER BY number').all(
      workflow,
    ) as VersionRow[];
    return rows.map(toVersion);
  }

  async listWorkflows(): Promise<{ workflow: string; latest: WorkflowVersion; versions: number }[]> {
    const rows = this.q(
      `SELECT v.*, c.n AS versions FROM workflow_versions v
         JOIN (SELECT workflow, MAX(number) AS m, COUNT(*) AS n FROM workflow_versions GROUP BY workflow) c
           ON c.workflow = v.workflow AND c.m = v.number ORDER BY v.workflow`,
    ).all() as (VersionRow & { versions: number })[];
    return rows.map((r) => ({ workflow: r.workflow, latest: toVersion(r), versions: r.versions }));
  }

  async createRun(request: NewRun): Promise<{ run: Run; created: boolean; dispatched: ClaimedTask[] }> {
    const tenant = request.tenant ?? 'default';
    boundedJson('run input', request.input, this.maxPayloadBytes);
    return this.enqueue((now) => {
      if (request.idempotencyKey !== undefined) {
        const existing = this.q('SELECT * FROM runs WHERE tenant = ? AND idempotency_key = ?').get(
          tenant,
          request.idempotencyKey,
        ) as RunRow | undefined;
        if (existing) {
          checkIdempotentRun(request.idempotencyKey, existing, request.workflow);
          return { run: toRun(existing), created: false, dispatched: [] };
        }
      }
      const version = versionToRun(
        request,
        request.versionId ? this.versionSync(request.versionId) : this.latestSync(request.workflow),
      );
      const { run, dispatched } = this.writer.createRun(
        {
          workflow: request.workflow,
          version,
          input: request.input,
          priority: request.priority ?? 0,
          tenant,
          ...(request.idempotencyKey === undefined ? {} : { idempotencyKey: request.idempotencyKey }),
          tags: request.tags ?? [],
          ...(request.deadlineAt === undefined ? {} : { deadlineAt: request.deadlineAt }),
          ...(request.traceId === undefined ? {} : { traceId: request.traceId }),
          ...(request.concurrency === undefined ? {} : { concurrency: request.concurrency }),
          ...(request.seed === undefined ? {} : { seed: request.seed }),
        },
        now,
        request.dispatchTo,
      );
      return { run, created: true, dispatched };
    });
  }

  async getRun(id: string): Promise<Run | undefined> {
    const row = this.q('SELECT * FROM runs WHERE id = ?').get(id) as RunRow | undefined;
    return row ? toRun(row) : undefined;
  }

  async listRuns(filter: RunFilter = {}): Promise<Run[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, ...values: unknown[]) => {
      where.push(sql);
      params.push(...values);
    };
    if (filter.workflow !== undefined) add('workflow = ?', filter.workflow);
    if (filter.versionId !== undefined) add('version_id = ?', filter.versionId);
    if (filter.status !== undefined) {
      const statuses = Array.isArray(filter.status) ? filter.status : [filter.status];
      add(`status IN (${statuses.map(() => '?').join(', ')})`, ...statuses);
    }
    if (filter.tenant !== undefined) add('tenant = ?', filter.tenant);
    if (filter.tag !== undefined) add('EXISTS (SELECT 1 FROM json_each(tags) WHERE value = ?)', filter.tag);
    if (filter.parentRunId !== undefined) add('parent_run_id = ?', filter.parentRunId);
    if (filter.createdAfter !== undefined) add('created_at >= ?', filter.createdAfter);
    if (filter.createdBefore !== undefined) add('created_at < ?', filter.createdBefore);
    if (filter.waitingForApproval === true)
      add('EXISTS (SELECT 1 FROM approvals a WHERE a.run_id = runs.id)');
    if (filter.cursor !== undefined) add('id < ?', filter.cursor);
    const sql = `SELECT * FROM runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
    const rows = this.q(sql).all(...params, Math.min(Math.max(filter.limit ?? 50, 1), 1000)) as RunRow[];
    return rows.map(toRun);
  }

  async getSteps(runId: string): Promise<StepState[]> {
    const rows = this.q(
      'SELECT * FROM steps WHERE run_id = ? ORDER BY COALESCE(started_at, finished_at), step_id',
    ).all(runId) as StepRow[];
    return rows.map(toStepState);
  }

  async getHistory(
    runId: string,
    options: { afterSeq?: number; limit?: number } = {},
  ): Promise<HistoryEvent[]> {
    const rows = this.q('SELECT * FROM history WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?').all(
      runId,
      options.afterSeq ?? 0,
      options.limit ?? 100_000,
    ) as Parameters<typeof toHistoryEvent>[0][];
    return rows.map(toHistoryEvent);
  }

  async listAttempts(runId: string): Promise<AttemptRecord[]> {
    // Ended attempts are rows; attempts in progress are the run's leased tasks.
    const rows = this.q(
      `SELECT run_id, kind, step_id, item, attempt, worker_id, status, started_at, finished_at, error FROM attempts WHERE run_id = ?
       UNION ALL
       SELECT run_id, kind, step_id, item, attempt, lease_owner, 'running', started_at, NULL, NULL FROM tasks
         WHERE run_id = ? AND lease_owner IS NOT NULL
       ORDER BY started_at, step_id, item, attempt`,
    ).all(runId, runId) as Parameters<typeof toAttempt>[0][];
    return rows.map(toAttempt);
  }

  async claimTasks(request: { workerId: string; limit: number; leaseMs: number }): Promise<ClaimedTask[]> {
    if (request.limit <= 0) return [];
    return this.enqueue((now) => {
      this.takeOverExpired(now);
      const rows = this.fairPick(now, request.limit);
      const lease = this.q('UPDATE tasks SET lease_owner = ?, visible_at = ?, started_at = ? WHERE id = ?');
      const out: ClaimedTask[] = [];
      const expires = now + request.leaseMs;
      for (const task of rows) {
        lease.run(request.workerId, expires, now, task.id);
        this.writer.recordStart(
          task.run_id,
          {
            kind: task.kind as ClaimedTask['kind'],
            stepId: task.step_id,
            item: task.item,
            attempt: task.attempt,
          },
          request.workerId,
          now,
        );
        out.push(this.writer.claimedFromRow(task, expires, now, this.writer.runRow(task.run_id) as RunRow));
      }
      return out;
    });
  }

  /** Ready tasks in fair order (tenants take turns within a priority), within the concurrency limits. */
  private fairPick(now: number, limit: number): TaskRow[] {
    const candidates = this.q(
      // The tenants with unleased tasks, one index probe each (a loose index scan), then each one's best.
      `WITH RECURSIVE ten(tenant) AS (
         SELECT MIN(tenant) FROM tasks WHERE lease_owner IS NULL
         UNION ALL
         SELECT (SELECT MIN(tenant) FROM tasks WHERE lease_owner IS NULL AND tenant > ten.tenant) FROM ten WHERE ten.tenant IS NOT NULL
       )
       SELECT t.* FROM ten JOIN tasks t ON t.id IN (SELECT id FROM tasks WHERE lease_owner IS NULL AND visible_at <= @now
         AND tenant = ten.tenant ORDER BY priority DESC, visible_at LIMIT @limit)
       WHERE ten.tenant IS NOT NULL`,
    ).all({ now, limit }) as (TaskRow & ClaimCandidate)[];
    const ordered = fairOrder(candidates);
    const limitOf = (tenant: string) => tenantLimit(this.options.tenantConcurrency, tenant);
    const byTenant = new Map<string, number>();
    const byKey = new Map<string, number>();
    if (ordered.some((c) => c.concurrency_limit !== null || limitOf(c.tenant) !== undefined)) {
      const counts = this.q(
        `SELECT 't' AS scope, tenant AS name, count(*) AS n FROM tasks WHERE lease_owner IS NOT NULL GROUP BY tenant
         UNION ALL
         SELECT 'k', concurrency_key, count(*) FROM tasks WHERE lease_owner IS NOT NULL AND concurrency_key IS NOT NULL GROUP BY concurrency_key`,
      ).all() as { scope: string; name: string; n: number }[];
      for (const c of counts) (c.scope === 't' ? byTenant : byKey).set(c.name, c.n);
    }
    const chosen = new Set(pickWithinLimits(ordered, limit, limitOf, byTenant, byKey));
    return ordered.filter((c) => chosen.has(c.id));
  }

  /** Return tasks whose lease expired to the queue, recording the takeover in each run's history. */
  private takeOverExpired(now: number): void {
    const expired = this.q(
      'SELECT * FROM tasks WHERE lease_owner IS NOT NULL AND visible_at <= ? LIMIT 1000',
    ).all(now) as TaskRow[];
    if (expired.length === 0) return;
    const release = this.q(
      'UPDATE tasks SET lease_owner = NULL, visible_at = ?, takeovers = takeovers + 1, started_at = NULL WHERE id = ?',
    );
    for (const t of expired) {
      this.writer.recordAttempt(t, t.lease_owner ?? '', 'lost', t.started_at ?? now, now);
      this.writer.insertEventRaw(
        t.run_id,
        now,
        'lease-taken-over',
        t.step_id || null,
        { previousWorker: t.lease_owner, kind: t.kind, takeovers: t.takeovers + 1 },
        t.item >= 0 ? t.item : undefined,
        t.attempt,
      );
      if (t.takeovers < MAX_TAKEOVERS) {
        release.run(now, t.id);
        this.writer.requeued(t);
        continue;
      }
      this.q('DELETE FROM tasks WHERE id = ?').run(t.id);
      this.writer.apply(
        t.run_id,
        {
          type: 'task-finished',
          task: { kind: t.kind as ClaimedTask['kind'], stepId: t.step_id, item: t.item, attempt: t.attempt },
          outcome: lostTooOften(t.attempt, t.takeovers + 1),
        },
        now,
      );
    }
  }

  async renewLeases(request: {
    workerId: string;
    taskIds: string[];
    leaseMs: number;
  }): Promise<{ lost: string[] }> {
    if (request.taskIds.length === 0) return { lost: [] };
    return this.tx(() => {
      const ids = JSON.stringify(request.taskIds.map(Number));
      this.q(
        'UPDATE tasks SET visible_at = ? WHERE lease_owner = ? AND id IN (SELECT value FROM json_each(?))',
      ).run(this.now() + request.leaseMs, request.workerId, ids);
      const held = new Set(
        (
          this.q('SELECT id FROM tasks WHERE lease_owner = ? AND id IN (SELECT value FROM json_each(?))').all(
            request.workerId,
            ids,
          ) as { id: number }[]
        ).map((r) => String(r.id)),
      );
      return { lost: request.taskIds.filter((id) => !held.has(id)) };
    });
  }

  releaseTask(request: {
    taskId: string;
    workerId: string;
    delayMs: number;
    reason: string;
  }): Promise<boolean> {
    return this.enqueue((now) => {
      const task = this.q('SELECT * FROM tasks WHERE id = ? AND lease_owner = ?').get(
        Number(request.taskId),
        request.workerId,
      ) as TaskRow | undefined;
      if (!task) return false;
      this.q('UPDATE tasks SET lease_owner = NULL, visible_at = ?, started_at = NULL WHERE id = ?').run(
        now + request.delayMs,
        task.id,
      );
      this.writer.requeued(task);
      this.writer.insertEventRaw(
        task.run_id,
        now,
        'task-released',
        task.step_id || null,
        { workerId: request.workerId, reason: request.reason, retryInMs: request.delayMs },
        task.item >= 0 ? task.item : undefined,
        task.attempt,
      );
      return true;
    });
  }

  async releaseLeases(workerId: string): Promise<number> {
    if (this.closed) return 0;
    return this.tx(() => {
      const now = this.now();
      const held = this.q('SELECT * FROM tasks WHERE lease_owner = ?').all(workerId) as TaskRow[];
      for (const t of held) {
        this.writer.recordAttempt(t, workerId, 'lost', t.started_at ?? now, now);
        this.writer.requeued(t);
      }
      return this.q(
        'UPDATE tasks SET lease_owner = NULL, visible_at = ?, started_at = NULL WHERE lease_owner = ?',
      ).run(now, workerId).changes;
    });
  }

  completeTask(completion: TaskCompletion): Promise<CompletionResult> {
    return this.enqueue((now) => this.completeOne(completion, now));
  }

  /**
   * Queue a write for the next group commit: writes queued in the same event-loop turn share one
   * transaction, each in its own savepoint, and none resolves before that transaction commits.
   */
  private enqueue<T>(work: (now: number) => T): Promise<T> {
    if (this.closed) return Promise.reject(new BatonError('STORE_UNAVAILABLE', 'the store is closed'));
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ work, resolve: resolve as (value: never) => void, reject });
      if (this.pending.length >= this.maxBatch) {
        this.flush();
      } else if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commit every pending write in one transaction, then acknowledge them. */
  private flush(): void {
    this.flushScheduled = false;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    let values: unknown[];
    try {
      values = this.tx(() => {
        const now = this.now();
        return batch.map((p) => p.work(now));
      });
    } catch {
      // Something in the batch failed and the whole transaction rolled back, so nothing is written.
      // Redo each write in a transaction of its own, so one bad write cannot fail its neighbours.
      for (const p of batch) {
        try {
          p.resolve(this.tx(() => p.work(this.now())) as never);
        } catch (error) {
          p.reject(error);
        }
      }
      return;
    }
    batch.forEach((p, i) => {
      p.resolve(values[i] as never);
    });
  }

  private completeOne(c: TaskCompletion, now: number): CompletionResult {
    const t = c.task;
    // The fencing check and the removal in one statement: only the lease holder's outcome counts.
    const removed = this.q(
      'DELETE FROM tasks WHERE id = ? AND lease_owner = ? AND run_id = ? AND kind = ? AND step_id = ? AND item = ? AND attempt = ?',
    ).run(Number(t.id), c.workerId, t.runId, t.kind, t.stepId, t.item, t.attempt).changes;
    if (removed === 0) return { accepted: false, dispatched: [] };
    const held = { run_id: t.runId, kind: t.kind, step_id: t.stepId, item: t.item, attempt: t.attempt };
    this.writer.recordAttempt(
      held,
      c.workerId,
      c.outcome.type === 'failed' ? 'failed' : 'succeeded',
      t.startedAt ?? now,
      now,
      c.outcome.type === 'failed' ? c.outcome.error : undefined,
    );
    const dispatched = this.writer.apply(
      held.run_id,
      {
        type: 'task-finished',
        task: {
          kind: held.kind as ClaimedTask['kind'],
          stepId: held.step_id,
          item: held.item,
          attempt: held.attempt,
        },
        outcome: c.outcome,
      },
      now,
      c.dispatch ? { workerId: c.workerId, limit: c.dispatch, leaseMs: c.leaseMs ?? 10_000 } : undefined,
    );
    return { accepted: true, dispatched };
  }

  async fireDueTimers(limit: number): Promise<number> {
    return this.tx(() => {
      const now = this.now();
      const due = this.q('SELECT * FROM timers WHERE fire_at <= ? ORDER BY fire_at LIMIT ?').all(
        now,
        limit,
      ) as {
        id: number;
        run_id: string;
        step_id: string | null;
        kind: string;
      }[];
      const del = this.q('DELETE FROM timers WHERE id = ?');
      for (const t of due) {
        del.run(t.id);
        try {
          this.db.transaction(() =>
            this.writer.apply(
              t.run_id,
              { type: 'timer-fired', stepId: t.step_id, timer: t.kind as 'sleep' },
              now,
            ),
          )();
        } catch (error) {
          this.writer.invalidate();
          // A timer whose run is gone (pruned by hand) must not block the others.
          this.writer.insertEventRaw(t.run_id, now, 'timer-fired', t.step_id, {
            timer: t.kind,
            error: toErrorInfo(error),
          });
        }
      }
      return due.length;
    });
  }

  async nextTimerAt(): Promise<number | undefined> {
    const row = this.q('SELECT MIN(fire_at) AS at FROM timers').get() as { at: number | null };
    return row.at ?? undefined;
  }

  async cancelRun(runId: string, reason: string, by?: string): Promise<Run> {
    return this.tx(() => {
      this.writer.apply(runId, { type: 'cancel', reason, ...(by === undefined ? {} : { by }) }, this.now());
      return toRun(this.q('SELECT * FROM runs WHERE id = ?').get(runId) as RunRow);
    });
  }

  async decide(runId: string, stepId: string, decision: ApprovalDecision): Promise<void> {
    this.tx(() => {
      this.writer.apply(runId, { type: 'decision', stepId, decision }, this.now());
    });
  }

  async listApprovals(filter: ApprovalFilter = {}): Promise<PendingApproval[]> {
    return listApprovals((sql) => this.q(sql), filter);
  }

  async reassignApproval(runId: string, stepId: string, change: ApprovalReassignment): Promise<void> {
    this.tx(() => {
      this.writer.apply(runId, { type: 'reassign', stepId, change }, this.now());
    });
  }

  async readFeed(request: {
    afterSeq: number;
    types?: HistoryEventType[];
    limit?: number;
  }): Promise<FeedEvent[]> {
    return readFeed((sql) => this.q(sql), request);
  }

  async publishEvent(
    key: string,
    payload: unknown,
    options: { tenant?: string } = {},
  ): Promise<{ woken: number }> {
    const json = boundedJson('event payload', payload, this.maxPayloadBytes);
    const tenant = options.tenant ?? null;
    return this.tx(() => {
      const now = this.now();
      const eventId = Number(
        this.q('INSERT INTO events (key, payload, at, tenant) VALUES (?, ?, ?, ?)').run(
          key,
          json,
          now,
          tenant,
        ).lastInsertRowid,
      );
      const waits = (
        tenant === null
          ? this.q('SELECT run_id, step_id FROM waits WHERE key = ? AND since <= ?').all(key, now)
          : this.q('SELECT run_id, step_id FROM waits WHERE key = ? AND tenant = ? AND since <= ?').all(
              key,
              tenant,
              now,
            )
      ) as { run_id: string; step_id: string }[];
      for (const w of waits) {
        this.writer.deliver(w.run_id, eventId);
        this.writer.apply(w.run_id, { type: 'event', stepId: w.step_id, key, payload }, now);
      }
      return { woken: waits.length };
    });
  }

  async runStats(query: RunStatsQuery): Promise<RunStats> {
    return runStats(this.db, (sql) => this.q(sql), query);
  }

  async prune(before: number): Promise<PruneResult> {
    let runs = 0;
    const select = this.q(
      `SELECT id FROM runs WHERE finished_at IS NOT NULL AND finished_at < ? AND status IN ('succeeded', 'failed', 'cancelled') LIMIT 500`,
    );
    const tables = [
      'steps',
      'attempts',
      'history',
      'tasks',
      'timers',
      'waits',
      'map_items',
      'event_deliveries',
      'approvals',
      'runs',
    ];
    const deletes = tables.map((t) =>
      this.q(`DELETE FROM ${t} WHERE ${t === 'runs' ? 'id' : 'run_id'} IN (SELECT value FROM json_each(?))`),
    );
    for (;;) {
      // Small transactions, so a large prune never blocks workers for long.
      const n = this.tx(() => {
        const ids = (select.all(before) as { id: string }[]).map((r) => r.id);
        if (ids.length === 0) return 0;
        const json = JSON.stringify(ids);
        for (const d of deletes) d.run(json);
        this.writer.invalidate();
        return ids.length;
      });
      runs += n;
      if (n === 0) break;
    }
    const events = this.tx(() => this.q('DELETE FROM events WHERE at < ?').run(before).changes);
    return { runs, events };
  }

  onRunFinished(listener: (run: { id: string; status: RunStatus }) => void): () => void {
    this.emitter.on('run-finished', listener);
    return () => this.emitter.off('run-finished', listener);
  }

  onWork(listener: (timers: boolean) => void): () => void {
    this.emitter.on('work', listener);
    return () => this.emitter.off('work', listener);
  }
}
