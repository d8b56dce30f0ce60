/**
 * The tool hub: local tools, tool sources, grants, limits, breakers and the audit trail. Not yet
 * wired into the engine: the agent loop and `tool` steps will take a {@link GrantedTools} view.
 * @module
 */
export {
  MemoryToolAuditSink,
  type ToolAuditRecord,
  type ToolAuditSink,
  type ToolCallOutcomeKind,
} from './audit.js';
export { type AgentContextLimits, type ContextBound, worstCaseContext } from './context-bound.js';
export { defineTool, type ToolInputIssue, type ToolSpec } from './define-tool.js';
export { GrantedTools, type ToolCallRequestContext, type ToolOutcome } from './granted-tools.js';
export { type CappedContent, capContent, MIN_RESULT_BYTES, utf8Bytes } from './result-cap.js';
export type {
  JsonSchema,
  Tool,
  ToolBreakerPolicy,
  ToolCallContext,
  ToolRetryPolicy,
  ToolSource,
} from './tool.js';
export {
  isToolError,
  ToolError,
  type ToolErrorCode,
  type ToolErrorOptions,
  toToolError,
} from './tool-errors.js';
export {
  type GrantOptions,
  TOOL_NAME_PATTERN,
  type ToolBreakerState,
  ToolRegistry,
  type ToolRegistryOptions,
} from './tool-registry.js';
