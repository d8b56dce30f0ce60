/**
 * Group commit on Postgres: completions and new runs that reach a process in the same event-loop turn
 * share one transaction, and none is acknowledged before it commits. At most two such transactions are
 * in flight per process, so under load batches grow instead of transactions.
 * @module
 */
import { BatonError } from '../../core/errors.js';
import type { ClaimedTask, Run } from '../../core/types.js';
import type { CompletionResult, NewRun, TaskCompletion } from '../port.js';
import { type RunRow, toRun } from '../rows.js';
import { checkIdempotentRun, versionToRun } from '../store-errors.js';
import type { PgRunTransaction } from './postgres-commands.js';
import { sleep } from './postgres-connection.js';

/** What a new run's submitter gets back. */
export type CreateResult = { run: Run; created: boolean; dispatched: ClaimedTask[] };

/** A run to create in the next group commit, its id chosen before the first try. */
export interface CreateOp {
  kind: 'create';
  request: NewRun;
  id: string;
  input: string;
}

/** A write of the next group commit: a completion or a new run. */
export type BatchOp = { kind: 'complete'; completion: TaskCompletion } | CreateOp;

/** A write waiting for the next group commit. */
interface PendingOp {
  op: BatchOp;
  resolve: (value: never) => void;
  reject: (error: unknown) => void;
}

/** Group commits a process keeps in flight at once. */
const MAX_CONCURRENT_FLUSHES = 2;

/** The group commit of one store. */
export class GroupCommit {
  private pending: PendingOp[] = [];
  private flushScheduled = false;
  /** Group commits in flight; more wait, so that under load batches grow instead of transactions. */
  private flushing = 0;

  constructor(
    private readonly deps: {
      /** One transaction, retried as a whole (the store's). */
      tx: <T>(work: (t: PgRunTransaction) => Promise<T>) => Promise<T>;
      closed: () => boolean;
      maxBatch: number;
    },
  ) {}

  /** Commit what was handed in (or fail it) before the store closes. */
  async drain(): Promise<void> {
    while (this.pending.length > 0 || this.flushing > 0) {
      if (this.flushing < MAX_CONCURRENT_FLUSHES && this.pending.length > 0) await this.flush();
      else await sleep(5);
    }
  }

