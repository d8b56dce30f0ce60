/**
 * The `Store` port: every durable operation of the engine, as domain operations. No connection or
 * transaction type crosses it; each adapter owns its connections and transactions, and runs the
 * core state machine ({@link reduceRun}) inside the transaction that writes its result.
 *
 * Adapters: `store/sqlite/` (embedded default) and `store/postgres/` (many workers on many machines). Every adapter must pass the conformance suite in
 * `store/conformance.ts`.
 * @module
 */

import type { RunSeed } from '../core/commands.js';
import type {
  ApprovalDecision,
  ApprovalRequest,
  ClaimedTask,
  Graph,
  HistoryEvent,
  HistoryEventType,
  Run,
  RunStatus,
  StepOutcome,
  StepState,
  WorkflowVersion,
} from '../core/types.js';

/** A request to register a workflow version. */
export interface NewVersion {
  workflow: string;
  label: string;
  hash: string;
  source: 'code' | 'spec';
  graph: Graph;
  definition: unknown;
}

/** A request to create (and start) a run. */
export interface NewRun {
  workflow: string;
  /** A version id (`name@3`); the latest version when omitted. */
  versionId?: string;
  input: unknown;
  /** Higher runs first. @defaultValue 0 */
  priority?: number;
  /** @defaultValue 'default' */
  tenant?: string;
  /** Submitting twice with the same key (per tenant) returns the first run. */
  idempotencyKey?: string;
  tags?: string[];
  /** Absolute deadline (ms since epoch) after which the run fails with `RUN_TIMEOUT`. */
  deadlineAt?: number;
  traceId?: string;
  /**
   * At most `limit` tasks of runs sharing `key` run at once, across all workers (a customer's runs, say).
   * Adapters that claim fairly enforce it; its tasks are then always claimed, never dispatched directly.
   */
  concurrency?: { key: string; limit: number };
  /** Lease the run's first tasks to this worker in the same transaction (a submit in the worker's process). */
  dispatchTo?: { workerId: string; limit: number; leaseMs: number };
  /** Steps that start as succeeded with these outputs, not executed (a fork): see {@link RunSeed}. */
  seed?: RunSeed;
}

/** Filters for {@link Store.listRuns}. */
export interface RunFilter {
  workflow?: string;
  versionId?: string;
  status?: RunStatus | RunStatus[];
  tenant?: string;
  tag?: string;
  parentRunId?: string;
  createdAfter?: number;
  createdBefore?: number;
  /** Only runs with a step waiting for an approval (with `status: 'waiting'` or alone); `false` filters nothing. */
  waitingForApproval?: boolean;
  /** Return runs created strictly before this run id (ids sort by creation). */
  cursor?: string;
  /** @defaultValue 50 */
  limit?: number;
}

/** An approval step waiting for a decision, as the inbox shows it. */
export interface PendingApproval {
  runId: string;
  stepId: string;
  workflow: string;
  versionId: string;
  tenant: string;
  request: ApprovalRequest;
  /** When the step began waiting (epoch ms). */
  since: number;
}

/** Filters for {@link Store.listApprovals}, oldest waiting first. */
export interface ApprovalFilter {
  tenant?: string;
  workflow?: string;
  assignee?: string;
  role?: string;
  /** Only approvals waiting since before this instant (older than an age). */
  waitingBefore?: number;
  /** Only approvals whose escalation is due at or before this instant and has not happened yet. */
  escalationDueBy?: number;
  /** After this `runId/stepId` (the previous page's last). */
  cursor?: string;
  /** @defaultValue 50 */
  limit?: number;
}

/** A change of who decides an approval. */
export interface ApprovalReassignment {
  assignee?: string;
  role?: string;
  /** Who reassigned it (a key id, or `sla` for an escalation). */
  by: string;
  comment?: string;
  /** This is the approval's SLA escalation: marks it escalated, so it escalates once. */
  escalation?: boolean;
}

/** A history event with what the feed reader needs to route it. */
export interface FeedEvent extends HistoryEvent {
  tenant: string;
  workflow: string;
}

/** One attempt of a step, an item or a compensation. */
export interface AttemptRecord {
  runId: string;
  stepId: string;
  kind: string;
  item: number;
  attempt: number;
  workerId: string;
  /** `lost` when its worker's lease expired; `cancelled` when the run ended while it ran. */
  status: 'running' | 'succeeded' | 'failed' | 'lost' | 'cancelled';
  startedAt: number;
  finishedAt?: number;
  error?: unknown;
}

