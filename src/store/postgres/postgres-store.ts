/**
 * The Postgres adapter of the {@link Store} port, on `pg`: many worker processes on many machines share
 * one database, which is the only coordination service.
 *
 * - Writes of completions and new runs are group-committed (`postgres-batch.ts`); every transition of a
 *   transaction goes out in one statement (`postgres-commands.ts`, `postgres-pending.ts`).
 * - Claims are fair and limited, and never wait on a run being written (`postgres-leases.ts`).
 * - Idle workers wait on `LISTEN`; transient failures are retried across outages, and a lost COMMIT
 *   acknowledgement never runs a transaction twice (`postgres-connection.ts`).
 * @module
 */
import { EventEmitter } from 'node:events';
import type { StepRecord } from '../../core/commands.js';
import { BatonError } from '../../core/errors.js';
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
import { isLimited } from '../claims.js';
import { newRunId } from '../ids.js';
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
import { boundedJson } from '../store-errors.js';
import { type CreateResult, GroupCommit } from './postgres-batch.js';
import { PgRunTransaction, type StepsCache } from './postgres-commands.js';
import { PgConnection, type PgSession } from './postgres-connection.js';
import type { PgQueryable } from './postgres-driver.js';
import { listApprovals, readFeed } from './postgres-inbox.js';
import { claim, releaseLeases, releaseTask } from './postgres-leases.js';
import { Statement } from './postgres-statement.js';
import { runStats } from './postgres-stats.js';

/** Options of the Postgres adapter. */
export interface PostgresStoreOptions extends StoreOptions {
  /** `postgres://user:password@host:5432/database` */
  connectionString: string;
  /** A schema of its own (created if missing); the connection's default (`public`) when omitted. */
  schema?: string;
  /** Largest number of pooled connections, besides the listener. @defaultValue 10 */
  poolSize?: number;
  /** Statements running longer are cancelled. @defaultValue 30000 */
  statementTimeoutMs?: number;
  /** How long an operation keeps retrying while the database is unreachable. @defaultValue 30000 */
  reconnectTimeoutMs?: number;
  /**
   * Idle polling for tasks while the listener is up (`NOTIFY` wakes workers; this bounds how late an
   * idle worker notices expired leases). Timers poll every 30 s or this, whichever is longer. @defaultValue 2000
   */
  pollMs?: number;
  /** Largest number of writes in one group commit. @defaultValue 256 */
  maxBatch?: number;
}

/** How long a process trusts what it last read as a workflow's latest version. */
const LATEST_VERSION_TTL_MS = 1000;

/** The Postgres store. */
export class PostgresStore implements Store {
  private readonly db: PgConnection;
  private readonly batch: GroupCommit;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly maxPayloadBytes: number;
  private readonly emitter = new EventEmitter();
  private readonly versions = new Map<string, WorkflowVersion>();
  private readonly stepsCache = new LruStepsCache(10_000);
  private readonly latest = new Map<string, { id: string; at: number }>();
  private closed = false;
  /** Where its tables are, for readers that open their own connections (metrics). */
  readonly database: { connectionString: string; schema?: string };

  constructor(private readonly options: PostgresStoreOptions) {
    this.database = {
      connectionString: options.connectionString,
      ...(options.schema === undefined ? {} : { schema: options.schema }),
    };
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.maxPayloadBytes = options.maxPayloadBytes ?? 1024 * 1024;
    this.emitter.setMaxListeners(0);
    this.db = new PgConnection(
      {
        connectionString: options.connectionString,
        schema: options.schema,
        poolSize: options.poolSize,
        statementTimeoutMs: options.statementTimeoutMs,
        reconnectTimeoutMs: options.reconnectTimeoutMs,
        random: this.random,
      },
      (timers) => this.emitter.emit('work', timers),
    );
    this.batch = new GroupCommit({
      tx: (work) => this.tx(work),
      closed: () => this.closed,
      maxBatch: options.maxBatch ?? 256,
    });
  }

  /**
   * How often an idle worker polls: slowly while `NOTIFY` wakes it, often while the listener is down.
   * Claims still poll every 2 s, because that is how a worker notices another one's expired leases.
   */
  get idlePoll(): { claimsMs: number; timersMs: number } {
    if (!this.db.listening) return { claimsMs: 250, timersMs: 250 };
    const claimsMs = this.options.pollMs ?? 2000;
    return { claimsMs, timersMs: Math.max(claimsMs, 30_000) };
  }

