/**
 * The tool port: what an agent (or a `tool` step) can call. A tool is local TypeScript or a tool of
 * an MCP server; both look the same here, so grants, limits, breakers and the audit trail apply to
 * every tool alike.
 *
 * Glossary:
 * - **effect**: the tool changes the outside world (sends an e-mail, charges a card). It is never
 *   retried automatically unless also `idempotent`, and it receives an idempotency key.
 * - **grant**: the list of tool names an agent or step may use; only those are shown to the model.
 * @module
 */

/** JSON Schema of a tool's input (an object schema), as sent to models. */
export type JsonSchema = Record<string, unknown>;

/** What a tool call is given besides its input. */
export interface ToolCallContext {
  /** The run and step calling, for the audit trail and idempotency keys. */
  runId?: string;
  stepId?: string;
  tenant?: string;
  /** Stable across retries of the same call: `<run>/<step>/<call id>`. Effects must honour it. */
  idempotencyKey: string;
  /** Aborted on timeout or cancellation; the tool must stop. */
  signal: AbortSignal;
}

/** One callable tool. */
export interface Tool {
  /** Unique in a registry; MCP tools are namespaced `server.tool`. 1–128 chars of `[A-Za-z0-9_.-]`. */
  readonly name: string;
  /** What the model reads to decide to call it. */
  readonly description: string;
  /** JSON Schema of the input, shown to models. */
  readonly inputSchema: JsonSchema;
  /** Changes the outside world. @defaultValue false */
  readonly effect: boolean;
  /** Safe to call twice with the same input. @defaultValue !effect */
  readonly idempotent: boolean;
  /** Per attempt. @defaultValue the registry's `timeoutMs` (30 s) */
  readonly timeoutMs?: number;
  /** Automatic retries on timeouts and failures; never used for a non-idempotent effect. @defaultValue the registry's */
  readonly retry?: ToolRetryPolicy;
  /** This tool's circuit breaker. @defaultValue the registry's */
  readonly breaker?: ToolBreakerPolicy;
  /**
   * Runs the tool. `input` is the parsed JSON arguments as the model sent them: the tool validates
   * it (`defineTool` does, with its zod schema, before the handler) or its server does (MCP). A
   * failure the model should see is a thrown `ToolError`; anything else is reported as
   * `TOOL_FAILED`.
   */
  call(input: unknown, context: ToolCallContext): Promise<unknown>;
}

/** Retries of one tool call, with exponential backoff and jitter between attempts. */
export interface ToolRetryPolicy {
  /** Retries after the first attempt (as in the gateway's routes). 0 disables retries. */
  attempts: number;
  /** Delay ceiling before the first retry; it doubles on each retry. */
  baseMs: number;
  /** Largest delay ceiling. */
  maxMs: number;
}

/** A tool's circuit breaker: it opens after consecutive retryable failures. */
export interface ToolBreakerPolicy {
  /** Consecutive failures (timeouts, handler failures) that open the breaker. */
  consecutiveFailures: number;
  /** How long it stays open before one trial call is let through. */
  halfOpenAfterMs: number;
}

/**
 * Tools that come from elsewhere than local code, such as an MCP server. Its tools are named
 * `<source name>.<tool>` so that they can never shadow a local tool or another source's.
 */
export interface ToolSource {
  /** The namespace: 1–64 chars of `[A-Za-z0-9_-]` (no dot). */
  readonly name: string;
  /**
   * The tools currently offered, already namespaced. Read on every `definitions()` and call, so keep
   * it cheap (a cached list refreshed when the server says its list changed). A source that fails
   * here is treated as offering nothing for now.
   */
  tools(): readonly Tool[] | Promise<readonly Tool[]>;
}
