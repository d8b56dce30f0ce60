/**
 * Applies state-machine commands inside a SQLite transaction: load the run's snapshot, reduce, write
 * the transition, follow up on other runs (parents, children), and lease new tasks to the worker that
 * asked for them. Every method here must run inside a transaction opened by the store.
 * @module
 */
import type {
  MachineContext,
  NewTask,
  RunCommand,
  RunSeed,
  RunSnapshot,
  StepRecord,
  Transition,
} from '../../core/commands.js';
import { BatonError, type ErrorCode } from '../../core/errors.js';
import { reduceRun } from '../../core/machine.js';
import type { ClaimedTask, Graph, Run, RunStatus, TaskKind, WorkflowVersion } from '../../core/types.js';
import { APPROVAL_COLUMNS, approvalChanges } from '../approval-rows.js';
import { childDeadline, claimedTask, settledSteps, stepsVisibleTo } from '../claims.js';
import { newRunId, newTraceId } from '../ids.js';
import { type RunRow, type StepRow, toRun, toStepRecord } from '../rows.js';
import {
  attemptStartedRow,
  childNotRegistered,
  type DispatchTarget,
  type EventRow,
  finishedStatus,
  historyRows,
  jsonOrNull,
  planLeases,
  runRowAfter,
} from '../transition-plan.js';
import type { SqliteDatabase, SqliteStatement } from './sqlite-driver.js';
import { prepareStatements } from './sqlite-statements.js';

/** A tasks row. */
export interface TaskRow {
  id: number;
  run_id: string;
  kind: string;
  step_id: string;
  item: number;
  attempt: number;
  priority: number;
  visible_at: number;
  lease_owner: string | null;
  takeovers: number;
  started_at: number | null;
}

interface Dependencies {
  now: () => number;
  random: () => number;
  maxPayloadBytes: number;
  version: (id: string) => WorkflowVersion | undefined;
  latestVersion: (workflow: string) => WorkflowVersion | undefined;
  /** Called when tasks or timers were written, so idle workers in this process wake up. */
  signalWork: (timers: boolean) => void;
  /** True when a run's tasks are under a concurrency limit: successors then queue for a fair claim. */
  limited: (row: RunRow) => boolean;
}

const s = jsonOrNull;

const MAX_EVENTS_PER_INSERT = 16;
const MAX_CACHED_RUNS = 10_000;

