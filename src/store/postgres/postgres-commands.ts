/**
 * Applies state-machine commands inside one Postgres transaction: lock the run's row, reduce, write the
 * whole transition in one statement (writable CTEs), follow up on other runs (parents, children), and
 * lease new tasks to the worker that asked for them.
 *
 * Lock order, which keeps transactions from deadlocking: a transaction locks the rows of the runs it
 * touches (sorted by id, or with SKIP LOCKED) before it touches their tasks, steps, timers or waits.
 * Follow-ups to other runs (a parent told its child finished) break the order; Postgres detects the rare
 * deadlock that follows and the store retries the transaction.
 * @module
 */

import type {
  MachineContext,
  RunCommand,
  RunSeed,
  RunSnapshot,
  StepRecord,
  Transition,
} from '../../core/commands.js';
import { BatonError, type ErrorCode } from '../../core/errors.js';
import { reduceRun } from '../../core/machine.js';
import type { ClaimedTask, Graph, Run, RunStatus, WorkflowVersion } from '../../core/types.js';
import { APPROVAL_COLUMNS, approvalChanges } from '../approval-rows.js';
import { childDeadline, claimedTask, settledSteps, stepsVisibleTo } from '../claims.js';
import { newRunId, newTraceId } from '../ids.js';
import { type RunRow, type StepRow, toRun, toStepRecord } from '../rows.js';
import {
  attemptStartedRow,
  childNotRegistered,
  type DispatchTarget,
  finishedStatus,
  historyRows,
  jsonOrNull,
  planLeases,
  runRowAfter,
} from '../transition-plan.js';
import type { PgQueryable, PgResult } from './postgres-driver.js';
import { type PendingTask, PendingWrites } from './postgres-pending.js';
import { addWorkNotice, type Statement } from './postgres-statement.js';

/** A tasks row. */
export interface TaskRow {
  id: number;
  run_id: string;
  kind: string;
  step_id: string;
  item: number;
  attempt: number;
  priority: number;
  tenant: string;
  concurrency_key: string | null;
  concurrency_limit: number | null;
  visible_at: number;
  lease_owner: string | null;
  takeovers: number;
  started_at: number | null;
}

/** What the transaction needs from its store. */
export interface WriterDependencies {
  random: () => number;
  maxPayloadBytes: number;
  version: (id: string) => Promise<WorkflowVersion | undefined>;
  latestVersion: (workflow: string) => Promise<WorkflowVersion | undefined>;
  /** True when a run's tasks are under a concurrency limit: successors then queue for a fair claim. */
  limited: (row: RunRow) => boolean;
  cache: StepsCache;
}

/** A process's cache of run steps as it last committed them, valid while the run's `rev` matches. */
export interface StepsCache {
  get(runId: string): { rev: number; steps: Map<string, StepRecord> } | undefined;
  set(runId: string, rev: number, steps: Map<string, StepRecord>): void;
}

/** A runs row of this adapter. */
type PgRunRow = RunRow & { rev?: number };

const s = jsonOrNull;

interface Loaded {
  row: RunRow;
  snapshot: RunSnapshot;
}

/** One transaction of the Postgres adapter. Runs are locked as they are first touched. */
export class PgRunTransaction {
  private readonly loaded = new Map<string, Loaded>();
  /** Each locked run's `rev` as this transaction leaves it. */
  private readonly revs = new Map<string, number>();
  /** Runs that reached a terminal status; announced once the transaction commits. */
  readonly finished: { id: string; status: RunStatus }[] = [];
  /** What the transaction wrote that idle workers may want: told in this process after the commit. */
  readonly wrote = { tasks: false, timers: false };

  constructor(
    readonly db: PgQueryable,
    private readonly deps: WriterDependencies,
    readonly now: number,
  ) {}

  private context(): MachineContext {
    const now = this.now;
    return {
      now,
      random: this.deps.random,
      newId: () => newRunId(now),
      maxPayloadBytes: this.deps.maxPayloadBytes,
    };
  }

