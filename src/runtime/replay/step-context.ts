/**
 * The context a replayed step body receives: built as the worker builds it for a task of the
 * recorded run (same run id, tenant, tags, idempotency key), so the body sees what it saw then.
 * @module
 */
import type { StepContext } from '../../core/definition.js';
import type { Run, StepStatus } from '../../core/types.js';
import { BUDGET_TAG } from '../worker.js';

/** The settled steps a replayed step may see: output and status by id. */
export type VisibleSteps = ReadonlyMap<string, { status: StepStatus; output: unknown }>;

/** The step context of `stepId` in a replay of `run` on version `versionId`. */
export function replayContext(
  run: Run,
  versionId: string,
  stepId: string,
  visible: VisibleSteps,
  signal: AbortSignal,
): StepContext {
  const steps: Record<string, unknown> = {};
  const status: Record<string, StepStatus> = {};
  for (const [id, s] of visible) {
    steps[id] = s.output;
    status[id] = s.status;
  }
  const tag = run.tags.find((t) => t.startsWith(BUDGET_TAG));
  const usd = tag === undefined ? Number.NaN : Number(tag.slice(BUDGET_TAG.length));
  return {
    input: run.input,
    steps,
    status,
    run: {
      id: run.id,
      workflow: run.workflow,
      versionId,
      tenant: run.tenant,
      traceId: run.traceId,
      depth: run.depth,
      createdAt: run.createdAt,
      tags: run.tags,
      ...(Number.isFinite(usd) && usd > 0 ? { budgetUsd: usd } : {}),
    },
    step: { id: stepId, attempt: 1 },
    idempotencyKey: `${run.id}:${stepId}`,
    signal,
  };
}
