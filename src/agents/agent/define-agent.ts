/**
 * Agents as data: what a model may do (instructions, tools, delegates, memory) and how far it may go
 * (its limits). An {@link AgentRegistry} holds them by name, for `agent` steps and for delegation.
 * @module
 */

import type { ZodType } from 'zod';
import { z } from 'zod';
import { BatonError } from '../../core/errors.js';
import { type ContextBound, worstCaseContext } from '../../tools/context-bound.js';
import { modelJsonSchema } from '../../tools/define-tool.js';

/** The bounds of one agent step. Every bound that is set ends the loop with a typed error. */
export interface AgentLimits {
  /** Model calls, the repair round included. @defaultValue 10 */
  maxIterations?: number;
  /** Tool calls run per model call; more are refused back to the model. @defaultValue 8 */
  maxToolCallsPerIteration?: number;
  /** Input plus output tokens of every call, delegations included (`BUDGET_EXCEEDED`). */
  maxTokens?: number;
  /** Dollars of every call, delegations included (`BUDGET_EXCEEDED`). */
  maxCostUsd?: number;
  /** Wall clock from the loop's first start, across restarts (`TIMEOUT`). */
  timeoutMs?: number;
  /** `max_tokens` of each model call. @defaultValue 1024 */
  maxOutputTokens?: number;
}

/** Long-term and run memory, offered to the model as tools. */
export interface AgentMemoryOptions {
  /** `memory_remember` and `memory_recall`: facts kept per tenant and agent, recalled by similarity. */
  longTerm?: boolean;
  /** The embeddings model (a route alias or `provider/model`). Needed with `longTerm`. */
  embeddingModel?: string;
  /** `scratch_write` and `scratch_read`: values kept for the rest of the run. */
  run?: boolean;
}

/** An agent. */
export interface AgentDefinition {
  /** 1–48 chars of `[a-z0-9_-]`, starting with a letter. */
  name: string;
  /** What it does: orchestrators read it when the agent is offered to them as a delegate. */
  description: string;
  /** The system prompt, unless `prompt` gives one. */
  instructions?: string;
  /** A prompt file (`prompts/<name>/v<N>.md`) rendered with `{ task, input }`; its model and parameters are defaults. */
  prompt?: { name: string; version?: number };
  /** A route alias or `provider/model`; required unless the prompt names one. */
  model?: string;
  /** Sampling parameters (`temperature`, ...). */
  parameters?: Record<string, unknown>;
  /** The tools it is granted, by registered name. Only these are shown to the model. */
  tools?: string[];
  /** Agents it may delegate to, each offered as a tool `delegate_<name>`; each call is a child run. */
  delegates?: string[];
  memory?: AgentMemoryOptions;
  /** The final answer's schema; without one the answer is text. */
  output?: ZodType;
  limits?: AgentLimits;
}

/** An agent checked and with its defaults filled in. */
export interface ResolvedAgent extends AgentDefinition {
  tools: string[];
  delegates: string[];
  limits: Required<Pick<AgentLimits, 'maxIterations' | 'maxToolCallsPerIteration' | 'maxOutputTokens'>> &
    AgentLimits;
  /** The JSON Schema of `output`, computed once. */
  outputSchema?: Record<string, unknown>;
}

const NAME = /^[a-z][a-z0-9_-]{0,47}$/;

const limitsSchema = z
  .object({
    maxIterations: z.number().int().min(1).max(1000).optional(),
    maxToolCallsPerIteration: z.number().int().min(0).max(128).optional(),
    maxTokens: z.number().int().min(1).optional(),
    maxCostUsd: z.number().positive().optional(),
    timeoutMs: z.number().int().min(1).optional(),
    maxOutputTokens: z.number().int().min(1).optional(),
  })
  .strict();