  /** Lock the rows of these runs (sorted, so two transactions cannot wait on each other) and load them. */
  async lock(runIds: Iterable<string>): Promise<void> {
    const ids = [...new Set(runIds)].filter((id) => !this.loaded.has(id)).sort();
    if (ids.length === 0) return;
    const runs = await this.db.query<PgRunRow>(
      'SELECT * FROM runs WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE',
      [ids],
    );
    if (runs.rows.length === 0) return;
    // Steps this process committed last are still right if nobody wrote the run since.
    const stale = runs.rows.filter((r) => this.deps.cache.get(r.id)?.rev !== r.rev);
    const byRun = new Map<string, Map<string, StepRecord>>();
    for (const r of stale) byRun.set(r.id, new Map());
    if (stale.length > 0) {
      const steps = await this.db.query<StepRow>('SELECT * FROM steps WHERE run_id = ANY($1::text[])', [
        stale.map((r) => r.id),
      ]);
      for (const r of steps.rows) byRun.get(r.run_id)?.set(r.step_id, toStepRecord(r));
    }
    for (const row of runs.rows) {
      this.revs.set(row.id, row.rev ?? 0);
      this.remember(row, byRun.get(row.id) ?? new Map(this.deps.cache.get(row.id)?.steps));
    }
  }

  /** Count a write of these runs (their statement bumps `rev` in the database too). */
  bumped(runIds: Iterable<string>): void {
    for (const id of runIds) this.revs.set(id, (this.revs.get(id) ?? 0) + 1);
  }

  /** Add a statement part that bumps these runs' `rev`: any write to their steps must. */
  bump(st: Statement, runIds: string[]): void {
    const ids = [...new Set(runIds)];
    if (ids.length === 0) return;
    st.add(`UPDATE runs SET rev = rev + 1 WHERE id = ANY(${st.p(ids)}::text[])`);
    this.bumped(ids);
  }

  /** After the commit: the process cache learns the steps of every run this transaction locked. */
  committed(): void {
    for (const [id, loaded] of this.loaded)
      this.deps.cache.set(id, this.revs.get(id) ?? 0, loaded.snapshot.steps);
  }

  /** Replace a step record of a locked run (a claim started it, a takeover put it back). */
  setStep(runId: string, rec: StepRecord): void {
    const loaded = this.loaded.get(runId);
    if (!loaded) return;
    const steps = new Map(loaded.snapshot.steps);
    steps.set(rec.stepId, rec);
    this.remember(loaded.row, steps);
  }

  /** A run's row, if this transaction locked it. */
  row(runId: string): RunRow | undefined {
    return this.loaded.get(runId)?.row;
  }

  /** The step records of a run this transaction locked. */
  steps(runId: string): Map<string, StepRecord> | undefined {
    return this.loaded.get(runId)?.snapshot.steps;
  }

  private remember(row: RunRow, steps: Map<string, StepRecord>): void {
    const { input: _i, output: _o, ...run } = toRun({ ...row, input: 'null', output: null });
    this.loaded.set(row.id, { row, snapshot: { run, steps } });
  }

  /** A workflow version (cached by the store), read on this transaction's connection. */
  version(id: string): Promise<WorkflowVersion | undefined> {
    return this.deps.version(id);
  }

  /** A workflow's latest version, read on this transaction's connection. */
  latestVersion(workflow: string): Promise<WorkflowVersion | undefined> {
    return this.deps.latestVersion(workflow);
  }

  private async graphOf(versionId: string): Promise<Graph> {
    const version = await this.deps.version(versionId);
    if (!version) {
      throw new BatonError('VERSION_NOT_FOUND', `workflow version ${versionId} is missing from the store`, {
        hint: 'The store may have been pruned by hand; restore it or cancel the run',
      });
    }
    return version.graph;
  }