  async init(): Promise<void> {
    await this.db.open();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Writes already handed in are committed (or fail) before the pool closes.
    await this.batch.drain();
    this.closed = true;
    await this.db.close();
  }

  /** One transaction of the engine's writes, retried as a whole; listeners hear of it after the commit. */
  private async tx<T>(work: (t: PgRunTransaction) => Promise<T>): Promise<T> {
    let last: PgRunTransaction | undefined;
    const result = await this.db.transaction(async (session) => {
      const t = this.transaction(session);
      last = t;
      const value = await work(t);
      await t.flush();
      return value;
    });
    const t = last as PgRunTransaction;
    t.committed();
    // Announced only after the commit (a listener never sees a run finish that could still roll back),
    // and outside the transaction's error handling: a listener that throws changes nothing.
    try {
      for (const run of t.finished) this.emitter.emit('run-finished', run);
      // With the listener up, NOTIFY tells every process, this one included.
      if (!this.db.listening && (t.wrote.tasks || t.wrote.timers)) this.emitter.emit('work', t.wrote.timers);
    } catch {
      // A listener's own failure is its business.
    }
    return result;
  }

  private transaction(db: PgSession): PgRunTransaction {
    return new PgRunTransaction(
      db,
      {
        random: this.random,
        maxPayloadBytes: this.maxPayloadBytes,
        version: (id) => this.versionOn(db, id),
        latestVersion: (workflow) => this.latestOn(db, workflow),
        limited: (row) => isLimited(row, this.options.tenantConcurrency),
        cache: this.stepsCache,
      },
      this.now(),
    );
  }