/** The transactional command applier of the SQLite adapter. */
export class SqliteRunWriter {
  private readonly st: ReturnType<typeof prepareStatements>;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly deps: Dependencies,
  ) {
    this.st = prepareStatements(db);
  }

  private context(now: number): MachineContext {
    return {
      now,
      random: this.deps.random,
      newId: () => newRunId(now),
      maxPayloadBytes: this.deps.maxPayloadBytes,
    };
  }

  private graphOf(versionId: string): Graph {
    const version = this.deps.version(versionId);
    if (!version) {
      throw new BatonError('VERSION_NOT_FOUND', `workflow version ${versionId} is missing from the store`, {
        hint: 'The store may have been pruned by hand; restore it or cancel the run',
      });
    }
    return version.graph;
  }

  /**
   * Snapshots of runs this connection wrote last, so a transition does not re-read what the previous
   * one wrote. Valid only while no other connection has committed (checked with `PRAGMA data_version`
   * at the start of every transaction) and dropped whenever a transaction fails.
   */
  private readonly cache = new Map<string, { snapshot: RunSnapshot; row: RunRow }>();
  /** Runs that reached a terminal status in the open transaction; announced once it commits. */
  finished: { id: string; status: RunStatus }[] = [];
  private dataVersion = -1;

  /** Call at the start of every write transaction. */
  beginTransaction(): void {
    this.finished = [];
    const version = (this.st.dataVersion.get() as { data_version: number }).data_version;
    if (version !== this.dataVersion) {
      this.cache.clear();
      this.dataVersion = version;
    }
  }

  /** Forget cached snapshots (after a rollback, or a write outside {@link apply}). */
  invalidate(runId?: string): void {
    if (runId === undefined) this.cache.clear();
    else this.cache.delete(runId);
  }

  loadSnapshot(runId: string): { snapshot: RunSnapshot; row: RunRow } | undefined {
    const cached = this.cache.get(runId);
    if (cached) return cached;
    const row = this.st.run.get(runId) as RunRow | undefined;
    if (!row) return undefined;
    const steps = new Map<string, StepRecord>();
    for (const r of this.st.steps.all(runId) as StepRow[]) steps.set(r.step_id, toStepRecord(r));
    const { input: _i, output: _o, ...run } = toRun({ ...row, input: 'null' });
    const loaded = { snapshot: { run, steps }, row };
    if (this.cache.size >= MAX_CACHED_RUNS) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(runId, loaded);
    return loaded;
  }

  /** A run's row, from the snapshot cache when it holds the run. */
  runRow(runId: string): RunRow | undefined {
    return this.cache.get(runId)?.row ?? (this.st.run.get(runId) as RunRow | undefined);
  }

  /** Keep the cached snapshot in step with what {@link write} just wrote. */
  private remember(row: RunRow, snap: RunSnapshot, t: Transition, merged: Map<string, StepRecord>): void {
    const nextRow = runRowAfter(row, t);
    let run = snap.run;
    if (t.run) {
      const { input: _i, output: _o, ...rest } = toRun({ ...nextRow, input: 'null', output: null });
      run = rest;
    }
    this.cache.delete(row.id);
    this.cache.set(row.id, { snapshot: { run, steps: merged }, row: nextRow });
  }

  /**
   * Apply `command` to run `runId` and everything it sets off. Throws a {@link BatonError} if the first
   * command is rejected, so the caller's transaction rolls back with nothing written.
   */
  apply(runId: string, command: RunCommand, now: number, dispatch?: DispatchTarget): ClaimedTask[] {
    const queue: { runId: string; command: RunCommand }[] = [{ runId, command }];
    const dispatched: ClaimedTask[] = [];
    let first = true;
    let budget = dispatch?.limit ?? 0;
    while (queue.length > 0) {
      const next = queue.shift() as { runId: string; command: RunCommand };
      const loaded = this.loadSnapshot(next.runId);
      if (!loaded) {
        if (first)
          throw new BatonError('RUN_NOT_FOUND', `run ${next.runId} does not exist`, {
            hint: 'List runs with `baton runs list`',
          });
        continue;
      }
      const t = reduceRun(
        this.graphOf(loaded.row.version_id),
        loaded.snapshot,
        next.command,
        this.context(now),
      );
      if (t.rejected) {
        if (first) {
          throw new BatonError(t.rejected.code as ErrorCode, t.rejected.message, {
            details: t.rejected.details,
          });
        }
        first = false;
        continue;
      }
      first = false;
      // A run under a concurrency limit takes at most the slot its finished task gave back.
      const limit = dispatch && this.deps.limited(loaded.row) ? Math.min(budget, 1) : budget;
      const leased = this.write(
        loaded.row,
        loaded.snapshot,
        t,
        now,
        queue,
        dispatch ? { ...dispatch, limit } : undefined,
      );
      budget -= leased.length;
      dispatched.push(...leased);
    }
    return dispatched;
  }

  private write(
    row: RunRow,
    snap: RunSnapshot,
    t: Transition,
    now: number,
    queue: { runId: string; command: RunCommand }[],
    dispatch: DispatchTarget | undefined,
  ): ClaimedTask[] {
    const runId = row.id;
    const st = this.st;
    if (t.removeTasks) {
      if ('all' in t.removeTasks) {
        st.cancelRunAttempts.run(now, runId);
        st.deleteRunTasks.run(runId);
      } else {
        for (const id of t.removeTasks.stepIds) {
          st.cancelStepAttempts.run(now, runId, id);
          st.deleteStepTasks.run(runId, id);
        }
      }
    }
    if (t.removeTimers) {
      if ('all' in t.removeTimers) st.deleteRunTimers.run(runId);
      else for (const id of t.removeTimers.stepIds) st.deleteStepTimers.run(runId, id);
    }
    if (t.removeWaits) {
      if ('all' in t.removeWaits) st.deleteRunWaits.run(runId);
      else for (const id of t.removeWaits.stepIds) st.deleteStepWaits.run(runId, id);
    }
    const { leases, startedSteps, written: planned } = planLeases(t, dispatch, now);
    const written = [...planned.values()];
    for (const rec of written) {
      st.upsertStep.run(
        runId,
        rec.stepId,
        rec.status,
        rec.attempt,
        rec.outputJson ?? null,
        s(rec.error),
        rec.startedAt ?? null,
        rec.finishedAt ?? null,
        rec.seq ?? null,
        s(rec.wait),
        s(rec.map),
        rec.compensation ?? null,
        rec.compensationAttempt ?? null,
      );
    }
    const approvals = approvalChanges(row, snap.steps, written, now);
    for (const a of approvals.upserts) st.upsertApproval.run(...APPROVAL_COLUMNS.map((c) => a[c]));
    for (const stepId of approvals.deletes) st.deleteApproval.run(runId, stepId);
    if (t.items) {
      t.items.values.forEach((value, i) => {
        st.insertItem.run(runId, t.items?.stepId, i, JSON.stringify(value === undefined ? null : value));
      });
    }
    for (const r of t.itemResults)
      st.itemResult.run(r.ok ? 1 : 0, r.outputJson ?? null, s(r.error), runId, r.stepId, r.index);
    if (t.aggregateMap) {
      const outputJson = this.aggregateMap(runId, t.aggregateMap.stepId, t.aggregateMap.collect);
      const i = written.findIndex((r) => r.stepId === t.aggregateMap?.stepId);
      if (i >= 0) written[i] = { ...(written[i] as StepRecord), outputJson };
    }
    const after = new Map(snap.steps);
    for (const rec of written) after.set(rec.stepId, rec);

    // The run row first: tasks leased below read it (a compensation needs the run's error).
    const r = t.run;
    if (r) {
      st.updateRun.run(
        r.status ?? row.status,
        r.phase ?? row.phase,
        r.error === undefined ? row.error : s(r.error ?? undefined),
        r.outputJson ?? null,
        r.startedAt ?? null,
        r.finishedAt ?? null,
        runId,
      );
    }
    const events = historyRows(t, startedSteps, now);
    const leased: ClaimedTask[] = [];
    let wake = false;
    let timerWritten = false;
    const priority = row.priority;
    t.tasks.forEach((task, i) => {
      const lease = dispatch !== undefined && leases[i] === true;
      const visibleAt = lease ? now + dispatch.leaseMs : now + task.delayMs;
      const info = st.insertTask.run(
        runId,
        task.kind,
        task.stepId,
        task.item,
        task.attempt,
        priority,
        visibleAt,
        lease ? dispatch.workerId : null,
        lease ? now : null,
        row.tenant,
        row.concurrency_key ?? null,
        row.concurrency_limit ?? null,
      );
      if (lease) {
        events.push(
          attemptStartedRow(task, dispatch.workerId, now, task.kind === 'step' && task.attempt === 1),
        );
        leased.push(this.claimed(Number(info.lastInsertRowid), runId, task, visibleAt, now, row, after));
      } else {
        wake = true;
      }
    });
    this.insertEvents(runId, events);
    for (const timer of t.timers) {
      st.insertTimer.run(runId, timer.stepId, timer.kind, timer.fireAt);
      timerWritten = true;
    }
    for (const wait of t.waits) {
      st.insertWait.run(runId, wait.stepId, wait.key, wait.since, row.tenant);
      // An event that arrived after the run began but before it reached this wait counts, unless it
      // was published for another tenant.
      const early = st.eventSince.get(wait.key, wait.since, row.tenant, runId) as
        | { id: number; payload: string }
        | undefined;
      if (early) {
        st.deliver.run(runId, early.id);
        queue.push({
          runId,
          command: { type: 'event', stepId: wait.stepId, key: wait.key, payload: JSON.parse(early.payload) },
        });
      }
    }
    this.remember(row, snap, t, after);
    const status = finishedStatus(t);
    if (status) this.finished.push({ id: runId, status });
    for (const child of t.children) this.createChild(row, child, now, queue);
    queue.push(...t.followUps);
    if (wake || timerWritten) this.deps.signalWork(timerWritten);
    return leased;
  }

  private aggregateMap(runId: string, stepId: string, collect: boolean): string {
    const rows = this.st.itemOutputs.all(runId, stepId) as {
      ok: number;
      output: string | null;
      error: string | null;
    }[];
    const parts = rows.map((r) => {
      if (!collect) return r.output ?? 'null';
      return r.ok ? `{"ok":true,"value":${r.output ?? 'null'}}` : `{"ok":false,"error":${r.error ?? 'null'}}`;
    });
    const json = `[${parts.join(',')}]`;
    this.st.setStepOutput.run(json, runId, stepId);
    return json;
  }

  private createChild(
    parent: RunRow,
    child: Transition['children'][number],
    now: number,
    queue: { runId: string; command: RunCommand }[],
  ): void {
    const version = child.version
      ? this.deps.version(child.version)
      : this.deps.latestVersion(child.workflow);
    if (!version || version.workflow !== child.workflow) {
      queue.push(childNotRegistered(parent.id, child));
      return;
    }
    this.st.insertRun.run(
      child.runId,
      child.workflow,
      version.id,
      JSON.stringify(child.input === undefined ? null : child.input),
      parent.priority,
      parent.tenant,
      null,
      parent.id,
      child.stepId,
      parent.depth + 1,
      parent.trace_id,
      '[]',
      now,
      childDeadline(parent.deadline_at, version.graph.runTimeoutMs, now),
      parent.concurrency_key ?? null,
      parent.concurrency_limit ?? null,
    );
    this.insertEventRaw(child.runId, now, 'run-created', null, {
      parentRunId: parent.id,
      parentStepId: child.stepId,
    });
    queue.push({ runId: child.runId, command: { type: 'start' } });
  }

  /** A task goes back to the queue without an outcome: its step, if it was running, is scheduled again. */
  requeued(task: { run_id: string; kind: string; step_id: string }): void {
    if (task.kind !== 'step') return;
    this.st.requeueStep.run(task.run_id, task.step_id);
    this.invalidate(task.run_id);
  }

  /** Record an attempt that ended. */
  recordAttempt(
    task: { run_id: string; kind: string; step_id: string; item: number; attempt: number },
    workerId: string,
    status: 'succeeded' | 'failed' | 'lost',
    startedAt: number,
    finishedAt: number,
    error?: unknown,
  ): void {
    this.st.insertAttempt.run(
      task.run_id,
      task.kind,
      task.step_id,
      task.item,
      task.attempt,
      workerId,
      status,
      startedAt,
      finishedAt,
      s(error),
    );
  }

  /** Record that a run consumed an event, so a later wait on the same key needs a new one. */
  deliver(runId: string, eventId: number): void {
    this.st.deliver.run(runId, eventId);
  }

  /** Append one history event outside a transition (claims, takeovers, run creation). */
  insertEventRaw(
    runId: string,
    now: number,
    type: string,
    stepId: string | null,
    data?: unknown,
    item?: number,
    attempt?: number,
  ): void {
    this.st.insertEvent.run(runId, now, type, stepId, item ?? null, attempt ?? null, s(data));
  }

  /** Create a run row and start it. Returns the run. */
  createRun(
    request: {
      workflow: string;
      version: WorkflowVersion;
      input: unknown;
      priority: number;
      tenant: string;
      idempotencyKey?: string;
      tags: string[];
      deadlineAt?: number;
      traceId?: string;
      concurrency?: { key: string; limit: number };
      seed?: RunSeed;
    },
    now: number,
    dispatch?: DispatchTarget,
  ): { run: Run; dispatched: ClaimedTask[] } {
    const id = newRunId(now);
    this.st.insertRun.run(
      id,
      request.workflow,
      request.version.id,
      JSON.stringify(request.input === undefined ? null : request.input),
      request.priority,
      request.tenant,
      request.idempotencyKey ?? null,
      null,
      null,
      0,
      request.traceId ?? newTraceId(),
      JSON.stringify(request.tags),
      now,
      request.deadlineAt ?? null,
      request.concurrency?.key ?? null,
      request.concurrency?.limit ?? null,
    );
    this.insertEventRaw(id, now, 'run-created', null, { versionId: request.version.id });
    const limited = this.deps.limited(this.runRow(id) as RunRow);
    const start: RunCommand = { type: 'start', ...(request.seed ? { seed: request.seed } : {}) };
    const dispatched = this.apply(id, start, now, limited ? undefined : dispatch);
    return { run: toRun(this.runRow(id) as RunRow), dispatched };
  }

  /** Record that a worker started a claimed task: step status and history (the leased task is the attempt). */
  recordStart(
    runId: string,
    task: Pick<NewTask, 'kind' | 'stepId' | 'item' | 'attempt'>,
    workerId: string,
    now: number,
  ): void {
    if (task.kind === 'step') {
      this.st.markRunning.run('running', task.attempt, now, runId, task.stepId);
      const rec = this.cache.get(runId)?.snapshot.steps.get(task.stepId);
      if (rec) {
        this.cache.get(runId)?.snapshot.steps.set(task.stepId, {
          ...rec,
          status: 'running',
          attempt: task.attempt,
          startedAt: rec.startedAt ?? now,
        });
      } else {
        this.invalidate(runId);
      }
    }
    const [at, type, stepId, item, attempt, data] = attemptStartedRow(task, workerId, now);
    this.insertEventRaw(
      runId,
      at,
      type,
      stepId,
      data === null ? undefined : JSON.parse(data),
      item ?? undefined,
      attempt ?? undefined,
    );
  }

  /** Append events with as few statements as possible. */
  private insertEvents(runId: string, events: EventRow[]): void {
    for (let i = 0; i < events.length; i += MAX_EVENTS_PER_INSERT) {
      const chunk = events.slice(i, i + MAX_EVENTS_PER_INSERT);
      const params: unknown[] = [];
      for (const e of chunk) params.push(runId, ...e);
      this.eventInsert(chunk.length).run(...params);
    }
  }

  private readonly eventInserts = new Map<number, SqliteStatement>();

  private eventInsert(rows: number): SqliteStatement {
    let stmt = this.eventInserts.get(rows);
    if (!stmt) {
      const values = Array.from({ length: rows }, () => '(?, ?, ?, ?, ?, ?, ?)').join(', ');
      stmt = this.db.prepare(
        `INSERT INTO history (run_id, at, type, step_id, item, attempt, data) VALUES ${values}`,
      );
      this.eventInserts.set(rows, stmt);
    }
    return stmt;
  }

  /** Build the task a worker receives, from the run's state after the transition. */
  private claimed(
    id: number,
    runId: string,
    task: NewTask,
    leaseExpiresAt: number,
    startedAt: number,
    row: RunRow,
    after: Map<string, StepRecord>,
  ): ClaimedTask {
    const only = stepsVisibleTo(this.graphOf(row.version_id), task.kind, task.stepId);
    return this.finishClaim(
      String(id),
      runId,
      task,
      leaseExpiresAt,
      startedAt,
      row,
      settledSteps(after, only),
    );
  }

  /** Build the task a worker receives, reading the run's settled steps from the store. */
  claimedFromRow(task: TaskRow, leaseExpiresAt: number, startedAt: number, row: RunRow): ClaimedTask {
    const rows = this.st.stepOutputs.all(task.run_id) as {
      step_id: string;
      status: string;
      output: string | null;
    }[];
    const kind = task.kind as TaskKind;
    const steps = settledSteps(
      rows.map((r) => ({
        stepId: r.step_id,
        status: r.status as StepRecord['status'],
        outputJson: r.output ?? undefined,
      })),
      stepsVisibleTo(this.graphOf(row.version_id), kind, task.step_id),
    );
    return this.finishClaim(
      String(task.id),
      task.run_id,
      { kind, stepId: task.step_id, item: task.item, attempt: task.attempt },
      leaseExpiresAt,
      startedAt,
      row,
      steps,
    );
  }

  private finishClaim(
    id: string,
    runId: string,
    task: Pick<NewTask, 'kind' | 'stepId' | 'item' | 'attempt'>,
    leaseExpiresAt: number,
    startedAt: number,
    row: RunRow,
    steps: ClaimedTask['steps'],
  ): ClaimedTask {
    const { kind, stepId, item } = task;
    return claimedTask({
      id,
      kind,
      runId,
      stepId,
      item,
      attempt: task.attempt,
      leaseExpiresAt,
      startedAt,
      row,
      steps,
      itemInputJson:
        kind === 'item'
          ? (this.st.itemInput.get(runId, stepId, item) as { input: string } | undefined)?.input
          : undefined,
      runErrorJson:
        kind === 'compensate' || kind === 'finalize' ? (this.st.run.get(runId) as RunRow).error : undefined,
    });
  }
}