  /**
   * Apply `command` to run `runId` and everything it sets off. Throws a {@link BatonError}, having
   * written nothing, if the first command is rejected.
   *
   * Writes are deferred: they go out with the next {@link flush} (before any read that needs them, and
   * before the commit), many transitions of many runs in one statement. The returned array of tasks
   * leased to the worker is filled by that flush, when their ids are known.
   */
  async apply(runId: string, command: RunCommand, dispatch?: DispatchTarget): Promise<ClaimedTask[]> {
    const queue: { runId: string; command: RunCommand }[] = [{ runId, command }];
    const dispatched: ClaimedTask[] = [];
    let first = true;
    let budget = dispatch?.limit ?? 0;
    while (queue.length > 0) {
      const next = queue.shift() as { runId: string; command: RunCommand };
      await this.lock([next.runId]);
      const loaded = this.loaded.get(next.runId);
      if (!loaded) {
        if (first) {
          throw new BatonError('RUN_NOT_FOUND', `run ${next.runId} does not exist`, {
            hint: 'List runs with `baton runs list`',
          });
        }
        continue;
      }
      const graph = await this.graphOf(loaded.row.version_id);
      const t = reduceRun(graph, loaded.snapshot, next.command, this.context());
      if (t.rejected) {
        if (first) {
          throw new BatonError(t.rejected.code as ErrorCode, t.rejected.message, {
            details: t.rejected.details,
          });
        }
        continue;
      }
      first = false;
      // A run under a concurrency limit takes at most the slot its finished task gave back.
      const limit = dispatch && this.deps.limited(loaded.row) ? Math.min(budget, 1) : budget;
      budget -= await this.write(
        loaded,
        graph,
        t,
        queue,
        dispatch ? { ...dispatch, limit } : undefined,
        dispatched,
      );
    }
    return dispatched;
  }

  /** Run a statement now, after the pending writes (it may read or change what they touch). */
  async exec<R = Record<string, unknown>>(st: Statement): Promise<PgResult<R>> {
    await this.flush();
    return st.run<R>(this.db);
  }

  /** Run a query now, after the pending writes. */
  async query<R = Record<string, unknown>>(text: string, values?: unknown[]): Promise<PgResult<R>> {
    await this.flush();
    return this.db.query<R>(text, values);
  }

  private pending = new PendingWrites();

