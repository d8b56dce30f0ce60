/**
 * The budget a model call of a step is held to: the run's (`budgetUsd` on submit) and the step's
 * own, whichever is smaller. The gateway enforces it against everything the run has spent.
 * @module
 */
import type { StepContext } from '../core/definition.js';

/** `ctx.run` for `gateway.forRun`, with the smaller of the run's and the step's budgets. */
export function runForGateway(
  run: StepContext['run'],
  stepBudgetUsd: number | undefined,
): { id: string; tenant: string; budgetUsd?: number } {
  const budgets = [run.budgetUsd, stepBudgetUsd].filter((b): b is number => b !== undefined);
  return { id: run.id, tenant: run.tenant, ...(budgets.length ? { budgetUsd: Math.min(...budgets) } : {}) };
}