/** A worker reporting how a task ended. */
export interface TaskCompletion {
  task: Pick<ClaimedTask, 'id' | 'kind' | 'runId' | 'stepId' | 'item' | 'attempt'> & { startedAt?: number };
  workerId: string;
  outcome: StepOutcome;
  /** Successor tasks this worker can take at once (leased to it in the same transaction). @defaultValue 0 */
  dispatch?: number;
  /** How long leases of dispatched tasks last. */
  leaseMs?: number;
}

/** What became of a completion. */
export interface CompletionResult {
  /** False when the worker no longer held the lease: another worker took the task over; nothing was written. */
  accepted: boolean;
  /** Tasks leased to the worker in the same transaction. */
  dispatched: ClaimedTask[];
}

/** Counts of what {@link Store.prune} removed. */
export interface PruneResult {
  runs: number;
  events: number;
}

/** What {@link Store.runStats} aggregates: one tenant's (or every tenant's) runs over a window. */
export interface RunStatsQuery {
  /** Every tenant when omitted. */
  tenant?: string;
  /** The window is `[since, until)` (ms since the epoch). */
  since: number;
  until: number;
  /** Width of one series bucket; buckets start at `since`. At most 1,000 buckets per window. */
  bucketMs: number;
  /** The error rate counts runs that finished in `[recentSince, until)` (the last 5 minutes, say). */
  recentSince: number;
  /** Failed runs listed are those that finished in `[failuresSince, until)`, newest first. */
  failuresSince: number;
  /** Most failed runs listed, and most error codes. @defaultValue 20 (at most 100) */
  limit?: number;
}

/** Runs finished in a window, by how they ended. */
export interface RunOutcomeCounts {
  finished: number;
  succeeded: number;
  failed: number;
  cancelled: number;
}

/** One bucket of {@link RunStats.series}: runs created, and runs that ended, in `[at, at + bucketMs)`. */
export interface RunStatsBucket {
  at: number;
  started: number;
  succeeded: number;
  failed: number;
}

/** A failed run, as the failure analysis lists it. */
export interface FailedRunSummary {
  id: string;
  workflow: string;
  error: { code: string; message: string };
  finishedAt: number;
}

/**
 * Aggregates of runs over a window. Runs are counted by when they finished (outcomes, durations,
 * errors) or were created (`series[].started`); child runs count like any run.
 */
export interface RunStats extends RunOutcomeCounts {
  /**
   * Nearest-rank percentiles of `finishedAt - startedAt` over the finished runs that started;
   * undefined when none did.
   */
  durationMs?: { p50: number; p95: number };
  /** Outcomes of the runs that finished in `[recentSince, until)`. */
  recent: RunOutcomeCounts;
  /** Runs of the tenant in each active status now, whenever they were created. */
  active: { queued: number; running: number; waiting: number };
  /** One bucket per `bucketMs` from `since`, every bucket present (zeros included). */
  series: RunStatsBucket[];
  /** Failed runs of the window per error code, most frequent first (then by code); the newest run as example. */
  errors: { code: string; count: number; exampleRunId: string }[];
  /** The newest failed runs that finished in `[failuresSince, until)`. */
  failures: FailedRunSummary[];
}

/** Storage settings common to adapters. */
export interface StoreOptions {
  /** Largest serialized step output, item output or run input, in bytes. @defaultValue 1048576 */
  maxPayloadBytes?: number;
  /** Clock, for tests. @defaultValue Date.now */
  now?: () => number;
  /** Randomness for retry jitter, for tests. @defaultValue Math.random */
  random?: () => number;
  /**
   * Most tasks of one tenant leased at once, across all workers: a number for every tenant, or per
   * tenant name with `'*'` for the others. Unlimited when omitted.
   */
  tenantConcurrency?: number | Record<string, number>;
}

/** The engine's storage port. */
export interface Store {
  /**
   * How often an idle worker should look for tasks and for due timers, when the adapter has wake-ups of
   * its own (Postgres `LISTEN`): polling is then only a fallback. Undefined: the worker's own setting.
   */
  readonly idlePoll?: { claimsMs: number; timersMs: number };

  /** Apply migrations; safe to call from many processes at once. */
  init(): Promise<void>;
  close(): Promise<void>;

  registerVersion(version: NewVersion): Promise<{ version: WorkflowVersion; created: boolean }>;
  getVersion(id: string): Promise<WorkflowVersion | undefined>;
  getLatestVersion(workflow: string): Promise<WorkflowVersion | undefined>;
  listVersions(workflow: string): Promise<WorkflowVersion[]>;
  listWorkflows(): Promise<{ workflow: string; latest: WorkflowVersion; versions: number }[]>;

