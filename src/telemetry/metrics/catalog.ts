/**
 * Every metric `/metrics` exposes: name, type, help, labels and, for histograms, bucket bounds in
 * seconds. `docs/operations.md` ("Metrics") lists the same table for operators.
 * @module
 */

/** One exposed metric. */
export interface MetricDefinition {
  name: string;
  type: 'counter' | 'gauge' | 'histogram';
  help: string;
  labels: readonly string[];
  /** Upper bounds of the buckets (histograms), in seconds. */
  bounds?: readonly number[];
}

/** Bounds for runs and steps: from 10 ms to an hour. */
export const RUN_BOUNDS: readonly number[] = [
  0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600,
];
/** Bounds for model calls. */
export const MODEL_BOUNDS: readonly number[] = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
/** Bounds for the time to a streamed call's first token. */
export const TTFT_BOUNDS: readonly number[] = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30];
/** Bounds for tool calls. */
export const TOOL_BOUNDS: readonly number[] = [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** The metrics, by the name code refers to them. */
export const METRICS = {
  runsFinished: {
    name: 'baton_runs_finished_total',
    type: 'counter',
    help: 'Runs that reached a terminal status (succeeded, failed, cancelled).',
    labels: ['workflow', 'status'],
  },
  runsActive: {
    name: 'baton_runs_active',
    type: 'gauge',
    help: 'Runs not finished yet, by status (queued, running, waiting).',
    labels: ['workflow', 'status'],
  },
  runDuration: {
    name: 'baton_run_duration_seconds',
    type: 'histogram',
    help: 'Time from a run being created to its terminal status.',
    labels: ['workflow', 'status'],
    bounds: RUN_BOUNDS,
  },
  stepDuration: {
    name: 'baton_step_duration_seconds',
    type: 'histogram',
    help: 'Time from a step starting to it succeeding or failing, retries included.',
    labels: ['workflow', 'status'],
    bounds: RUN_BOUNDS,
  },
  retries: {
    name: 'baton_step_retries_total',
    type: 'counter',
    help: 'Retries scheduled after a failed attempt.',
    labels: ['workflow'],
  },
  takeovers: {
    name: 'baton_lease_takeovers_total',
    type: 'counter',
    help: 'Tasks taken over after their worker lost its lease.',
    labels: ['workflow'],
  },
  queueDepth: {
    name: 'baton_queue_depth',
    type: 'gauge',
    help: 'Tasks ready to be claimed and not claimed yet.',
    labels: [],
  },
  queueAge: {
    name: 'baton_queue_oldest_age_seconds',
    type: 'gauge',
    help: 'How long the longest-waiting ready task has been ready (0 when none).',
    labels: [],
  },
  tasksLeased: {
    name: 'baton_tasks_leased',
    type: 'gauge',
    help: 'Tasks under an unexpired lease (attempts in progress).',
    labels: [],
  },
  workersAlive: {
    name: 'baton_workers_alive',
    type: 'gauge',
    help: 'Workers holding a lease, or that finished one of the latest 1000 attempts within the alive window.',
    labels: [],
  },
  modelRequests: {
    name: 'baton_model_requests_total',
    type: 'counter',
    help: 'Gateway calls (chat and embeddings) by outcome: ok, error, cancelled.',
    labels: ['model', 'tenant', 'status'],
  },
  modelErrors: {
    name: 'baton_model_errors_total',
    type: 'counter',
    help: 'Gateway calls that failed or were refused, by Baton error code.',
    labels: ['model', 'code'],
  },
  budgetRefusals: {
    name: 'baton_budget_refusals_total',
    type: 'counter',
    help: 'Gateway calls refused because a key, tenant or run budget was spent (BUDGET_EXCEEDED).',
    labels: ['tenant'],
  },
  tokens: {
    name: 'baton_model_tokens_total',
    type: 'counter',
    help: 'Tokens of gateway calls; type is input or output.',
    labels: ['workflow', 'model', 'tenant', 'type'],
  },
  cost: {
    name: 'baton_model_cost_usd_total',
    type: 'counter',
    help: 'Dollars charged for gateway calls.',
    labels: ['workflow', 'model', 'tenant'],
  },
  modelLatency: {
    name: 'baton_model_latency_seconds',
    type: 'histogram',
    help: 'Latency of successful gateway calls answered by a model (cache hits excluded).',
    labels: ['model'],
    bounds: MODEL_BOUNDS,
  },
  ttft: {
    name: 'baton_model_ttft_seconds',
    type: 'histogram',
    help: 'Time to the first token of streamed gateway calls.',
    labels: ['model'],
    bounds: TTFT_BOUNDS,
  },
  toolCalls: {
    name: 'baton_tool_calls_total',
    type: 'counter',
    help: 'Tool calls from the audit trail, by outcome: ok, error, refused.',
    labels: ['tool', 'outcome'],
  },
  toolErrors: {
    name: 'baton_tool_errors_total',
    type: 'counter',
    help: 'Tool calls that failed or were refused, by tool error code.',
    labels: ['tool', 'code'],
  },
  toolDuration: {
    name: 'baton_tool_duration_seconds',
    type: 'histogram',
    help: 'Wall time of tool calls that were attempted, retries and backoff included.',
    labels: ['tool'],
    bounds: TOOL_BOUNDS,
  },
  breakerState: {
    name: 'baton_circuit_breaker_state',
    type: 'gauge',
    help: 'Circuit breakers of model targets and tools: 1 for the current state, 0 for the others.',
    labels: ['kind', 'name', 'state'],
  },
} as const satisfies Record<string, MetricDefinition>;

/** The states a breaker reports, each its own series of {@link METRICS}.breakerState. */
export const BREAKER_STATES = ['closed', 'open', 'half-open', 'isolated'] as const;
