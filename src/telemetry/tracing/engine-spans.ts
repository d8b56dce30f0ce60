/**
 * The spans of the engine's own work, the `invoke_workflow` span of a run and the span of each step
 * attempt, derived from what the store already keeps: the run and its attempt records. They are not
 * written to the span store: a busy worker would write a row per step a second time (the attempt is
 * recorded in the same transaction as the step's outcome), and a worker killed mid-step would lose
 * its span where the store keeps the attempt as `lost`. Model, tool and agent spans, which only the
 * tracing sees, are stored; their parents are these derived spans, whose ids any process computes
 * (ids.ts). {@link readRunTrace} puts the two together.
 * @module
 */
import { toErrorInfo } from '../../core/errors.js';
import type { Run } from '../../core/types.js';
import type { AttemptRecord, Store } from '../../store/port.js';
import type { SpanStore, StoredSpan } from '../spans/port.js';
import { attemptSpanId, otelTraceId, runSpanId } from './ids.js';
import { PARENT_SPAN_TAG } from './parent-span-tag.js';

/** What the run span needs of a run. */
export type RunOfSpan = Pick<
  Run,
  | 'id'
  | 'workflow'
  | 'versionId'
  | 'tenant'
  | 'status'
  | 'depth'
  | 'traceId'
  | 'createdAt'
  | 'finishedAt'
  | 'parentRunId'
  | 'parentStepId'
  | 'error'
  | 'tags'
>;

/**
 * The `invoke_workflow` span of a run. One still going has status unset, `baton.in_progress`, and
 * ends at `lastSeen` (the latest time known of it, so that reading it twice gives the same span).
 */
export function runSpan(
  run: RunOfSpan,
  parentSpanId: string | undefined,
  lastSeen = run.createdAt,
): StoredSpan {
  const traceId = otelTraceId(run.traceId);
  const attributes: Record<string, unknown> = {
    'gen_ai.operation.name': 'invoke_workflow',
    'gen_ai.workflow.name': run.workflow,
    'baton.run_id': run.id,
    'baton.workflow': run.workflow,
    'baton.workflow_version': run.versionId,
    'baton.tenant': run.tenant,
    'baton.run.status': run.status,
    'baton.run.depth': run.depth,
  };
  if (traceId !== run.traceId) attributes['baton.trace_id'] = run.traceId;
  if (run.parentRunId) attributes['baton.parent_run_id'] = run.parentRunId;
  if (run.parentStepId) attributes['baton.parent_step_id'] = run.parentStepId;
  const finished = run.finishedAt !== undefined;
  if (finished && run.status !== 'succeeded') {
    attributes['error.type'] = run.error?.code ?? run.status.toUpperCase();
  }
  if (!finished) attributes['baton.in_progress'] = true;
  return {
    traceId,
    spanId: runSpanId(run.id),
    ...(parentSpanId ? { parentSpanId } : {}),
    name: `invoke_workflow ${run.workflow}`,
    kind: 'internal',
    startTime: run.createdAt,
    endTime: run.finishedAt ?? Math.max(lastSeen, run.createdAt),
    status: !finished
      ? { code: 'unset' }
      : run.status === 'succeeded'
        ? { code: 'ok' }
        : { code: 'error', message: run.error?.message ?? run.status },
    attributes,
    runId: run.id,
  };
}

/** The span of one step attempt, from its record; one still running has status unset and no length. */
export function attemptSpan(
  run: Pick<RunOfSpan, 'id' | 'workflow' | 'versionId' | 'tenant' | 'traceId'>,
  attempt: AttemptRecord,
): StoredSpan {
  const label = attempt.kind === 'finalize' ? run.workflow : attempt.stepId;
  const attributes: Record<string, unknown> = {
    'baton.run_id': run.id,
    'baton.task_kind': attempt.kind,
    'baton.attempt': attempt.attempt,
    'baton.workflow': run.workflow,
    'baton.workflow_version': run.versionId,
    'baton.tenant': run.tenant,
    'baton.attempt.status': attempt.status,
    'baton.worker_id': attempt.workerId,
  };
  if (attempt.stepId !== '') attributes['baton.step_id'] = attempt.stepId;
  if (attempt.item >= 0) attributes['baton.item'] = attempt.item;
  const error = attempt.status === 'failed' ? storedError(attempt.error) : undefined;
  if (error) attributes['error.type'] = error.code;
  if (attempt.status === 'running') attributes['baton.in_progress'] = true;
  return {
    traceId: otelTraceId(run.traceId),
    spanId: attemptSpanId(attempt),
    parentSpanId: runSpanId(run.id),
    name: `${attempt.kind} ${label}${attempt.item >= 0 ? `[${attempt.item}]` : ''}`,
    kind: 'internal',
    startTime: attempt.startedAt,
    endTime: attempt.finishedAt ?? attempt.startedAt,
    status:
      attempt.status === 'succeeded'
        ? { code: 'ok' }
        : attempt.status === 'running'
          ? { code: 'unset' }
          : { code: 'error', message: error?.message ?? `attempt ${attempt.status}` },
    attributes,
    runId: run.id,
    ...(attempt.stepId !== '' ? { stepId: attempt.stepId } : {}),
  };
}

