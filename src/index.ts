/**
 * Baton: durable AI-agent workflows in production. The public API; import nothing else.
 * @module
 */

export {
  type AgentDefinition,
  type AgentKindOptions,
  type AgentLimits,
  AgentMemory,
  type AgentMemoryOptions,
  AgentRegistry,
  type AgentRuns,
  type AgentStepOptions,
  agent,
  agentContextBound,
  agentKind,
  agentWorkflow,
  agentWorkflowName,
  agentWorkflows,
  type CallUsage,
  defineAgent,
  journalUsage,
  type ResolvedAgent,
} from './agents/agent/index.js';
export {
  type AgentsRuntime,
  type EnableAgentsOptions,
  enableAgents,
  openAgentStore,
} from './agents/enable-agents.js';
export { type LlmKindOptions, type LlmStepOptions, llm, llmKind } from './agents/llm-step.js';
export {
  type PlanAllow,
  type PlanKindOptions,
  type PlanSpec,
  type PlanStepOptions,
  plan,
  planKind,
} from './agents/plan-step.js';
export { PromptLibrary, type RenderedPrompt } from './agents/prompts/index.js';
export { agentSpecKinds, registerAgentSpecKinds } from './agents/spec-kinds.js';
export {
  type AgentAuditRecord,
  type AgentStore,
  type JournalEntry,
  type JournalScope,
  type MemoryRecord,
  openPostgresAgentStore,
  openSqliteAgentStore,
  type RecalledMemory,
  type RecallQuery,
  StoreToolAuditSink,
} from './agents/state/index.js';
export { type ToolStepOptions, toolCall, toolKind } from './agents/tool-step.js';
export type { ApprovalResult, CommonStepOptions, ItemResult, WaitResult } from './core/builder.js';
export { WorkflowBuilder, workflow } from './core/builder.js';
export type {
  MachineContext,
  RunCommand,
  RunSeed,
  RunSnapshot,
  StepRecord,
  Transition,
} from './core/commands.js';
export type {
  ApprovalConfig,
  ApprovalPlan,
  BranchConfig,
  ChildConfig,
  CompensationContext,
  FnConfig,
  ItemContext,
  MapConfig,
  RegisteredFunction,
  StepContext,
  StepDefinition,
  WaitConfig,
  WaitPlan,
  WorkflowDefinition,
} from './core/definition.js';
export type { FieldChange, VersionDiff } from './core/diff.js';
export { diffVersions } from './core/diff.js';
export { formatDuration, parseDuration } from './core/duration.js';
export type { BatonErrorOptions, ErrorCode, ErrorInfo } from './core/errors.js';
export { BatonError, isBatonError, NonRetryableError, RetryAfterError, toErrorInfo } from './core/errors.js';
export type { SpecIssue, SpecIssueCode } from './core/graph.js';
export { reduceRun } from './core/machine.js';
export { DEFAULT_RETRY, retryDelayMs } from './core/retry.js';
export type {
  ApprovalDecision,
  ApprovalRequest,
  ClaimedTask,
  Graph,
  HistoryEvent,
  HistoryEventType,
  MapFailurePolicy,
  RetryPolicy,
  Run,
  RunPhase,
  RunStatus,
  StepNode,
  StepOutcome,
  StepState,
  StepStatus,
  WorkflowVersion,
} from './core/types.js';
export type {
  GatewayConfig,
  GatewayConfigInput,
  ModelPrice,
  ProviderConfig,
  RouteConfig,
  TargetConfig,
} from './gateway/config.js';
export { gatewayConfigSchema, parseGatewayConfig } from './gateway/config.js';
export { costFromPrice, PriceBook } from './gateway/cost.js';
export { GatewayError, ProviderError, type ProviderErrorCode } from './gateway/errors.js';
export type {
  CallContext,
  CallMeta,
  GatewayOptions,
  GatewayStream,
  RunModels,
  TargetStatus,
} from './gateway/gateway.js';
export { Gateway } from './gateway/gateway.js';
export { createGatewayApp, type GatewayAppOptions } from './gateway/http/gateway-app.js';
export type {
  BudgetLimit,
  BudgetPeriod,
  CreatedKey,
  GatewayLedger,
  NewKey,
  RequestFilter,
  RequestLogEntry,
  RequestPage,
  SpendEntry,
  SpendScope,
  VirtualKey,
} from './gateway/ledger/index.js';
export { openPostgresLedger, openSqliteLedger } from './gateway/ledger/index.js';
export { createMasker, type MaskingSession, PiiBlockedError, type PiiMode } from './gateway/pii/index.js';
export { DEFAULT_PRICES } from './gateway/prices.js';
export { createAnthropicProvider, createGeminiProvider } from './gateway/providers/ai-sdk/index.js';
export { createCassetteProvider } from './gateway/providers/cassette/index.js';
export { createOfflineProvider, loadOfflineRules } from './gateway/providers/offline/index.js';
export {
  createOpenAICompatibleProvider,
  type OpenAICompatibleOptions,
} from './gateway/providers/openai-compatible.js';
export type { Provider, ProviderCall } from './gateway/providers/provider.js';
export type {
  ChatChunk,
  ChatMessage,
  ChatRequest,
  ChatResponse,
  EmbeddingRequest,
  EmbeddingResponse,
  Usage,
} from './gateway/types.js';
export type {
  Authenticate,
  BatonMcpServerOptions,
  McpHttpOptions,
  McpIdentity,
  McpStdioOptions,
  McpStdioSession,
  Role,
} from './mcp-server/index.js';
export {
  BatonMcpServer,
  createBatonMcpServer,
  mcpHttpHandler,
  mcpNodeHandler,
  ROLES,
  serveMcpStdio,
} from './mcp-server/index.js';
export type { BatonOptions, SubmitOptions } from './runtime/baton.js';
export { Baton } from './runtime/baton.js';
export { BUILTIN_KINDS } from './runtime/kinds/builtin-kinds.js';
export type { KindEnvironment, ReplaySources, StepKind } from './runtime/kinds/step-kind.js';
export {
  FORKED_FROM_TAG,
  type ForkOptions,
  type ForkResult,
  type ReplayMode,
  type ReplayOptions,
  type ReplayReport,
  type ReplayStep,
  type ReplayStepStatus,
} from './runtime/replay/index.js';
export type { WorkerOptions } from './runtime/worker.js';
export { Worker } from './runtime/worker.js';
export type { SpecKind, WorkflowSpec } from './spec/index.js';
export {
  compileSpec,
  defineSpecKind,
  parseSpecText,
  registerSpecKind,
  SpecKindRegistry,
  specKinds,
  validateSpec,
} from './spec/index.js';
export type {
  AttemptRecord,
  CompletionResult,
  NewRun,
  NewVersion,
  PruneResult,
  RunFilter,
  RunStats,
  RunStatsQuery,
  Store,
  StoreOptions,
  TaskCompletion,
} from './store/port.js';
export type { PostgresStoreOptions } from './store/postgres/postgres-store.js';
export { PostgresStore } from './store/postgres/postgres-store.js';
export type { SqliteStoreOptions } from './store/sqlite/sqlite-store.js';
export { SqliteStore } from './store/sqlite/sqlite-store.js';
export {
  type AlertEvent,
  type AlertNotification,
  type AlertRule,
  type AlertService,
  type AlertServiceOptions,
  type AlertState,
  type AlertStateStore,
  type AlertsConfig,
  DEFAULT_ALERT_RULES,
  loadAlertsConfig,
  openAlertState,
  openPostgresAlertState,
  openSqliteAlertState,
  parseAlertsConfig,
  startAlertService,
} from './telemetry/alerts/index.js';
export {
  type CostModel,
  type CostModelQuery,
  costModel,
  type StepCost,
} from './telemetry/costs/cost-model.js';
export {
  createLogger,
  createTracing,
  type Logger,
  type LoggerOptions,
  openPostgresSpanStore,
  openSqliteSpanStore,
  type PostgresSpanStoreOptions,
  type ReadRunTraceOptions,
  readRunTrace,
  type SpanQuery,
  type SpanStatus,
  type SpanStore,
  type SqliteSpanStoreOptions,
  type StoredSpan,
  Tracing,
  type TracingOptions,
} from './telemetry/index.js';
export {
  type BatonMetrics,
  createMetrics,
  type MetricsDatabase,
  type MetricsOptions,
  type MetricsWindow,
} from './telemetry/metrics/index.js';
export { MemoryToolAuditSink, type ToolAuditRecord, type ToolAuditSink } from './tools/audit.js';
export { defineTool } from './tools/define-tool.js';
export { connectMcp, type McpToolSource } from './tools/mcp/index.js';
export type { Tool, ToolCallContext, ToolSource } from './tools/tool.js';
export { ToolRegistry } from './tools/tool-registry.js';