  /** Create and start a run in one transaction. Idempotent on `(tenant, idempotencyKey)`. */
  createRun(request: NewRun): Promise<{ run: Run; created: boolean; dispatched: ClaimedTask[] }>;
  getRun(id: string): Promise<Run | undefined>;
  listRuns(filter?: RunFilter): Promise<Run[]>;
  getSteps(runId: string): Promise<StepState[]>;
  getHistory(runId: string, options?: { afterSeq?: number; limit?: number }): Promise<HistoryEvent[]>;
  listAttempts(runId: string): Promise<AttemptRecord[]>;

  /** Lease up to `limit` ready tasks, highest priority first; expired leases are taken over. */
  claimTasks(request: { workerId: string; limit: number; leaseMs: number }): Promise<ClaimedTask[]>;
  /** Extend the leases the worker holds; returns the ids of tasks it no longer holds. */
  renewLeases(request: { workerId: string; taskIds: string[]; leaseMs: number }): Promise<{ lost: string[] }>;
  /** Commit a task's outcome and the scheduling of its successors in one transaction. */
  completeTask(completion: TaskCompletion): Promise<CompletionResult>;
  /**
   * Give a leased task back without an outcome, visible again after `delayMs`: the worker cannot run
   * it (it lacks the version's code or functions), another one may. The attempt does not count.
   */
  releaseTask(request: {
    taskId: string;
    workerId: string;
    delayMs: number;
    reason: string;
  }): Promise<boolean>;
  /** Release a worker's leases at once (clean shutdown), so other workers pick its tasks up. */
  releaseLeases(workerId: string): Promise<number>;
  /** Fire timers due at or before now; returns how many fired. */
  fireDueTimers(limit: number): Promise<number>;
  /** When the next timer is due, if any. */
  nextTimerAt(): Promise<number | undefined>;

  /** Cancel a run and, through it, its child runs, timers and waits. */
  cancelRun(runId: string, reason: string, by?: string): Promise<Run>;
  /** Decide an approval step that is waiting. Throws `RUN_NOT_WAITING` otherwise, changing nothing. */
  decide(runId: string, stepId: string, decision: ApprovalDecision): Promise<void>;
  /**
   * Approval steps waiting for a decision, oldest first (by `since`, then run and step id). A cursor
   * whose approval was decided meanwhile still works; a malformed one throws `INVALID_ARGUMENT`.
   */
  listApprovals(filter?: ApprovalFilter): Promise<PendingApproval[]>;
  /**
   * Changes who decides a waiting approval (history `approval-reassigned`): `assignee` and `role`
   * replace the previous ones, one left out is cleared. Throws `RUN_NOT_WAITING` when the step is not
   * waiting for an approval, or when `escalation` is set and it was already escalated, changing nothing;
   * `INVALID_ARGUMENT` when the change names neither an assignee nor a role.
   */
  reassignApproval(runId: string, stepId: string, change: ApprovalReassignment): Promise<void>;
  /**
   * History events of every run after `afterSeq`, in `seq` order: the feed webhooks and triggers read.
   * Postgres may commit a lower seq after a higher one is visible; readers re-read a window behind their
   * cursor and deduplicate.
   */
  readFeed(request: { afterSeq: number; types?: HistoryEventType[]; limit?: number }): Promise<FeedEvent[]>;
  /**
   * Publish an external event. It wakes the runs waiting on its key since before it arrived, and is
   * kept so that a run which began before it and reaches a wait on the key later consumes it then.
   *
   * With `options.tenant`, only runs of that tenant wake or consume it later; the event row records the
   * tenant, so a run of another tenant waiting on the same key never sees it. Without a tenant, any
   * run waiting on the key wakes, whatever its tenant: that is for trusted in-process callers and
   * `baton events send`; the HTTP API always passes the caller's tenant.
   */
  publishEvent(key: string, payload: unknown, options?: { tenant?: string }): Promise<{ woken: number }>;
  /** Delete finished runs (and their history, steps, attempts) finished before `before`, and old events. */
  prune(before: number): Promise<PruneResult>;
  /**
   * Health, throughput and failures of runs over a window, in a few aggregate queries over indexed
   * ranges (never loading the runs): what the dashboard's overview reads. Throws `INVALID_ARGUMENT`
   * for a window that is empty, not finite or cut into more than 1,000 buckets.
   */
  runStats(query: RunStatsQuery): Promise<RunStats>;

  /** Be told, after the commit, when a run written by this process reaches a terminal status. */
  onRunFinished(listener: (run: { id: string; status: RunStatus }) => void): () => void;
  /**
   * Be told when new work may be ready (in this process): `timers` is true when timers were written.
   * Returns an unsubscribe function.
   */
  onWork(listener: (timers: boolean) => void): () => void;
}
