/**
 * The engine's vocabulary, as data. Everything here is serializable and free of I/O.
 *
 * Glossary:
 * - workflow: a named graph of steps with an input schema and an output.
 * - version: an immutable registration of a workflow; a run is pinned to the version it started on.
 * - graph: the serializable shape of a version (steps, needs, policies) that the state machine reads.
 * - step: a node of the graph, of a kind (`fn`, `branch`, `map`, `wait`, `approval`, `workflow`, ...).
 * - run: one execution of a version with an input.
 * - attempt: one execution of a step (or of one item of a `map` step).
 * - task: a unit of work ready for a worker, held under a lease while a worker works on it.
 * - timer: a row that fires at a time (durable sleep, wait timeouts, retries never use timers).
 * - wait: a row that a run is parked on until an event with its key arrives.
 * - history: the append-only list of a run's events.
 * @module
 */
import type { ErrorInfo } from './errors.js';

/** Status of a run. `waiting` means no step can progress until a timer, event, approval or child run. */
export type RunStatus = 'queued' | 'running' | 'waiting' | 'succeeded' | 'failed' | 'cancelled';

/** Status of one step within a run. */
export type StepStatus =
  | 'scheduled'
  | 'running'
  | 'waiting'
  | 'succeeded'
  | 'failed'
  | 'skipped'
  | 'cancelled';

/** Run statuses from which nothing happens any more. */
export const TERMINAL_RUN_STATUSES: ReadonlySet<RunStatus> = new Set(['succeeded', 'failed', 'cancelled']);

/** Step statuses that count as settled for the steps that need them. */
export const SETTLED_STEP_STATUSES: ReadonlySet<StepStatus> = new Set(['succeeded', 'skipped']);

/** Retry policy of a step: exponential backoff with jitter. */
export interface RetryPolicy {
  /** Total attempts including the first. @defaultValue 3 */
  maxAttempts: number;
  /** Delay before the first retry. @defaultValue 1000 */
  initialDelayMs: number;
  /** Growth factor per retry. @defaultValue 2 */
  backoff: number;
  /** Cap on a single delay. @defaultValue 60000 */
  maxDelayMs: number;
  /** Fraction of the delay that is randomised (0 = none, 1 = full jitter). @defaultValue 0.5 */
  jitter: number;
}

/** How a `map` step treats a failed item. */
export type MapFailurePolicy = 'fail-fast' | 'collect';

/** The serializable description of one step, as the state machine sees it. */
export interface StepNode {
  id: string;
  kind: string;
  needs: string[];
  /** The step has a `when` condition (evaluated by the worker when the step starts). */
  conditional: boolean;
  retry: RetryPolicy;
  timeoutMs?: number;
  /** The step changes the outside world: it gets an idempotency key and no automatic retry unless idempotent. */
  effect: boolean;
  idempotent: boolean;
  /** The step declares a compensation, run in reverse order if the run fails after the step succeeded. */
  compensable: boolean;
  /** `map` steps only. */
  map?: { concurrency: number; onItemFailure: MapFailurePolicy; maxItems: number };
  /** Kind-specific facts a UI may show (never read by the state machine). */
  meta?: Record<string, unknown>;
}

/** The serializable shape of a workflow version. Stored with the version; the state machine runs on it. */
export interface Graph {
  workflow: string;
  steps: StepNode[];
  /** Wall-clock bound for the whole run. */
  runTimeoutMs?: number;
  /** The version computes its output with a function or expression (run as a `finalize` task). */
  hasOutput: boolean;
}

/** A registered workflow version. */
export interface WorkflowVersion {
  /** `name@number`, unique. */
  id: string;
  workflow: string;
  /** Sequential per workflow, from 1. */
  number: number;
  /** The author's label (`1.2.0`, `2026-11-21`); free text. */
  label: string;
  /** Content hash of the definition; registering the same content again returns the same version. */
  hash: string;
  /** Where the definition came from: TypeScript code, or a JSON/YAML spec stored in full. */
  source: 'code' | 'spec';
  graph: Graph;
  /** The full JSON/YAML spec (source `spec`), or a description of the code version. */
  definition: unknown;
  createdAt: number;
}

/** A run, as stored. */
export interface Run {
  id: string;
  workflow: string;
  versionId: string;
  status: RunStatus;
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
  /** What the run is doing as a whole. */
  phase: RunPhase;
}

/** `steps` while the graph runs, `compensating` while compensations unwind, `finalizing` while the output is computed. */
export type RunPhase = 'steps' | 'compensating' | 'finalizing' | 'done';

/** Progress of a `map` step. */
export interface MapState {
  total: number;
  /** Next item index to schedule. */
  next: number;
  running: number;
  succeeded: number;
  failed: number;
}

/** What a waiting step waits for. */
export interface WaitInfo {
  type: 'sleep' | 'event' | 'approval' | 'child';
  until?: number;
  key?: string;
  childRunId?: string;
  approval?: ApprovalRequest;
}

/** An approval request, as shown to the person deciding. */
export interface ApprovalRequest {
  prompt: string;
  /** What the decider judges: the data the step proposes. */
  data?: unknown;
  assignee?: string;
  role?: string;
  timeoutAt?: number;
  /** Taken when the timeout passes with no decision. @defaultValue 'reject' */
  defaultAction: 'approve' | 'reject';
  /** `fail` fails the step on a rejection; `continue` succeeds it with `approved: false`. */
  onReject: 'fail' | 'continue';
  /** SLA: with no decision by `at`, the approval moves to `role` (and/or `assignee`), once. */
  escalation?: { at: number; role?: string; assignee?: string; escalated?: boolean };
}

