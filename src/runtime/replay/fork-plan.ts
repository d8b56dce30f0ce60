/**
 * Fork planning: which steps of a past run a fork from step N reuses, and which it executes.
 *
 * Reused: every step the recorded run settled (succeeded, or skipped) that is neither N nor a step
 * depending on N, directly or not. Their outputs cannot depend on N, so they are taken as recorded
 * (history `step-reused`) and never executed again, effects included. Executed: N, any step the
 * recorded run did not settle (or the forked version added), and every step depending on one of
 * those, directly or not. Effect steps among them run only when allowed.
 * @module
 */
import type { RunSeed } from '../../core/commands.js';
import { BatonError } from '../../core/errors.js';
import type { Graph, StepState } from '../../core/types.js';

/** What a fork reuses and executes. */
export interface ForkPlan {
  seed: RunSeed;
  /** Steps the fork executes live, in graph order. */
  execute: string[];
  /** The effect steps among them. */
  effects: string[];
}

/**
 * Plans a fork of run `runId` (its final step states `recorded`) from `fromStep`, on `graph` (the
 * version the fork runs).
 * @throws BatonError `STEP_NOT_FOUND` when the version has no such step; `INVALID_ARGUMENT` when a step
 * that `fromStep` needs did not succeed in the recorded run (there is no output to reuse).
 */
export function planFork(
  runId: string,
  graph: Graph,
  recorded: readonly StepState[],
  fromStep: string,
): ForkPlan {
  const ids = graph.steps.map((s) => s.id);
  if (!ids.includes(fromStep)) {
    throw new BatonError(
      'STEP_NOT_FOUND',
      `workflow "${graph.workflow}" has no step "${fromStep}" to fork run ${runId} from`,
      {
        hint: `Its steps: ${ids.join(', ')}`,
        details: { runId, step: fromStep, steps: ids },
      },
    );
  }
  const states = new Map(recorded.map((s) => [s.stepId, s]));
  const settled = (id: string) => {
    const status = states.get(id)?.status;
    return status === 'succeeded' || status === 'skipped';
  };
  // Executed: the fork step, every step the recorded run did not settle (or the version added), and
  // everything depending on one of them: a step is reused only when none of its needs runs again.
  const after = closure(
    graph,
    [fromStep, ...graph.steps.filter((s) => !settled(s.id)).map((s) => s.id)],
    (id) => graph.steps.filter((s) => s.needs.includes(id)).map((s) => s.id),
  );
  const before = closure(graph, [fromStep], (id) => graph.steps.find((s) => s.id === id)?.needs ?? []);
  before.delete(fromStep);
  for (const id of before) {
    const status = states.get(id)?.status;
    if (!settled(id)) {
      throw new BatonError(
        'INVALID_ARGUMENT',
        `step "${fromStep}" needs "${id}", which did not succeed in run ${runId} (${status ?? 'it never ran'}): there is no output to reuse`,
        {
          hint: `Fork from "${id}" or an earlier step instead`,
          details: { runId, step: fromStep, need: id, status },
        },
      );
    }
  }
  const outputs: Record<string, unknown> = {};
  const skipped: string[] = [];
  const execute: string[] = [];
  for (const node of graph.steps) {
    const state = states.get(node.id);
    if (after.has(node.id)) execute.push(node.id);
    else if (state?.status === 'succeeded') outputs[node.id] = state.output ?? null;
    else skipped.push(node.id);
  }
  const effects = graph.steps.filter((s) => s.effect && execute.includes(s.id)).map((s) => s.id);
  return { seed: { fromRun: runId, outputs, ...(skipped.length ? { skipped } : {}) }, execute, effects };
}

/** The `start` steps and every step reachable from them through `next`. */
function closure(graph: Graph, start: readonly string[], next: (id: string) => string[]): Set<string> {
  const seen = new Set<string>(start);
  const stack = [...start];
  while (stack.length > 0) {
    for (const id of next(stack.pop() as string)) {
      if (graph.steps.some((s) => s.id === id) && !seen.has(id)) {
        seen.add(id);
        stack.push(id);
      }
    }
  }
  return seen;
}
