import type { ErrorInfo } from './errors.js';
import type {
  ApprovalChange,
  ApprovalDecision,
  MapState,
  NewHistoryEvent,
  Run,
  RunPhase,
  RunStatus,
  StepOutcome,
  StepStatus,
  TaskKind,
  WaitInfo,
} from './types.js';

/** What happened to a run: the input of the state machine. */
export type RunCommand =
  | { type: 'start'; seed?: RunSeed }
  | {
      type: 'task-finished';
      task: { kind: TaskKind; stepId: string; item: number; attempt: number };
      outcome: StepOutcome;
    }
  | { type: 'timer-fired'; stepId: string | null; timer: TimerKind }
  | { type: 'event'; stepId: string; key: string; payload: unknown }
  | { type: 'decision'; stepId: string; decision: ApprovalDecision }
  /** Change who decides a waiting approval. */
  | { type: 'reassign'; stepId: string; change: ApprovalChange }
  | { type: 'cancel'; reason: string; by?: string }
  | {
      type: 'child-finished';
      stepId: string;
      childRunId: string;
      status: RunStatus;
      output?: unknown;
      error?: ErrorInfo;
    };

/**
 * Steps a new run starts with as already succeeded, their outputs taken from another run (a fork):
 * they are not executed, and the history says where each output came from (`step-reused`).
 */
export interface RunSeed {
  /** The run the outputs come from. */
  fromRun: string;
  /** Output by step id. Ids the version does not have are ignored. */
  outputs: Record<string, unknown>;
  /** Steps that start skipped, as they were in that run (a branch did not choose them, say). */
  skipped?: string[];
}

/** Kinds of durable timer. */
export type TimerKind = 'sleep' | 'event-timeout' | 'approval-timeout' | 'run-deadline';

/** A step's stored state as the state machine reads it; outputs stay serialized until needed. */
export interface StepRecord {
  stepId: string;
  status: StepStatus;
  attempt: number;
  outputJson?: string;
  error?: ErrorInfo;
  startedAt?: number;
  finishedAt?: number;
  seq?: number;
  wait?: WaitInfo;
  map?: MapState;
  compensation?: 'pending' | 'running' | 'done' | 'failed';
  compensationAttempt?: number;
}

/** The part of a run the state machine needs, loaded inside the transaction that applies the command. */
export interface RunSnapshot {
  run: Omit<Run, 'input' | 'output'>;
  steps: Map<string, StepRecord>;
}

/** A task to create. */
export interface NewTask {
  kind: TaskKind;
  stepId: string;
  item: number;
  attempt: number;
  delayMs: number;
}

/** A child run to create, started in the same transaction. */
export interface NewChildRun {
  runId: string;
  stepId: string;
  workflow: string;
  version?: string;
  input: unknown;
}

/**
 * What a command changes, as data: the adapter writes all of it in the transaction that applies the
 * command, or nothing if `rejected` is set.
 */
export interface Transition {
  /** The command was refused (a decision on a run that is not waiting, say): write nothing, tell the caller. */
  rejected?: ErrorInfo & { code: string };
  run?: {
    status?: RunStatus;
    phase?: RunPhase;
    error?: ErrorInfo | null;
    outputJson?: string;
    startedAt?: number;
    finishedAt?: number;
  };
  /** Full new records of the steps that changed. */
  steps: StepRecord[];
  tasks: NewTask[];
  /** Remove every task of the run, or those of some steps. */
  removeTasks?: { all: true } | { stepIds: string[] };
  timers: { stepId: string | null; kind: TimerKind; fireAt: number }[];
  removeTimers?: { all: true } | { stepIds: string[] };
  waits: { stepId: string; key: string; since: number }[];
  removeWaits?: { all: true } | { stepIds: string[] };
  /** Items of a `map` step to store. */
  items?: { stepId: string; values: unknown[] };
  /** Final results of `map` items. */
  itemResults: { stepId: string; index: number; ok: boolean; outputJson?: string; error?: ErrorInfo }[];
  /** Build the `map` step's output from its stored items after applying the rest. */
  aggregateMap?: { stepId: string; collect: boolean };
  children: NewChildRun[];
  /** Commands for other runs (a parent learning its child finished; children cancelled), same transaction. */
  followUps: { runId: string; command: RunCommand }[];
  events: NewHistoryEvent[];
}

/** Injected sources of time, randomness and ids, so the state machine stays pure and testable. */
export interface MachineContext {
  now: number;
  /** A number in [0, 1). */
  random(): number;
  newId(): string;
  /** Largest serialized step output accepted. */
  maxPayloadBytes: number;
}

/** An empty transition, to fill. */
export function emptyTransition(): Transition {
  return {
    steps: [],
    tasks: [],
    timers: [],
    waits: [],
    itemResults: [],
    children: [],
    followUps: [],
    events: [],
  };
}
