/**
 * The `MetricsSource` port: the read-only, aggregated questions `/metrics` asks of the engine's
 * database (runs, steps, history, tasks, attempts) and of the agents' audit trail kept beside it. Each
 * answer is already grouped (and bucketed for histograms), so a scrape moves a few rows, never a
 * table. Every query is served by an existing index: `runs_finished`, `runs_status`,
 * `history_type (type, seq)`, `tasks_ready`, `tasks_leased`, the attempts primary key, `agent_audit_at`.
 *
 * Adapters: `sqlite-source.ts` (a second, read-only connection to the SQLite file) and
 * `postgres-source.ts` (a small pool of its own), both over the SQL in `sql-source.ts`.
 * @module
 */

/** Instants `from` (inclusive) to `to` (exclusive), epoch ms. */
export interface TimeRange {
  from: number;
  to: number;
}

/**
 * A time range over history events, with a `seq` below which no event of the range can lie (the
 * history head read before `from`), so the `history_type` index bounds the rows read.
 */
export interface HistoryRange extends TimeRange {
  afterSeq: number;
}

/** Observations falling in one histogram bucket (an index into the bounds; their length for `+Inf`). */
export interface BucketCount {
  bucket: number;
  count: number;
  /** Sum of the observations, in seconds. */
  sum: number;
}

/** Durations of runs (creation to end) or steps (start to end) by workflow and final status. */
export interface DurationRow extends BucketCount {
  workflow: string;
  status: string;
}

/** Tool calls from the audit trail by tool, outcome and error code. */
export interface ToolCallRow extends BucketCount {
  tool: string;
  outcome: string;
  code: string | undefined;
}

/** What the task queue holds now. */
export interface QueueState {
  /** Tasks ready to be claimed. */
  ready: number;
  /** When the longest-waiting ready task became ready (epoch ms). */
  oldestReadyAt: number | undefined;
  /** Tasks under an unexpired lease. */
  leased: number;
}

/** The engine's database, as `/metrics` reads it. */
export interface MetricsSource {
  /** The highest history `seq` now (0 when empty). */
  historyHead(): Promise<number>;
  /** Runs that finished in the range, by workflow and status, bucketed by duration in seconds. */
  finishedRuns(range: TimeRange, bounds: readonly number[]): Promise<DurationRow[]>;
  /** Steps that succeeded or failed in the range, by workflow and status, bucketed by duration. */
  finishedSteps(range: HistoryRange, bounds: readonly number[]): Promise<DurationRow[]>;
  /** History events of these types in the range, counted by workflow and type. */
  countEvents(
    range: HistoryRange,
    types: readonly string[],
  ): Promise<Array<{ workflow: string; type: string; count: number }>>;
  /** Runs not yet finished (queued, running, waiting), by workflow and status. */
  activeRuns(): Promise<Array<{ workflow: string; status: string; count: number }>>;
  /** The task queue as of `now`. */
  queue(now: number): Promise<QueueState>;
  /**
   * Workers that hold an unexpired lease at `now`, or finished one of the latest attempts at or after
   * `seenSince`.
   */
  workers(now: number, seenSince: number): Promise<string[]>;
  /** The workflow of each run id still stored. */
  workflowsOf(runIds: readonly string[]): Promise<Map<string, string>>;
  /**
   * Tool calls audited in the range, bucketed by duration; undefined when the database has no agent
   * audit table (agents never ran on it).
   */
  toolCalls(range: TimeRange, bounds: readonly number[]): Promise<ToolCallRow[] | undefined>;
  /** Releases the source's connection. Safe twice. */
  close(): Promise<void>;
}
