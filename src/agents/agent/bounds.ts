/**
 * What an agent step has spent, and the typed errors of its bounds. Spend is rebuilt from the journal
 * on a replay, so a bound counts the calls of every attempt of the step, not only the current one.
 * @module
 */
import { BatonError } from '../../core/errors.js';
import type { AgentLimits } from './define-agent.js';

/** Tokens and dollars of one call (or of a delegation, all its calls). */
export interface CallUsage {
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

/** Nothing spent. */
export const NO_USAGE: CallUsage = Object.freeze({ inputTokens: 0, outputTokens: 0, costUsd: 0 });

/** Adds usages. */
export function addUsage(a: CallUsage, b: CallUsage | undefined): CallUsage {
  if (!b) return a;
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    costUsd: a.costUsd + b.costUsd,
  };
}

/** The running totals of one agent step against its limits. */
export class AgentBounds {
  #spent: CallUsage = NO_USAGE;
  #iterations = 0;

  constructor(
    private readonly agent: string,
    private readonly stepId: string,
    private readonly limits: AgentLimits & { maxIterations: number },
    /** When the loop first started (epoch ms), from the journal. */
    readonly startedAt: number,
  ) {}

  get spent(): CallUsage {
    return this.#spent;
  }

  get iterations(): number {
    return this.#iterations;
  }

  /** Wall-clock deadline, if the agent has a timeout. */
  get deadline(): number | undefined {
    return this.limits.timeoutMs === undefined ? undefined : this.startedAt + this.limits.timeoutMs;
  }

  charge(usage: CallUsage | undefined): void {
    this.#spent = addUsage(this.#spent, usage);
  }

  countIteration(): void {
    this.#iterations += 1;
  }

  /** What is left of each budget, for a delegate to draw on. */
  remaining(now: number): { costUsd?: number; tokens?: number; timeoutMs?: number } {
    const tokens = this.#spent.inputTokens + this.#spent.outputTokens;
    const deadline = this.deadline;
    return {
      ...(this.limits.maxCostUsd === undefined
        ? {}
        : { costUsd: Math.max(0, this.limits.maxCostUsd - this.#spent.costUsd) }),
      ...(this.limits.maxTokens === undefined ? {} : { tokens: Math.max(0, this.limits.maxTokens - tokens) }),
      ...(deadline === undefined ? {} : { timeoutMs: Math.max(0, deadline - now) }),
    };
  }

  /**
   * Throws the error of the first bound that stops another model call.
   * @throws BatonError `AGENT_MAX_ITERATIONS`, `BUDGET_EXCEEDED` or `TIMEOUT`, with `details.bound`
   */
  checkBeforeCall(now: number): void {
    if (this.#iterations >= this.limits.maxIterations) {
      throw this.#error(
        'AGENT_MAX_ITERATIONS',
        'maxIterations',
        this.limits.maxIterations,
        this.#iterations,
        `made ${this.#iterations} model calls without a final answer`,
        'Raise limits.maxIterations, or give the agent a clearer task or better tools',
      );
    }
    this.checkBudget();
    this.checkDeadline(now);
  }

  /** @throws BatonError `BUDGET_EXCEEDED` when tokens or dollars are used up */
  checkBudget(): void {
    const tokens = this.#spent.inputTokens + this.#spent.outputTokens;
    if (this.limits.maxTokens !== undefined && tokens >= this.limits.maxTokens) {
      throw this.#error(
        'BUDGET_EXCEEDED',
        'maxTokens',
        this.limits.maxTokens,
        tokens,
        `used ${tokens} tokens of its ${this.limits.maxTokens}`,
        'Raise limits.maxTokens, or shorten the prompt and tool results',
      );
    }
    if (this.limits.maxCostUsd !== undefined && this.#spent.costUsd >= this.limits.maxCostUsd) {
      throw this.#error(
        'BUDGET_EXCEEDED',
        'maxCostUsd',
        this.limits.maxCostUsd,
        this.#spent.costUsd,
        `spent $${this.#spent.costUsd.toFixed(6)} of its $${this.limits.maxCostUsd}`,
        'Raise limits.maxCostUsd, or route the agent to a cheaper model',
      );
    }
  }

  /** @throws BatonError `TIMEOUT` once the deadline has passed */
  checkDeadline(now: number): void {
    const deadline = this.deadline;
    if (deadline !== undefined && now >= deadline) {
      throw this.#error(
        'TIMEOUT',
        'timeoutMs',
        this.limits.timeoutMs,
        now - this.startedAt,
        `ran for ${now - this.startedAt} ms, past its ${this.limits.timeoutMs} ms`,
        'Raise limits.timeoutMs, or split the task',
      );
    }
  }

  #error(
    code: 'AGENT_MAX_ITERATIONS' | 'BUDGET_EXCEEDED' | 'TIMEOUT',
    bound: string,
    limit: number | undefined,
    used: number,
    what: string,
    hint: string,
  ): BatonError {
    return new BatonError(code, `agent ${this.agent} (step ${this.stepId}) ${what}: bound ${bound} reached`, {
      hint,
      details: { agent: this.agent, step: this.stepId, bound, limit, used, spent: this.#spent },
    });
  }
}
