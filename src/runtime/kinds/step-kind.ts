import type { ItemContext, StepContext, StepDefinition, WorkflowDefinition } from '../../core/definition.js';
import type { StepNode, StepOutcome } from '../../core/types.js';
import type { Gateway } from '../../gateway/gateway.js';

/** What a replay hands a kind instead of the live world (see `runtime/replay`). */
export interface ReplaySources {
  /** What the step returned in the recorded run. */
  recordedOutput: unknown;
  /**
   * A stand-in for the gateway that answers the step's model calls with `answers` in order (texts
   * the recorded run got), then refuses with `REPLAY_NO_RECORDING`. It never calls a model.
   */
  models(answers: readonly string[]): Pick<Gateway, 'forRun'>;
  /** The replay's clock: when the recorded step started, so recorded time bounds hold as they did. */
  now: () => number;
}

/** What a kind may ask of the engine while it runs. */
export interface KindEnvironment {
  now(): number;
  /** The definition a child run would use, to validate its input before it starts. */
  childDefinition(workflow: string, version?: string): Promise<WorkflowDefinition | undefined>;
}

/**
 * A step kind: how a worker runs steps of this kind. Built-in kinds and plugins (later: `llm`, `agent`,
 * `tool`, `plan`) implement it; the core never changes to add one. A kind reports its result as a
 * {@link StepOutcome}: success, failure, skip, a branch choice, a fan-out, or a durable suspension.
 */
export interface StepKind {
  readonly kind: string;
  /** Graph facts the state machine needs from a step of this kind (`map` limits). */
  node?(step: StepDefinition): Partial<StepNode>;
  /** Runs the step when its task starts. Thrown errors become failed outcomes. */
  execute(step: StepDefinition, ctx: StepContext, env: KindEnvironment): Promise<StepOutcome>;
  /** Runs one item of a fanned-out step. */
  executeItem?(step: StepDefinition, item: unknown, ctx: ItemContext, env: KindEnvironment): Promise<unknown>;
  /**
   * This kind bound to a replay's sources: model calls answered from the recording, no tool or
   * effect called, nothing written. Kinds without it are not executed by a replay, which takes their
   * recorded outcome instead (or runs them as pure functions: `fn`, `branch`, `map` without effects).
   */
  replay?(sources: ReplaySources): StepKind;
}
