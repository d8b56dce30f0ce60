/**
 * Agents: the `agent` step kind, its durable loop, bounds, memory and delegation.
 * @module
 */
export type { Delegate, DelegationResult, LoopResult } from './agent-loop.js';
export { AgentMemory, embedText } from './agent-memory.js';
export {
  type AgentKindOptions,
  type AgentRuns,
  type AgentStepConfig,
  type AgentStepOptions,
  agent,
  agentKind,
  agentWorkflow,
  agentWorkflows,
  journalUsage,
} from './agent-step.js';
export type { CallUsage } from './bounds.js';
export {
  type AgentDefinition,
  type AgentLimits,
  type AgentMemoryOptions,
  AgentRegistry,
  agentContextBound,
  agentWorkflowName,
  defineAgent,
  type ResolvedAgent,
} from './define-agent.js';