  /** Stage one transition; returns how many tasks it leased to the worker. */
  private async write(
    loaded: Loaded,
    graph: Graph,
    t: Transition,
    queue: { runId: string; command: RunCommand }[],
    dispatch: DispatchTarget | undefined,
    dispatched: ClaimedTask[],
  ): Promise<number> {
    const { row, snapshot } = loaded;
    const runId = row.id;
    const now = this.now;
    // Two parts of one statement must not touch the same row: what this transition removes or
    // updates may have been staged by an earlier one, so write those out first.
    if (this.pending.clashes(runId, t) || t.aggregateMap) await this.flush();
    const p = this.pending;
    if (t.removeWaits) {
      if (t.waits.length > 0) {
        // A wait re-armed for a step whose old wait this transition removes: remove it first.
        await this.flush();
        await this.db.query(
          'all' in t.removeWaits
            ? 'DELETE FROM waits WHERE run_id = $1'
            : 'DELETE FROM waits WHERE run_id = $1 AND step_id = ANY($2::text[])',
          'all' in t.removeWaits ? [runId] : [runId, t.removeWaits.stepIds],
        );
      } else {
        p.remove(runId, 'waits', t.removeWaits);
      }
    }
    if (t.removeTasks) p.remove(runId, 'tasks', t.removeTasks);
    if (t.removeTimers) p.remove(runId, 'timers', t.removeTimers);

    const { leases, granted, startedSteps, written } = planLeases(t, dispatch, now);
    if (t.aggregateMap) {
      const { stepId, collect } = t.aggregateMap;
      const outputJson = await this.aggregateMap(runId, stepId, collect, t.itemResults);
      const rec = written.get(stepId) ?? snapshot.steps.get(stepId);
      if (rec) written.set(stepId, { ...rec, outputJson });
    }
    for (const rec of written.values()) {
      p.steps.set(`${runId}\u0000${rec.stepId}`, [
        runId,
        rec.stepId,
        rec.status,
        rec.attempt,
        rec.outputJson,
        s(rec.error),
        rec.startedAt,
        rec.finishedAt,
        rec.seq,
        s(rec.wait),
        s(rec.map),
        rec.compensation,
        rec.compensationAttempt,
      ]);
    }
    const approvals = approvalChanges(row, snapshot.steps, written.values(), now);
    for (const a of approvals.upserts)
      p.approvals.set(
        `${runId}\u0000${a.step_id}`,
        APPROVAL_COLUMNS.map((c) => a[c]),
      );
    for (const stepId of approvals.deletes) p.approvals.set(`${runId}\u0000${stepId}`, null);
    if (t.items) {
      const stepId = t.items.stepId;
      t.items.values.forEach((v, i) => {
        p.items.push([runId, stepId, i, JSON.stringify(v === undefined ? null : v)]);
      });
    }
    for (const i of t.itemResults)
      p.itemResults.push([runId, i.stepId, i.index, i.ok, i.outputJson, s(i.error)]);

    const nextRow = runRowAfter(row, t);
    // Every write to a run bumps its rev (see StepsCache); a run inserted by this flush is inserted as it ends up.
    if (p.newRuns.has(runId)) p.newRuns.set(runId, nextRow);
    else p.runs.set(runId, nextRow);

    for (const e of historyRows(t, startedSteps, now)) p.history.push([runId, ...e]);

    const after = new Map(snapshot.steps);
    for (const rec of written.values()) after.set(rec.stepId, rec);
    t.tasks.forEach((task, i) => {
      const lease = leases[i] === true && dispatch !== undefined;
      const taskRow = [
        runId,
        task.kind,
        task.stepId,
        task.item,
        task.attempt,
        row.priority,
        row.tenant,
        row.concurrency_key ?? null,
        row.concurrency_limit ?? null,
        lease ? now + dispatch.leaseMs : Math.ceil(now + task.delayMs),
        lease ? dispatch.workerId : null,
        lease ? now : null,
      ];
      if (!lease) {
        p.tasks.push({ row: taskRow });
        p.notifyTasks(task.delayMs > 0 ? Math.ceil(now + task.delayMs) : undefined);
        this.wrote.tasks = true;
        return;
      }
      p.history.push([
        runId,
        ...attemptStartedRow(task, dispatch.workerId, now, task.kind === 'step' && task.attempt === 1),
      ]);
      const fromTransition = task.kind === 'item' && t.items?.stepId === task.stepId;
      p.tasks.push({
        row: taskRow,
        claim: {
          target: dispatched,
          task,
          leaseExpiresAt: now + dispatch.leaseMs,
          row: nextRow,
          steps: settledSteps(after, stepsVisibleTo(graph, task.kind, task.stepId)),
          ...(fromTransition ? { itemInputJson: JSON.stringify(t.items?.values[task.item] ?? null) } : {}),
        },
      });
    });
    for (const tm of t.timers) p.timers.push([runId, tm.stepId, tm.kind, Math.ceil(tm.fireAt)]);
    if (t.timers.length > 0) {
      addWorkNotice(p.notify, 'timers');
      this.wrote.timers = true;
    }
    for (const w of t.waits) p.waits.push([runId, w.stepId, w.key, Math.floor(w.since), nextRow.tenant]);

    // Children: their rows go in with this flush; each starts by a queued command.
    const children: RunRow[] = [];
    for (const child of t.children) {
      const version = child.version
        ? await this.deps.version(child.version)
        : await this.deps.latestVersion(child.workflow);
      if (!version || version.workflow !== child.workflow) {
        queue.push(childNotRegistered(runId, child));
        continue;
      }
      const childRow = newRunRow({
        id: child.runId,
        workflow: child.workflow,
        versionId: version.id,
        input: JSON.stringify(child.input === undefined ? null : child.input),
        priority: row.priority,
        tenant: row.tenant,
        idempotencyKey: null,
        parentRunId: runId,
        parentStepId: child.stepId,
        depth: row.depth + 1,
        traceId: row.trace_id,
        tags: '[]',
        createdAt: now,
        deadlineAt: ceilOrNull(childDeadline(row.deadline_at, version.graph.runTimeoutMs, now)),
        concurrencyKey: row.concurrency_key ?? null,
        concurrencyLimit: row.concurrency_limit ?? null,
      });
      children.push(childRow);
      p.newRuns.set(childRow.id, childRow);
      p.history.push([
        child.runId,
        now,
        'run-created',
        null,
        null,
        null,
        JSON.stringify({ parentRunId: runId, parentStepId: child.stepId }),
      ]);
    }

    this.remember(nextRow, after);
    for (const child of children) {
      this.revs.set(child.id, 0);
      this.remember(child, new Map());
    }
    const status = finishedStatus(t);
    if (status) this.finished.push({ id: runId, status });

    for (const wait of t.waits) await this.deliverEarlyEvent(runId, nextRow.tenant, wait, queue);
    for (const child of children) queue.push({ runId: child.id, command: { type: 'start' } });
    queue.push(...t.followUps);
    return granted;
  }