  async registerVersion(version: NewVersion): Promise<{ version: WorkflowVersion; created: boolean }> {
    const result = await this.tx(async (t) => {
      // Two processes registering the same workflow at once must not both take the next number.
      await t.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`baton.version:${version.workflow}`]);
      const existing = await t.query<VersionRow>(
        'SELECT * FROM workflow_versions WHERE workflow = $1 AND hash = $2',
        [version.workflow, version.hash],
      );
      if (existing.rows[0]) return { version: toVersion(existing.rows[0]), created: false };
      const { rows } = await t.query<{ n: number }>(
        'SELECT COALESCE(MAX(number), 0) AS n FROM workflow_versions WHERE workflow = $1',
        [version.workflow],
      );
      const n = Number(rows[0]?.n ?? 0) + 1;
      const inserted = await t.query<VersionRow>(
        `INSERT INTO workflow_versions (id, workflow, number, label, hash, source, graph, definition, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *`,
        [
          `${version.workflow}@${n}`,
          version.workflow,
          n,
          version.label,
          version.hash,
          version.source,
          JSON.stringify(version.graph),
          JSON.stringify(version.definition ?? null),
          this.now(),
        ],
      );
      return { version: toVersion(inserted.rows[0] as VersionRow), created: true };
    });
    // After the commit, so that nothing re-reads the old latest version and keeps it.
    this.latest.delete(version.workflow);
    return result;
  }

  async getVersion(id: string): Promise<WorkflowVersion | undefined> {
    return this.db.withRetry(() => this.versionOn(this.db.reader, id));
  }

  async getLatestVersion(workflow: string): Promise<WorkflowVersion | undefined> {
    return this.db.withRetry(() => this.latestOn(this.db.reader, workflow));
  }

  /** A version, cached (versions never change), read on `db`: inside a transaction, its own connection. */
  private async versionOn(db: PgQueryable, id: string): Promise<WorkflowVersion | undefined> {
    const known = this.versions.get(id);
    if (known) return known;
    const row = (await db.query<VersionRow>('SELECT * FROM workflow_versions WHERE id = $1', [id])).rows[0];
    if (!row) return undefined;
    const version = toVersion(row);
    this.versions.set(id, version);
    return version;
  }

  /**
   * The latest version of a workflow, remembered for a second: a fan-out of a thousand child runs asks
   * a thousand times. A version registered in this process is seen at once, one from elsewhere within
   * the second.
   */
  private async latestOn(db: PgQueryable, workflow: string): Promise<WorkflowVersion | undefined> {
    const known = this.latest.get(workflow);
    if (known && Date.now() - known.at < LATEST_VERSION_TTL_MS) return this.versionOn(db, known.id);
    const row = (
      await db.query<{ id: string }>(
        'SELECT id FROM workflow_versions WHERE workflow = $1 ORDER BY number DESC LIMIT 1',
        [workflow],
      )
    ).rows[0];
    if (!row) return undefined;
    this.latest.set(workflow, { id: row.id, at: Date.now() });
    return this.versionOn(db, row.id);
  }

  async listVersions(workflow: string): Promise<WorkflowVersion[]> {
    return (
      await this.db.read<VersionRow>('SELECT * FROM workflow_versions WHERE workflow = $1 ORDER BY number', [
        workflow,
      ])
    ).map(toVersion);
  }

  async listWorkflows(): Promise<{ workflow: string; latest: WorkflowVersion; versions: number }[]> {
    const rows = await this.db.read<VersionRow & { versions: number }>(
      `SELECT v.*, c.n::int AS versions FROM workflow_versions v
         JOIN (SELECT workflow, MAX(number) AS m, COUNT(*) AS n FROM workflow_versions GROUP BY workflow) c
           ON c.workflow = v.workflow AND c.m = v.number ORDER BY v.workflow`,
    );
    return rows.map((r) => ({ workflow: r.workflow, latest: toVersion(r), versions: r.versions }));
  }

  async createRun(request: NewRun): Promise<CreateResult> {
    const input = boundedJson('run input', request.input, this.maxPayloadBytes);
    // The id is chosen once: if a commit's acknowledgement is lost and the transaction is retried, the
    // retry finds the run it already created instead of creating a second one.
    return this.batch.enqueue<CreateResult>({ kind: 'create', request, id: newRunId(this.now()), input });
  }

  async getRun(id: string): Promise<Run | undefined> {
    const row = (await this.db.read<RunRow>('SELECT * FROM runs WHERE id = $1', [id]))[0];
    return row ? toRun(row) : undefined;
  }

  async listRuns(filter: RunFilter = {}): Promise<Run[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const p = (v: unknown) => {
      params.push(v);
      return `$${params.length}`;
    };
    if (filter.workflow !== undefined) where.push(`workflow = ${p(filter.workflow)}`);
    if (filter.versionId !== undefined) where.push(`version_id = ${p(filter.versionId)}`);
    if (filter.status !== undefined) {
      where.push(
        `status = ANY(${p(Array.isArray(filter.status) ? filter.status : [filter.status])}::text[])`,
      );
    }
    if (filter.tenant !== undefined) where.push(`tenant = ${p(filter.tenant)}`);
    if (filter.tag !== undefined) where.push(`tags::jsonb ? ${p(filter.tag)}`);
    if (filter.parentRunId !== undefined) where.push(`parent_run_id = ${p(filter.parentRunId)}`);
    if (filter.createdAfter !== undefined) where.push(`created_at >= ${p(filter.createdAfter)}`);
    if (filter.createdBefore !== undefined) where.push(`created_at < ${p(filter.createdBefore)}`);
    if (filter.waitingForApproval === true)
      where.push('EXISTS (SELECT 1 FROM approvals a WHERE a.run_id = runs.id)');
    if (filter.cursor !== undefined) where.push(`id < ${p(filter.cursor)}`);
    const limit = p(Math.min(Math.max(filter.limit ?? 50, 1), 1000));
    const rows = await this.db.read<RunRow>(
      `SELECT * FROM runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ${limit}`,
      params,
    );
    return rows.map(toRun);
  }

  async getSteps(runId: string): Promise<StepState[]> {
    const rows = await this.db.read<StepRow>(
      'SELECT * FROM steps WHERE run_id = $1 ORDER BY COALESCE(started_at, finished_at) NULLS FIRST, step_id',
      [runId],
    );
    return rows.map(toStepState);
  }

  async getHistory(
    runId: string,
    options: { afterSeq?: number; limit?: number } = {},
  ): Promise<HistoryEvent[]> {
    const rows = await this.db.read<Parameters<typeof toHistoryEvent>[0]>(
      'SELECT * FROM history WHERE run_id = $1 AND seq > $2 ORDER BY seq LIMIT $3',
      [runId, options.afterSeq ?? 0, options.limit ?? 100_000],
    );
    return rows.map(toHistoryEvent);
  }

  async listAttempts(runId: string): Promise<AttemptRecord[]> {
    const rows = await this.db.read<Parameters<typeof toAttempt>[0]>(
      `SELECT run_id, kind, step_id, item, attempt, worker_id, status, started_at, finished_at, error FROM attempts WHERE run_id = $1
       UNION ALL
       SELECT run_id, kind, step_id, item, attempt, lease_owner, 'running', started_at, NULL, NULL FROM tasks
         WHERE run_id = $1 AND lease_owner IS NOT NULL
       ORDER BY started_at, step_id, item, attempt`,
      [runId],
    );
    return rows.map(toAttempt);
  }

  async claimTasks(request: { workerId: string; limit: number; leaseMs: number }): Promise<ClaimedTask[]> {
    if (request.limit <= 0) return [];
    // One transaction whatever happens: a worker that loses the race for a task (every idle worker
    // hears the same NOTIFY) costs one transaction, not a read and then a transaction.
    return this.tx((t) => claim(t, request, this.options.tenantConcurrency));
  }

  async renewLeases(request: {
    workerId: string;
    taskIds: string[];
    leaseMs: number;
  }): Promise<{ lost: string[] }> {
    if (request.taskIds.length === 0) return { lost: [] };
    const held = await this.db.read<{ id: number }>(
      'UPDATE tasks SET visible_at = $1 WHERE lease_owner = $2 AND id = ANY($3::bigint[]) RETURNING id',
      [this.now() + request.leaseMs, request.workerId, request.taskIds.map(Number)],
    );
    const kept = new Set(held.map((r) => String(r.id)));
    return { lost: request.taskIds.filter((id) => !kept.has(id)) };
  }

  releaseTask(request: {
    taskId: string;
    workerId: string;
    delayMs: number;
    reason: string;
  }): Promise<boolean> {
    return this.tx((t) => releaseTask(t, request));
  }

  async releaseLeases(workerId: string): Promise<number> {
    if (this.closed) return 0;
    return this.tx((t) => releaseLeases(t, workerId));
  }

  completeTask(completion: TaskCompletion): Promise<CompletionResult> {
    return this.batch.enqueue<CompletionResult>({ kind: 'complete', completion });
  }

  async fireDueTimers(limit: number): Promise<number> {
    const now = this.now();
    const due = await this.db.read<{ id: number; run_id: string }>(
      'SELECT id, run_id FROM timers WHERE fire_at <= $1 ORDER BY fire_at LIMIT $2',
      [now, limit],
    );
    if (due.length === 0) return 0;
    return this.tx(async (t) => {
      // Runs first (skipping those another worker is writing), then their timers.
      const locked = await t.query<{ id: string }>(
        'SELECT id FROM runs WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE SKIP LOCKED',
        [[...new Set(due.map((d) => d.run_id))]],
      );
      // Timers of runs that are gone (pruned by hand) would stay due for ever.
      await t.query(
        'DELETE FROM timers t WHERE t.id = ANY($1::bigint[]) AND NOT EXISTS (SELECT 1 FROM runs r WHERE r.id = t.run_id)',
        [due.map((d) => d.id)],
      );
      if (locked.rows.length === 0) return 0;
      const fired = await t.query<{ id: number; run_id: string; step_id: string | null; kind: string }>(
        'DELETE FROM timers WHERE id = ANY($1::bigint[]) AND run_id = ANY($2::text[]) AND fire_at <= $3 RETURNING *',
        [due.map((d) => d.id), locked.rows.map((r) => r.id), t.now],
      );
      await t.lock(locked.rows.map((r) => r.id));
      for (const timer of fired.rows.sort((a, b) => a.id - b.id)) {
        try {
          await t.apply(timer.run_id, {
            type: 'timer-fired',
            stepId: timer.step_id,
            timer: timer.kind as 'sleep',
          });
        } catch (error) {
          // A rejected command writes nothing; a timer whose run is gone must not block the others.
          if (!(error instanceof BatonError)) throw error;
        }
      }
      return fired.rows.length;
    });
  }

  async nextTimerAt(): Promise<number | undefined> {
    const row = (await this.db.read<{ at: number | null }>('SELECT MIN(fire_at) AS at FROM timers'))[0];
    return row?.at ?? undefined;
  }

  async cancelRun(runId: string, reason: string, by?: string): Promise<Run> {
    return this.tx(async (t) => {
      await t.apply(runId, { type: 'cancel', reason, ...(by === undefined ? {} : { by }) });
      return toRun(t.row(runId) as RunRow);
    });
  }

  async decide(runId: string, stepId: string, decision: ApprovalDecision): Promise<void> {
    await this.tx(async (t) => {
      await t.apply(runId, { type: 'decision', stepId, decision });
    });
  }

  async listApprovals(filter: ApprovalFilter = {}): Promise<PendingApproval[]> {
    return listApprovals((text, values) => this.db.read(text, values), filter);
  }

  async reassignApproval(runId: string, stepId: string, change: ApprovalReassignment): Promise<void> {
    await this.tx(async (t) => {
      await t.apply(runId, { type: 'reassign', stepId, change });
    });
  }

  async readFeed(request: {
    afterSeq: number;
    types?: HistoryEventType[];
    limit?: number;
  }): Promise<FeedEvent[]> {
    return readFeed((text, values) => this.db.read(text, values), request);
  }

  async publishEvent(
    key: string,
    payload: unknown,
    options: { tenant?: string } = {},
  ): Promise<{ woken: number }> {
    const json = boundedJson('event payload', payload, this.maxPayloadBytes);
    const tenant = options.tenant ?? null;
    return this.tx(async (t) => {
      const waitingOn = async () =>
        (
          await t.query<{ run_id: string }>(
            `SELECT DISTINCT run_id FROM waits WHERE key = $1 AND since <= $2${tenant === null ? '' : ' AND tenant = $3'}`,
            tenant === null ? [key, t.now] : [key, t.now, tenant],
          )
        ).rows.map((w) => w.run_id);
      // The waiting runs first, then the key's lock: the order in which a run reaching a wait takes them,
      // so the two cannot deadlock (a run that starts waiting in between is locked after; rare, retried).
      await t.lock(await waitingOn());
      // Taken by runs reaching a wait on this key too: either they see this event or it sees their wait.
      await t.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`baton.event:${key}`]);
      const inserted = await t.query<{ id: number }>(
        'INSERT INTO events (key, payload, at, tenant) VALUES ($1, $2, $3, $4) RETURNING id',
        [key, json, t.now, tenant],
      );
      const eventId = (inserted.rows[0] as { id: number }).id;
      const runIds = await waitingOn();
      await t.lock(runIds);
      // Read again under the runs' locks: a wait may have ended meanwhile.
      const waits = await t.query<{ run_id: string; step_id: string }>(
        'SELECT run_id, step_id FROM waits WHERE key = $1 AND since <= $2 AND run_id = ANY($3::text[]) ORDER BY run_id, step_id',
        [key, t.now, runIds],
      );
      let woken = 0;
      for (const w of waits.rows) {
        try {
          await t.apply(w.run_id, { type: 'event', stepId: w.step_id, key, payload });
          await t.deliver(w.run_id, eventId);
          woken++;
        } catch (error) {
          if (!(error instanceof BatonError)) throw error;
        }
      }
      return { woken };
    });
  }

  async runStats(query: RunStatsQuery): Promise<RunStats> {
    return runStats((text, values) => this.db.read(text, values), query);
  }

  async prune(before: number): Promise<PruneResult> {
    let runs = 0;
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
    ];
    for (;;) {
      // Small transactions, so a large prune never holds locks for long.
      const n = await this.tx(async (t) => {
        const ids = (
          await t.query<{ id: string }>(
            `SELECT id FROM runs WHERE finished_at IS NOT NULL AND finished_at < $1 AND status IN ('succeeded', 'failed', 'cancelled')
             ORDER BY id LIMIT 500 FOR UPDATE SKIP LOCKED`,
            [before],
          )
        ).rows.map((r) => r.id);
        if (ids.length === 0) return 0;
        const st = new Statement();
        const list = st.p(ids);
        for (const table of tables) st.add(`DELETE FROM ${table} WHERE run_id = ANY(${list}::text[])`);
        st.add(`DELETE FROM runs WHERE id = ANY(${list}::text[])`);
        await t.exec(st);
        return ids.length;
      });
      runs += n;
      if (n === 0) break;
    }
    const events = await this.db.read<{ n: number }>(
      'WITH d AS (DELETE FROM events WHERE at < $1 RETURNING 1) SELECT count(*)::int AS n FROM d',
      [before],
    );
    return { runs, events: events[0]?.n ?? 0 };
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

/** The steps cache of a process, bounded: the least recently used run goes first. */
class LruStepsCache implements StepsCache {
  private readonly entries = new Map<string, { rev: number; steps: Map<string, StepRecord> }>();
  constructor(private readonly max: number) {}

  get(runId: string) {
    const entry = this.entries.get(runId);
    if (entry) {
      this.entries.delete(runId);
      this.entries.set(runId, entry);
    }
    return entry;
  }

  set(runId: string, rev: number, steps: Map<string, StepRecord>): void {
    this.entries.delete(runId);
    this.entries.set(runId, { rev, steps });
    if (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value as string);
  }
}
