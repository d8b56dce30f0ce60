import type { StepRecord } from '../core/commands.js';
import type { HistoryEvent, Run, StepState, WorkflowVersion } from '../core/types.js';
import type { AttemptRecord } from './port.js';

/** A `runs` row. */
export interface RunRow {
  id: string;
  workflow: string;
  version_id: string;
  status: string;
  phase: string;
  input: string;
  output: string | null;
  error: string | null;
  priority: number;
  tenant: string;
  idempotency_key: string | null;
  parent_run_id: string | null;
  parent_step_id: string | null;
  depth: number;
  trace_id: string;
  tags: string;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  deadline_at: number | null;
  /** Runs sharing a key share a limit on tasks leased at once (adapters with fair claims). */
  concurrency_key?: string | null;
  concurrency_limit?: number | null;
}

/** A `steps` row. */
export interface StepRow {
  run_id: string;
  step_id: string;
  status: string;
  attempt: number;
  output: string | null;
  error: string | null;
  started_at: number | null;
  finished_at: number | null;
  seq: number | null;
  wait: string | null;
  map: string | null;
  compensation: string | null;
  compensation_attempt: number | null;
}

/** A `workflow_versions` row. */
export interface VersionRow {
  id: string;
  workflow: string;
  number: number;
  label: string;
  hash: string;
  source: string;
  graph: string;
  definition: string;
  created_at: number;
}

const parse = (json: string | null): unknown => (json === null ? undefined : JSON.parse(json));

/** Maps a runs row to a {@link Run}. */
export function toRun(row: RunRow): Run {
  return {
    id: row.id,
    workflow: row.workflow,
    versionId: row.version_id,
    status: row.status as Run['status'],
    phase: row.phase as Run['phase'],
    input: JSON.parse(row.input),
    ...(row.output === null ? {} : { output: JSON.parse(row.output) }),
    ...(row.error === null ? {} : { error: JSON.parse(row.error) }),
    priority: row.priority,
    tenant: row.tenant,
    ...(row.idempotency_key === null ? {} : { idempotencyKey: row.idempotency_key }),
    ...(row.parent_run_id === null ? {} : { parentRunId: row.parent_run_id }),
    ...(row.parent_step_id === null ? {} : { parentStepId: row.parent_step_id }),
    depth: row.depth,
    traceId: row.trace_id,
    tags: JSON.parse(row.tags),
    createdAt: row.created_at,
    ...(row.started_at === null ? {} : { startedAt: row.started_at }),
    ...(row.finished_at === null ? {} : { finishedAt: row.finished_at }),
    ...(row.deadline_at === null ? {} : { deadlineAt: row.deadline_at }),
  };
}

/** Maps a steps row to the state machine's {@link StepRecord}. */
export function toStepRecord(row: StepRow): StepRecord {
  const rec: StepRecord = {
    stepId: row.step_id,
    status: row.status as StepRecord['status'],
    attempt: row.attempt,
  };
  if (row.output !== null) rec.outputJson = row.output;
  if (row.error !== null) rec.error = JSON.parse(row.error);
  if (row.started_at !== null) rec.startedAt = row.started_at;
  if (row.finished_at !== null) rec.finishedAt = row.finished_at;
  if (row.seq !== null) rec.seq = row.seq;
  if (row.wait !== null) rec.wait = JSON.parse(row.wait);
  if (row.map !== null) rec.map = JSON.parse(row.map);
  if (row.compensation !== null) rec.compensation = row.compensation as StepRecord['compensation'];
  if (row.compensation_attempt !== null) rec.compensationAttempt = row.compensation_attempt;
  return rec;
}

/** Maps a steps row to the public {@link StepState}. */
export function toStepState(row: StepRow): StepState {
  const { outputJson, compensationAttempt: _, ...rest } = toStepRecord(row);
  return { ...rest, ...(outputJson === undefined ? {} : { output: JSON.parse(outputJson) }) };
}

/** Maps a version row. */
export function toVersion(row: VersionRow): WorkflowVersion {
  return {
    id: row.id,
    workflow: row.workflow,
    number: row.number,
    label: row.label,
    hash: row.hash,
    source: row.source as WorkflowVersion['source'],
    graph: JSON.parse(row.graph),
    definition: JSON.parse(row.definition),
    createdAt: row.created_at,
  };
}

/** Maps a history row. */
export function toHistoryEvent(row: {
  run_id: string;
  seq: number;
  at: number;
  type: string;
  step_id: string | null;
  item: number | null;
  attempt: number | null;
  data: string | null;
}): HistoryEvent {
  return {
    runId: row.run_id,
    seq: row.seq,
    at: row.at,
    type: row.type as HistoryEvent['type'],
    ...(row.step_id === null ? {} : { stepId: row.step_id }),
    ...(row.item === null ? {} : { item: row.item }),
    ...(row.attempt === null ? {} : { attempt: row.attempt }),
    ...(row.data === null ? {} : { data: parse(row.data) }),
  };
}

/** Maps an attempts row. */
export function toAttempt(row: {
  run_id: string;
  kind: string;
  step_id: string;
  item: number;
  attempt: number;
  worker_id: string;
  status: string;
  started_at: number;
  finished_at: number | null;
  error: string | null;
}): AttemptRecord {
  return {
    runId: row.run_id,
    kind: row.kind,
    stepId: row.step_id,
    item: row.item,
    attempt: row.attempt,
    workerId: row.worker_id,
    status: row.status as AttemptRecord['status'],
    startedAt: row.started_at,
    ...(row.finished_at === null ? {} : { finishedAt: row.finished_at }),
    ...(row.error === null ? {} : { error: JSON.parse(row.error) }),
  };
}