/** A human decision on an approval step. */
export interface ApprovalDecision {
  approved: boolean;
  by: string;
  comment?: string;
  /** Edited data replacing the proposed data (approve with changes). */
  data?: unknown;
}

/**
 * Who decides an approval from now on. `assignee` and `role` replace the previous ones: one left out
 * is cleared, so an approval can move from a person to a role's pool.
 */
export interface ApprovalChange {
  assignee?: string;
  role?: string;
  /** Who reassigned it (a key id, or `sla` for an escalation). */
  by: string;
  comment?: string;
  /** This is the approval's SLA escalation: marks it escalated, so it escalates once. */
  escalation?: boolean;
}

/** A step's state within a run, as stored. */
export interface StepState {
  stepId: string;
  status: StepStatus;
  /** Attempts started so far (the current attempt's number while running). */
  attempt: number;
  output?: unknown;
  error?: ErrorInfo;
  startedAt?: number;
  finishedAt?: number;
  /** Completion order, used to unwind compensations in reverse. */
  seq?: number;
  wait?: WaitInfo;
  map?: MapState;
  /** `pending`, `done` or `failed` once the run has begun compensating this step. */
  compensation?: 'pending' | 'running' | 'done' | 'failed';
}

/** The kinds of task a worker executes. */
export type TaskKind = 'step' | 'item' | 'compensate' | 'finalize';

/** A task as a worker receives it: leased, with what it needs to run. */
export interface ClaimedTask {
  id: string;
  kind: TaskKind;
  runId: string;
  stepId: string;
  /** Item index for `item` tasks; -1 otherwise. */
  item: number;
  attempt: number;
  leaseExpiresAt: number;
  /** When this worker's lease (the attempt in progress) began. */
  startedAt: number;
  run: Pick<
    Run,
    | 'id'
    | 'workflow'
    | 'versionId'
    | 'input'
    | 'tenant'
    | 'priority'
    | 'depth'
    | 'traceId'
    | 'createdAt'
    | 'deadlineAt'
    | 'parentRunId'
    | 'tags'
  >;
  /** Outputs of the run's settled steps, by step id (`undefined` for skipped ones). */
  steps: Record<string, { status: StepStatus; output: unknown }>;
  /** The item's value for `item` tasks. */
  itemValue?: unknown;
  /** For `finalize` tasks of failed runs and compensations: the error that failed the run. */
  runError?: ErrorInfo;
}

/** The result of running a step body or kind, reported by a worker. */
export type StepOutcome =
  | {
      type: 'succeeded';
      output: unknown;
      /**
       * How the output was made, kept as the `data` of the `step-succeeded` event (small: ids and
       * fingerprints, never payloads): an `llm` step's request fingerprint and prompt, which a replay
       * compares its own request with.
       */
      provenance?: Record<string, unknown>;
    }
  | { type: 'failed'; error: ErrorInfo & { retryAfterMs?: number } }
  | { type: 'skipped'; reason: string }
  /** A branch chose these successors; its other dependents are skipped. */
  | { type: 'branched'; output: unknown; chosen: string[] }
  /** A map step expanded into items. */
  | { type: 'fanned-out'; items: unknown[] }
  /** The step waits durably. */
  | { type: 'suspended'; wait: SuspendRequest };

/** What a suspended step waits for. */
export type SuspendRequest =
  | { type: 'sleep'; until: number }
  | { type: 'event'; key: string; timeoutAt?: number; since: number }
  | { type: 'approval'; request: ApprovalRequest }
  | { type: 'child'; workflow: string; version?: string; input: unknown; maxDepth: number };

/** One entry of a run's append-only history. */
export interface HistoryEvent {
  runId: string;
  /** Orders the run's events: increases with each event (not necessarily by one); use it as a cursor. */
  seq: number;
  at: number;
  type: HistoryEventType;
  stepId?: string;
  item?: number;
  attempt?: number;
  data?: unknown;
}

/** The types of history event. */
export type HistoryEventType =
  | 'run-created'
  | 'run-started'
  | 'step-scheduled'
  | 'attempt-started'
  | 'attempt-succeeded'
  | 'attempt-failed'
  | 'retry-scheduled'
  | 'step-succeeded'
  | 'step-failed'
  | 'step-skipped'
  /** A fork took the step's output from the run it forked (`data.fromRun`) instead of running it. */
  | 'step-reused'
  | 'step-waiting'
  | 'map-expanded'
  | 'item-succeeded'
  | 'item-failed'
  | 'timer-fired'
  | 'event-received'
  | 'approval-decided'
  | 'approval-reassigned'
  | 'child-started'
  | 'child-finished'
  | 'compensation-started'
  | 'compensation-succeeded'
  | 'compensation-failed'
  | 'run-cancelled'
  | 'run-succeeded'
  | 'run-failed'
  | 'lease-taken-over'
  | 'task-released';

/** A history event before the store numbers it. */
export type NewHistoryEvent = Omit<HistoryEvent, 'seq' | 'runId' | 'at'> & { at?: number };
