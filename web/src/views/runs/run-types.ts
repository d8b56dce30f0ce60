/** The shapes of the run API's answers that the runs views read (see docs/api.md). */

/** A run's status. */
export type RunStatus = 'queued' | 'running' | 'waiting' | 'succeeded' | 'failed' | 'cancelled';

/** An error as the API reports it on runs and steps. */
export interface ErrorInfo {
  code: string;
  message: string;
  retryable?: boolean;
  details?: unknown;
}

/** `GET /v1/runs` items and `GET /v1/runs/{id}`. */
export interface Run {
  id: string;
  workflow: string;
  versionId: string;
  status: RunStatus;
  phase: string;
  input: unknown;
  output?: unknown;
  error?: ErrorInfo;
  priority: number;
  tenant: string;
  idempotencyKey?: string;
  parentRunId?: string;
  parentStepId?: string;
  depth: number;
  traceId: string;
  tags: string[];
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  deadlineAt?: number;
  /** Lists only. */
  costUsd?: number;
}

/** A step's state in a run. */
export interface StepState {
  stepId: string;
  status: string;
  attempt: number;
  output?: unknown;
  error?: ErrorInfo;
  startedAt?: number;
  finishedAt?: number;
  wait?: { type: string; until?: number; key?: string; childRunId?: string; approval?: unknown };
  map?: { total: number; next: number; running: number; succeeded: number; failed: number };
  compensation?: string;
}

/** `GET /v1/runs/{id}`. */
export interface RunWithSteps extends Run {
  steps: StepState[];
}

/** One history event. */
export interface HistoryEvent {
  runId: string;
  seq: number;
  at: number;
  type: string;
  stepId?: string;
  item?: number;
  attempt?: number;
  data?: unknown;
}

/** A span of `GET /v1/runs/{id}/spans`. */
export interface Span {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: string;
  startTime: number;
  endTime: number;
  status: { code: string; message?: string };
  attributes: Record<string, unknown>;
  runId?: string;
  stepId?: string;
}

/** A page of a list. */
export interface PageOf<T> {
  data: T[];
  next_cursor: string | null;
}

/** A step of a version's graph. */
export interface GraphStep {
  id: string;
  kind: string;
  needs: string[];
  conditional?: boolean;
  effect?: boolean;
  idempotent?: boolean;
  compensable?: boolean;
  timeoutMs?: number;
  retry?: { maxAttempts: number };
  map?: { concurrency: number; onItemFailure: string; maxItems: number };
  meta?: Record<string, unknown>;
}

/** A workflow version (`GET /v1/workflows/{name}`, `versions[]`). */
export interface WorkflowVersion {
  id: string;
  workflow: string;
  number: number;
  label: string;
  graph: { workflow: string; steps: GraphStep[]; runTimeoutMs?: number; hasOutput?: boolean };
  createdAt: number;
}

/** `GET /v1/workflows` items. */
export interface WorkflowSummary {
  workflow: string;
  latest: WorkflowVersion;
  versions: number;
}

/** Statuses from which a run never moves again. */
export const TERMINAL: ReadonlySet<string> = new Set(['succeeded', 'failed', 'cancelled']);