  /** Write every staged transition in one statement, then hand out the tasks they leased. */
  async flush(): Promise<void> {
    const p = this.pending;
    if (p.empty) return;
    this.pending = new PendingWrites();
    const result = await p
      .statement(this.now)
      .run<{ leased: [number, string, string, string, number, number][] | null }>(this.db);
    this.bumped(p.runs.keys());
    const claims = p.tasks.filter((x) => x.claim !== undefined);
    if (claims.length > 0) await this.handOut(claims, result.rows[0]?.leased ?? []);
  }

  /** Build the tasks leased to the worker, now that their ids are known. */
  private async handOut(
    claims: PendingTask[],
    leased: [number, string, string, string, number, number][],
  ): Promise<void> {
    const ids = new Map(
      leased.map(([id, run, kind, step, item, attempt]) => [`${run}:${kind}:${step}:${item}:${attempt}`, id]),
    );
    const missing = claims.filter(
      (c) => c.claim?.task.kind === 'item' && c.claim.itemInputJson === undefined,
    );
    const inputs = new Map<string, string>();
    if (missing.length > 0) {
      const rows = await this.db.query<{ run_id: string; step_id: string; idx: number; input: string }>(
        `SELECT m.run_id, m.step_id, m.idx, m.input FROM map_items m
           JOIN unnest($1::text[], $2::text[], $3::int[]) AS x(run_id, step_id, idx) ON m.run_id = x.run_id AND m.step_id = x.step_id AND m.idx = x.idx`,
        [
          missing.map((c) => c.row[0]),
          missing.map((c) => c.claim?.task.stepId),
          missing.map((c) => c.claim?.task.item),
        ],
      );
      for (const r of rows.rows) inputs.set(`${r.run_id}:${r.step_id}:${r.idx}`, r.input);
    }
    for (const { row, claim } of claims) {
      if (!claim) continue;
      const runId = row[0] as string;
      const { task } = claim;
      const id = ids.get(`${runId}:${task.kind}:${task.stepId}:${task.item}:${task.attempt}`);
      if (id === undefined) continue;
      claim.target.push(
        claimedTask({
          id: String(id),
          kind: task.kind,
          runId,
          stepId: task.stepId,
          item: task.item,
          attempt: task.attempt,
          leaseExpiresAt: claim.leaseExpiresAt,
          startedAt: this.now,
          row: claim.row,
          steps: claim.steps,
          itemInputJson: claim.itemInputJson ?? inputs.get(`${runId}:${task.stepId}:${task.item}`),
          runErrorJson: claim.row.error,
        }),
      );
    }
  }

