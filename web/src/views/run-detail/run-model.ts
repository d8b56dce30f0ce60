/**
 * The run model the run page draws (graph and timeline): one row per step, the items of each `map`
 * step as a group, and each attempt of a step or item as its own bar with its queue delay and its
 * execution. Built once from the run (`GET /v1/runs/{id}`), its history (`GET /v1/runs/{id}/history`,
 * paged) and its version's graph (`GET /v1/workflows/{name}`), then updated event by event from the live
 * stream (`GET /v1/runs/{id}/events`) with {@link applyEvents}, which copies only what an event changes:
 * a live 5,000-item run does not rebuild its rows on every event.
 *
 * Pure: no React, no I/O except {@link loadRunHistory}, which takes the API client.
 *
 * Glossary (the engine's, see `docs/api.md`):
 * - queue delay: `startedAt − scheduledAt` of an attempt (a retry's backoff, `readyAt − scheduledAt`,
 *   is part of it);
 * - execution: `finishedAt − startedAt`;
 * - group: the items of one `map` step; item rows hang under their map step's row.
 * @module
 */
import type { DagEdge, DagNode, WorkflowGraph } from '../../components/graph/dag-types';
import { Draft, ENDED_ATTEMPT, FINALIZE_ROW, TERMINAL_RUN } from './run-model-draft';

export { FINALIZE_ROW, itemKey, SETTLED_ROW } from './run-model-draft';

/** One history event, as `GET /v1/runs/{id}/history` and each SSE message's `data` carry it. */
export interface RunHistoryEvent {
  runId: string;
  seq: number;
  at: number;
  type: string;
  stepId?: string;
  item?: number;
  attempt?: number;
  data?: unknown;
}

/** A step's state as `GET /v1/runs/{id}` returns it in `steps`. */
export interface RunStepState {
  stepId: string;
  status: string;
  attempt: number;
  output?: unknown;
  error?: RunError;
  startedAt?: number;
  finishedAt?: number;
}

/** An error as the API gives it. */
export interface RunError {
  code: string;
  message: string;
  retryable?: boolean;
  details?: unknown;
}

/** The run as `GET /v1/runs/{id}` returns it (the fields the model reads). */
export interface RunWithSteps {
  id: string;
  workflow: string;
  versionId: string;
  status: string;
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  error?: RunError;
  steps: RunStepState[];
}

/** What kind of task an attempt ran. */
export type AttemptKind = 'step' | 'item' | 'compensate' | 'finalize';

/**
 * Status of one attempt: `lost` when its worker's lease expired (the same attempt number runs again),
 * `released` when the worker handed the task back unstarted (shutdown, rate limit).
 */
export type AttemptStatus =
  | 'scheduled'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'skipped'
  | 'lost'
  | 'released'
  | 'cancelled';

/** One attempt of a step, an item, a compensation or the run's output: one bar of the timeline. */
export interface AttemptBar {
  /** The attempt number, from 1 (a lease takeover runs the same number again, as another bar). */
  attempt: number;
  kind: AttemptKind;
  status: AttemptStatus;
  /** When the task was created (queued). */
  scheduledAt: number;
  /** A retry's or a release's backoff: the task was not claimable before this. */
  readyAt?: number;
  /** When a worker claimed it. */
  startedAt?: number;
  finishedAt?: number;
  workerId?: string;
  /** Why it failed (an item's failed attempt before a retry carries the code only). */
  error?: RunError;
}

/** Status of a row: a step's status, or `pending` before anything happened to it. */
export type RowStatus =
  | 'pending'
  | 'scheduled'
  | 'running'
  | 'waiting'
  | 'succeeded'
  | 'failed'
  | 'skipped'
  | 'cancelled';

/** A period a step spent waiting (sleep, event, approval, child run). */
export interface WaitSpan {
  for: string;
  from: number;
  /** When the wait ended; open while waiting. */
  to?: number;
  /** The event key, for event waits. */
  key?: string;
  /** The timer, timeout or deadline, when there is one. */
  until?: number;
}

/**
 * One row of the run: a step, or one item of a `map` step (then `group` is the map step's id and
 * `item` the index; `key` is `<stepId>#<item>`), or the run's output (`kind` `finalize`).
 */
export interface StepRow {
  /** Unique among rows: the step id, `<stepId>#<item>` for an item, {@link FINALIZE_ROW} for the output. */
  key: string;
  stepId: string;
  kind: string;
  status: RowStatus;
  /** For items: the map step they belong to. */
  group?: string;
  /** For items: the index of the item. */
  item?: number;
  attempts: AttemptBar[];
  /** When the first attempt was scheduled (or the row was settled without one). */
  scheduledAt?: number;
  finishedAt?: number;
  error?: RunError;
  waits?: WaitSpan[];
  /** A `workflow` step's child run. */
  childRunId?: string;
  /** A forked run took this step's output from that run. */
  reusedFrom?: string;
  /** Why the step was skipped. */
  skipReason?: string;
  compensation?: 'running' | 'done' | 'failed';
}

