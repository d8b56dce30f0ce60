/**
 * What both adapters decide the same way before they write a transition: which new tasks the
 * completing worker takes at once (and so which steps are written as running), the history rows, the
 * run row after the transition, and what a child run of an unregistered workflow turns into. Pure.
 * @module
 */
import type { NewTask, RunCommand, StepRecord, Transition } from '../core/commands.js';
import type { RunRow } from './rows.js';

/** Who gets successor tasks leased in the same transaction. */
export interface DispatchTarget {
  workerId: string;
  limit: number;
  leaseMs: number;
}

/** A history row without its run: at, type, step, item, attempt, data. */
export type EventRow = [number, string, string | null, number | null, number | null, string | null];

/** JSON text of a value, or null when there is none. */
export const jsonOrNull = (json: unknown): string | null =>
  json === undefined ? null : JSON.stringify(json);

/** Which of a transition's tasks the worker takes, and the step records as they are to be written. */
export interface LeasePlan {
  /** Per task of `t.tasks`: leased to the dispatch target in this transaction. */
  leases: boolean[];
  granted: number;
  /** Steps started by a leased task, with the attempt. */
  startedSteps: Map<string, number>;
  /** The transition's step records, those started here as `running`. */
  written: Map<string, StepRecord>;
}

/** Decide first which new tasks the worker takes, so their step rows are written once, as running. */
export function planLeases(t: Transition, dispatch: DispatchTarget | undefined, now: number): LeasePlan {
  let granted = 0;
  const leases = t.tasks.map((task) => {
    const lease = dispatch !== undefined && task.delayMs === 0 && granted < dispatch.limit;
    if (lease) granted++;
    return lease;
  });
  const startedSteps = new Map<string, number>();
  t.tasks.forEach((task, i) => {
    if (leases[i] && task.kind === 'step') startedSteps.set(task.stepId, task.attempt);
  });
  const written = new Map<string, StepRecord>();
  for (const plain of t.steps) {
    const started = startedSteps.get(plain.stepId);
    written.set(
      plain.stepId,
      started === undefined
        ? plain
        : { ...plain, status: 'running', attempt: started, startedAt: plain.startedAt ?? now },
    );
  }
  return { leases, granted, startedSteps, written };
}

/**
 * The transition's history rows. A step the worker starts in this transaction was scheduled at this
 * same instant: its `attempt-started` says so (`scheduled: true`), and a separate `step-scheduled`
 * would repeat it.
 */
export function historyRows(t: Transition, startedSteps: Map<string, number>, now: number): EventRow[] {
  const events =
    startedSteps.size === 0
      ? t.events
      : t.events.filter((e) => !(e.type === 'step-scheduled' && startedSteps.has(e.stepId as string)));
  return events.map((e) => [
    e.at ?? now,
    e.type,
    e.stepId ?? null,
    e.item ?? null,
    e.attempt ?? null,
    jsonOrNull(e.data),
  ]);
}

/** The `attempt-started` row of a task leased as it is created or claimed. */
export function attemptStartedRow(
  task: Pick<NewTask, 'kind' | 'stepId' | 'item' | 'attempt'>,
  workerId: string,
  now: number,
  scheduled = false,
): EventRow {
  return [
    now,
    'attempt-started',
    task.stepId || null,
    task.item >= 0 ? task.item : null,
    task.attempt,
    `{"workerId":${JSON.stringify(workerId)},"kind":"${task.kind}"${scheduled ? ',"scheduled":true' : ''}}`,
  ];
}

/** The run row as the transition leaves it. */
export function runRowAfter<R extends RunRow>(row: R, t: Transition): R {
  const u = t.run;
  if (!u) return row;
  return {
    ...row,
    status: u.status ?? row.status,
    phase: u.phase ?? row.phase,
    error: u.error === undefined ? row.error : jsonOrNull(u.error ?? undefined),
    output: u.outputJson ?? row.output,
    started_at: u.startedAt ?? row.started_at,
    finished_at: u.finishedAt ?? row.finished_at,
  };
}

/** A child run whose workflow or version is not registered fails its step at once. */
export function childNotRegistered(
  parentRunId: string,
  child: Transition['children'][number],
): {
  runId: string;
  command: RunCommand;
} {
  return {
    runId: parentRunId,
    command: {
      type: 'child-finished',
      stepId: child.stepId,
      childRunId: child.runId,
      status: 'failed',
      error: {
        code: child.version ? 'VERSION_NOT_FOUND' : 'WORKFLOW_NOT_FOUND',
        message: `child workflow ${child.version ?? child.workflow} is not registered`,
      },
    },
  };
}

/** The terminal status a transition gives its run, if it does. */
export function finishedStatus(t: Transition): 'succeeded' | 'failed' | 'cancelled' | undefined {
  const status = t.run?.status;
  return status === 'succeeded' || status === 'failed' || status === 'cancelled' ? status : undefined;
}
