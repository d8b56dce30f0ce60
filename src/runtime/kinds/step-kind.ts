import type { ItemContext, StepContext, StepDefinition, WorkflowDefinition } from '../../core/definition.js';
import type { StepNode, StepOutcome } from '../../core/types.js';

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
}