/** The items of one `map` step. */
export interface StepGroup {
  /** The map step. */
  stepId: string;
  /** Items the step fanned out into. */
  total: number;
  /** Items in each status (every item is counted once; `pending` ones too). */
  counts: Partial<Record<RowStatus, number>>;
  /** One row per item, by index. */
  items: StepRow[];
  /** Items scheduled so far (the engine schedules them in index order, `concurrency` at a time). */
  scheduled: number;
  /** Items run in parallel at most (from the version's graph; unknown: every item counts as queued at fan-out). */
  concurrency?: number;
}

/** The run model: what the graph and the timeline of a run draw. */
export interface RunModel {
  runId: string;
  workflow: string;
  status: string;
  /** One row per step of the version, in the graph's order (needs first), then the output row if any. */
  steps: StepRow[];
  /** The items of each `map` step that fanned out, by step id. */
  groups: Record<string, StepGroup>;
  /** The run's time span: from its creation to its end, or to the latest event while it runs. */
  span: { start: number; end: number };
  /** The last history seq applied: resume the event stream after it (`?after=`). */
  lastSeq: number;
  /** Bumped by every change, so views can memoize on it. */
  revision: number;
  /** The version's graph, when known. */
  graph?: WorkflowGraph;
  /** Row index in `steps` of each step id (shared between revisions; only grows). */
  index: Map<string, number>;
}

/** Queue delay of an attempt in ms (until now while it is still queued). */
export function queueDelayMs(bar: AttemptBar, now = Date.now()): number {
  return (bar.startedAt ?? (ENDED_ATTEMPT.has(bar.status) ? (bar.finishedAt ?? now) : now)) - bar.scheduledAt;
}

/** Execution time of an attempt in ms (until now while it runs); undefined if it never started. */
export function executionMs(bar: AttemptBar, now = Date.now()): number | undefined {
  if (bar.startedAt === undefined) return undefined;
  return (bar.finishedAt ?? now) - bar.startedAt;
}

/**
 * Builds the model of a run from its state, its whole history (in seq order) and its version's graph.
 * Steps with no event in `history` take their status from `run.steps`.
 */
export function buildRunModel(input: {
  run: RunWithSteps;
  history: readonly RunHistoryEvent[];
  graph?: WorkflowGraph;
}): RunModel {
  const { run, graph } = input;
  const model: RunModel = {
    runId: run.id,
    workflow: run.workflow,
    status: run.status,
    steps: [],
    groups: {},
    span: { start: run.createdAt, end: run.finishedAt ?? run.startedAt ?? run.createdAt },
    lastSeq: 0,
    revision: 0,
    index: new Map(),
    ...(graph ? { graph } : {}),
  };
  const draft = new Draft(model, true);
  for (const step of orderSteps(graph, run.steps)) draft.addRow(step.id, step.kind);
  for (const e of input.history) draft.apply(e);
  for (const s of run.steps) {
    const i = model.index.get(s.stepId);
    const row = i === undefined ? undefined : model.steps[i];
    if (row?.status !== 'pending') continue;
    draft.updateRow(s.stepId, (r) => {
      r.status = toRowStatus(s.status);
      if (s.finishedAt !== undefined) r.finishedAt = s.finishedAt;
      if (s.error) r.error = s.error;
    });
  }
  if (run.finishedAt !== undefined) model.span.end = run.finishedAt;
  model.status = TERMINAL_RUN.has(run.status) ? run.status : liveStatus(model);
  return model;
}

/**
 * The model after `events` (live events, in seq order; those at or before `model.lastSeq` are ignored,
 * so a reconnect that replays some is harmless). Returns a new model sharing every row, group and array
 * the events did not touch; `model` itself is left as it was.
 */
export function applyEvents(model: RunModel, events: readonly RunHistoryEvent[]): RunModel {
  const fresh = events.filter((e) => e.seq > model.lastSeq);
  if (fresh.length === 0) return model;
  const next: RunModel = { ...model, span: { ...model.span }, revision: model.revision + 1 };
  const draft = new Draft(next, false);
  for (const e of fresh) draft.apply(e);
  if (!TERMINAL_RUN.has(next.status)) next.status = liveStatus(next);
  return next;
}

/**
 * The status of a run that has not ended, as the engine derives it: `waiting` when steps wait and none
 * is queued or running, `running` once started, `queued` before.
 */
function liveStatus(model: RunModel): string {
  let started = false;
  let active = false;
  let waiting = false;
  for (const row of model.steps) {
    if (row.status !== 'pending') started = true;
    if (row.status === 'scheduled' || row.status === 'running') active = true;
    else if (row.status === 'waiting') waiting = true;
  }
  if (waiting && !active) return 'waiting';
  return model.status === 'queued' && !started ? 'queued' : 'running';
}

