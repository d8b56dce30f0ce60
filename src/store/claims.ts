/**
 * What every adapter builds the same way when it leases a task: the task a worker receives, the
 * `attempt-started` history event, a child run's deadline and the failure of an attempt that lost its
 * worker too often. Pure functions over the shared rows.
 * @module
 */
import type { StepRecord } from '../core/commands.js';
import type { ClaimedTask, Graph, StepOutcome, TaskKind } from '../core/types.js';
import type { RunRow } from './rows.js';

/** Lease expiries one attempt may survive before it counts as failed. */
export const MAX_TAKEOVERS = 2;

/**
 * The settled (succeeded or skipped) steps of a run, as a claimed task carries them: those in `only`
 * when given (see {@link stepsVisibleTo}), else all.
 */
export function settledSteps(
  records:
    | ReadonlyMap<string, Pick<StepRecord, 'stepId' | 'status' | 'outputJson'>>
    | Iterable<Pick<StepRecord, 'stepId' | 'status' | 'outputJson'>>,
  only?: ReadonlySet<string>,
): ClaimedTask['steps'] {
  const steps: ClaimedTask['steps'] = {};
  const pick = (rec: Pick<StepRecord, 'stepId' | 'status' | 'outputJson'> | undefined) => {
    if (rec && (rec.status === 'succeeded' || rec.status === 'skipped')) {
      steps[rec.stepId] = {
        status: rec.status,
        output:
          rec.outputJson === undefined || rec.outputJson === null ? undefined : JSON.parse(rec.outputJson),
      };
    }
  };
  if (records instanceof Map) {
    if (only) for (const id of only) pick(records.get(id));
    else for (const rec of records.values()) pick(rec);
  } else {
    for (const rec of records as Iterable<Pick<StepRecord, 'stepId' | 'status' | 'outputJson'>>) {
      if (!only || only.has(rec.stepId)) pick(rec);
    }
  }
  return steps;
}

const upstream = new WeakMap<Graph, Map<string, ReadonlySet<string>>>();

/**
 * The steps whose outputs a task sees: for a step or a map item, the steps it depends on, directly or
 * through others (the only ones settled whatever the timing); for compensations and the run's output,
 * every step (undefined). A task of a wide graph so carries what it can use, not the whole run.
 */
export function stepsVisibleTo(
  graph: Graph,
  kind: TaskKind,
  stepId: string,
): ReadonlySet<string> | undefined {
  if (kind !== 'step' && kind !== 'item') return undefined;
  let byStep = upstream.get(graph);
  if (!byStep) {
    byStep = new Map();
    upstream.set(graph, byStep);
  }
  const known = byStep.get(stepId);
  if (known) return known;
  const needs = new Map(graph.steps.map((s) => [s.id, s.needs]));
  const seen = new Set<string>();
  const stack = [...(needs.get(stepId) ?? [])];
  while (stack.length > 0) {
    const id = stack.pop() as string;
    if (seen.has(id)) continue;
    seen.add(id);
    stack.push(...(needs.get(id) ?? []));
  }
  byStep.set(stepId, seen);
  return seen;
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
      tags: row.tags ? (JSON.parse(row.tags) as string[]) : [],
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

/** A ready task a claim may take. */
export interface ClaimCandidate {
  id: number;
  tenant: string;
  priority: number;
  visible_at: number;
  concurrency_key: string | null;
  concurrency_limit: number | null;
}

/** The limit of a tenant under the `tenantConcurrency` option, if any. */
export function tenantLimit(
  option: number | Record<string, number> | undefined,
  tenant: string,
): number | undefined {
  if (option === undefined) return undefined;
  if (typeof option === 'number') return option;
  return option[tenant] ?? option['*'];
}

/** True when claims, not dispatch, decide who runs a run's tasks: a concurrency limit applies to it. */
export function isLimited(
  row: { tenant: string; concurrency_limit?: number | null },
  option: number | Record<string, number> | undefined,
): boolean {
  return (row.concurrency_limit ?? null) !== null || tenantLimit(option, row.tenant) !== undefined;
}

/**
 * Fair claim order: higher priority first; within a priority, tenants take turns (each tenant's best
 * task, then each tenant's second…), so one tenant's backlog cannot starve another's runs.
 */
export function fairOrder<C extends ClaimCandidate>(candidates: C[]): C[] {
  const seen = new Map<string, number>();
  return candidates
    .map((c) => {
      const rank = seen.get(c.tenant) ?? 0;
      seen.set(c.tenant, rank + 1);
      return { c, rank };
    })
    .sort((a, b) => b.c.priority - a.c.priority || a.rank - b.rank || a.c.visible_at - b.c.visible_at)
    .map((x) => x.c);
}

/** The ids to lease, in order, within `limit` and the tenant and concurrency-key limits. */
export function pickWithinLimits(
  ordered: ClaimCandidate[],
  limit: number,
  limitOf: (tenant: string) => number | undefined,
  leasedByTenant: Map<string, number>,
  leasedByKey: Map<string, number>,
): number[] {
  const out: number[] = [];
  for (const c of ordered) {
    if (out.length >= limit) break;
    const tenantMax = limitOf(c.tenant);
    const tenantNow = leasedByTenant.get(c.tenant) ?? 0;
    if (tenantMax !== undefined && tenantNow >= tenantMax) continue;
    if (c.concurrency_limit !== null && c.concurrency_key !== null) {
      const keyNow = leasedByKey.get(c.concurrency_key) ?? 0;
      if (keyNow >= c.concurrency_limit) continue;
      leasedByKey.set(c.concurrency_key, keyNow + 1);
    }
    leasedByTenant.set(c.tenant, tenantNow + 1);
    out.push(c.id);
  }
  return out;
}
