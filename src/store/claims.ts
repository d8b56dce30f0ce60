/**
 * What every adapter builds the same way when it leases a task: the task a worker receives, the
 * `attempt-started` history event, a child run's deadline and the failure of an attempt that lost its
 * worker too often. Pure functions over the shared rows.
 * @module
 */
import type { StepRecord } from '../core/commands.js';
import type { ClaimedTask, StepOutcome, TaskKind } from '../core/types.js';
import type { RunRow } from './rows.js';

/** Lease expiries one attempt may survive before it counts as failed. */
export const MAX_TAKEOVERS = 2;

/** The `data` of an `attempt-started` history event, as JSON. */
export function attemptStartedData(kind: string, workerId: string, scheduled = false): string {
  return `{"workerId":${JSON.stringify(workerId)},"kind":"${kind}"${scheduled ? ',"scheduled":true' : ''}}`;
}

/** The settled (succeeded or skipped) steps of a run, as a claimed task carries them. */
export function settledSteps(
  records: Iterable<Pick<StepRecord, 'stepId' | 'status' | 'outputJson'>>,
): ClaimedTask['steps'] {
  const steps: ClaimedTask['steps'] = {};
  for (const rec of records) {
    if (rec.status === 'succeeded' || rec.status === 'skipped') {
      steps[rec.stepId] = {
        status: rec.status,
        output:
          rec.outputJson === undefined || rec.outputJson === null ? undefined : JSON.parse(rec.outputJson),
      };
    }
  }
  return steps;
}

/** The task a worker receives. */
export function claimedTask(task: {
  id: string;
  kind: TaskKind;
  runId: string;
  stepId: string;
  item: number;
  attempt: number;
  leaseExpiresAt: number;
  startedAt: number;
  row: RunRow;
  steps: ClaimedTask['steps'];
  itemInputJson?: string | undefined;
  runErrorJson?: string | null | undefined;
}): ClaimedTask {
  const { row } = task;
  const claimed: ClaimedTask = {
    id: task.id,
    kind: task.kind,
    runId: task.runId,
    stepId: task.stepId,
    item: task.item,
    attempt: task.attempt,
    leaseExpiresAt: task.leaseExpiresAt,
    startedAt: task.startedAt,
    run: {
      id: row.id,
      workflow: row.workflow,
      versionId: row.version_id,
      input: JSON.parse(row.input),
      tenant: row.tenant,
      priority: row.priority,
      depth: row.depth,
      traceId: row.trace_id,
      createdAt: row.created_at,
      ...(row.deadline_at === null ? {} : { deadlineAt: row.deadline_at }),
      ...(row.parent_run_id === null ? {} : { parentRunId: row.parent_run_id }),
    },
    steps: task.steps,
  };
  if (task.kind === 'item') {
    claimed.itemValue = task.itemInputJson === undefined ? undefined : JSON.parse(task.itemInputJson);
  }
  if ((task.kind === 'compensate' || task.kind === 'finalize') && task.runErrorJson) {
    claimed.runError = JSON.parse(task.runErrorJson);
  }
  return claimed;
}

/** The outcome recorded when the same attempt lost its worker more than {@link MAX_TAKEOVERS} times. */
export function lostTooOften(attempt: number, takeovers: number): StepOutcome {
  // It may be what kills its workers: count it as a failed attempt, so the step's retry policy bounds it.
  return {
    type: 'failed',
    error: {
      code: 'WORKER_LOST_LEASE',
      message: `attempt ${attempt} lost its worker ${takeovers} times (crash or stall in the step?)`,
      retryable: true,
    },
  };
}

/** A child run ends by its parent's deadline, and by its own workflow's timeout if that comes first. */
export function childDeadline(
  parentDeadline: number | null,
  ownTimeoutMs: number | undefined,
  now: number,
): number | null {
  const own = ownTimeoutMs === undefined ? null : now + ownTimeoutMs;
  if (parentDeadline === null) return own;
  return own === null ? parentDeadline : Math.min(parentDeadline, own);
}