  /**
   * Queue a write for the next group commit: completions and new runs that arrive in the same
   * event-loop turn share one transaction, and none resolves before it commits.
   */
  enqueue<T>(op: BatchOp): Promise<T> {
    if (this.deps.closed()) return Promise.reject(new BatonError('STORE_UNAVAILABLE', 'the store is closed'));
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ op, resolve: resolve as (value: never) => void, reject });
      if (this.pending.length >= this.deps.maxBatch) {
        void this.flush();
      } else if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  /** Commit every pending write in one transaction, then acknowledge them. */
  private async flush(): Promise<void> {
    this.flushScheduled = false;
    if (this.flushing >= MAX_CONCURRENT_FLUSHES || this.pending.length === 0) return;
    const batch = this.pending.splice(0, this.deps.maxBatch);
    this.flushing++;
    try {
      await this.commitBatch(batch);
    } finally {
      this.flushing--;
      if (this.pending.length > 0 && !this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => void this.flush());
      }
    }
  }

  private async commitBatch(batch: PendingOp[]): Promise<void> {
    let results: unknown[];
    try {
      results = await this.deps.tx((t) =>
        this.runBatch(
          t,
          batch.map((p) => p.op),
        ),
      );
    } catch (error) {
      // The database stayed out of reach: none of them can commit now.
      if (error instanceof BatonError && error.code === 'STORE_UNAVAILABLE') {
        for (const p of batch) p.reject(error);
        return;
      }
      // The whole transaction rolled back, so nothing is written. Redo each write in a transaction of
      // its own, so one bad write cannot fail its neighbours.
      for (const p of batch) {
        try {
          p.resolve((await this.deps.tx((t) => this.runBatch(t, [p.op])))[0] as never);
        } catch (error) {
          p.reject(error);
        }
      }
      return;
    }
    batch.forEach((p, i) => {
      p.resolve(results[i] as never);
    });
  }

  /** Apply a batch of writes in one transaction; results in the batch's order. */
  private async runBatch(t: PgRunTransaction, ops: BatchOp[]): Promise<unknown[]> {
    const results: unknown[] = new Array(ops.length);
    const completes: number[] = [];
    const creates: number[] = [];
    ops.forEach((op, i) => {
      (op.kind === 'complete' ? completes : creates).push(i);
    });
    if (completes.length > 0) {
      const done = await this.completeBatch(
        t,
        completes.map((i) => (ops[i] as { completion: TaskCompletion }).completion),
      );
      completes.forEach((i, j) => {
        results[i] = done[j];
      });
    }
    if (creates.length > 0) {
      const made = await this.createMany(
        t,
        creates.map((i) => ops[i] as CreateOp),
      );
      creates.forEach((i, j) => {
        results[i] = made[j];
      });
    }
    return results;
  }

  private async completeBatch(t: PgRunTransaction, all: TaskCompletion[]): Promise<CompletionResult[]> {
    await t.lock(all.map((c) => c.task.runId));
    // A completion sent twice in one batch counts once.
    const key = (c: TaskCompletion) => `${c.task.id}\u0000${c.workerId}`;
    const firsts = new Set<TaskCompletion>();
    const keys = new Set<string>();
    for (const c of all) {
      if (keys.has(key(c))) continue;
      keys.add(key(c));
      firsts.add(c);
    }
    const completions = [...firsts];
    // The fencing check, the removal and the attempt's record in one statement: only the lease
    // holder's outcome counts.
    const removed = await t.query<{ id: number; lease_owner: string }>(
      `WITH x AS (
         SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::int[], $8::text[], $9::bigint[], $10::text[])
           AS x(id, owner, run_id, attempt, kind, step_id, item, status, started_at, error)
       ),
       d AS (
         DELETE FROM tasks t USING x
         WHERE t.id = x.id AND t.lease_owner = x.owner AND t.run_id = x.run_id AND t.attempt = x.attempt
         RETURNING t.id, t.lease_owner, t.started_at
       ),
       a AS (
         INSERT INTO attempts (run_id, kind, step_id, item, attempt, worker_id, status, started_at, finished_at, error)
         SELECT x.run_id, x.kind, x.step_id, x.item, x.attempt, x.owner, x.status, COALESCE(x.started_at, d.started_at, $11), $11, x.error
         FROM x JOIN d ON d.id = x.id AND d.lease_owner = x.owner
       )
       SELECT id, lease_owner FROM d`,
      [
        completions.map((c) => {
          const id = Number(c.task.id);
          return Number.isSafeInteger(id) ? id : -1;
        }),
        completions.map((c) => c.workerId),
        completions.map((c) => c.task.runId),
        completions.map((c) => c.task.attempt),
        completions.map((c) => c.task.kind),
        completions.map((c) => c.task.stepId),
        completions.map((c) => c.task.item),
        completions.map((c) => (c.outcome.type === 'failed' ? 'failed' : 'succeeded')),
        completions.map((c) => c.task.startedAt ?? null),
        completions.map((c) => (c.outcome.type === 'failed' ? JSON.stringify(c.outcome.error) : null)),
        t.now,
      ],
    );
    // Keyed by task and owner: a stale worker completing the same task in the same batch as the lease
    // holder must not pass.
    const accepted = new Set(removed.rows.map((r) => `${r.id}\u0000${r.lease_owner}`));
    const results: CompletionResult[] = [];
    for (const c of all) {
      if (!firsts.has(c) || !accepted.has(key(c))) {
        results.push({ accepted: false, dispatched: [] });
        continue;
      }
      const dispatched = await t.apply(
        c.task.runId,
        {
          type: 'task-finished',
          task: { kind: c.task.kind, stepId: c.task.stepId, item: c.task.item, attempt: c.task.attempt },
          outcome: c.outcome,
        },
        c.dispatch ? { workerId: c.workerId, limit: c.dispatch, leaseMs: c.leaseMs ?? 10_000 } : undefined,
      );
      results.push({ accepted: true, dispatched });
    }
    return results;
  }

  /** Create runs in one transaction; idempotent per `(tenant, key)`, within the batch too. */
  private async createMany(t: PgRunTransaction, creates: CreateOp[]): Promise<CreateResult[]> {
    const tenantOf = (c: CreateOp) => c.request.tenant ?? 'default';
    const keyOf = (c: CreateOp) =>
      c.request.idempotencyKey === undefined ? undefined : `${tenantOf(c)}\u0000${c.request.idempotencyKey}`;
    const keyed = creates.filter((c) => c.request.idempotencyKey !== undefined);
    const found = await t.query<RunRow>(
      `SELECT * FROM runs WHERE id = ANY($1::text[])
         OR (tenant, idempotency_key) IN (SELECT * FROM unnest($2::text[], $3::text[]))`,
      [creates.map((c) => c.id), keyed.map(tenantOf), keyed.map((c) => c.request.idempotencyKey)],
    );
    const byId = new Map(found.rows.map((r) => [r.id, r]));
    const byKey = new Map(
      found.rows
        .filter((r) => r.idempotency_key !== null)
        .map((r) => [`${r.tenant}\u0000${r.idempotency_key}`, r]),
    );
    const inBatch = new Map<string, Run>();
    const out: CreateResult[] = [];
    for (const c of creates) {
      const { request } = c;
      const key = keyOf(c);
      const existing = byId.get(c.id) ?? (key === undefined ? undefined : byKey.get(key));
      const earlier = key === undefined ? undefined : inBatch.get(key);
      const prior = existing ? toRun(existing) : earlier;
      if (prior) {
        checkIdempotentRun(request.idempotencyKey, prior, request.workflow);
        out.push({ run: prior, created: prior.id === c.id, dispatched: [] });
        continue;
      }
      const version = versionToRun(
        request,
        request.versionId ? await t.version(request.versionId) : await t.latestVersion(request.workflow),
      );
      const { run, dispatched } = await t.createRun(
        {
          id: c.id,
          workflow: request.workflow,
          version,
          input: c.input,
          priority: request.priority ?? 0,
          tenant: tenantOf(c),
          ...(request.idempotencyKey === undefined ? {} : { idempotencyKey: request.idempotencyKey }),
          tags: request.tags ?? [],
          ...(request.deadlineAt === undefined ? {} : { deadlineAt: request.deadlineAt }),
          ...(request.traceId === undefined ? {} : { traceId: request.traceId }),
          ...(request.concurrency === undefined ? {} : { concurrency: request.concurrency }),
          ...(request.seed === undefined ? {} : { seed: request.seed }),
        },
        request.dispatchTo,
      );
      out.push({ run, created: true, dispatched });
      if (key !== undefined) inBatch.set(key, run);
    }
    try {
      // Written now, inside the try: a unique violation here is the idempotency race below.
      await t.flush();
    } catch (error) {
      // Two processes submitted with the same key at once: the loser retries and finds the winner's run.
      if ((error as { code?: string }).code === '23505')
        throw Object.assign(new Error('idempotency race'), { code: '40001' });
      throw error;
    }
    return out;
  }
}