  /**
   * An event that arrived after the run began but before it reached this wait counts, unless it was
   * published for another tenant.
   */
  private async deliverEarlyEvent(
    runId: string,
    tenant: string,
    wait: { stepId: string; key: string; since: number },
    queue: { runId: string; command: RunCommand }[],
  ): Promise<void> {
    // Taken by publishers too: either the publisher sees this wait, or this sees its event.
    await this.db.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`baton.event:${wait.key}`]);
    const early = await this.db.query<{ id: number; payload: string }>(
      `SELECT id, payload FROM events e WHERE key = $1 AND at >= $2 AND (tenant IS NULL OR tenant = $4)
         AND NOT EXISTS (SELECT 1 FROM event_deliveries d WHERE d.run_id = $3 AND d.event_id = e.id) ORDER BY id LIMIT 1`,
      [wait.key, wait.since, runId, tenant],
    );
    const event = early.rows[0];
    if (!event) return;
    await this.deliver(runId, event.id);
    queue.push({
      runId,
      command: { type: 'event', stepId: wait.stepId, key: wait.key, payload: JSON.parse(event.payload) },
    });
  }

  /** Record that a run consumed an event, so a later wait on the same key needs a new one. */
  async deliver(runId: string, eventId: number): Promise<void> {
    await this.db.query(
      'INSERT INTO event_deliveries (run_id, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING',
      [runId, eventId],
    );
  }

  private async aggregateMap(
    runId: string,
    stepId: string,
    collect: boolean,
    pending: Transition['itemResults'],
  ): Promise<string> {
    const rows = await this.db.query<{
      idx: number;
      ok: boolean | null;
      output: string | null;
      error: string | null;
    }>('SELECT idx, ok, output, error FROM map_items WHERE run_id = $1 AND step_id = $2 ORDER BY idx', [
      runId,
      stepId,
    ]);
    // Results of this same transition are not written yet.
    const fresh = new Map(pending.filter((p) => p.stepId === stepId).map((p) => [p.index, p]));
    const parts = rows.rows.map((row) => {
      const p = fresh.get(row.idx);
      const ok = p ? p.ok : row.ok;
      const output = p ? (p.outputJson ?? null) : row.output;
      const error = p ? s(p.error) : row.error;
      if (!collect) return output ?? 'null';
      return ok ? `{"ok":true,"value":${output ?? 'null'}}` : `{"ok":false,"error":${error ?? 'null'}}`;
    });
    return `[${parts.join(',')}]`;
  }

  /** Create a run row and start it. */
  async createRun(
    request: {
      id: string;
      workflow: string;
      version: WorkflowVersion;
      input: string;
      priority: number;
      tenant: string;
      idempotencyKey?: string;
      tags: string[];
      deadlineAt?: number;
      traceId?: string;
      concurrency?: { key: string; limit: number };
      seed?: RunSeed;
    },
    dispatch?: DispatchTarget,
  ): Promise<{ run: Run; dispatched: ClaimedTask[] }> {
    const row = newRunRow({
      id: request.id,
      workflow: request.workflow,
      versionId: request.version.id,
      input: request.input,
      priority: request.priority,
      tenant: request.tenant,
      idempotencyKey: request.idempotencyKey ?? null,
      parentRunId: null,
      parentStepId: null,
      depth: 0,
      traceId: request.traceId ?? newTraceId(),
      tags: JSON.stringify(request.tags),
      createdAt: this.now,
      deadlineAt: ceilOrNull(request.deadlineAt ?? null),
      concurrencyKey: request.concurrency?.key ?? null,
      concurrencyLimit: request.concurrency?.limit ?? null,
    });
    this.pending.newRuns.set(row.id, row);
    this.pending.history.push([
      row.id,
      this.now,
      'run-created',
      null,
      null,
      null,
      JSON.stringify({ versionId: request.version.id }),
    ]);
    this.revs.set(row.id, 0);
    this.remember(row, new Map());
    const dispatched = await this.apply(
      row.id,
      { type: 'start', ...(request.seed ? { seed: request.seed } : {}) },
      dispatch && !this.deps.limited(row) ? dispatch : undefined,
    );
    return { run: toRun(this.loaded.get(row.id)?.row as RunRow), dispatched };
  }
}

/** Times are whole milliseconds in `bigint` columns; a computed one may carry a fraction. */
function ceilOrNull(ms: number | null): number | null {
  return ms === null ? null : Math.ceil(ms);
}

/** A new run's row, as inserted. */
function newRunRow(r: {
  id: string;
  workflow: string;
  versionId: string;
  input: string;
  priority: number;
  tenant: string;
  idempotencyKey: string | null;
  parentRunId: string | null;
  parentStepId: string | null;
  depth: number;
  traceId: string;
  tags: string;
  createdAt: number;
  deadlineAt: number | null;
  concurrencyKey: string | null;
  concurrencyLimit: number | null;
}): RunRow {
  return {
    id: r.id,
    workflow: r.workflow,
    version_id: r.versionId,
    status: 'queued',
    phase: 'steps',
    input: r.input,
    output: null,
    error: null,
    priority: r.priority,
    tenant: r.tenant,
    idempotency_key: r.idempotencyKey,
    parent_run_id: r.parentRunId,
    parent_step_id: r.parentStepId,
    depth: r.depth,
    trace_id: r.traceId,
    tags: r.tags,
    created_at: r.createdAt,
    started_at: null,
    finished_at: null,
    deadline_at: r.deadlineAt,
    concurrency_key: r.concurrencyKey,
    concurrency_limit: r.concurrencyLimit,
  };
}
