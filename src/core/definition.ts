/**
 * The executable form of a workflow: what the TypeScript builder and the JSON/YAML spec compiler both
 * produce, and what a worker runs. Its serializable shadow is the {@link Graph}.
 * @module
 */
import type { ZodType } from 'zod';
import type { ApprovalRequest, MapFailurePolicy, RetryPolicy, StepStatus } from './types.js';

/** What every step body receives. */
export interface StepContext<I = unknown, S = Record<string, unknown>> {
  /** The run's input, validated against the workflow's input schema. */
  input: I;
  /**
   * Outputs of the settled steps this step depends on, directly or through other needs, by id
   * (`undefined` for skipped steps). Compensations and the run's output see every settled step.
   */
  steps: S;
  /** Status of the run's settled steps by id. */
  status: Record<string, StepStatus>;
  run: {
    id: string;
    workflow: string;
    versionId: string;
    tenant: string;
    traceId: string;
    depth: number;
    createdAt: number;
    tags: string[];
    /** The run's budget for model calls in dollars (its `budget-usd:<n>` tag), enforced by the gateway. */
    budgetUsd?: number;
  };
  step: { id: string; attempt: number };
  /** Stable across attempts of this step (and item): pass it to the outside world to make effects idempotent. */
  idempotencyKey: string;
  /** Aborted on step timeout, run cancellation or loss of the lease. */
  signal: AbortSignal;
}

/** What a `map` item body receives. */
export interface ItemContext<I = unknown, S = Record<string, unknown>> extends StepContext<I, S> {
  index: number;
}

/** What a compensation receives: the step's context plus what the step returned. */
export interface CompensationContext<I = unknown, S = Record<string, unknown>> extends StepContext<I, S> {
  /** The output of the step being compensated. */
  output: unknown;
  /** The error that failed (or the reason that cancelled) the run. */
  reason: { code: string; message: string };
}

/** A function registered by name, callable from spec steps of kind `fn`. */
export type RegisteredFunction = (args: unknown, ctx: StepContext) => unknown | Promise<unknown>;

/** Runtime config of an `fn` step. */
export interface FnConfig {
  run: (ctx: StepContext) => unknown | Promise<unknown>;
  /** Name of the registered function (spec steps), for display. */
  fn?: string;
}

/** Runtime config of a `branch` step: returns the ids of the successors to take. */
export interface BranchConfig {
  choose: (ctx: StepContext) => string | string[] | Promise<string | string[]>;
  /** Every successor the branch may choose, for validation and display. */
  targets: string[];
}

/** Runtime config of a `map` step. */
export interface MapConfig {
  items: (ctx: StepContext) => unknown[] | Promise<unknown[]>;
  run: (item: unknown, ctx: ItemContext) => unknown | Promise<unknown>;
  /** @defaultValue 10 */
  concurrency: number;
  /** @defaultValue 'fail-fast' */
  onItemFailure: MapFailurePolicy;
  /** @defaultValue 10000 */
  maxItems: number;
}

/** What a `wait` step waits for, computed when it starts. */
export type WaitPlan =
  | { sleepMs: number }
  | { until: Date | number | string }
  | { event: string; timeoutMs?: number };

/** Runtime config of a `wait` step. */
export interface WaitConfig {
  plan: (ctx: StepContext) => WaitPlan | Promise<WaitPlan>;
}

/** What an `approval` step asks, computed when it starts. */
export interface ApprovalPlan {
  prompt: string;
  data?: unknown;
  assignee?: string;
  role?: string;
  /** No decision within this delay takes `defaultAction`. */
  timeoutMs?: number;
  defaultAction?: ApprovalRequest['defaultAction'];
  onReject?: ApprovalRequest['onReject'];
  /** SLA: with no decision within `afterMs`, the approval moves to `role` (and/or `assignee`). */
  escalate?: { afterMs: number; role?: string; assignee?: string };
}

/** Runtime config of an `approval` step. */
export interface ApprovalConfig {
  request: (ctx: StepContext) => ApprovalPlan | Promise<ApprovalPlan>;
}

/** Runtime config of a `workflow` (child run) step. */
export interface ChildConfig {
  workflow: string;
  /** Pin a version id (`name@2`); the latest when omitted. */
  version?: string;
  input: (ctx: StepContext) => unknown | Promise<unknown>;
  /** @defaultValue 5 */
  maxDepth: number;
}

/** One step, executable. */
export interface StepDefinition {
  id: string;
  kind: string;
  needs: string[];
  description?: string;
  /** Skip the step (recorded as skipped) when this returns false. */
  when?: (ctx: StepContext) => boolean | Promise<boolean>;
  retry?: Partial<RetryPolicy>;
  timeoutMs?: number;
  effect?: boolean;
  idempotent?: boolean;
  compensate?: (ctx: CompensationContext) => unknown | Promise<unknown>;
  /** Kind-specific config: {@link FnConfig}, {@link BranchConfig}, {@link MapConfig}, ... */
  config: unknown;
  /** A serializable description of the step for hashing, diffs and display. */
  describe: Record<string, unknown>;
}

/** A workflow, executable. */
export interface WorkflowDefinition {
  name: string;
  /** The author's version label. */
  version: string;
  description?: string;
  input: ZodType;
  output?: ZodType;
  steps: StepDefinition[];
  /** Computes the run's output from its steps; by default the outputs of the sink steps. */
  result?: (ctx: StepContext) => unknown | Promise<unknown>;
  runTimeoutMs?: number;
  source: 'code' | 'spec';
  /** The stored definition: the full spec, or a description of the code. */
  definition: unknown;
}