/**
 * The span a run's span hangs from: a delegation's tag names it; a workflow step's child hangs from
 * the parent step's attempt that started it (the last one to start before the child was created).
 */
export function parentSpanOf(run: RunOfSpan, parentAttempts: readonly AttemptRecord[]): string | undefined {
  const tag = run.tags.find((t) => t.startsWith(PARENT_SPAN_TAG));
  if (tag) return tag.slice(PARENT_SPAN_TAG.length);
  if (!run.parentRunId || !run.parentStepId) return undefined;
  let attempt = 0;
  for (const a of parentAttempts) {
    if (a.kind === 'step' && a.stepId === run.parentStepId && a.startedAt <= run.createdAt) {
      attempt = Math.max(attempt, a.attempt);
    }
  }
  if (attempt === 0) return undefined;
  return attemptSpanId({ runId: run.parentRunId, kind: 'step', stepId: run.parentStepId, item: -1, attempt });
}

/** Options of {@link readRunTrace}. */
export interface ReadRunTraceOptions {
  /** Most runs of the trace read (the run and its descendants). @defaultValue 200 */
  maxRuns?: number;
}

/**
 * A run's trace: its run and attempt spans and those of its descendant runs (child workflows and
 * delegations), derived from `store`, with the spans `spans` holds for the trace (model, tool and
 * agent calls, and the engine spans older versions stored). By start time.
 */
export async function readRunTrace(
  deps: { store: Pick<Store, 'listAttempts' | 'listRuns'>; spans?: Pick<SpanStore, 'listSpans'> },
  root: Run,
  options: ReadRunTraceOptions = {},
): Promise<StoredSpan[]> {
  const maxRuns = options.maxRuns ?? 200;
  const stored = deps.spans ? await deps.spans.listSpans({ traceId: otelTraceId(root.traceId) }) : [];
  const byId = new Map<string, StoredSpan>();
  const attemptsOf = new Map<string, AttemptRecord[]>();
  const seen = new Set<string>([root.id]);
  const queue: Run[] = [root];
  for (let i = 0; i < queue.length; i++) {
    const run = queue[i] as Run;
    const attempts = await deps.store.listAttempts(run.id);
    attemptsOf.set(run.id, attempts);
    let parentAttempts: AttemptRecord[] = [];
    if (run.parentRunId && run.parentStepId) {
      parentAttempts = attemptsOf.get(run.parentRunId) ?? (await deps.store.listAttempts(run.parentRunId));
    }
    const lastSeen = attempts.reduce((t, a) => Math.max(t, a.finishedAt ?? a.startedAt), run.createdAt);
    byId.set(runSpanId(run.id), runSpan(run, parentSpanOf(run, parentAttempts), lastSeen));
    // A takeover re-runs the attempt under the same number, so the same span id: the last one stands.
    for (const attempt of [...attempts].sort((a, b) => a.startedAt - b.startedAt)) {
      const span = attemptSpan(run, attempt);
      byId.set(span.spanId, span);
    }
    if (queue.length >= maxRuns) continue;
    const children = [
      ...(await deps.store.listRuns({ parentRunId: run.id, limit: maxRuns })),
      ...(await deps.store.listRuns({ tag: `parent-run:${run.id}`, limit: maxRuns })),
    ];
    for (const child of children) {
      if (seen.has(child.id) || queue.length >= maxRuns) continue;
      seen.add(child.id);
      queue.push(child);
    }
  }
  // Stored spans win: they carry what only the tracing saw (and older versions stored these too).
  for (const span of stored) byId.set(span.spanId, span);
  return [...byId.values()].sort((a, b) => a.startTime - b.startTime || a.spanId.localeCompare(b.spanId));
}

/** An attempt's stored error (an `ErrorInfo` as JSON), or what can be made of another value. */
function storedError(error: unknown): { code: string; message: string } {
  const e = error as { code?: unknown; message?: unknown } | null | undefined;
  if (typeof e?.code === 'string' && typeof e.message === 'string')
    return { code: e.code, message: e.message };
  return toErrorInfo(error);
}