/**
 * Checks an agent and fills in its defaults.
 * @throws BatonError `INVALID_ARGUMENT` naming the agent and the offending field
 * @example
 * const researcher = defineAgent({ name: 'research', description: 'Finds facts', model: 'smart', tools: ['web.search'] });
 */
export function defineAgent(agent: AgentDefinition): ResolvedAgent {
  const fail = (message: string, hint: string): never => {
    throw new BatonError('INVALID_ARGUMENT', `agent ${JSON.stringify(agent?.name)}: ${message}`, { hint });
  };
  if (typeof agent?.name !== 'string' || !NAME.test(agent.name)) {
    fail('the name is malformed', 'Use 1–48 chars of a-z, 0-9, _ and -, starting with a letter');
  }
  if (typeof agent.description !== 'string' || agent.description.trim() === '') {
    fail('it has no description', 'Say in one sentence what the agent does');
  }
  if (!agent.model && !agent.prompt) fail('it names no model', 'Set model, or a prompt file that names one');
  const limits = limitsSchema.safeParse(agent.limits ?? {});
  if (!limits.success) {
    fail(
      `its limits are invalid: ${limits.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      'Limits are positive numbers; iterations and tokens are whole',
    );
  }
  if (agent.memory?.longTerm && !agent.memory.embeddingModel) {
    fail('long-term memory needs an embeddings model', 'Set memory.embeddingModel');
  }
  const delegates = [...new Set(agent.delegates ?? [])];
  if (delegates.includes(agent.name)) fail('it delegates to itself', 'Remove it from its own delegates');
  for (const d of delegates)
    if (!NAME.test(d)) fail(`delegate ${JSON.stringify(d)} is malformed`, 'Name agents');
  return {
    ...agent,
    tools: [...new Set(agent.tools ?? [])],
    delegates,
    limits: { maxIterations: 10, maxToolCallsPerIteration: 8, maxOutputTokens: 1024, ...agent.limits },
    ...(agent.output ? { outputSchema: modelJsonSchema(agent.output) } : {}),
  };
}

/**
 * The worst-case context of an agent's last model call, from its limits alone (see
 * {@link worstCaseContext}): compare `tokens` with the model's context window before deploying it.
 * @example
 * agentContextBound(defineAgent(support), { promptBytes: 12_000, maxResultBytes: 16_384 }).tokens
 */
export function agentContextBound(
  agent: ResolvedAgent,
  sizes: { promptBytes: number; maxResultBytes: number },
): ContextBound {
  return worstCaseContext({
    maxIterations: agent.limits.maxIterations,
    maxToolCallsPerIteration: agent.limits.maxToolCallsPerIteration,
    maxOutputTokens: agent.limits.maxOutputTokens,
    ...sizes,
  });
}

/** The name of the workflow that runs one agent, used for delegations and for starting an agent alone. */
export function agentWorkflowName(agent: string): string {
  return `agent.${agent}`;
}

/** Agents by name. */
export class AgentRegistry {
  readonly #agents = new Map<string, ResolvedAgent>();

  /** Adds (or replaces) agents; each goes through {@link defineAgent}. */
  register(...agents: (AgentDefinition | ResolvedAgent)[]): this {
    for (const agent of agents) {
      const resolved = defineAgent(agent);
      this.#agents.set(resolved.name, resolved);
    }
    return this;
  }

  /**
   * The agent called `name`.
   * @throws BatonError `AGENT_NOT_FOUND`
   */
  get(name: string): ResolvedAgent {
    const agent = this.#agents.get(name);
    if (!agent) {
      throw new BatonError('AGENT_NOT_FOUND', `agent ${JSON.stringify(name)} is not registered`, {
        hint: `Registered agents: ${[...this.#agents.keys()].join(', ') || 'none'}`,
        details: { agent: name },
      });
    }
    return agent;
  }

  has(name: string): boolean {
    return this.#agents.has(name);
  }

  list(): ResolvedAgent[] {
    return [...this.#agents.values()];
  }
}