/** {@link applyEvents} for one event (an SSE message's parsed `data`). */
export function applyEvent(model: RunModel, event: RunHistoryEvent): RunModel {
  return applyEvents(model, [event]);
}

/**
 * The graph of the run for {@link DagGraph}: one node per step of the version with its status, a
 * `map` step's items grouped into that one node with their counts. Without the version's graph, the
 * rows are drawn as nodes with no edges.
 */
export function dagOfRun(model: RunModel): { nodes: DagNode[]; edges: DagEdge[] } {
  const nodes: DagNode[] = [];
  for (const row of model.steps) {
    if (row.key === FINALIZE_ROW) continue;
    const group = model.groups[row.stepId];
    nodes.push({
      id: row.stepId,
      kind: row.kind,
      status: row.status,
      ...(group ? { counts: countsOf(group) } : {}),
    });
  }
  const edges: DagEdge[] = [];
  if (model.graph) {
    for (const s of model.graph.steps)
      for (const n of s.needs) if (model.index.has(n)) edges.push({ from: n, to: s.id });
  }
  return { nodes, edges };
}

/** A group's counts without the zero entries. */
export function countsOf(group: StepGroup): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(group.counts)) if (v) out[k] = v;
  return out;
}

/**
 * The rows the timeline shows: each step, and under a `map` step its items when `expanded` holds its id.
 * The output row comes last.
 */
export function visibleRows(model: RunModel, expanded: ReadonlySet<string>): StepRow[] {
  const rows: StepRow[] = [];
  for (const row of model.steps) {
    rows.push(row);
    const group = model.groups[row.stepId];
    if (group && expanded.has(row.stepId)) for (const item of group.items) rows.push(item);
  }
  return rows;
}

/** The row of `key` (a step id, an item key from {@link itemKey}, or {@link FINALIZE_ROW}). */
export function rowOf(model: RunModel, key: string): StepRow | undefined {
  const i = model.index.get(key);
  if (i !== undefined) return model.steps[i];
  const hash = key.lastIndexOf('#');
  if (hash < 0) return undefined;
  return model.groups[key.slice(0, hash)]?.items[Number(key.slice(hash + 1))];
}

/**
 * Reads a run's whole history, page after page (`limit` events a request), after `afterSeq`.
 * @defaultValue pageSize 5000 (the API's maximum)
 */
export async function loadRunHistory(
  api: { get<T>(path: string, query?: Record<string, string | number | undefined>): Promise<T> },
  runId: string,
  options: { afterSeq?: number; pageSize?: number; signal?: AbortSignal } = {},
): Promise<RunHistoryEvent[]> {
  const limit = options.pageSize ?? 5000;
  const all: RunHistoryEvent[] = [];
  let after = options.afterSeq;
  for (;;) {
    if (options.signal?.aborted) throw options.signal.reason;
    const page = await api.get<{ data: RunHistoryEvent[] }>(`/v1/runs/${encodeURIComponent(runId)}/history`, {
      limit,
      afterSeq: after,
    });
    for (const e of page.data) all.push(e);
    const last = page.data.at(-1);
    if (page.data.length < limit || !last) return all;
    after = last.seq;
  }
}

const ROW_STATUSES: ReadonlySet<string> = new Set([
  'pending',
  'scheduled',
  'running',
  'waiting',
  'succeeded',
  'failed',
  'skipped',
  'cancelled',
]);

function toRowStatus(s: string): RowStatus {
  return ROW_STATUSES.has(s) ? (s as RowStatus) : 'pending';
}

/** The version's steps with needs before dependents: by depth (longest path from a root), then graph order. */
function orderSteps(
  graph: WorkflowGraph | undefined,
  states: readonly RunStepState[],
): { id: string; kind: string }[] {
  if (!graph) return states.map((s) => ({ id: s.stepId, kind: 'step' }));
  const byId = new Map(graph.steps.map((s) => [s.id, s]));
  const depth = new Map<string, number>();
  const depthOf = (id: string, seen: Set<string>): number => {
    const known = depth.get(id);
    if (known !== undefined) return known;
    // A cycle cannot be registered; should one arrive anyway, cut it rather than recurse forever.
    if (seen.has(id)) return 0;
    seen.add(id);
    let d = 0;
    for (const n of byId.get(id)?.needs ?? []) if (byId.has(n)) d = Math.max(d, depthOf(n, seen) + 1);
    depth.set(id, d);
    return d;
  };
  const order = graph.steps.map((s, i) => ({ id: s.id, kind: s.kind, d: depthOf(s.id, new Set()), i }));
  order.sort((a, b) => a.d - b.d || a.i - b.i);
  const out = order.map(({ id, kind }) => ({ id, kind }));
  for (const s of states) if (!byId.has(s.stepId)) out.push({ id: s.stepId, kind: 'step' });
  return out;
}
